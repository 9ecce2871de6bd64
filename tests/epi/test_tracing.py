"""Tracing work: a case's trajectory becomes exposures of the people met there; a contact's tasks go to
the grid worker, who completes them; overdue tasks go a level up, once per period."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from epigrid.core.errors import NotFound, ServiceError
from epigrid.epi.models import Contact, Exposure, TracingTask
from epigrid.epi.services import (
    case_create,
    task_complete,
    tasks_escalate_overdue,
    trajectory_add,
    trajectory_to_exposures,
)


@pytest.fixture
def case(epi, person):
    return case_create(actor=epi, resident=person("病例"), data={"classification": "confirmed"})[0]


def test_a_trajectory_entry_becomes_exposures_all_or_nothing(epi, case, person, xicheng_grid):
    start = timezone.now() - timedelta(days=2)
    entry = trajectory_add(actor=epi, case=case, start=start, end=start + timedelta(hours=1), place="东四菜市场",
                           setting="venue")
    met = [person("甲"), person("乙")]
    with pytest.raises(NotFound):  # the second row is out of reach: nothing is stored
        trajectory_to_exposures(actor=epi, uid=entry.uid, residents=[met[0].uid, person(grid_code=xicheng_grid.code).uid])
    assert not Exposure.objects.exists()
    exposures = trajectory_to_exposures(actor=epi, uid=entry.uid, residents=[r.uid for r in met])
    assert {e.place for e in exposures} == {"东四菜市场"} and {e.setting for e in exposures} == {"venue"}
    assert len({e.place_key for e in exposures}) == 1 and Contact.objects.count() == 2


def test_a_trajectory_entry_in_the_future_or_backwards_is_refused(epi, case):
    now = timezone.now()
    for start, end, field in ((now + timedelta(hours=2), now + timedelta(hours=3), "start"),
                              (now - timedelta(hours=1), now - timedelta(hours=2), "end")):
        with pytest.raises(ServiceError) as bad:
            trajectory_add(actor=epi, case=case, start=start, end=end, place="某地")
        assert bad.value.errors[0].field == field


def test_the_grid_worker_completes_their_task_and_outsiders_cannot(epi, case, person, worker, bob):
    from epigrid.epi.services import exposure_record
    from epigrid.epi.services.common import today_local

    today = today_local()
    exposure_record(actor=epi, source_case=case, resident=person(), setting="household", first_date=today,
                    last_date=today)
    task = TracingTask.objects.get(kind="reach")
    assert task.assignee == worker
    with pytest.raises(NotFound):
        task_complete(actor=bob, uid=task.uid, result="已联系")
    done = task_complete(actor=worker, uid=task.uid, result="已电话联系，居家")
    assert done.status == "done" and done.done_by == worker


def test_overdue_tasks_escalate_a_level_per_period(epi, case, person, worker, settings):
    from epigrid.epi.services import exposure_record
    from epigrid.epi.services.common import today_local

    today = today_local()
    exposure_record(actor=epi, source_case=case, resident=person(), setting="household", first_date=today,
                    last_date=today)
    now = timezone.now()
    assert tasks_escalate_overdue(now=now) == 0
    later = now + timedelta(hours=settings.EPI_TASK_HOURS["reach"], minutes=1)
    assert tasks_escalate_overdue(now=later) == 1  # only "reach" is due after 2 hours
    reach = TracingTask.objects.get(kind="reach")
    assert reach.overdue and reach.escalation_level == 1
    assert tasks_escalate_overdue(now=later) == 0  # not twice in one period
    far = later + timedelta(days=3)
    tasks_escalate_overdue(now=far)
    tasks_escalate_overdue(now=far + timedelta(days=3))
    assert set(TracingTask.objects.values_list("escalation_level", flat=True)) == {2}  # the street, and no higher


def test_an_evening_visit_is_an_exposure_on_the_local_day(epi, case, person):
    # 23:30 in Shanghai is 15:30 UTC: the exposure's day is the city's, not UTC's.
    from zoneinfo import ZoneInfo

    start = datetime.combine(timezone.localdate() - timedelta(days=1), datetime.min.time(),
                             tzinfo=ZoneInfo("Asia/Shanghai")).replace(hour=23, minute=30)
    entry = trajectory_add(actor=epi, case=case, start=start, end=start + timedelta(minutes=20), place="夜市")
    exposure = trajectory_to_exposures(actor=epi, uid=entry.uid, residents=[person().uid])[0]
    assert exposure.first_date == exposure.last_date == start.date()
