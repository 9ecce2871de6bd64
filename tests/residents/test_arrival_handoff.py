"""The check-in hand-off (issue 9 point 7): the arrival's done page gives the person their own check-in
link, its QR code and a copy button; never a link into somebody else's observation."""

import datetime
import json
import re

import pytest
from django.test import Client

from epigrid.core.principals import SYSTEM
from epigrid.health.models import CheckIn, Observation
from epigrid.regions.links import community_token
from epigrid.residents.arrivals import arrival_policy_set
from epigrid.residents.models import Arrival, ResidentMatch
from tests.residents.conftest import id_number
from tests.residents.test_record_takeover import VICTIM_ID, arrival_form

LINK = re.compile(r'id="checkin-link"[^>]*href="http://testserver/c/([^/"]+)/"|href="http://testserver/c/([^/"]+)/" '
                  r'id="checkin-link"')


@pytest.fixture(autouse=True)
def _policy(city):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False, days=14)


def register(community_code: str, **changes):
    return Client(REMOTE_ADDR="10.9.9.9", headers={"Accept-Language": "en"}).post(
        f"/a/{community_token(community_code, 'arrival')}/", arrival_form(**changes))


def token_of(page: str) -> str:
    found = LINK.search(page)
    assert found, "the done page shows no check-in link"
    return found.group(1) or found.group(2)


def test_the_done_page_hands_over_the_link_qr_and_copy_button_and_the_link_works(first_grid):
    response = register(first_grid.community.code, name="陈静", id_number=id_number(birth="19900202", seq=51))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="checkin-link"' in page
    assert "grid worker will contact you" not in page
    token = token_of(page)
    assert f'value="http://testserver/c/{token}/"' in page and 'data-copy="checkin-url"' in page
    # The QR code answers for this token only; it holds the link, nothing personal.
    qr = Client().get(f"/c/{token}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and "no-store" in qr["Cache-Control"]
    assert "陈静" not in qr.content.decode()
    assert Client().get(f"/c/{token}/qr.png")["Content-Type"] == "image/png"
    assert Client().get(f"/c/{token[:-2]}xx/qr.svg").status_code == 404
    assert Client().get(f"/c/{token}/qr.gif").status_code == 404
    # The link is the person's own observation: they check in through it.
    observation = Observation.objects.get(resident=Arrival.objects.get().resident)
    posted = Client().post(f"/c/{token}/", {"temperature": "36.6", "slot": "am", "client_id": "arrival-handoff-1"})
    assert posted.status_code == 200
    assert CheckIn.objects.get().observation == observation


def test_no_observation_no_link(first_grid):
    page = register(first_grid.community.code, origin_province="广东省", origin_city="广州市").content.decode()
    assert 'data-testid="arrival-done"' in page and 'data-testid="checkin-link"' not in page
    assert "/c/" not in page


@pytest.fixture
def victim(alice, first_grid):
    """A person held by 东城 staff, under observation since five days ago (so an observation started by
    an arrival today ends later, and is the one a merge keeps)."""
    from epigrid.health.services import observation_start
    from epigrid.residents.services import resident_create

    person = resident_create(actor=alice, data={"name": "王建国", "id_number": VICTIM_ID, "phone": "13800001111",
                                                "address": "东城某小区1号楼", "grid_code": first_grid.code})
    observation_start(actor=SYSTEM, resident=person, kind="home", reason="other",
                      start=datetime.date.today() - datetime.timedelta(days=5))
    return person


def test_an_id_number_held_by_staff_never_gives_a_link_to_that_persons_observation(victim, alice, xicheng_grid):
    victims_observation = Observation.objects.get(resident=victim)
    known = register(xicheng_grid.community.code).content.decode()
    unknown = register(xicheng_grid.community.code, id_number=id_number(birth="19700707", seq=78)).content.decode()
    # The answer does not tell whether the ID number is known: the same page, but for the token.
    tokens = token_of(known), token_of(unknown)
    assert known.split("<main", 1)[1].replace(tokens[0], "T") == unknown.split("<main", 1)[1].replace(tokens[1], "T")
    # The link opens the registrant's own new record (stored beside the victim's), not the victim's.
    stored = Arrival.objects.filter(resident__duplicate_of=victim).get().resident
    own = Client().get(f"/c/{tokens[0]}/").content.decode()
    assert "冒*" in own and "王*" not in own
    assert Observation.objects.get(resident=stored).pk != victims_observation.pk
    # Staff decide it is the same person and merge: the arrival's observation (ending later) goes on in
    # the victim's record, and the link handed to whoever filled in the form stops working there.
    match = ResidentMatch.objects.get(existing=victim)
    owner = Client()
    owner.force_login(alice)
    assert owner.post(f"/api/v1/resident-matches/{match.uid}/accept", json.dumps({"move": False}),
                      content_type="application/json").status_code == 200
    running = Observation.objects.get(resident=victim, status="active")
    assert running.pk != victims_observation.pk  # the attacker's observation now runs on the victim
    assert Client().get(f"/c/{tokens[0]}/").status_code == 404
    assert Client().get(f"/c/{tokens[0]}/qr.svg").status_code == 404
    refused = Client().post(f"/c/{tokens[0]}/", {"temperature": "36.6", "slot": "am", "client_id": "takeover-01"})
    assert refused.status_code == 404 and not CheckIn.objects.exists()

