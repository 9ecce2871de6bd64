"""Issue 9 points 6 and 7 on a phone (390x844), in English: the menu, the patrol screen, the report form
without a category, and the arrival's check-in hand-off through to the grid worker's today list."""

import datetime

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.health.models import CheckIn
from epigrid.patrol.models import Incident
from epigrid.regions.links import community_token
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers
from epigrid.residents.arrivals import arrival_policy_set
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, browser_page
from tests.e2e.test_browser import log_in
from tests.residents.conftest import id_number

pytestmark = pytest.mark.e2e


@pytest.fixture
def english_phone(browser):
    with browser_page(browser, locale="en-US", **PHONE) as page:
        yield page


def grid_worker():
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    user_add(actor=SYSTEM, username="gw", role="grid_worker", node_code=grid.code, password=PASSWORD)
    grid_set_workers(actor=SYSTEM, grid_code=grid.code, usernames=["gw"])
    return grid


def test_the_navigation_is_one_menu_on_a_phone_and_a_bar_on_a_desk(live_city, english_phone, page):
    grid_worker()
    phone = english_phone
    log_in(phone, live_city.url, "gw")
    toggle = phone.locator("[data-menu-toggle]")
    patrol_link = phone.locator("#site-menu nav a[href='/patrol/']")
    assert toggle.is_visible() and not patrol_link.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # A tap opens it, a second tap closes it.
    toggle.tap()
    assert patrol_link.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    toggle.tap()
    assert not patrol_link.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    # The keyboard: Enter opens, Escape closes and gives the focus back to the button.
    toggle.focus()
    phone.keyboard.press("Enter")
    assert patrol_link.is_visible()
    phone.keyboard.press("Escape")
    assert not patrol_link.is_visible()
    assert phone.evaluate("document.activeElement.hasAttribute('data-menu-toggle')")
    # A tap outside closes it; the links lead where they say.
    toggle.tap()
    phone.locator("main").click(position={"x": 10, "y": 200})
    assert not patrol_link.is_visible()
    toggle.tap()
    with phone.expect_navigation():
        patrol_link.tap()
    assert phone.url.endswith("/patrol/") and phone.locator("#patrol-start").is_visible()
    toggle.tap()
    phone.locator("#site-menu nav a[href='/health/today/']").tap()
    phone.wait_for_url("**/health/today/")
    # On a desk: the bar as before, no menu button.
    log_in(page, live_city.url, "gw")
    assert not page.locator("[data-menu-toggle]").is_visible()
    assert page.locator("#site-menu nav a[href='/patrol/']").is_visible()


def test_the_patrol_screen_shows_one_button_and_a_true_location(live_city, english_phone, browser):
    grid = grid_worker()
    phone = english_phone
    base = live_city.url
    phone.context.grant_permissions(["geolocation"], origin=base)
    phone.context.set_geolocation({"longitude": grid.centroid_lon, "latitude": grid.centroid_lat, "accuracy": 12})
    log_in(phone, base, "gw")
    phone.goto(f"{base}/patrol/")
    start, end, where = phone.locator("#patrol-start"), phone.locator("#patrol-end"), phone.locator("#patrol-location")
    assert start.is_visible() and not end.is_visible() and not where.is_visible()
    start.tap()
    end.wait_for(state="visible")
    assert not start.is_visible()
    phone.wait_for_selector("#patrol-location[data-state=located]")
    assert "Located" in where.inner_text() and "±12 m" in where.inner_text()
    # Reopened while the patrol runs: only "end".
    phone.reload()
    assert end.is_visible() and not start.is_visible()
    end.tap()
    phone.wait_for_url("**/patrol/patrols/*/")

    # Location refused: the line says so, never "located".
    denied = browser.new_context(locale="en-US", **PHONE)
    try:
        other = denied.new_page()
        user_add(actor=SYSTEM, username="gw2", role="grid_worker", node_code=grid.code, password=PASSWORD)
        log_in(other, base, "gw2")
        other.goto(f"{base}/patrol/")
        other.locator("#patrol-start").tap()
        other.wait_for_selector("#patrol-location[data-state=denied]")
        assert "denied" in other.locator("#patrol-location").inner_text()
        assert other.locator("#patrol-end").is_visible() and not other.locator("#patrol-start").is_visible()
    finally:
        denied.close()


