"""Behaviours that were inline handlers (onsubmit, onchange) before the Content-Security-Policy, and are
now data- attributes read by a static script: they still work, under the policy, in chromium."""

import pytest

from epigrid.core.principals import SYSTEM
from epigrid.health.models import CheckIn, Observation
from epigrid.health.services import checkin_link_token
from tests.e2e.test_browser import log_in
from tests.e2e.test_health import under_observation

pytestmark = pytest.mark.e2e


def open_under_policy(page, url):
    response = page.goto(url)
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_sending_a_person_to_hospital_asks_first(live_city, page):
    obs = under_observation()
    log_in(page, live_city.url, "gw")
    open_under_policy(page, f"{live_city.url}/health/observations/{obs.uid}/")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("form[data-confirm] button.link >> nth=0")
    page.wait_for_timeout(300)
    assert len(asked) == 1
    assert Observation.objects.get(pk=obs.pk).status == "active"  # declined: nothing sent
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("form[data-confirm] button.link >> nth=0")
    assert Observation.objects.get(pk=obs.pk).status == "hospital"


def test_a_double_tap_on_the_personal_link_sends_one_check_in(live_city, phone):
    obs = under_observation()
    open_under_policy(phone, f"{live_city.url}/c/{checkin_link_token(actor=SYSTEM, uid=obs.uid)}/")
    phone.fill("[data-testid=temperature]", "36.6")
    phone.dblclick("form[data-submit-once] button.primary")
    phone.wait_for_selector("[data-testid=saved]")
    assert CheckIn.objects.filter(observation=obs).count() == 1


def test_choosing_a_state_filters_the_incident_list(live_city, page):
    under_observation()
    log_in(page, live_city.url, "gw")
    open_under_policy(page, f"{live_city.url}/patrol/incidents/")
    with page.expect_navigation():
        page.select_option("select[data-autosubmit]", "reported")
    assert "state=reported" in page.url
