"""Property tests: the temperature rule and the symptom codes, over generated values."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epigrid.core.errors import ServiceError
from epigrid.health.models import Symptom
from epigrid.health.services import SYMPTOM_CODES, clean_symptoms, clean_temperature


@given(st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), allow_nan=False, allow_infinity=False,
                   places=3))
def test_a_temperature_is_accepted_exactly_when_it_rounds_into_34_to_43(value):
    rounded = value.quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
    if Decimal("34.0") <= rounded <= Decimal("43.0"):
        assert clean_temperature(value) == rounded
    else:
        with pytest.raises(ServiceError):
            clean_temperature(value)


@given(st.one_of(st.text(max_size=20), st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans()))
def test_any_other_input_is_a_400_never_a_crash(value):
    try:
        t = clean_temperature(value)
    except ServiceError as exc:
        assert exc.status == 400 and exc.errors[0].field == "temperature"
    else:
        assert Decimal("34.0") <= t <= Decimal("43.0")


@given(st.sets(st.sampled_from(sorted(SYMPTOM_CODES))))
def test_symptom_codes_round_trip_through_the_stored_bits(codes):
    assert set(Symptom.codes(clean_symptoms(sorted(codes)))) == codes
