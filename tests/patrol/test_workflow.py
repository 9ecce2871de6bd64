"""The closed loop: every action from every state (table-driven), who may act, and two people at once."""

import threading

import pytest

from epigrid.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from epigrid.core.models import AuditEvent
from epigrid.patrol import services
from epigrid.patrol.models import Incident, IncidentEvent
from epigrid.patrol.services import incidents
from epigrid.patrol.workflow import ACTIONS, TRANSITIONS

from .helpers import PATHS, S, action_kwargs, incident_in, report

# (state, action) -> state after it; every pair missing here must answer 409.
ALLOWED = {
    (S.REPORTED, "register"): S.REGISTERED,
    (S.REPORTED, "reject"): S.REJECTED,
    (S.REGISTERED, "dispatch"): S.DISPATCHED,
    (S.DISPATCHED, "handle"): S.HANDLED,
    (S.HANDLED, "verify"): S.VERIFIED,
    (S.VERIFIED, "close"): S.CLOSED,
    (S.CLOSED, "evaluate"): S.EVALUATED,
}
CASES = [(state, action) for state in PATHS for action in ACTIONS]


def test_the_table_is_the_one_in_the_code():
    assert {(s, a): step.target for a, step in TRANSITIONS.items() for s in step.sources} == ALLOWED


