"""What the public or another jurisdiction submits never changes a record that staff own (security
review, issue 7 points 1 and 6): the attack as it was made, and the decision that follows."""

import json

import pytest
from django.test import Client

from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.models import Observation
from epigrid.regions.links import community_token
from epigrid.residents.arrivals import arrival_policy_set
from epigrid.residents.models import Arrival, Resident, ResidentMatch
from tests.residents.conftest import id_number

VICTIM_ID = id_number(birth="19700707", seq=77)


@pytest.fixture
def victim(alice, first_grid):
    """A person registered by 东城区 staff, under home observation there, with notes of their own."""
    from epigrid.health.services import observation_start
    from epigrid.residents.services import resident_create

    person = resident_create(actor=alice, data={
        "name": "王建国", "id_number": VICTIM_ID, "phone": "13800001111", "address": "东城某小区1号楼",
        "grid_code": first_grid.code, "notes": "独居，腿脚不便"})
    observation_start(actor=SYSTEM, resident=person, kind="home", reason="other")
    return person




def arrival_form(**changes):
    import datetime

    return {"name": "冒名者", "id_type": "ric", "id_number": VICTIM_ID, "phone": "13999998888",
            "address": "西城某小区9号楼", "origin_province": "湖北省", "origin_city": "武汉市",
            "arrival_date": datetime.date.today().isoformat(), "transport": "train", "consent": "on", **changes}


def attack(community_code: str, **changes):
    """An anonymous POST to a community's public arrival page with somebody else's ID number."""
    return Client(REMOTE_ADDR="10.66.6.6").post(f"/a/{community_token(community_code, 'arrival')}/",
                                                 arrival_form(**changes))


def snapshot(resident):
    resident.refresh_from_db()
    return (resident.name, resident.phone_index, resident.address, resident.grid_code, resident.notes,
            resident.updated_at)


def test_an_anonymous_arrival_with_anothers_id_number_changes_nothing(victim, alice, xicheng_grid):
    before = snapshot(victim)
    observation = Observation.objects.get(resident=victim)
    response = attack(xicheng_grid.community.code)
    assert response.status_code == 200
    # The victim's record, its jurisdiction and its observation are as they were.
    assert snapshot(victim) == before
    observation.refresh_from_db()
    assert observation.grid_code == victim.grid_code and observation.status == "active"
    api = Client()
    api.force_login(alice)
    assert api.get(f"/api/v1/residents/{victim.uid}").status_code == 200
    # The attacker's community holds a new record of its own, not the victim's.
    stored = Arrival.objects.get().resident
    assert stored.pk != victim.pk and stored.grid_code.startswith(xicheng_grid.community.code)
    assert stored.notes == "" and stored.duplicate_of == victim
    # The audit says who: the public, not "system".
    assert AuditEvent.objects.get(action="arrival.register").actor_name == "public"


def test_the_public_answer_is_the_same_whether_the_id_number_is_known(victim, xicheng_grid):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False, days=14)
    known = attack(xicheng_grid.community.code).content.decode()
    unknown = attack(xicheng_grid.community.code, id_number=id_number(birth="19700707", seq=78)).content.decode()
    strip = lambda page: page.split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(known) == strip(unknown)
    assert Arrival.objects.filter(observation_started=True).count() == 2


def test_the_other_jurisdiction_sees_nothing_of_the_existing_record(victim, xicheng_admin, xicheng_grid):
    attack(xicheng_grid.community.code)
    client = Client()
    client.force_login(xicheng_admin)
    stored = Arrival.objects.get().resident
    page = client.get(f"/residents/{stored.uid}/").content.decode()
    assert "独居" not in page and "王建国" not in page and victim.grid_code not in page
    assert client.get(f"/api/v1/residents/{victim.uid}").status_code == 404
    assert client.get("/api/v1/resident-matches").json()["count"] == 0


def test_staff_of_another_jurisdiction_get_the_answer_a_new_person_gets(victim, xicheng_admin, xicheng_grid):
    """No existence oracle: 201 for an ID number held in 东城, exactly as for one held nowhere; PATCH too."""
    client = Client()
    client.force_login(xicheng_admin)
    body = {"name": "王建国", "id_number": VICTIM_ID, "grid_code": xicheng_grid.code}
    known = client.post("/api/v1/residents", json.dumps(body), content_type="application/json")
    fresh = client.post("/api/v1/residents", json.dumps({**body, "id_number": id_number(seq=79)}),
                        content_type="application/json")
    assert known.status_code == fresh.status_code == 201
    assert set(known.json()) == set(fresh.json())
    other = Resident.objects.get(uid=fresh.json()["uid"])
    patched = client.patch(f"/api/v1/residents/{other.uid}", json.dumps({"id_number": VICTIM_ID}),
                           content_type="application/json")
    assert patched.status_code == 200
    assert snapshot(victim)[3] == victim.grid_code
    assert ResidentMatch.objects.filter(existing=victim, status="pending").count() == 2


