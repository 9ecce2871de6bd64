"""Check-ins: temperature bounds, symptoms, alerts, idempotency by client_id."""

from decimal import Decimal

import pytest

from epigrid.core.errors import Conflict, NotFound, ServiceError
from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.models import Alert, CheckIn, HealthStatus
from epigrid.health.services import checkin_record, observation_send_to_hospital

from .conftest import make_resident


def record(obs, actor=SYSTEM, temperature="36.5", symptoms=(), client_id="client-0001", slot="am", **kw):
    return checkin_record(actor=actor, observation=obs, slot=slot, temperature=temperature,
                          symptoms=list(symptoms), client_id=client_id, **kw)


@pytest.mark.parametrize("value", ["34.0", "36.5", "43.0", 37, 36.55, Decimal("42.95")])
def test_temperatures_in_range_are_stored_to_a_tenth(observation, value):
    checkin, created = record(observation, temperature=value)
    assert created
    stored = CheckIn.objects.get(pk=checkin.pk).temperature
    assert Decimal("34.0") <= stored <= Decimal("43.0")
    assert stored == stored.quantize(Decimal("0.1"))


@pytest.mark.parametrize("value", ["33.9", "43.1", "-1", "0", "100", "abc", "", "NaN", "inf", None, "1e400"])
def test_temperatures_out_of_range_or_not_numbers_are_rejected(observation, value):
    with pytest.raises(ServiceError) as exc:
        record(observation, temperature=value)
    assert exc.value.status == 400
    assert exc.value.errors[0].field == "temperature"
    assert not CheckIn.objects.exists()


def test_normal_check_in_raises_no_alert(observation):
    record(observation, temperature="37.2")
    assert not Alert.objects.exists()
    assert HealthStatus.objects.get(resident=observation.resident).colour == "yellow"


def test_fever_at_the_threshold_raises_an_alert_and_turns_red(observation):
    checkin, _ = record(observation, temperature="37.3")
    alert = Alert.objects.get()
    assert (alert.kind, alert.status, alert.checkin_id) == ("fever", "open", checkin.pk)
    status = HealthStatus.objects.get(resident=observation.resident)
    assert (status.colour, status.rule) == ("red", "fever_alert")
    assert list(observation.resident.health_history.values_list("colour", flat=True)) == ["red", "yellow"]


def test_fever_threshold_is_configurable(observation, settings):
    settings.FEVER_THRESHOLD = 38.0
    record(observation, temperature="37.9")
    assert not Alert.objects.exists()


def test_a_symptom_raises_a_symptom_alert(observation):
    record(observation, symptoms=["cough", "sore_throat"])
    assert list(Alert.objects.values_list("kind", flat=True)) == ["symptom"]
    assert CheckIn.objects.get().symptom_codes == ["cough", "sore_throat"]


def test_fever_and_symptom_raise_both(observation):
    record(observation, temperature="38.6", symptoms=["fever"])
    assert sorted(Alert.objects.values_list("kind", flat=True)) == ["fever", "symptom"]


@pytest.mark.parametrize("symptoms", [["sneezing"], ["none", "cough"], ["COUGH; DROP TABLE"]])
def test_unknown_symptoms_are_rejected(observation, symptoms):
    with pytest.raises(ServiceError) as exc:
        record(observation, symptoms=symptoms)
    assert exc.value.errors[0].field == "symptoms"


def test_none_alone_is_no_symptom(observation):
    record(observation, symptoms=["none"])
    assert CheckIn.objects.get().symptoms == 0


def test_the_same_client_id_twice_stores_one_check_in(observation):
    first, created = record(observation, temperature="38.0")
    again, created_again = record(observation, temperature="36.0")
    assert created and not created_again
    assert again.pk == first.pk and again.temperature == Decimal("38.0")
    assert CheckIn.objects.count() == 1 and Alert.objects.count() == 1
    assert AuditEvent.objects.filter(action="checkin.record").count() == 1


def test_a_check_in_in_time_stores_it_and_its_audit_row_once(observation, gridworker):
    """The common check-in (in time, no alert): on PostgreSQL the check-in and its audit row are one
    statement (core/statements.py). Either way the audit row names the check-in, who and where, and
    neither a retry nor a second check-in for the slot writes a second record of it."""
    from epigrid.core.context import client_address

    from .conftest import local

    day = observation.start
    token = client_address.set("10.0.0.7")
    try:
        checkin, created = record(observation, actor=gridworker, when=local(day.year, day.month, day.day, 9))
        again, created_again = record(observation, actor=gridworker, when=local(day.year, day.month, day.day, 9, 5))
    finally:
        client_address.reset(token)
    assert created and not created_again and again.pk == checkin.pk
    assert checkin.alerts_raised == [] and not Alert.objects.exists()
    stored = CheckIn.objects.get()
    assert (stored.pk, stored.temperature, stored.slot, stored.by) == (checkin.pk, Decimal("36.5"), "am", "worker")
    event = AuditEvent.objects.get(action="checkin.record")
    assert (event.object_type, event.object_id, event.actor_name, event.jurisdiction_code, event.ip) == (
        "checkin", str(checkin.pk), "gridworker", observation.grid_code, "10.0.0.7")
    assert event.changes == {"temperature": "recorded", "symptoms": "recorded", "slot": "am"}
    replaced, _ = record(observation, actor=gridworker, client_id="client-0002", temperature="36.8",
                         when=local(day.year, day.month, day.day, 10))
    assert replaced.pk == checkin.pk and CheckIn.objects.get().temperature == Decimal("36.8")
    assert AuditEvent.objects.filter(action="checkin.record").count() == 1
    assert AuditEvent.objects.filter(action="checkin.replace", object_id=str(checkin.pk)).count() == 1


def test_a_client_id_of_another_observation_is_a_conflict_and_reveals_nothing(observation, first_grid):
    from epigrid.health.services import observation_start

    other = observation_start(actor=SYSTEM, resident=make_resident(first_grid.code), kind="home", reason="other")
    record(observation, temperature="39.0")
    with pytest.raises(Conflict) as exc:
        record(other, temperature="36.5")
    assert "39" not in str(exc.value.as_dict())
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize("client_id", ["", "short", "x" * 65, "has space 12345", "引号'1234567"])
def test_bad_client_ids_are_rejected(observation, client_id):
    with pytest.raises(ServiceError) as exc:
        record(observation, client_id=client_id)
    assert exc.value.errors[0].field == "client_id"


def test_a_bad_slot_is_rejected(observation):
    with pytest.raises(ServiceError) as exc:
        record(observation, slot="noon")
    assert exc.value.errors[0].field == "slot"


def test_no_check_in_after_the_observation_ended(observation):
    observation_send_to_hospital(actor=SYSTEM, uid=observation.uid)
    observation.refresh_from_db()
    with pytest.raises(Conflict):
        record(observation)


def test_a_worker_outside_the_grid_cannot_record(observation, bob):
    with pytest.raises(NotFound):
        record(observation, actor=bob)
    assert not CheckIn.objects.exists()


def test_audit_rows_name_fields_not_values(observation, gridworker):
    record(observation, actor=gridworker, temperature="38.8", symptoms=["cough"])
    for event in AuditEvent.objects.filter(action__in=["checkin.record", "alert.raise"]):
        assert "38.8" not in str(event.changes) and "cough" not in str(event.changes)
    event = AuditEvent.objects.get(action="checkin.record")
    assert event.actor_name == "gridworker" and event.jurisdiction_code == observation.grid_code