def test_a_report_without_a_category_is_answered_with_the_field_named(live_city, english_phone):
    grid = grid_worker()
    phone = english_phone
    base = live_city.url
    phone.context.grant_permissions(["geolocation"], origin=base)
    phone.context.set_geolocation({"longitude": grid.centroid_lon, "latitude": grid.centroid_lat, "accuracy": 10})
    log_in(phone, base, "gw")
    phone.goto(f"{base}/patrol/report/")
    phone.wait_for_selector("#position[data-ready='1']")
    assert phone.locator("#id_category").input_value() == ""
    assert phone.locator("#id_category option").first.inner_text() == "Please choose"
    phone.fill("#id_description", "Rubbish at the east gate")
    # The browser asks first (the select is required) ...
    phone.locator("#report-submit").tap()
    assert phone.locator("#id_category").evaluate("el => el.validity.valueMissing")
    assert phone.url.endswith("/patrol/report/") and not Incident.objects.exists()
    # ... and the server names the field when a browser sends it anyway.
    phone.locator("#report-form").evaluate("form => { form.noValidate = true; }")
    with phone.expect_navigation():
        phone.locator("#report-submit").tap()
    error = phone.locator("#error-category")
    assert error.is_visible() and error.inner_text() == "Category: choose a category"
    assert phone.locator("#id_category").get_attribute("aria-invalid") == "true"
    assert phone.locator("#id_description").input_value() == "Rubbish at the east gate"
    assert not Incident.objects.exists()


def test_an_arrival_gets_a_working_check_in_link_and_qr_the_worker_sees_it(live_city, english_phone, browser):
    grid = grid_worker()
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False, days=14)
    phone = english_phone
    base = live_city.url
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    phone.goto(f"{base}/a/{community_token(grid.community.code, 'arrival')}/")
    phone.fill("#id_name", "Chen Jing")
    phone.fill("#id_id_number", id_number(birth="19900202", seq=61))
    phone.fill("#id_phone", "13812349876")
    phone.fill("#id_address", "Building 3, unit 2, 501")
    phone.fill("#id_origin_province", "湖北省")
    phone.fill("#id_origin_city", "武汉市")
    phone.fill("#id_arrival_date", datetime.date.today().isoformat())
    phone.select_option("#id_transport", "train")
    phone.fill("#id_temperature", "36.5")
    phone.check("#id_consent")
    phone.click("#arrival-form button[type=submit]")
    phone.wait_for_selector("[data-testid=checkin-link]")
    assert "contact you" not in phone.inner_text("[data-testid=arrival-done]")
    link = phone.locator("#checkin-link").get_attribute("href")
    assert link.startswith(f"{base}/c/") and phone.locator("#checkin-url").input_value() == link
    # The QR code loads (same signed token), and the copy button copies the link.
    phone.wait_for_function("() => { const i = document.querySelector('[data-testid=checkin-qr]');"
                            " return i.complete && i.naturalWidth > 0; }")
    assert phone.locator("[data-testid=checkin-qr]").get_attribute("src") == link[len(base):] + "qr.svg"
    phone.locator("[data-copy=checkin-url]").tap()
    phone.wait_for_selector("[data-copy=checkin-url][data-copied='1']")
    assert phone.evaluate("() => navigator.clipboard.readText()") == link
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # Follow the link and check in, with a fever.
    phone.locator("#checkin-link").tap()
    phone.wait_for_url(link)
    phone.fill("[data-testid=temperature]", "38.1")
    phone.click("form[data-submit-once] button.primary")
    phone.wait_for_selector("[data-testid=saved]")
    assert CheckIn.objects.get().by == "resident"

    # The grid worker sees it first on their list, with the temperature, and can call.
    worker = browser.new_context(locale="en-US", **PHONE)
    try:
        desk = worker.new_page()
        log_in(desk, base, "gw")
        desk.goto(f"{base}/health/today/")
        cards = desk.locator("[data-testid=person]").evaluate_all(
            "els => els.map(e => [!!e.querySelector('[data-testid=alert]'), e.innerText.includes('Chen Jing')])")
        mine = [c[1] for c in cards].index(True)
        assert all(alert for alert, _ in cards[:mine + 1])  # with an alert, among the first
        assert sorted(cards, key=lambda c: not c[0]) == cards  # alerts first
        first = desk.locator("[data-testid=person]").nth(mine)
        assert first.locator("[data-testid=alert-temperature]").inner_text() == "38.1 °C"
        assert "13812349876" not in desk.content()
        first.locator("[data-testid=call]").tap()
        tel = first.locator("[data-testid=tel]")
        tel.wait_for()
        assert tel.get_attribute("href") == "tel:13812349876"
    finally:
        worker.close()
