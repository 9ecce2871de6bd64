"""On a phone: the grid worker's "my grid today", a check-in with fever, the alert; the resident's link."""

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.health.models import Alert, CheckIn
from epigrid.health.services import checkin_link_token, observation_start
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers
from epigrid.residents.models import Resident
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.e2e




def under_observation(name="王五"):
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    user_add(actor=SYSTEM, username="gw", role="grid_worker", node_code=grid.code, password=PASSWORD)
    grid_set_workers(actor=SYSTEM, grid_code=grid.code, usernames=["gw"])
    resident = Resident.objects.create(grid_code=grid.code, city_code="1101", name=name)
    return observation_start(actor=SYSTEM, resident=resident, kind="home", reason="arrival")


def test_grid_worker_enters_a_fever_check_in_on_a_phone_and_sees_the_alert(live_city, phone):
    obs = under_observation()
    log_in(phone, live_city.url, "gw")
    phone.goto(f"{live_city.url}/health/today/")
    assert "今日网格" in phone.content() and "client_id is rendered" not in phone.content()  # Chinese
    card = phone.locator(f"#person-{obs.uid}")
    assert "王五" in card.inner_text()
    assert phone.locator("[data-testid=count-alerts]").inner_text() == "0"
    card.locator("[data-testid=temperature]").fill("38.6")
    card.locator("input[value=cough]").check()
    card.locator("button.primary").dblclick()  # a double tap stores one check-in
    phone.wait_for_selector(f"#person-{obs.uid} [data-testid=alert]")
    alerts = phone.locator(f"#person-{obs.uid} [data-testid=alert]")
    assert alerts.count() == 2  # fever and symptom
    assert any(word in alerts.nth(i).inner_text() for i in range(2) for word in ("发热", "Fever"))
    assert CheckIn.objects.filter(observation=obs).count() == 1
    assert set(Alert.objects.values_list("kind", flat=True)) == {"fever", "symptom"}
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # Reloaded, the page counts the open alerts.
    phone.reload()
    assert phone.locator("[data-testid=count-alerts]").inner_text() == "2"


def test_resident_checks_in_through_the_personal_link_on_a_phone(live_city, phone):
    obs = under_observation("赵六")
    token = checkin_link_token(actor=SYSTEM, uid=obs.uid)
    phone.goto(f"{live_city.url}/c/{token}/")
    assert "赵*" in phone.content() and "赵六" not in phone.content()
    phone.fill("[data-testid=temperature]", "36.7")
    phone.click("button.primary")
    phone.wait_for_selector("[data-testid=saved]")
    assert CheckIn.objects.get(observation=obs).by == "resident"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto(f"{live_city.url}/c/{token}x/")
    assert phone.locator("[data-testid=invalid]").count() == 1
