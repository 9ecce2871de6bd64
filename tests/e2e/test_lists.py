"""Lists in the browser: on a phone each list is a stack of cards (no column squeezed to one character a
line, nothing wider than the screen); on a desk, a click on a column header sorts, and page 2 keeps the
filter and the sort."""

import pytest
from stdnum.cn import ric

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.regions.models import Grid
from epigrid.residents.services import resident_create
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.e2e

SURNAMES = "安白陈邓冯高韩黄金李刘马潘钱孙王吴徐杨张"


def _residents(n: int) -> Grid:
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    for i in range(n):
        body = f"11010119800101{i + 1:03d}"
        resident_create(actor=SYSTEM, data={
            "name": SURNAMES[i % 20] + "三四五六七八"[i // 20], "id_number": body + ric.calc_check_digit(body + "0"),
            "phone": f"139{i:08d}", "grid_code": grid.code, "tags": 1 if i % 3 else 0})
    return grid


def test_on_a_phone_the_residents_list_is_cards(live_city, phone):
    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    grid = _residents(8)
    log_in(phone, live_city.url, "alice")
    phone.goto(f"{live_city.url}/residents/")
    rows = phone.locator("[data-testid=resident-row]")
    assert rows.count() == 8
    width = phone.evaluate("document.documentElement.clientWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    for i in range(3):
        row = rows.nth(i)
        assert row.evaluate("e => getComputedStyle(e).display") == "block"
        box = row.bounding_box()
        assert box["width"] > width * 0.8  # a card across the screen, not a table row
        cells = row.locator("td")
        for j in range(cells.count()):
            cell = cells.nth(j)
            if not cell.is_visible():
                continue
            cell_box = cell.bounding_box()
            assert cell_box["width"] > width * 0.7, f"cell {j} is {cell_box['width']}px wide"
            # a label before the value (the header it stood under), except the name that heads the card
            before = cell.evaluate("e => [getComputedStyle(e, '::before').display, "
                                   "getComputedStyle(e, '::before').content]")
            if j == 0:
                assert before[0] == "none"
            else:
                assert before[0] != "none" and before[1].strip('"'), f"cell {j} has no label: {before}"
    # the grid's names beside its code, and the header kept as sort links above the cards
    assert grid.name in rows.first.inner_text()
    assert phone.locator("th[data-sort=name] a").is_visible()
    # one sort link per line would be a table squeezed too: the card's text lines hold many characters
    lines = rows.first.evaluate("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight || 24)")
    assert lines < 12


def test_click_a_header_to_sort_and_page_two_keeps_the_filter(live_city, page):
    user_add(actor=SYSTEM, username="alice", role="district_admin", node_code="110101000000", password=PASSWORD)
    _residents(120)  # 80 of them tagged: two pages of the filtered list
    log_in(page, live_city.url, "alice")
    page.goto(f"{live_city.url}/residents/")
    page.select_option("#tag", "elderly_alone")
    page.click("form.filters button.primary")
    page.wait_for_url("**tag=elderly_alone**")
    page.wait_for_selector("[data-testid=list-count]:has-text('80')")
    page.click("th[data-sort=name] a")
    page.wait_for_url("**sort=name**")
    page.wait_for_selector("th[data-sort=name][aria-sort=ascending]")
    names = page.locator("[data-testid=resident-row] td:first-child").all_inner_texts()
    assert names[0].startswith("安") and len(names) == 50
    page.click("th[data-sort=name] a")  # again: descending
    page.wait_for_selector("th[data-sort=name][aria-sort=descending]")
    assert page.locator("[data-testid=resident-row] td:first-child").first.inner_text().startswith("张")
    page.click("a[data-page='2']")
    page.wait_for_url("**page=2**")
    assert "tag=elderly_alone" in page.url and "sort=-name" in page.url
    page.wait_for_selector("[aria-current=page]:has-text('2')")
    rows = page.locator("[data-testid=resident-row]")
    assert rows.count() == 30  # 80 - 50
    assert all("独居" in t or "alone" in t for t in page.locator("[data-testid=resident-row] td:last-child").all_inner_texts())
    assert page.locator("th[data-sort=name][aria-sort=descending]").count() == 1
    # a name in the list still opens the person's own page (a whole page, not swapped into the list)
    page.click("[data-testid=resident-row] td:first-child a >> nth=0")
    page.wait_for_url("**/residents/*-*/")
    assert page.locator("[data-testid=resident-row]").count() == 0 and page.locator("h1").count() == 1


@pytest.mark.parametrize("path", ["/arrivals/", "/health/observations/?status=all", "/patrol/incidents/", "/audit/"])
def test_on_a_phone_every_list_is_cards(live_city, phone, path):
    from epigrid.demo.people import demo_people_build
    from epigrid.demo.services import DEMO_PASSWORD, demo_users_create

    demo_users_create()
    demo_people_build()
    phone.goto(f"{live_city.url}/login/")
    phone.fill("#id_username", "commander")
    phone.fill("#id_password", DEMO_PASSWORD)
    phone.click(".login button[type=submit]")
    phone.wait_for_url(f"{live_city.url}/")
    phone.goto(f"{live_city.url}{path}")
    rows = phone.locator("table.list tbody tr")
    assert rows.count() > 1
    width = phone.evaluate("document.documentElement.clientWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    cells = rows.first.locator("td")
    for j in range(cells.count()):
        cell = cells.nth(j)
        if cell.is_visible():
            assert cell.bounding_box()["width"] > width * 0.7, f"{path}: cell {j} is narrow"
