"""A desk worker and a grid worker use the pages in a real browser."""

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Grid
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_log_in_drill_down_the_map_and_open_a_grid(live_city, page):
    from epigrid.regions.models import Division

    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    grids = list(Grid.objects.filter(code__startswith="110101").values_list("code", flat=True))
    streets = Division.objects.filter(parent__code="110101000000").count()
    log_in(page, live_city.url, "alice")
    assert "东城区" in page.content()
    page.click("text=查看地图")
    page.wait_for_selector("#map[data-ready='1']")
    polygons = page.locator("#map path.leaflet-interactive")
    assert polygons.count() == streets
    # No request left the machine: every script and stylesheet came from the platform itself.
    assert all(src.startswith(live_city.url) for src in page.eval_on_selector_all(
        "script[src], link[rel=stylesheet]", "els => els.map(e => e.src || e.href)"))
    for level in ("street", "community"):  # one level down per click, down to a community's grids
        assert page.locator("#map").get_attribute("data-kind") == "division"
        page.locator(f"#map path[data-level={level}]").first.dispatch_event("click")
        page.wait_for_url("**/map/?within=*")
        page.wait_for_selector("#map[data-ready='1']")
    assert page.locator("#map").get_attribute("data-kind") == "grid"
    page.locator("#map path[data-level=grid]").first.dispatch_event("click")
    page.wait_for_url("**/grids/*/")
    assert page.locator("[data-testid=grid-code]").inner_text() in grids


def test_colour_by_another_figure_redraws_the_map(live_city, page):
    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    log_in(page, live_city.url, "alice")
    page.goto(f"{live_city.url}/map/?within=110101000000")
    page.wait_for_selector("#map[data-ready='1']")
    page.evaluate("document.getElementById('map').dataset.ready = ''")
    page.select_option("#figure", "workers")
    page.wait_for_selector("#map[data-ready='1']")
    assert "figure=workers" in page.url
    assert "网格员" in page.locator(".legend").inner_text()


def test_a_grid_worker_on_a_phone_opens_their_grid(live_city, phone):
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    user_add(actor=SYSTEM, username="gw", role="grid_worker", node_code=grid.code, password=PASSWORD)
    log_in(phone, live_city.url, "gw")
    phone.click(f"a[href='/grids/{grid.code}/']")
    phone.wait_for_selector("#map path.leaflet-interactive")
    assert phone.locator("[data-testid=grid-code]").inner_text() == grid.code
    # Nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_switch_to_english(live_city, page):
    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    log_in(page, live_city.url, "alice")
    page.click("button[value=en]")
    page.wait_for_selector("text=Open map")
    assert page.locator("html").get_attribute("lang") == "en"
