"""Arrival self-registration: the community's link and QR code, consent, policy, rate limit, review."""

import datetime

import pytest
from django.test import Client

from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.regions.links import community_token
from epigrid.residents.arrivals import arrival_policy_set
from epigrid.residents.models import Arrival, Resident, ResidentMatch
from tests.residents.conftest import id_number


@pytest.fixture
def community(first_grid):
    return first_grid.community


def form(**changes):
    data = {"name": "陈静", "id_type": "ric", "id_number": id_number(birth="19900202", seq=21),
            "phone": "13812340000", "address": "3号楼2单元501", "origin_province": "湖北省", "origin_city": "武汉市",
            "arrival_date": datetime.date.today().isoformat(), "transport": "train", "transport_number": "G502",
            "places_14d": "武汉", "temperature": "36.6", "consent": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def register(community, **changes):
    return Client(REMOTE_ADDR="10.0.0.9").post(f"/a/{community_token(community.code, 'arrival')}/", form(**changes))


def test_the_public_page_shows_the_notice_without_login(community):
    page = Client().get(f"/a/{community_token(community.code, 'arrival')}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert community.name in body and 'id="notice"' in body and 'name="consent"' in body


def test_a_forged_or_unknown_link_is_a_404(community):
    assert Client().get("/a/not-a-token/").status_code == 404
    assert Client().get(f"/a/{community_token('110101001999', 'arrival')}/").status_code == 404


def test_registration_from_a_risk_origin_starts_home_observation(community, settings):
    from epigrid.health.models import Observation

    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False, days=14)
    response = register(community)
    assert response.status_code == 200 and 'data-testid="arrival-done"' in response.content.decode()
    arrival = Arrival.objects.get()
    assert arrival.observation_started and arrival.consent_version and arrival.grid_code.startswith(community.code)
    observation = Observation.objects.get(resident=arrival.resident)
    assert observation.kind == "home" and observation.reason == "arrival"
    assert (observation.planned_end - observation.start).days == 14
    assert Resident.objects.get().source == "arrival"
    event = AuditEvent.objects.get(action="arrival.register")
    assert event.ip == "10.0.0.9" and "13812340000" not in str(event.changes)


def test_the_nearest_policy_wins_and_no_risk_no_observation(community):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False, days=14)
    arrival_policy_set(actor=SYSTEM, node_code=community.code, risk_origins=["440000"], observe_all=False, days=7)
    register(community)
    assert not Arrival.objects.get().observation_started


def test_registering_again_never_changes_the_first_record(community):
    register(community)
    register(community, phone="13912340000", arrival_date=(datetime.date.today() - datetime.timedelta(days=1)).isoformat())
    first, second = Resident.objects.order_by("pk")
    assert Arrival.objects.count() == 2
    assert first.phone_masked == "138****0000" and second.duplicate_of == first
    assert ResidentMatch.objects.get().existing == first  # the community's staff decide


@pytest.mark.parametrize(("changes", "field"), [
    ({"consent": None}, "consent"),
    ({"temperature": "45"}, "temperature"),
    ({"temperature": "hot"}, "temperature"),
    ({"arrival_date": "2999-01-01"}, "arrival_date"),
    ({"arrival_date": "yesterday"}, "arrival_date"),
    ({"transport": "horse"}, "transport"),
    ({"origin_city": ""}, "origin_city"),
    ({"id_number": "110101199002020000"}, "id_number"),
    ({"phone": ""}, "phone"),
    ({"symptoms": "sneezing"}, "symptoms"),
])
def test_mistakes_are_shown_beside_the_field_and_nothing_is_stored(community, changes, field):
    response = register(community, **changes)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not Arrival.objects.exists() and not Resident.objects.exists()


def test_one_device_is_rate_limited(community, settings):
    settings.ARRIVAL_RATE_PER_HOUR = 2
    assert register(community).status_code == 200
    assert register(community).status_code == 200
    assert register(community).status_code == 429


def test_staff_print_the_qr_code_and_review_arrivals(community, alice, bob, api):
    client = Client()
    client.force_login(alice)
    page = client.get(f"/divisions/{community.code}/").content.decode()
    assert f"/divisions/{community.code}/arrival-qr.png" in page
    png = client.get(f"/divisions/{community.code}/arrival-qr.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get(f"/divisions/{community.code}/arrival-qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    other = Client()
    other.force_login(bob)
    assert other.get(f"/divisions/{community.code}/arrival-qr.png").status_code == 404

    register(community)
    arrival = Arrival.objects.get()
    listing = api.as_user(alice).get("/arrivals", pending="true").json()
    assert [a["uid"] for a in listing["items"]] == [str(arrival.uid)]
    assert api.as_user(bob).get("/arrivals").json()["count"] == 0
    assert api.as_user(bob).post(f"/arrivals/{arrival.uid}/review", "").status_code == 404
    assert api.as_user(alice).post(f"/arrivals/{arrival.uid}/review", "").json()["reviewed"] is True
    assert api.as_user(alice).post(f"/arrivals/{arrival.uid}/review", "").status_code == 409
    assert client.get("/arrivals/").status_code == 200


def test_an_arrival_whose_observation_period_is_over_needs_none(community):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False, days=14)
    response = register(community, arrival_date=(datetime.date.today() - datetime.timedelta(days=20)).isoformat())
    assert response.status_code == 200
    assert not Arrival.objects.get().observation_started
