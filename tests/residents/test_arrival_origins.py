"""Issue 9.5: an origin is a code, not a string. Typed short/full names reach the same decision; an
unrecognised origin asks the person to pick; the list flags and filters arrivals from a risk origin."""

import pytest
from django.test import Client

from epigrid.core.principals import SYSTEM
from epigrid.residents.arrivals import arrival_policy_set
from epigrid.residents.models import Arrival, ArrivalPolicy
from tests.residents.conftest import id_number
from tests.residents.test_arrivals import register


@pytest.fixture
def community(first_grid):
    return first_grid.community


@pytest.fixture
def wuhan_policy(community):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["420100"], observe_all=False, days=14)


@pytest.mark.parametrize("typed_province,typed_city", [("湖北", "武汉"), ("湖北省", "武汉市"), ("湖北 武汉市", "武汉")])
def test_short_and_full_names_start_the_same_observation(community, wuhan_policy, typed_province, typed_city):
    response = register(community, origin_province=typed_province, origin_city=typed_city)
    assert response.status_code == 200, response.content.decode()[:2000]
    arrival = Arrival.objects.get()
    assert (arrival.origin_province_code, arrival.origin_city_code) == ("420000", "420100")
    assert arrival.observation_started and arrival.from_risk_origin
    assert arrival.origin_province == typed_province  # what the person typed is kept beside the codes


def test_another_city_of_the_province_is_not_a_risk_when_only_the_city_is(community, wuhan_policy):
    register(community, origin_province="湖北", origin_city="宜昌")
    arrival = Arrival.objects.get()
    assert arrival.origin_city_code == "420500" and not arrival.observation_started and not arrival.from_risk_origin


@pytest.mark.parametrize("typed_province,typed_city", [("广西", "南宁"), ("广西壮族自治区", "南宁市")])
def test_autonomous_region_names(community, typed_province, typed_city):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["450000"], observe_all=False, days=14)
    register(community, origin_province=typed_province, origin_city=typed_city)
    arrival = Arrival.objects.get()
    assert arrival.origin_city_code == "450100" and arrival.observation_started


@pytest.mark.parametrize("typed_city", ["恩施州", "恩施土家族苗族自治州"])
def test_autonomous_prefecture_names(community, typed_city):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["422800"], observe_all=False, days=14)
    register(community, origin_province="湖北", origin_city=typed_city)
    assert Arrival.objects.get().observation_started


def test_ili(community):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["654000"], observe_all=False, days=14)
    register(community, origin_province="新疆", origin_city="伊犁")
    assert Arrival.objects.get().origin_city_code == "654000"


def test_district_level_origin(community):
    arrival_policy_set(actor=SYSTEM, node_code="110000000000", risk_origins=["440300"], observe_all=False, days=14)
    register(community, origin_province="广东省", origin_city="深圳市南山区")
    arrival = Arrival.objects.get()
    assert arrival.origin_district_code == "440305" and arrival.observation_started


def test_an_unrecognised_origin_asks_to_pick_then_the_pick_decides(community, wuhan_policy):
    response = register(community, origin_province="湖被", origin_city="五汉")
    body = response.content.decode()
    assert response.status_code == 400 and "请从列表中选择省份和城市" in body  # the public page speaks Chinese
    assert 'name="origin_province_code"' in body and 'value="420000">湖北省</option>' in body
    assert 'value="420100">武汉市</option>' in body
    assert not Arrival.objects.exists()
    response = register(community, origin_province="湖被", origin_city="五汉", origin_province_code="420000",
                        origin_city_code="420100")
    assert response.status_code == 200
    arrival = Arrival.objects.get()
    assert arrival.origin_city_code == "420100" and arrival.observation_started and arrival.origin_city == "五汉"


def test_a_city_of_another_province_is_refused(community, wuhan_policy):
    response = register(community, origin_province_code="420000", origin_city_code="440100")
    assert response.status_code == 400 and not Arrival.objects.exists()


def test_policy_api_takes_codes_and_refuses_text(alice, api):
    client, headers = api.as_user(alice).client, api.headers
    url = "/api/v1/arrival-policies/110101000000"
    bad = client.put(url, {"risk_origins": ["湖北省"], "days": 14}, content_type="application/json", headers=headers)
    assert bad.status_code == 400 and "risk_origins" in bad.content.decode()
    assert not ArrivalPolicy.objects.exists()
    ok = client.put(url, {"risk_origins": ["420000"], "days": 14}, content_type="application/json", headers=headers)
    assert ok.status_code == 200 and ok.json()["risk_origin_names"] == ["湖北省"]
    assert ArrivalPolicy.objects.get().origins == {"420000"}


def test_the_list_flags_and_filters_risk_origins(community, wuhan_policy, alice, api):
    register(community, origin_province="湖北", origin_city="武汉")
    register(community, origin_province="湖南", origin_city="长沙", id_number=id_number(birth="19910303", seq=33))
    assert Arrival.objects.count() == 2
    client = Client()
    client.force_login(alice)
    page = client.get("/arrivals/").content.decode()
    assert page.count('data-testid="risk-origin"') == 1
    flagged = client.get("/arrivals/?risk=1").content.decode()
    assert flagged.count('data-testid="risk-origin"') == 1 and "长沙" not in flagged and "武汉" in flagged
    rows = api.as_user(alice).get("/arrivals", risk="true").json()["items"]
    assert [r["origin_city_code"] for r in rows] == ["420100"]
