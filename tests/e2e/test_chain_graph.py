"""The transmission graph in chromium: a cluster's graph draws (ECharts, served by the platform, under the
Content-Security-Policy), the contacts toggle hides the contacts, a click on a case opens its case page,
and a click on a contact opens their chain, which draws too."""

from datetime import timedelta

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.epi.clusters import clusters_propose
from epigrid.epi.models import Cluster
from epigrid.regions.models import Grid
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.e2e.test_csp_browser import watched
from tests.epi import graph_builders as b

pytestmark = pytest.mark.e2e


def _node_point(page, name):
    """Where the node labelled `name` is drawn, in page coordinates."""
    return page.evaluate("""(name) => {
        const el = document.getElementById('graph');
        const chart = echarts.getInstanceByDom(el);
        const node = chart.getOption().series[0].data.find((n) => n.name === name);
        const [x, y] = chart.convertToPixel({seriesIndex: 0}, [node.x, node.y]);
        const box = el.getBoundingClientRect();
        return {x: box.left + x, y: box.top + y};
    }""", name)


def _wait_drawn(page):
    page.wait_for_selector("#graph[data-ready='1']")


def test_a_cluster_graph_draws_toggles_contacts_and_a_click_opens_the_case(live_city, page, settings):
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    user_add(actor=SYSTEM, username="epi", role="epidemiologist", node_code="110101000000", password=PASSWORD)
    home = b.household(grid.code)
    first, second = b.person(grid.code, "户主甲", home), b.person(grid.code, "家人乙", home)
    case1, case2 = b.case(first), b.case(second, day=b.DAY + timedelta(days=3))
    b.expose(first, second, "household")
    b.link(case1, case2, "household")
    contacts = [b.person(grid.code, f"密接{i}") for i in range(3)]
    for contact in contacts:
        b.expose(second, contact, "gathering", "婚宴")
    clusters_propose(actor=SYSTEM, city_code="1101")
    cluster = Cluster.objects.get()

    errors = watched(page)
    log_in(page, live_city.url, "epi")
    response = page.goto(f"{live_city.url}/epi/clusters/{cluster.uid}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    _wait_drawn(page)
    graph = page.locator("#graph")
    assert graph.get_attribute("data-shown") == "5"
    assert page.locator("#graph canvas").count() >= 1

    page.uncheck("[data-testid=contacts-toggle]")
    _wait_drawn(page)
    assert graph.get_attribute("data-shown") == "2"
    page.check("[data-testid=contacts-toggle]")
    _wait_drawn(page)
    assert graph.get_attribute("data-shown") == "5"

    point = _node_point(page, "家人乙")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"{live_city.url}/epi/cases/{case2.uid}/")

    page.goto(f"{live_city.url}/epi/clusters/{cluster.uid}/")
    _wait_drawn(page)
    point = _node_point(page, "密接0")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"{live_city.url}/epi/chains/{contacts[0].uid}/")
    _wait_drawn(page)
    assert graph.get_attribute("data-shown") == "3"  # 密接0, and up: 家人乙 and 户主甲
    assert errors == []
    assert page.evaluate("window.__violations") == []
