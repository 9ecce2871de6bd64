"""The grid worker's "my grid today" on a phone (issue 9 point 7): alerts first with the temperature, a
tel: link to the person (a reveal, audited, only in the worker's own grids), and no slot counted as
missed that ended before the person's observation was registered."""

import re

import pytest
import time_machine
from django.test import Client

from epigrid.core.models import AuditEvent
from epigrid.core.principals import SYSTEM
from epigrid.health.services import checkin_record, observation_start
from epigrid.residents.services import resident_create

from .conftest import local


def client_for(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def person(grid, name, phone="13800001111", number=1):
    from tests.residents.conftest import id_number

    resident = resident_create(actor=SYSTEM, data={"name": name, "id_number": id_number(seq=number), "phone": phone,
                                                   "grid_code": grid.code})
    return observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival")


def test_people_with_an_open_alert_come_first_with_the_temperature(worker_assigned, first_grid):
    calm = person(first_grid, "乙一", number=11)
    feverish = person(first_grid, "甲二", number=12)
    checkin_record(actor=SYSTEM, observation=calm, slot="am", temperature="36.5", symptoms=[], client_id="calm-0001")
    checkin_record(actor=SYSTEM, observation=feverish, slot="am", temperature="38.4", symptoms=[],
                   client_id="fever-0001")
    html = client_for(worker_assigned).get("/health/today/").content.decode()
    cards = re.findall(r'id="person-([0-9a-f-]+)"', html)
    assert cards == [str(feverish.uid), str(calm.uid)]  # by name alone 乙 (U+4E59) would come first
    card = html.split(f'id="person-{feverish.uid}"')[1].split('class="card person"')[0]
    assert 'data-testid="alert-temperature">38.4 °C' in card


def test_the_phone_is_revealed_on_a_tap_as_a_tel_link_and_audited(worker_assigned, first_grid):
    obs = person(first_grid, "丙三", phone="13912345678", number=13)
    client = client_for(worker_assigned)
    page = client.get("/health/today/").content.decode()
    assert "139****5678" in page and "13912345678" not in page  # masked until asked for
    answer = client.post(f"/health/today/{obs.uid}/call/", headers={"HX-Request": "true"}).content.decode()
    assert 'href="tel:13912345678"' in answer
    event = AuditEvent.objects.get(action="resident.reveal")
    assert event.object_id == str(obs.resident.uid) and event.actor_name == "gridworker"
    assert event.reason.startswith("contact:") and "13912345678" not in str(event.changes)
    # Without htmx: a small page with the same link.
    plain = client.post(f"/health/today/{obs.uid}/call/")
    assert plain.status_code == 200 and 'href="tel:13912345678"' in plain.content.decode()
    assert client.get(f"/health/today/{obs.uid}/call/").status_code == 405  # a reveal is a POST


def test_no_phone_of_another_grid_or_an_ended_observation(worker_assigned, first_grid, bob, city):
    from epigrid.health.services import observation_send_to_hospital
    from epigrid.regions.models import Grid

    other_grid = Grid.objects.filter(code__startswith="110101").exclude(code=first_grid.code).order_by("code").first()
    elsewhere = person(other_grid, "丁四", phone="13700007777", number=14)
    ended = person(first_grid, "戊五", phone="13600006666", number=15)
    observation_send_to_hospital(actor=SYSTEM, uid=ended.uid)
    client = client_for(worker_assigned)
    assert client.post(f"/health/today/{elsewhere.uid}/call/").status_code == 404
    assert client.post(f"/health/today/{ended.uid}/call/").status_code == 404
    assert client_for(bob).post(f"/health/today/{ended.uid}/call/").status_code == 404
    assert not AuditEvent.objects.filter(action="resident.reveal").exists()


@pytest.mark.parametrize(("registered", "missed"), [((9, 0), {"am", "pm"}), ((14, 0), {"pm"})])
def test_a_slot_that_ended_before_registration_is_not_missed(worker_assigned, first_grid, registered, missed):
    with time_machine.travel(local(2026, 12, 2, *registered), tick=False):
        obs = person(first_grid, "己六", number=16)
    with time_machine.travel(local(2026, 12, 2, 20, 30), tick=False):
        html = client_for(worker_assigned).get("/health/today/").content.decode()
    card = html.split(f'id="person-{obs.uid}"')[1]
    shown = set(re.findall(r'class="slot missing" data-slot="(am|pm)"', card))
    assert shown == missed
    assert re.search(r'data-testid="count-missing">(\d+)<', html).group(1) == "1"
