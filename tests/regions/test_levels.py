"""Levels as people say them: 北京市 and 天津市 are 直辖市 (municipalities), not provinces; by code."""

import pytest
from django.test import Client
from django.utils import translation

from epigrid.regions.models import Division, division_level_label


@pytest.mark.parametrize(("code", "label"), [
    ("110000000000", "Municipality"), ("120000000000", "Municipality"), ("310000000000", "Municipality"),
    ("500000000000", "Municipality"), ("440000000000", "Province"), ("520000000000", "Province"),
])
def test_province_level_codes_of_the_four_municipalities_are_municipalities(code, label):
    assert division_level_label("province", code) == label


def test_the_label_follows_the_code_not_the_name():
    assert Division(code="440000000000", name="北京市", level="province").get_level_display() == "Province"
    assert Division(code="110000000000", name="广东省", level="province").get_level_display() == "Municipality"
    assert Division(code="110100000000", name="x", level="city").get_level_display() == "City"
    assert Division(code="110101000000", name="x", level="district").get_level_display() == "District"


def test_pages_and_api_call_beijing_a_municipality(commander, bob, api):
    client = Client()
    client.force_login(commander)
    page = client.get("/divisions/110000000000/", headers={"Accept-Language": "en"}).content.decode()
    assert "Municipality" in page and "Province" not in page
    detail = api.as_user(commander).get("/divisions/110000000000").json()
    assert detail["level"] == "province" and detail["level_name"] == "Municipality"
    assert api.as_user(commander).get("/divisions").json()[0]["level_name"] == "Municipality"
    chain = api.as_user(commander).get("/divisions/110101000000").json()["chain"]
    assert [(c["code"], c["level_name"]) for c in chain] == [("110000000000", "Municipality")]
    # 深圳's province, 广东省, stays a province.
    chain = api.as_user(bob).get("/divisions/440303000000").json()["chain"]
    assert [(c["code"], c["level_name"]) for c in chain] == [("440000000000", "Province"),
                                                             ("440300000000", "City")]


def test_the_chinese_page_does_not_call_beijing_a_province(commander):
    client = Client()
    client.force_login(commander)
    with translation.override("zh-hans"):
        page = client.get("/divisions/110000000000/", headers={"Accept-Language": "zh-hans"}).content.decode()
    heading = page.split("<h1>")[1].split("</h1>")[0]
    assert "北京市" in heading and "省" not in heading
