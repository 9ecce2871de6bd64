"""On a phone: a grid worker patrols and reports an incident with a photo; a community worker
registers and dispatches it; the grid worker handles it; the community worker verifies and closes it."""

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.patrol.models import Incident, Patrol, TrackPoint
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE
from tests.e2e.test_browser import log_in
from tests.patrol.conftest import jpeg_with_gps

pytestmark = pytest.mark.e2e


def act(page, action):
    page.click(f"form[data-action={action}] button[type=submit]")
    page.wait_for_load_state()


def test_patrol_report_and_close_the_loop_on_a_phone(live_city, phone, browser):
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    user_add(actor=SYSTEM, username="gw", role="grid_worker", node_code=grid.code, password=PASSWORD)
    user_add(actor=SYSTEM, username="cw", role="community_worker", node_code=grid.community.code, password=PASSWORD)
    grid_set_workers(actor=SYSTEM, grid_code=grid.code, usernames=["gw"])
    lon, lat = grid.centroid_lon, grid.centroid_lat
    base = live_city.url

    phone.context.grant_permissions(["geolocation"], origin=base)
    phone.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 10})
    log_in(phone, base, "gw")

    # Start a patrol, walk a little, end it.
    phone.goto(f"{base}/patrol/")
    phone.click("#patrol-start")
    phone.wait_for_selector("#patrol-end:visible")
    for i in range(1, 4):
        phone.wait_for_timeout(300)
        phone.context.set_geolocation({"longitude": lon + i * 0.0002, "latitude": lat, "accuracy": 10})
    phone.wait_for_timeout(300)
    phone.click("#patrol-end")
    phone.wait_for_url("**/patrol/patrols/*/")
    patrol = Patrol.objects.get()
    assert patrol.status == "ended" and TrackPoint.objects.filter(patrol=patrol).count() >= 2
    assert int(phone.locator("[data-testid=points]").inner_text()) == patrol.point_count
    phone.wait_for_selector("#track[data-ready='1']")

    # Report an incident with a photo, in a few taps.
    phone.goto(f"{base}/patrol/")
    phone.click("#report-link")
    phone.wait_for_selector("#position[data-ready='1']")
    phone.select_option("#id_category", "no_mask")
    phone.fill("#id_description", "东门卡口有人未戴口罩")
    phone.set_input_files("#id_photos", files=[{"name": "photo.jpg", "mimeType": "image/jpeg",
                                                 "buffer": jpeg_with_gps((800, 600))}])
    phone.click("#report-submit")
    phone.wait_for_url("**/patrol/incidents/*/")
    incident = Incident.objects.get()
    assert incident.grid_code == grid.code and incident.photos.count() == 1
    assert phone.locator("[data-testid=state]").get_attribute("data-state") == "reported"
    assert phone.locator(".photos img").count() == 1
    # The thumbnail loads (lazily: wait for it), through the scoped photo endpoint.
    # A function, not an expression string: Playwright evals a string in the page, which the CSP refuses.
    phone.wait_for_function("() => document.querySelector('.photos img').complete"
                            " && document.querySelector('.photos img').naturalWidth > 0")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # The community worker, on their own phone, registers and dispatches it to the grid worker.
    desk_context = browser.new_context(locale="zh-CN", **PHONE)
    desk = desk_context.new_page()
    desk.set_default_timeout(15_000)
    try:
        log_in(desk, base, "cw")
        desk.goto(f"{base}/patrol/")
        desk.click(f"#todo a[href='/patrol/incidents/{incident.pk}/']")
        act(desk, "register")
        desk.select_option("form[data-action=dispatch] select[name=assignee]", "gw")
        act(desk, "dispatch")
        assert desk.locator("[data-testid=state]").get_attribute("data-state") == "dispatched"

        # The grid worker finds it on the to-do list and handles it.
        phone.goto(f"{base}/patrol/")
        phone.click(f"#todo a[href='/patrol/incidents/{incident.pk}/']")
        phone.fill("form[data-action=handle] textarea[name=result]", "已劝导佩戴口罩")
        act(phone, "handle")
        assert phone.locator("[data-testid=state]").get_attribute("data-state") == "handled"

        # The community worker verifies and closes it.
        desk.reload()
        act(desk, "verify")
        act(desk, "close")
        assert desk.locator("[data-testid=state]").get_attribute("data-state") == "closed"
        assert desk.locator(".timeline li").count() == 6
    finally:
        desk_context.close()
    incident.refresh_from_db()
    assert incident.state == "closed" and incident.closed_on_time
