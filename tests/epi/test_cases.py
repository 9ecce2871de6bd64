"""Cases: reported by an epidemiologist, scoped, numbered per city, reclassified with history, and the
bad input of the issue refused naming the field with nothing stored."""

from datetime import timedelta

import pytest

from epigrid.core.audit import AuditEvent
from epigrid.core.errors import Conflict, NotFound, ServiceError
from epigrid.epi.models import Case, CaseChange
from epigrid.epi.services import case_create, case_reclassify, case_update
from epigrid.epi.services.common import today_local


def test_a_case_is_numbered_per_city_and_audited(epi, person):
    first, created = case_create(actor=epi, resident=person(), data={"classification": "confirmed"})
    second, _ = case_create(actor=epi, resident=person("李四"), data={"classification": "suspected"})
    assert created
    year = today_local().year
    assert first.number == f"1101-{year}-00001" and second.number == f"1101-{year}-00002"
    assert first.reporting_code == "110101000000"  # the epidemiologist's district
    assert AuditEvent.objects.filter(action="case.create", object_id=str(first.uid)).exists()
    assert list(CaseChange.objects.filter(case=first).values_list("field", "value")) == [("classification", "confirmed")]


def test_a_new_person_is_registered_with_the_registry_s_rules(epi, first_grid):
    with pytest.raises(ServiceError) as bad:
        case_create(actor=epi, person={"name": "王五", "id_number": "110101198001010000", "grid_code": first_grid.code},
                    data={"classification": "suspected"})
    assert bad.value.errors[0].field == "person.id_number"
    assert not Case.objects.exists()
    from tests.epi.conftest import id_number

    case, _ = case_create(actor=epi, person={"name": "王五", "id_number": id_number(900), "grid_code": first_grid.code},
                          data={"classification": "suspected"})
    assert case.resident.name == "王五" and case.grid_code == first_grid.code
    assert case.resident.id_number_enc and id_number(900).encode() not in bytes(case.resident.id_number_enc)


def test_bad_dates_are_refused_naming_the_field(epi, person):
    resident = person()
    today = today_local()
    for data, field in [
        ({"onset_date": today + timedelta(days=1)}, "onset_date"),
        ({"onset_date": today, "outcome": "recovered", "outcome_date": today - timedelta(days=3)}, "onset_date"),
        ({"outcome": "died"}, "outcome_date"),
        ({"outcome_date": today}, "outcome"),
        ({"sampling_date": today, "diagnosis_date": today - timedelta(days=1)}, "diagnosis_date"),
    ]:
        with pytest.raises(ServiceError) as bad:
            case_create(actor=epi, resident=resident, data={"classification": "confirmed", **data})
        assert field in {e.field for e in bad.value.errors}, data
    assert not Case.objects.exists()


def test_reclassification_is_kept_as_history_and_only_forward(epi, person):
    case, _ = case_create(actor=epi, resident=person(), data={"classification": "suspected"})
    case_reclassify(actor=epi, uid=case.uid, classification="confirmed")
    case.refresh_from_db()
    assert case.classification == "confirmed" and case.diagnosis_date == today_local()
    assert list(CaseChange.objects.filter(case=case, field="classification").values_list("previous", "value")) == [
        ("", "suspected"), ("suspected", "confirmed")]
    with pytest.raises(ServiceError) as bad:
        case_reclassify(actor=epi, uid=case.uid, classification="suspected")
    assert bad.value.errors[0].field == "classification"


def test_one_running_case_per_person_and_the_outcome_ends_it(epi, person):
    resident = person()
    case, _ = case_create(actor=epi, resident=resident, data={"classification": "confirmed"})
    with pytest.raises(Conflict):
        case_create(actor=epi, resident=resident, data={"classification": "confirmed"})
    case_update(actor=epi, uid=case.uid, data={"outcome": "recovered", "outcome_date": today_local()})
    assert list(CaseChange.objects.filter(case=case, field="outcome").values_list("value", flat=True)) == ["recovered"]
    case_create(actor=epi, resident=resident, data={"classification": "suspected"})  # reinfection: a new case


def test_outside_the_jurisdiction_is_not_found(epi, person, xicheng_grid, alice):
    stranger = person(grid_code=xicheng_grid.code)
    with pytest.raises(NotFound):
        case_create(actor=epi, resident=stranger, data={"classification": "confirmed"})
    case, _ = case_create(actor=epi, resident=person(), data={"classification": "confirmed"})
    with pytest.raises(NotFound):  # a district admin sees cases but does not edit them
        case_update(actor=alice, uid=case.uid, data={"severity": "mild"})


def test_the_same_client_id_stores_one_case(epi, person):
    resident = person()
    one, created = case_create(actor=epi, resident=resident, data={"classification": "confirmed"}, client_id="phone-0001")
    two, again = case_create(actor=epi, resident=resident, data={"classification": "confirmed"}, client_id="phone-0001")
    assert created and not again and one.pk == two.pk and Case.objects.count() == 1