@pytest.mark.parametrize(("state", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_every_action_from_every_state(state, action, gridworker, community_worker, inside):
    incident = incident_in(state, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    actor = community_worker  # a manager may take every step, so only the state decides
    events, audits = IncidentEvent.objects.count(), AuditEvent.objects.count()
    run = lambda: services.INCIDENT_ACTIONS[action](actor=actor, incident_id=incident.pk,  # noqa: E731
                                                   **action_kwargs(action))
    if (state, action) in ALLOWED:
        assert run().state == ALLOWED[(state, action)]
        assert IncidentEvent.objects.count() == events + 1
        assert AuditEvent.objects.filter(action=f"incident.{action}", object_id=str(incident.pk)).exists()
    else:
        with pytest.raises(Conflict):
            run()
        before = incident.version
        incident.refresh_from_db()
        assert (incident.state, incident.version) == (state, before)
        assert (IncidentEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)


def test_failed_verification_sends_it_back_to_handling(gridworker, community_worker, inside):
    incident = incident_in(S.HANDLED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    with pytest.raises(ServiceError) as exc:
        services.incident_verify(actor=community_worker, incident_id=incident.pk, passed=False)
    assert exc.value.errors[0].field == "comment"
    after = services.incident_verify(actor=community_worker, incident_id=incident.pk, passed=False,
                                     comment="门口仍有人聚集")
    assert after.state == S.DISPATCHED
    assert services.incident_handle(actor=gridworker, incident_id=incident.pk, result="再次劝离").state == S.HANDLED
    # The handler was told.
    assert gridworker.notifications.filter(kind="verify_failed").exists()


def test_the_reporter_may_verify_and_evaluate(gridworker, other_gridworker, community_worker, inside):
    incident = incident_in(S.HANDLED, reporter=gridworker, manager=community_worker, handler=community_worker,
                           lon=inside[0], lat=inside[1])
    incident.handled_by = other_gridworker  # someone else handled it: the reporter may verify
    incident.save(update_fields=["handled_by"])
    assert services.incident_verify(actor=gridworker, incident_id=incident.pk, passed=True).state == S.VERIFIED
    with pytest.raises(PermissionDenied):
        services.incident_close(actor=gridworker, incident_id=incident.pk)
    services.incident_close(actor=community_worker, incident_id=incident.pk)
    assert services.incident_evaluate(actor=gridworker, incident_id=incident.pk, rating=4).rating == 4


def test_a_grid_worker_may_not_manage(gridworker, community_worker, inside):
    incident = report(gridworker, *inside)
    for action in ("register", "reject"):
        with pytest.raises(PermissionDenied):
            services.INCIDENT_ACTIONS[action](actor=gridworker, incident_id=incident.pk, **action_kwargs(action))
    incident.refresh_from_db()
    assert incident.state == S.REPORTED


def test_only_the_assignee_or_a_manager_handles(gridworker, other_gridworker, community_worker, inside):
    incident = incident_in(S.DISPATCHED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    # The other grid worker's scope is another grid: the incident does not exist for them.
    with pytest.raises(NotFound):
        services.incident_handle(actor=other_gridworker, incident_id=incident.pk, result="x")
    assert services.incident_handle(actor=community_worker, incident_id=incident.pk, result="代为处理").state == S.HANDLED


def test_dispatch_to_someone_who_cannot_handle_here(gridworker, other_gridworker, alice, community_worker, inside):
    incident = incident_in(S.REGISTERED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    for name in ("gridworker2", "nobody", "charlie"):
        with pytest.raises(ServiceError) as exc:
            services.incident_dispatch(actor=community_worker, incident_id=incident.pk, assignee=name)
        assert exc.value.status == 400 and exc.value.errors[0].field == "assignee"
    with pytest.raises(ServiceError):
        services.incident_dispatch(actor=community_worker, incident_id=incident.pk)  # no one at all
    incident.refresh_from_db()
    assert incident.state == S.REGISTERED and incident.assignee is None
    # A district admin may handle, so may be dispatched to.
    done = services.incident_dispatch(actor=community_worker, incident_id=incident.pk, assignee="alice")
    assert done.assignee == alice and done.deadline is not None


@pytest.mark.parametrize("outsider", ["bob", "charlie", "auditor"])
def test_outsiders_get_404_or_403_and_nothing_changes(outsider, request, gridworker, community_worker, inside):
    user = request.getfixturevalue(outsider)
    incident = report(gridworker, *inside)
    for action in ACTIONS:
        with pytest.raises((NotFound, PermissionDenied)) as exc:
            services.INCIDENT_ACTIONS[action](actor=user, incident_id=incident.pk, **action_kwargs(action))
        # The auditor sees it (read-only role in scope): 403; the others do not even see it: 404.
        assert exc.value.status == (403 if outsider == "auditor" else 404)
    incident.refresh_from_db()
    assert incident.state == S.REPORTED and incident.version == 0


def test_reject_as_duplicate_needs_an_original_in_scope(gridworker, community_worker, inside):
    first = report(gridworker, *inside)
    second = report(gridworker, *inside)
    with pytest.raises(ServiceError):
        services.incident_reject(actor=community_worker, incident_id=second.pk, reason="duplicate", duplicate_of=999999)
    with pytest.raises(ServiceError):
        services.incident_reject(actor=community_worker, incident_id=second.pk, reason="bored")
    done = services.incident_reject(actor=community_worker, incident_id=second.pk, reason="duplicate",
                                    duplicate_of=first.pk)
    assert done.state == S.REJECTED and done.duplicate_of_id == first.pk


def test_a_stale_read_loses_to_the_conditional_update(gridworker, community_worker, inside, monkeypatch):
    """The other actor's step commits between our read and our write: our UPDATE matches nothing."""
    incident = incident_in(S.REGISTERED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    stale = Incident.objects.select_related("category").get(pk=incident.pk)
    services.incident_dispatch(actor=community_worker, incident_id=incident.pk, assignee="gridworker")
    # The incident moved on, but this actor still holds the old copy: registered, version 1.
    monkeypatch.setattr(incidents, "_load", lambda actor, incident_id: stale)
    with pytest.raises(Conflict):
        services.incident_dispatch(actor=community_worker, incident_id=incident.pk, assignee="gridworker")
    assert IncidentEvent.objects.filter(incident=incident, action="dispatch").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_dispatch_at_once_and_one_wins(gridworker, community_worker, alice, inside):
    incident = incident_in(S.REGISTERED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    barrier = threading.Barrier(2)
    outcomes = []

    def act(actor, assignee):
        from django.db import connection

        try:
            barrier.wait()
            services.incident_dispatch(actor=actor, incident_id=incident.pk, assignee=assignee)
            outcomes.append("won")
        except Conflict:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(community_worker, "gridworker")),
               threading.Thread(target=act, args=(alice, "alice"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "won"]
    assert IncidentEvent.objects.filter(incident=incident, action="dispatch").count() == 1


def test_whoever_handled_an_incident_may_not_verify_it(gridworker, community_worker, inside, settings):
    """Separation of duties: the grid worker reported and handled it; they may not verify it (nor close
    it, by default), and the page and the API offer them neither button."""
    from epigrid.patrol.selectors import incident_actions_for

    incident = incident_in(S.HANDLED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])
    assert incident.handled_by == gridworker
    assert "verify" not in incident_actions_for(user=gridworker, incident=incident)
    with pytest.raises(PermissionDenied):
        services.incident_verify(actor=gridworker, incident_id=incident.pk, passed=True)
    assert "verify" in incident_actions_for(user=community_worker, incident=incident)
    services.incident_verify(actor=community_worker, incident_id=incident.pk, passed=True)
    incident.refresh_from_db()
    # A handler who is also a manager does not verify their own work either.
    settings.INCIDENT_HANDLER_MAY_CLOSE = False
    other = incident_in(S.DISPATCHED, reporter=gridworker, manager=community_worker, handler=gridworker,
                        lon=inside[0], lat=inside[1])
    services.incident_handle(actor=community_worker, incident_id=other.pk, result="自己处置")
    with pytest.raises(PermissionDenied):
        services.incident_verify(actor=community_worker, incident_id=other.pk, passed=True)
    services.incident_verify(actor=gridworker, incident_id=other.pk, passed=True)  # the reporter verifies
    other.refresh_from_db()
    assert "close" not in incident_actions_for(user=community_worker, incident=other)
    with pytest.raises(PermissionDenied):
        services.incident_close(actor=community_worker, incident_id=other.pk)
    settings.INCIDENT_HANDLER_MAY_CLOSE = True
    assert services.incident_close(actor=community_worker, incident_id=other.pk).state == S.CLOSED
