"""The resident's personal check-in link: signed, no login, expires the day after the planned end."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from epigrid.core.errors import NotFound
from epigrid.core.principals import SYSTEM
from epigrid.health.models import CheckIn
from epigrid.health.services import checkin_link_resolve, checkin_link_token, observation_send_to_hospital

from .conftest import local


@pytest.fixture
def token(observation, gridworker):
    return checkin_link_token(actor=gridworker, uid=observation.uid)


def test_the_link_opens_the_page_and_records_a_check_in_without_login(observation, token):
    client = Client()
    page = client.get(f"/c/{token}/")
    assert page.status_code == 200
    assert "张*" in page.content.decode() and "张三" not in page.content.decode()
    body = {"temperature": "37.8", "slot": "am", "client_id": "resident-page-0001"}
    assert client.post(f"/c/{token}/", body).status_code == 200
    assert client.post(f"/c/{token}/", body).status_code == 200  # a double tap
    checkin = CheckIn.objects.get()
    assert (checkin.by, checkin.recorded_by, checkin.observation_id) == ("resident", None, observation.pk)
    assert observation.alerts.get().kind == "fever"


def test_a_bad_temperature_on_the_page_is_shown_beside_the_field(token):
    response = Client().post(f"/c/{token}/", {"temperature": "45", "slot": "am", "client_id": "resident-page-0002"})
    assert response.status_code == 400
    assert "34.0" in response.content.decode()
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: "x" + t,
    lambda t: t.split(":")[0],
    lambda t: "garbage",
    lambda t: "..%2F..%2Fetc",
])
def test_a_tampered_link_is_not_found(token, mangle):
    assert Client().get(f"/c/{mangle(token)}/").status_code == 404
    with pytest.raises(NotFound):
        checkin_link_resolve(mangle(token))


def test_the_link_expires_the_day_after_the_planned_end(observation, token):
    last = observation.planned_end + timedelta(days=1)
    with time_machine.travel(local(last.year, last.month, last.day, 23), tick=False):
        assert Client().get(f"/c/{token}/").status_code == 200
    after = last + timedelta(days=1)
    with time_machine.travel(local(after.year, after.month, after.day, 0, 1), tick=False):
        assert Client().get(f"/c/{token}/").status_code == 410
        response = Client().post(f"/c/{token}/", {"temperature": "36.5", "slot": "am", "client_id": "late-000001"})
        assert response.status_code == 410
    assert not CheckIn.objects.exists()


def test_the_link_stops_when_the_observation_ends(observation, token):
    observation_send_to_hospital(actor=SYSTEM, uid=observation.uid)
    assert Client().get(f"/c/{token}/").status_code == 410


def test_a_link_for_another_observation_signed_with_another_salt_is_refused(observation):
    from django.core import signing

    forged = signing.dumps([observation.uid.hex, 800000], compress=True)  # no salt
    assert Client().get(f"/c/{forged}/").status_code == 404


def test_only_staff_in_scope_may_issue_a_link(observation, bob, charlie, auditor):
    for user in (bob, charlie, auditor):
        with pytest.raises(NotFound):
            checkin_link_token(actor=user, uid=observation.uid)
