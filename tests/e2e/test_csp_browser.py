"""The stored XSS of issue 7 as it was made: a street admin imports a grid (and a community) named with
an event handler; the commander opens the map in chromium, with the Content-Security-Policy on, and
hovers it. No script runs and the name shows as the text it is. The same for a checkpoint's name on a
patrol's track map, which also used to crash whenever the grid had checkpoints. The API docs page
(Swagger UI, served by the platform) works under the same policy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.patrol.services import patrol_add_points, patrol_end, patrol_plan_set, patrol_start
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers, regions_import
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.regions.test_import import COMMUNITY, STREET, good_file

pytestmark = pytest.mark.e2e

PAYLOAD = '<img src=x onerror="window.__pwned=1">'
DIVISION_PAYLOAD = '<svg onload="window.__pwned=2"></svg>社区'

# Recorded before any script of the page runs (init scripts are the browser's, not the page's).
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def watched(page):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(WATCH)
    return errors


def test_a_grid_named_with_an_event_handler_is_shown_as_text_on_the_commanders_map(live_city, page, settings):
    regions_import(actor=SYSTEM, data=good_file())
    user_add(actor=SYSTEM, username="street", role="street_admin", node_code=STREET, password=PASSWORD)
    user_add(actor=SYSTEM, username="boss", role="city_commander", node_code="110000000000", password=PASSWORD)
    # The street admin renames a grid and the community through the import, as the attacker did.
    data = good_file()
    data["features"][1]["properties"]["name"] = DIVISION_PAYLOAD
    data["features"][2]["properties"]["name"] = PAYLOAD
    from epigrid.accounts.models import User

    regions_import(actor=User.objects.get(username="street"), data={**data, "features": data["features"][1:]})
    assert Grid.objects.get(code=COMMUNITY + "001").name == PAYLOAD

    errors = watched(page)
    log_in(page, live_city.url, "boss")
    for within, name, max_grids in ((COMMUNITY, PAYLOAD, 5000), (STREET, DIVISION_PAYLOAD, 1)):
        settings.MAP_MAX_GRIDS = max_grids  # 1: the street's map draws its communities, by their names
        response = page.goto(f"{live_city.url}/map/?within={within}")
        page.wait_for_selector("#map[data-ready='1']")
        polygons = page.locator("#map path.leaflet-interactive")
        tooltip = page.locator(".leaflet-tooltip").filter(has_text=name)
        for i in range(polygons.count()):
            polygons.nth(i).hover(force=True)
            page.wait_for_selector(".leaflet-tooltip")
            if tooltip.count():
                break
        assert name in tooltip.first.inner_text()  # the name, literally, as text
        assert tooltip.locator("img, svg").count() == 0
        page.wait_for_timeout(300)  # time for an image error or an onload to fire, were there one
        assert page.evaluate("window.__pwned") is None
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert errors == []
    assert page.evaluate("window.__violations") == []


def test_the_track_map_draws_the_checkpoints_and_shows_their_names_as_text(live_city, page):
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    gw, _ = user_add(actor=SYSTEM, username="gw", role="grid_worker", node_code=grid.code, password=PASSWORD)
    grid_set_workers(actor=SYSTEM, grid_code=grid.code, usernames=["gw"])
    lon, lat = grid.centroid_lon, grid.centroid_lat
    patrol_plan_set(actor=SYSTEM, grid_code=grid.code, times_per_day=2, checkpoints=[
        {"name": PAYLOAD, "lon": lon, "lat": lat, "radius_m": 30},
        {"name": "东门卡口", "lon": lon + 0.001, "lat": lat, "radius_m": 50},
    ])
    patrol = patrol_start(actor=gw, grid_code=grid.code)
    now = timezone.now()
    patrol_add_points(actor=gw, patrol_id=patrol.pk, points=[
        {"lon": lon + i * 0.0003, "lat": lat, "t": now + timedelta(seconds=i)}
        for i in range(4)])
    patrol_end(actor=gw, patrol_id=patrol.pk, ended_at=now + timedelta(seconds=5))

    errors = watched(page)
    log_in(page, live_city.url, "gw")
    page.goto(f"{live_city.url}/patrol/patrols/{patrol.pk}/")
    page.wait_for_selector("#track[data-ready='1']")
    assert errors == []  # it crashed here: "Cannot read properties of undefined (reading 'layerPointToLatLng')"
    circles = page.locator("#track path.checkpoint")
    assert circles.count() == 2
    assert page.locator("#track path.leaflet-interactive").count() == 3  # the track and two circles
    names = set()
    for i in range(2):
        circles.nth(i).hover(force=True)
        page.wait_for_selector(".leaflet-tooltip")
        names.add(page.locator(".leaflet-tooltip").last.inner_text())
    assert PAYLOAD in names  # the name, literally, as text
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert page.evaluate("window.__violations") == []


def test_the_api_docs_work_under_the_policy_without_a_cdn(live_city, page):
    user_add(actor=SYSTEM, username="boss", role="city_commander", node_code="110000000000", password=PASSWORD)
    errors = watched(page)
    log_in(page, live_city.url, "boss")
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(f"{live_city.url}/api/v1/docs")
    assert "content-security-policy" in response.headers
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 20
    assert errors == []
    assert page.evaluate("window.__violations") == []
    assert all(url.startswith((live_city.url, "data:")) for url in requests), requests
