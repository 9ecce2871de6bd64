"""Deadlines and escalation, on a frozen clock: overdue incidents are flagged and escalated community ->
street -> district by the scheduled task, with notifications to the managers there."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from epigrid.core.tasks import SCHEDULES, enqueue
from epigrid.patrol import services
from epigrid.patrol.categories import categories_ensure
from epigrid.patrol.models import IncidentCategory, IncidentEvent, KpiDaily, Notification

from .helpers import S, incident_in

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def run_task():
    enqueue("epigrid.patrol.tasks.escalate_overdue")


def test_the_task_is_scheduled(db):
    from django_q.models import Schedule

    assert ("patrol.escalate_overdue", "epigrid.patrol.tasks.escalate_overdue", 5) in SCHEDULES
    from epigrid.core.tasks import ensure_schedules

    ensure_schedules()
    assert Schedule.objects.get(name="patrol.escalate_overdue").func == "epigrid.patrol.tasks.escalate_overdue"


@pytest.fixture
def dispatched(gridworker, community_worker, street_admin, alice, inside):
    """A gathering (2-hour deadline) dispatched at T0 to the grid worker."""
    with time_machine.travel(T0, tick=False):
        return incident_in(S.DISPATCHED, reporter=gridworker, manager=community_worker, handler=gridworker,
                           lon=inside[0], lat=inside[1])


def test_overdue_escalates_one_level_each_period(dispatched, street_admin, alice, community_worker):
    assert dispatched.deadline == T0 + timedelta(hours=2)
    with time_machine.travel(T0 + timedelta(hours=1, minutes=59), tick=False):
        run_task()
    dispatched.refresh_from_db()
    assert not dispatched.overdue and dispatched.escalation_level == 0

    with time_machine.travel(T0 + timedelta(hours=2, minutes=5), tick=False):
        run_task()
        run_task()  # a second run in the same period changes nothing
    dispatched.refresh_from_db()
    assert dispatched.overdue and dispatched.escalation_level == 1
    assert list(Notification.objects.filter(kind="overdue").values_list("user__username", flat=True)) == ["street"]
    assert dispatched.state == S.DISPATCHED  # escalation does not move the workflow

    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        run_task()
    dispatched.refresh_from_db()
    assert dispatched.escalation_level == 1

    with time_machine.travel(T0 + timedelta(hours=4, minutes=10), tick=False):
        run_task()
    dispatched.refresh_from_db()
    assert dispatched.escalation_level == 2
    assert Notification.objects.filter(kind="overdue", user=alice).count() == 1

    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        run_task()  # the district is the top: no further escalation
    assert IncidentEvent.objects.filter(incident=dispatched, action="escalate").count() == 2
    assert KpiDaily.objects.get(level="grid", escalated__gt=0).escalated == 2

    # Closed late: counted as closed, not on time.
    with time_machine.travel(T0 + timedelta(days=3, hours=1), tick=False):
        services.incident_handle(actor=dispatched.assignee, incident_id=dispatched.pk, result="done")
        services.incident_verify(actor=community_worker, incident_id=dispatched.pk, passed=True)
        closed = services.incident_close(actor=community_worker, incident_id=dispatched.pk)
    assert closed.closed_on_time is False
    row = KpiDaily.objects.get(level="community", day=closed.closed_at.astimezone(T0.tzinfo).date())
    assert (row.closed, row.closed_on_time) == (1, 0)


def test_closed_in_time_is_never_escalated(dispatched, community_worker):
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.incident_handle(actor=dispatched.assignee, incident_id=dispatched.pk, result="done")
        services.incident_verify(actor=community_worker, incident_id=dispatched.pk, passed=True)
        assert services.incident_close(actor=community_worker, incident_id=dispatched.pk).closed_on_time
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        run_task()
    dispatched.refresh_from_db()
    assert not dispatched.overdue and not Notification.objects.filter(kind="overdue").exists()


def test_deadlines_are_per_category(gridworker, community_worker, inside):
    categories_ensure()
    IncidentCategory.objects.filter(code="gathering").update(deadline_hours=6)
    with time_machine.travel(T0, tick=False):
        incident = incident_in(S.DISPATCHED, reporter=gridworker, manager=community_worker, handler=gridworker,
                               lon=inside[0], lat=inside[1])
    assert incident.deadline == T0 + timedelta(hours=6)
