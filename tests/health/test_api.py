"""The health API: behaviour and the scoping of every endpoint (alice, bob, charlie, gridworker)."""

import json
import uuid
from datetime import timedelta

import pytest
import time_machine

from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.models import Alert, CheckIn, Observation

from .conftest import local, make_resident

USERS = ["alice", "bob", "charlie", "gridworker", "auditor"]


def as_(api, request, name):
    return api.as_user(request.getfixturevalue(name))


def checkin_body(obs, **kw):
    return {"observation": str(obs.uid), "slot": "am", "temperature": 36.6, "symptoms": [],
            "client_id": uuid.uuid4().hex, **kw}


# -- check-ins --------------------------------------------------------------------------------------

def test_post_checkin_is_idempotent_by_client_id(api, observation, gridworker):
    api.as_user(gridworker)
    body = checkin_body(observation, temperature=38.1, symptoms=["cough"])
    first = api.post("/checkins", body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["temperature"] == "38.1" and data["symptoms"] == ["cough"] and data["by"] == "worker"
    assert sorted(data["alerts"]) == ["fever", "symptom"]
    again = api.post("/checkins", {**body, "temperature": 36.0})
    assert again.status_code == 200
    assert again.json()["id"] == data["id"] and again.json()["temperature"] == "38.1"
    assert CheckIn.objects.count() == 1 and Alert.objects.count() == 2
    listed = api.get(f"/observations/{observation.uid}/checkins").json()
    assert listed["count"] == 1 and listed["items"][0]["client_id"] == body["client_id"]
    assert listed["items"][0]["observation"] == str(observation.uid)


@pytest.mark.parametrize("temperature", [33.9, 43.1, -5, 1000])
def test_post_checkin_out_of_range_is_400_naming_the_field(api, observation, gridworker, temperature):
    response = api.as_user(gridworker).post("/checkins", checkin_body(observation, temperature=temperature))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].endswith("temperature")


@pytest.mark.parametrize("patch", [
    {"temperature": "hot"}, {"slot": "noon"}, {"symptoms": ["sneezing"]}, {"client_id": ""},
    {"observation": "not-a-uuid"}, {"client_id": "x" * 100}, {"symptoms": "cough"},
])
def test_post_checkin_bad_input_is_400(api, observation, gridworker, patch):
    response = api.as_user(gridworker).post("/checkins", checkin_body(observation, **patch))
    assert response.status_code == 400, response.content
    assert response.json()["errors"]


def test_post_checkin_garbage_body_is_400(api, gridworker, observation):
    api.as_user(gridworker)
    for raw in ["", "{", "[]", "null", json.dumps({"observation": None})]:
        assert api.post("/checkins", raw).status_code == 400


def test_slot_defaults_to_the_current_one(api, observation, gridworker):
    body = checkin_body(observation)
    del body["slot"]
    api.as_user(gridworker)
    day = observation.start
    with time_machine.travel(local(day.year, day.month, day.day, 15), tick=False):
        response = api.post("/checkins", body)
    assert response.status_code == 201 and response.json()["slot"] == "pm"
    with time_machine.travel(local(day.year, day.month, day.day, 8), tick=False):
        response = api.post("/checkins", {**body, "client_id": uuid.uuid4().hex})
    assert response.status_code == 201 and response.json()["slot"] == "am"


@pytest.mark.parametrize("user, status", [("alice", 201), ("gridworker", 201), ("bob", 404), ("charlie", 404),
                                          ("auditor", 404), ("commander", 201)])
def test_post_checkin_scoping(api, observation, request, user, status):
    response = as_(api, request, user).post("/checkins", checkin_body(observation))
    assert response.status_code == status
    if status == 404:
        assert not CheckIn.objects.exists()


def test_post_checkin_without_a_token_is_401(api, observation):
    assert api.post("/checkins", checkin_body(observation)).status_code == 401


# -- observations -----------------------------------------------------------------------------------

