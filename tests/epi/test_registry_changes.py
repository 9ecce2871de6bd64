"""Tracing rows follow the registry: a person who moves takes their running case, managed contact and
open tasks along; two records merged into one keep every case and exposure; the retention purge leaves
alone whom tracing still needs."""

from datetime import timedelta

from django.utils import timezone

from epigrid.core.principals import SYSTEM
from epigrid.epi.models import Case, Contact, Exposure, TracingTask
from epigrid.epi.services import case_create, exposure_record
from epigrid.epi.services.common import today_local
from epigrid.residents.services import resident_update


def _contact(epi, person, resident):
    case, _ = case_create(actor=epi, resident=person(), data={"classification": "confirmed"})
    today = today_local()
    exposure_record(actor=epi, source_case=case, resident=resident, setting="household", first_date=today,
                    last_date=today)
    return case


def test_a_person_who_moves_takes_the_managed_contact_and_tasks_along(epi, person, first_grid):
    from epigrid.regions.models import Grid

    resident = person()
    _contact(epi, person, resident)
    other = Grid.objects.filter(code__startswith="110101").exclude(code=first_grid.code).order_by("code").first()
    resident_update(actor=SYSTEM, uid=resident.uid, data={"grid_code": other.code})
    assert Contact.objects.get(resident=resident).grid_code == other.code
    assert set(TracingTask.objects.values_list("grid_code", flat=True)) == {other.code}
    assert Exposure.objects.get(person=resident).grid_code == other.code


def test_a_merge_keeps_cases_and_exposures_and_one_managed_contact(epi, person, xicheng_grid):
    from epigrid.residents.models import Resident, ResidentMatch
    from epigrid.residents.services import resident_match_accept

    kept = person("张三")
    _contact(epi, person, kept)
    # The same person registered in 西城 (out of 东城's reach): a newer record beside, and a match for 东城.
    newer = Resident.objects.create(name="张三", grid_code=xicheng_grid.code, city_code="1101",
                                    id_number_index=kept.id_number_index, duplicate_of=kept)
    ResidentMatch.objects.create(record=newer, existing=kept, grid_code=kept.grid_code,
                                 to_grid_code=newer.grid_code, source="manual")
    newer_case, _ = case_create(actor=SYSTEM, resident=newer, data={"classification": "suspected"})
    match = ResidentMatch.objects.get()
    resident_match_accept(actor=SYSTEM, uid=match.uid, move=False)
    assert not Resident.objects.filter(pk=newer.pk).exists()
    assert Case.objects.get(pk=newer_case.pk).resident_id == kept.pk
    assert Contact.objects.filter(resident=kept).count() == 1


def test_the_purge_keeps_a_running_case(epi, person, settings):
    from epigrid.health.models import Observation
    from epigrid.health.services import observation_start
    from epigrid.residents.retention import residents_purge

    resident = person()
    obs = observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival", days=1,
                            start=today_local() - timedelta(days=1))
    Observation.objects.filter(pk=obs.pk).update(status="released", ended_at=timezone.now() - timedelta(days=90))
    case_create(actor=epi, resident=resident, data={"classification": "confirmed"})
    residents_purge(after_days=30)
    resident.refresh_from_db()
    assert resident.anonymised_at is None


def test_the_reporting_unit_still_sees_a_case_whose_person_moved_away(epi, person, xicheng_grid, api):
    from epigrid.accounts.roles import Role
    from tests.conftest import XICHENG, _user

    resident = person()
    case, _ = case_create(actor=epi, resident=resident, data={"classification": "confirmed"})
    resident_update(actor=SYSTEM, uid=resident.uid, data={"grid_code": xicheng_grid.code})
    case.refresh_from_db()
    assert case.grid_code == xicheng_grid.code and case.reporting_code == "110101000000"
    assert api.as_user(epi).get(f"/cases/{case.uid}").status_code == 200  # 东城 reported it
    xicheng = type(api)().as_user(_user("xepi", Role.EPIDEMIOLOGIST, XICHENG))
    assert xicheng.get(f"/cases/{case.uid}").status_code == 200  # 西城: the person lives there now
    neighbour = type(api)().as_user(_user("chaoyang", Role.EPIDEMIOLOGIST, "110105000000"))
    assert neighbour.get(f"/cases/{case.uid}").status_code == 404
