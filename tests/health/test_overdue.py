"""Missed slots become overdue alerts once, at the configured local deadlines (frozen clock)."""

import time_machine

from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.models import Alert, HealthStatus
from epigrid.health.services import checkin_record, checkins_mark_overdue, observation_start

from .conftest import local


def start_at(resident, when, **kw):
    with time_machine.travel(when, tick=False):
        return observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival", **kw)


def mark(when):
    with time_machine.travel(when, tick=False):
        return checkins_mark_overdue()


def test_morning_slot_is_overdue_after_noon_and_only_once(resident):
    obs = start_at(resident, local(2026, 3, 1, 8))
    assert mark(local(2026, 3, 1, 11, 59)) == 0
    assert mark(local(2026, 3, 1, 12, 1)) == 1
    assert mark(local(2026, 3, 1, 12, 30)) == 0
    alert = Alert.objects.get()
    assert (alert.kind, str(alert.date), alert.slot, alert.observation_id) == ("overdue", "2026-03-01", "am", obs.pk)
    assert mark(local(2026, 3, 1, 20, 1)) == 1  # the afternoon slot too
    assert Alert.objects.count() == 2


def test_a_check_in_in_time_prevents_the_alert(resident):
    obs = start_at(resident, local(2026, 3, 1, 8))
    with time_machine.travel(local(2026, 3, 1, 9), tick=False):
        checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="36.6", symptoms=[], client_id="c-am-0001")
    assert mark(local(2026, 3, 1, 13)) == 0
    assert mark(local(2026, 3, 1, 21)) == 1


def test_slots_before_the_observation_started_are_not_due(resident):
    start_at(resident, local(2026, 3, 1, 15))
    assert mark(local(2026, 3, 1, 19)) == 0
    assert mark(local(2026, 3, 1, 20, 0, 1)) == 1


def test_a_late_run_catches_up_and_the_colour_notes_the_miss(resident, settings):
    settings.HEALTH_STATUS_RULES = [("red", "missed_checkin")]
    start_at(resident, local(2026, 3, 1, 7))
    assert mark(local(2026, 3, 2, 13)) == 3  # 1 am, 1 pm, 2 am
    assert HealthStatus.objects.get(resident=resident).colour == "red"


def test_deadlines_are_configurable(resident, settings):
    settings.HEALTH_SLOT_DEADLINES = {"am": "10:00", "pm": "18:00"}
    start_at(resident, local(2026, 3, 1, 7))
    assert mark(local(2026, 3, 1, 10, 30)) == 1


def test_nothing_after_the_planned_end(resident):
    start_at(resident, local(2026, 3, 1, 7), days=1)
    assert mark(local(2026, 3, 3, 23)) == 4  # 3-1 and 3-2 (the planned end), none on 3-3
    assert not Alert.objects.filter(date__gt="2026-03-02").exists()


def test_the_periodic_task_is_registered():
    from epigrid.core.tasks import SCHEDULES

    assert ("health.mark_overdue", "epigrid.health.tasks.mark_overdue", 10) in SCHEDULES


def test_many_observations_are_worked_through_in_chunks(first_grid):
    from .conftest import make_resident

    for _ in range(5):
        start_at(make_resident(first_grid.code), local(2026, 3, 1, 7))
    with time_machine.travel(local(2026, 3, 1, 13), tick=False):
        assert checkins_mark_overdue(chunk=2) == 5
        assert checkins_mark_overdue(chunk=2) == 0
    assert HealthStatus.objects.filter(colour="yellow").count() == 5


def test_a_late_check_in_closes_the_slots_overdue_alert(resident, settings):
    settings.HEALTH_STATUS_RULES = [("red", "missed_checkin"), ("yellow", "under_observation")]
    obs = start_at(resident, local(2026, 3, 1, 7))
    assert mark(local(2026, 3, 1, 12, 30)) == 1
    assert HealthStatus.objects.get(resident=resident).colour == "red"
    with time_machine.travel(local(2026, 3, 1, 13), tick=False):
        checkin, _ = checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="36.6", symptoms=[],
                                    client_id="late-am-0001")
    assert checkin.alerts_raised == []
    alert = Alert.objects.get()
    assert alert.status == "handled" and alert.handled_by is None
    assert HealthStatus.objects.get(resident=resident).colour == "yellow"
    assert AuditEvent.objects.filter(action="alert.handle", object_id=str(alert.pk)).exists()


def test_a_check_in_in_time_touches_no_alert(resident):
    obs = start_at(resident, local(2026, 3, 1, 7))
    with time_machine.travel(local(2026, 3, 1, 9), tick=False):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="36.6", symptoms=[],
                           client_id="in-time-0001")
    assert not any("health_alert" in q["sql"] for q in ctx.captured_queries)
