"""A returning resident registers through the community's link on a phone; the grid worker then sees
the new home observation on "my grid today"."""

import datetime

import pytest

from epigrid.accounts.services import user_add
from epigrid.core.principals import SYSTEM
from epigrid.regions.links import community_token
from epigrid.regions.models import Grid
from epigrid.regions.services import grid_set_workers
from epigrid.residents.arrivals import arrival_policy_set
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.residents.conftest import id_number

pytestmark = pytest.mark.e2e


def test_arrival_on_a_phone_then_the_grid_worker_sees_the_observation(live_city, phone, browser):
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    user_add(actor=SYSTEM, username="gw", role="grid_worker", node_code=grid.code, password=PASSWORD)
    grid_set_workers(actor=SYSTEM, grid_code=grid.code, usernames=["gw"])
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420000"], observe_all=False, days=14)

    phone.goto(f"{live_city.url}/a/{community_token(grid.community.code, 'arrival')}/")
    assert phone.locator("#notice").is_visible()
    phone.fill("#id_name", "陈静")
    phone.fill("#id_id_number", id_number(birth="19900202", seq=41))
    phone.fill("#id_phone", "13812340000")
    phone.fill("#id_address", "3号楼2单元501")
    phone.fill("#id_origin_province", "湖北省")
    phone.fill("#id_origin_city", "武汉市")
    phone.fill("#id_arrival_date", datetime.date.today().isoformat())
    phone.select_option("#id_transport", "train")
    phone.fill("#id_transport_number", "G502")
    phone.fill("#id_temperature", "36.5")
    phone.check("#id_consent")
    phone.click("#arrival-form button[type=submit]")
    phone.wait_for_selector("[data-testid=arrival-done]")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    worker = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    log_in(worker, live_city.url, "gw")
    worker.goto(f"{live_city.url}/health/today/")
    assert "陈静" in worker.content()
    worker.context.close()
