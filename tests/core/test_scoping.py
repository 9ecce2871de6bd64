import pytest
from hypothesis import given
from hypothesis import strategies as st

from epigrid.core.scoping import code_level, code_prefix, prefix_upper


@pytest.mark.parametrize(("code", "level", "prefix"), [
    ("110000000000", "province", "11"),
    ("440300000000", "city", "4403"),
    ("110105000000", "district", "110105"),
    ("110110000000", "district", "110110"),  # trailing zero in the county digits: not a city
    ("110105001000", "street", "110105001"),
    ("110105001002", "community", "110105001002"),
    ("110105001002003", "grid", "110105001002003"),
])
def test_code_levels_and_prefixes(code, level, prefix):
    assert code_level(code) == level
    assert code_prefix(code) == prefix


@pytest.mark.parametrize("code", ["", "11010", "1101050010001", "11010500100a", "000000000000",
                                  "110100000001", "110105001002000", "110105000000001", None])
def test_malformed_codes_have_no_level(code):
    assert code_level(code) is None


digits = st.text(alphabet="0123456789", min_size=1, max_size=15)


@given(prefix=digits, code=digits)
def test_prefix_range_is_exactly_startswith(prefix, code):
    """The index-friendly range used for scoping selects the same codes as a prefix match."""
    upper = prefix_upper(prefix)
    in_range = code >= prefix and (upper is None or code < upper)
    assert in_range == code.startswith(prefix)


def test_ancestor_codes_of_a_grid_a_street_and_nonsense():
    from epigrid.core.scoping import ancestor_codes

    assert ancestor_codes("110101001002003") == ["110000000000", "110100000000", "110101000000",
                                                  "110101001000", "110101001002"]
    assert ancestor_codes("110101001000") == ["110000000000", "110100000000", "110101000000"]
    assert ancestor_codes("1101x1001000") == []