def test_the_owner_decides_and_only_then_the_record_moves(victim, alice, xicheng_admin, xicheng_grid):
    attack(xicheng_grid.community.code, name="王建国")
    match = ResidentMatch.objects.get()
    owner = Client()
    owner.force_login(alice)
    listed = owner.get("/api/v1/resident-matches").json()
    assert listed["count"] == 1 and listed["items"][0]["record_phone_masked"] == "139****8888"
    # The other side cannot decide for the owner.
    intruder = Client()
    intruder.force_login(xicheng_admin)
    assert intruder.post(f"/api/v1/resident-matches/{match.uid}/accept", json.dumps({"move": True}),
                         content_type="application/json").status_code == 404
    accepted = owner.post(f"/api/v1/resident-matches/{match.uid}/accept", json.dumps({"move": True}),
                          content_type="application/json")
    assert accepted.status_code == 200
    victim.refresh_from_db()
    # One record, moved with its observation, notes kept; the newer record is gone.
    assert Resident.objects.filter(anonymised_at__isnull=True).count() == 1
    assert victim.grid_code.startswith(xicheng_grid.community.code) and victim.notes == "独居，腿脚不便"
    active = Observation.objects.get(resident=victim, status="active")
    assert active.grid_code == victim.grid_code
    assert Arrival.objects.get().resident == victim
    assert owner.get(f"/api/v1/residents/{victim.uid}").status_code == 404  # handed over
    assert intruder.get(f"/api/v1/residents/{victim.uid}").status_code == 200
    assert owner.post(f"/api/v1/resident-matches/{match.uid}/decline").status_code == 409  # decided


def test_declining_keeps_both_records_apart(victim, alice, xicheng_grid):
    before = snapshot(victim)
    attack(xicheng_grid.community.code)
    match = ResidentMatch.objects.get()
    owner = Client()
    owner.force_login(alice)
    page = owner.get("/residents/matches/").content.decode()
    assert 'data-testid="match"' in page and "冒名者" in page
    assert owner.post(f"/residents/matches/{match.uid}/", {"decision": "decline"}).status_code == 302
    assert snapshot(victim) == before
    assert Resident.objects.count() == 2 and ResidentMatch.objects.get().status == "declined"
    assert AuditEvent.objects.filter(action="resident_match.decline", actor_name="alice").exists()


def test_a_local_resident_returning_home_is_merged_in_place(victim, alice, first_grid):
    """The common case: a 东城 resident registers as an arrival in their own community; staff merge, the
    record keeps its grid and address, and the arrival's observation replaces nothing that runs."""
    attack(first_grid.community.code, name="王建国", address="东城某小区1号楼")
    match = ResidentMatch.objects.get()
    owner = Client()
    owner.force_login(alice)
    assert 'data-testid="arrival-match"' in owner.get("/arrivals/").content.decode()
    owner.post(f"/residents/matches/{match.uid}/", {"decision": "keep"})
    victim.refresh_from_db()
    assert Resident.objects.count() == 1 and victim.grid_code == first_grid.code
    assert Observation.objects.filter(resident=victim, status="active").count() == 1
    assert victim.phone_masked == "138****1111"  # staff's phone stands


def test_registering_twice_answers_the_same_for_a_person_held_elsewhere(victim, xicheng_admin, xicheng_grid):
    """The second registration is a duplicate of one's own first record, whoever else holds the number:
    409 in both cases, so repeating the request tells nothing."""
    client = Client()
    client.force_login(xicheng_admin)
    answers = {}
    for label, number in (("known", VICTIM_ID), ("fresh", id_number(seq=81))):
        body = json.dumps({"name": "王建国", "id_number": number, "grid_code": xicheng_grid.code})
        answers[label] = [client.post("/api/v1/residents", body, content_type="application/json").status_code
                          for _ in range(2)]
    assert answers["known"] == answers["fresh"] == [201, 409]
    assert ResidentMatch.objects.filter(existing=victim, status="pending").count() == 1