@pytest.mark.parametrize("user, visible", [("alice", 1), ("bob", 0), ("charlie", 0), ("gridworker", 1),
                                           ("auditor", 1)])
def test_observation_list_and_detail_scoping(api, observation, request, user, visible):
    as_(api, request, user)
    listed = api.get("/observations")
    assert listed.status_code == 200 and listed.json()["count"] == visible
    detail = api.get(f"/observations/{observation.uid}")
    assert detail.status_code == (200 if visible else 404)
    checkins = api.get(f"/observations/{observation.uid}/checkins")
    assert checkins.status_code == (200 if visible else 404)
    if visible:
        item = listed.json()["items"][0]
        assert item["colour"] == "yellow" and item["worker"] == "gridworker" and item["resident_name"] == "张三"


def test_observation_list_filters(api, alice, observation, first_grid):
    other = make_resident(first_grid.code)
    from epigrid.health.services import observation_send_to_hospital, observation_start

    second = observation_start(actor=SYSTEM, resident=other, kind="centralised", reason="close_contact")
    observation_send_to_hospital(actor=SYSTEM, uid=second.uid)
    api.as_user(alice)
    count = lambda **q: api.get("/observations", **q).json()["count"]  # noqa: E731
    assert count() == 2
    assert count(status="active") == 1 and count(status="hospital") == 1
    assert count(kind="centralised") == 1 and count(reason="arrival") == 1
    assert count(colour="red") == 1 and count(colour="green") == 0
    assert count(within=first_grid.code) == 2 and count(within="440300000000") == 0
    assert api.get("/observations", status="nonsense").status_code == 400
    assert api.get("/observations", within="1101").status_code == 400


@pytest.mark.parametrize("user, status", [("alice", 201), ("gridworker", 201), ("bob", 404), ("charlie", 404),
                                          ("auditor", 404)])
def test_observation_start_scoping(api, resident, worker_assigned, request, user, status):
    response = as_(api, request, user).post("/observations", {"resident": str(resident.uid), "kind": "home",
                                                               "reason": "arrival"})
    assert response.status_code == status, response.content
    assert Observation.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["worker"] == "gridworker"
        again = api.post("/observations", {"resident": str(resident.uid)})
        assert again.status_code == 409


def test_observation_start_bad_values(api, alice, resident):
    api.as_user(alice)
    assert api.post("/observations", {"resident": str(resident.uid), "days": 0}).status_code == 400
    assert api.post("/observations", {"resident": str(resident.uid), "kind": "x"}).status_code == 400
    response = api.post("/observations", {"resident": str(resident.uid), "worker": "nobody"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "worker"


@pytest.mark.parametrize("user, status", [("alice", 200), ("gridworker", 200), ("bob", 404), ("charlie", 404),
                                          ("auditor", 404)])
def test_release_scoping(api, observation, request, user, status):
    end = observation.planned_end
    as_(api, request, user)
    with time_machine.travel(local(end.year, end.month, end.day, 10), tick=False):
        response = api.post(f"/observations/{observation.uid}/release", {"confirm": True})
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["status"] == "released" and response.json()["colour"] == "green"


def test_release_early_or_unconfirmed(api, observation, alice):
    api.as_user(alice)
    assert api.post(f"/observations/{observation.uid}/release", {"confirm": True}).status_code == 409
    end = observation.planned_end
    with time_machine.travel(local(end.year, end.month, end.day, 10), tick=False):
        response = api.post(f"/observations/{observation.uid}/release", {})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "confirm"


@pytest.mark.parametrize("user, status", [("alice", 200), ("gridworker", 200), ("bob", 404), ("charlie", 404),
                                          ("auditor", 404)])
def test_hospital_and_link_scoping(api, observation, request, user, status):
    as_(api, request, user)
    link = api.post(f"/observations/{observation.uid}/link", {})
    assert link.status_code == status
    if status == 200:
        assert "/c/" in link.json()["url"]
        assert link.json()["expires"] == str(observation.planned_end + timedelta(days=1))
    assert api.post(f"/observations/{observation.uid}/hospital", {}).status_code == status


# -- alerts -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("user, visible, handle", [("alice", 1, 200), ("bob", 0, 404), ("charlie", 0, 404),
                                                   ("gridworker", 1, 200), ("auditor", 1, 404)])
