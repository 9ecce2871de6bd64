"""The commander's picture in a real browser: the map coloured by open alerts, its legend of ranges,
and a click on a district that opens its streets coloured by the same figure."""

import re

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.health.services import checkin_record, observation_start
from epigrid.regions.models import Division, Grid
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.health.conftest import make_resident

pytestmark = pytest.mark.e2e


def _alerts(district: str, n: int) -> None:
    grid = Grid.objects.filter(code__startswith=district[:6]).order_by("code").first()
    for i in range(n):
        obs = observation_start(actor=SYSTEM, resident=make_resident(grid.code), kind="home", reason="arrival")
        checkin_record(actor=SYSTEM, observation=obs, slot="am", temperature="38.4", symptoms=[],
                       client_id=f"e2e-{district}-{i}")


def test_the_commander_colours_the_map_by_open_alerts_and_drills_into_a_district(live_city, page):
    user_add(actor=SYSTEM, username="commander", role="city_commander", node_code="110000000000",
             password=PASSWORD)
    _alerts("110101000000", 4)
    _alerts("110102000000", 1)
    log_in(page, live_city.url, "commander")
    page.goto(f"{live_city.url}/map/?within=110000000000")
    page.wait_for_selector("#map[data-ready='1']")
    page.evaluate("document.getElementById('map').dataset.ready = ''")
    page.select_option("#figure", "alerts")
    page.wait_for_selector("#map[data-ready='1']")
    assert "figure=alerts" in page.url
    legend = page.locator("[data-testid=map-legend] .legend-class")
    labels = [legend.nth(i).inner_text().strip() for i in range(legend.count())]
    assert labels == ["0", "1", "2–4"]  # contiguous classes of whole numbers
    assert all(re.fullmatch(r"\d+(–\d+)?", label) for label in labels)
    assert page.locator("[data-testid=map-as-of]").inner_text().strip()
    assert page.locator("#map path[data-level=district]").count() == 16
    page.locator("#map path[data-code='110101000000']").dispatch_event("click")
    page.wait_for_url("**/map/?within=110101000000&figure=alerts")
    page.wait_for_selector("#map[data-ready='1']")
    streets = Division.objects.filter(parent__code="110101000000").count()
    assert page.locator("#map path[data-level=street]").count() == streets
    assert page.locator("#figure").input_value() == "alerts"
    # The street holding the alerts is coloured (not the "0" colour) and listed with its figure.
    assert "4" in page.locator("[data-testid=map-areas]").inner_text()
