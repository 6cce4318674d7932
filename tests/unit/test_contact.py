"""National ID and phone validation, and masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.domain.contact import check_national_id, mask_phone, normalise_phone
from farmgate.core.domain.errors import InvalidInput

FIELD = ["input", "phone"]


@pytest.mark.parametrize("raw", ["0912345678", "+84912345678", "84912345678", "091 234 5678", "+84 91-234-5678"])
def test_vietnamese_mobiles_normalise_to_plus_84(raw: str) -> None:
    assert normalise_phone(raw, FIELD) == "+84912345678"


@pytest.mark.parametrize("raw", ["", "55555", "0212345678", "+1 415 555 0100", "09123456789", "091234567a"])
def test_other_numbers_are_refused_without_echoing_them(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(raw, FIELD)
    assert refused.value.field == FIELD
    if raw:
        assert raw not in refused.value.message


@given(st.sampled_from("35789"), st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_every_local_mobile_round_trips_through_e164(first: str, rest: str) -> None:
    e164 = normalise_phone("0" + first + rest, FIELD)
    assert e164 == "+84" + first + rest
    assert normalise_phone(e164, FIELD) == e164
    assert mask_phone(e164).endswith(rest[-3:]) and first + rest[:5] not in mask_phone(e164)


def test_national_id_is_twelve_digits_starting_with_a_province_code() -> None:
    assert check_national_id("020123456789", ["input", "nationalId"]) == "020123456789"
    for bad in ("02012345678", "0201234567890", "02012345678x", "999123456789", "003123456789"):
        with pytest.raises(InvalidInput) as refused:
            check_national_id(bad, ["input", "nationalId"])
        assert bad not in refused.value.message