def test_alerts_scoping(api, observation, request, user, visible, handle, gridworker):
    from epigrid.health.services import checkin_record

    checkin_record(actor=SYSTEM, observation=observation, slot="am", temperature="39.0", symptoms=[],
                   client_id="alert-test-01")
    as_(api, request, user)
    listed = api.get("/alerts", status="open")
    assert listed.status_code == 200 and listed.json()["count"] == visible
    alert = Alert.objects.get()
    response = api.post(f"/alerts/{alert.pk}/handle", {})
    assert response.status_code == handle
    if handle == 200:
        assert response.json()["status"] == "handled"
        assert api.get("/alerts", status="open").json()["count"] == 0


def test_unauthenticated_reads_are_401(api, observation):
    for path in ["/observations", f"/observations/{observation.uid}", "/alerts"]:
        assert api.get(path).status_code == 401


def test_the_check_in_path_stays_lean(api, observation, gridworker):
    """Query-count baseline: the token with its user and memberships in one statement, the observation,
    then one INSERT for the check-in and one for its audit row (on PostgreSQL both in one WITH statement).
    A retry adds one SELECT for the stored check-in and writes nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.as_user(gridworker)
    day = observation.start
    with time_machine.travel(local(day.year, day.month, day.day, 9), tick=False):  # in time: no overdue to close
        api.post("/checkins", checkin_body(observation))  # the token's last-used time is touched once
        body = checkin_body(observation, slot="pm")
        with CaptureQueriesContext(connection) as new:
            assert api.post("/checkins", body).status_code == 201
        with CaptureQueriesContext(connection) as retry:
            assert api.post("/checkins", body).status_code == 200
    statements = lambda ctx: [q["sql"].split()[0] for q in ctx.captured_queries  # noqa: E731
                              if "SAVEPOINT" not in q["sql"]]
    if connection.vendor == "postgresql":
        assert statements(new) == ["SELECT", "SELECT", "WITH"]
        assert statements(retry) == ["SELECT", "SELECT", "WITH", "INSERT", "SELECT"]
    else:
        assert statements(new) == ["SELECT", "SELECT", "INSERT", "INSERT"]
        assert statements(retry) == ["SELECT", "SELECT", "INSERT", "SELECT"]


def test_a_second_check_in_for_a_slot_replaces_the_first(api, observation, gridworker):
    """One check-in per slot: the later one's values stand, audited as a replacement; its fever alert is
    raised once however often the slot is sent again."""
    from epigrid.health.models import CheckIn

    api.as_user(gridworker)
    day = observation.start
    with time_machine.travel(local(day.year, day.month, day.day, 9), tick=False):
        assert api.post("/checkins", checkin_body(observation, temperature=36.5)).status_code == 201
        for _ in range(3):
            assert api.post("/checkins", checkin_body(observation, temperature=38.4)).status_code == 201
    stored = CheckIn.objects.get(observation=observation)
    assert str(stored.temperature) == "38.4"
    assert AuditEvent.objects.filter(action="checkin.replace").count() == 3
    assert Alert.objects.filter(observation=observation, kind="fever").count() == 1


def test_the_openapi_document_describes_the_health_endpoints(api, alice):
    doc = api.as_user(alice).get("/openapi.json").json()
    for path in ["/api/v1/checkins", "/api/v1/observations", "/api/v1/observations/{uid}/release", "/api/v1/alerts"]:
        assert path in doc["paths"]
    assert "client_id" in json.dumps(doc["paths"]["/api/v1/checkins"])
