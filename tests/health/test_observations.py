"""Starting, releasing and ending observations; health status colours and their history."""

from datetime import date, timedelta

import pytest
import time_machine

from epigrid.core.errors import Conflict, NotFound, ServiceError
from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.models import HealthStatus, Observation
from epigrid.health.services import (
    local_now,
    observation_release,
    observation_send_to_hospital,
    observation_start,
)

from .conftest import local, make_resident


def test_start_defaults_to_today_fourteen_days_and_the_grids_first_worker(resident, worker_assigned):
    obs = observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival")
    today = local_now().date()
    assert (obs.start, obs.planned_end, obs.status) == (today, today + timedelta(days=14), "active")
    assert obs.worker == worker_assigned and obs.grid_code == resident.grid_code
    assert HealthStatus.objects.get(resident=resident).colour == "yellow"


def test_days_default_is_configurable(resident, settings):
    settings.OBSERVATION_DAYS = 7
    obs = observation_start(actor=SYSTEM, resident=resident, kind="centralised", reason="close_contact")
    assert obs.planned_end - obs.start == timedelta(days=7)
    assert obs.worker is None  # the grid has no named worker


def test_start_by_a_worker_in_scope_with_explicit_values(resident, gridworker):
    start = local_now().date() - timedelta(days=3)
    obs = observation_start(actor=gridworker, resident=resident, kind="home", reason="other", start=start, days=10,
                            worker=gridworker)
    assert obs.planned_end == start + timedelta(days=10)
    event = AuditEvent.objects.get(action="observation.start")
    assert event.actor_name == "gridworker" and "张三" not in str(event.changes)


@pytest.mark.parametrize("user", ["bob", "charlie", "auditor"])
def test_start_outside_scope_or_without_the_right_is_not_found(resident, user, request):
    with pytest.raises(NotFound):
        observation_start(actor=request.getfixturevalue(user), resident=resident, kind="home", reason="other")
    assert not Observation.objects.exists()


@pytest.mark.parametrize("field, kwargs", [
    ("kind", {"kind": "hotel"}), ("reason", {"reason": "bored"}), ("days", {"days": 0}), ("days", {"days": 61}),
    ("start", {"start": date(2000, 1, 1)}), ("start", {"start": date.today() + timedelta(days=90)}),
])
def test_bad_values_name_their_field(resident, field, kwargs):
    args = {"kind": "home", "reason": "other", **kwargs}
    with pytest.raises(ServiceError) as exc:
        observation_start(actor=SYSTEM, resident=resident, **args)
    assert field in [e.field for e in exc.value.errors]


def test_a_worker_of_another_city_cannot_be_responsible(resident, bob):
    with pytest.raises(ServiceError) as exc:
        observation_start(actor=SYSTEM, resident=resident, kind="home", reason="other", worker=bob)
    assert exc.value.errors[0].field == "worker"


def test_one_active_observation_per_person(observation):
    with pytest.raises(Conflict):
        observation_start(actor=SYSTEM, resident=observation.resident, kind="home", reason="other")


def test_release_not_before_the_planned_end(observation, gridworker):
    with pytest.raises(Conflict) as exc:
        observation_release(actor=gridworker, uid=observation.uid, confirm=True)
    assert exc.value.errors[0].field == "planned_end"


def test_release_needs_confirmation(observation, gridworker):
    end = observation.planned_end
    with time_machine.travel(local(end.year, end.month, end.day, 9), tick=False):
        with pytest.raises(ServiceError) as exc:
            observation_release(actor=gridworker, uid=observation.uid, confirm=False)
        assert exc.value.errors[0].field == "confirm"
        obs = observation_release(actor=gridworker, uid=observation.uid, confirm=True)
    assert (obs.status, obs.released_by) == ("released", gridworker)
    assert obs.released_at is not None
    assert HealthStatus.objects.get(resident=observation.resident).colour == "green"
    assert list(observation.resident.health_history.values_list("colour", flat=True)) == ["green", "yellow"]
    with pytest.raises(Conflict):
        observation_release(actor=gridworker, uid=observation.uid, confirm=True)


@pytest.mark.parametrize("user", ["bob", "charlie", "auditor"])
def test_release_outside_scope_is_not_found(observation, user, request):
    end = observation.planned_end
    with time_machine.travel(local(end.year, end.month, end.day, 9), tick=False):
        with pytest.raises(NotFound):
            observation_release(actor=request.getfixturevalue(user), uid=observation.uid, confirm=True)


def test_a_district_admin_may_release(observation, alice):
    end = observation.planned_end + timedelta(days=3)
    with time_machine.travel(local(end.year, end.month, end.day, 9), tick=False):
        assert observation_release(actor=alice, uid=observation.uid, confirm=True).status == "released"


def test_sent_to_hospital_is_red_and_ends_the_observation(observation, gridworker):
    obs = observation_send_to_hospital(actor=gridworker, uid=observation.uid)
    assert obs.status == "hospital" and obs.ended_at is not None
    status = HealthStatus.objects.get(resident=observation.resident)
    assert (status.colour, status.rule) == ("red", "hospital")
    # A new episode may start after the last one ended.
    observation_start(actor=SYSTEM, resident=observation.resident, kind="centralised", reason="other")


def test_rules_are_configurable(observation, settings):
    from epigrid.health.services import health_status_refresh

    settings.HEALTH_STATUS_RULES = [("red", "under_observation")]
    health_status_refresh(resident_ids=[observation.resident_id])
    assert HealthStatus.objects.get(resident=observation.resident).colour == "red"


def test_bad_uid_is_not_found(alice):
    for uid in ["nope", "00000000-0000-0000-0000-000000000000"]:
        with pytest.raises(NotFound):
            observation_release(actor=alice, uid=uid, confirm=True)


def test_anonymised_residents_cannot_be_observed(first_grid):
    from django.utils import timezone

    person = make_resident(first_grid.code)
    person.anonymised_at = timezone.now()
    person.save()
    with pytest.raises(NotFound):
        observation_start(actor=SYSTEM, resident=person, kind="home", reason="other")
