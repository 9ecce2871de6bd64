"""On a phone, a place typed so that it cannot be recognised ("胡北 / 无汉") is not guessed: the form asks
for it, the person picks 湖北省 / 武汉市 from the lists, and the arrival is stored by code and flagged as
coming from a risk origin."""

import datetime

import pytest

from epigrid.core.principals import SYSTEM
from epigrid.regions.links import community_token
from epigrid.regions.models import Grid
from epigrid.residents.arrivals import arrival_policy_set
from epigrid.residents.models import Arrival
from tests.residents.conftest import id_number

pytestmark = pytest.mark.e2e


def test_an_unrecognised_origin_is_picked_from_the_lists_on_a_phone(live_city, phone):
    grid = Grid.objects.filter(code__startswith="110101").order_by("code").first()
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420100"], observe_all=False, days=14)
    phone.goto(f"{live_city.url}/a/{community_token(grid.community.code, 'arrival')}/")
    phone.fill("#id_name", "周敏")
    phone.fill("#id_id_number", id_number(birth="19920303", seq=52))
    phone.fill("#id_phone", "13812345670")
    phone.fill("#id_address", "5号楼1单元101")
    phone.fill("#id_origin_province", "胡北")
    phone.fill("#id_origin_city", "无汉")
    phone.fill("#id_arrival_date", datetime.date.today().isoformat())
    phone.select_option("#id_transport", "train")
    phone.check("#id_consent")
    phone.click("#arrival-form button[type=submit]")
    phone.wait_for_selector("[data-field^=origin]")
    assert not Arrival.objects.exists()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.select_option("#id_origin_province_code", "420000")
    phone.select_option("#id_origin_city_code", "420100")
    phone.check("#id_consent")
    phone.click("#arrival-form button[type=submit]")
    phone.wait_for_selector("[data-testid=arrival-done]")
    arrival = Arrival.objects.get()
    assert (arrival.origin_province_code, arrival.origin_city_code, arrival.from_risk_origin) == ("420000", "420100",
                                                                                                 True)
