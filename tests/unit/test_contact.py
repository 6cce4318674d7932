"""National ID and phone validation, and masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.domain.contact import check_national_id, mask_phone, mask_reference, normalise_phone
from farmgate.core.domain.errors import InvalidInput

FIELD = ["input", "phone"]


@pytest.mark.parametrize("raw", ["0912345678", "+84912345678", "84912345678", "091 234 5678", "+84 91-234-5678"])
def test_vietnamese_mobiles_normalise_to_plus_84(raw: str) -> None:
    assert normalise_phone(raw, FIELD) == "+84912345678"


@pytest.mark.parametrize("landline", [False, True])
@pytest.mark.parametrize("raw", ["", "55555", "0212345678", "+1 415 555 0100", "09123456789", "091234567a",
                                 "0711234567", "1900 1234", "0912 345 678 ext 9"])
def test_other_numbers_are_refused_without_echoing_them(raw: str, landline: bool) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(raw, FIELD, landline=landline)
    assert refused.value.field == FIELD
    if raw:
        assert raw not in refused.value.message


# Mobile ranges in use: 03x, 05[689], 070, 07[6-9], 08[1-8], 09[0-8] (issue 11: unassigned ranges, such as
# the retired 071-075, are refused now that the library knows the numbering plan).
MOBILE_PREFIXES = [*(f"3{d}" for d in "0123456789"), "56", "58", "59", "70", "76", "77", "78", "79",
                   *(f"8{d}" for d in "12345678"), *(f"9{d}" for d in "012345678")]


@given(st.sampled_from(MOBILE_PREFIXES), st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_every_local_mobile_round_trips_through_e164(prefix: str, rest: str) -> None:
    e164 = normalise_phone("0" + prefix + rest, FIELD)
    assert e164 == "+84" + prefix + rest
    assert normalise_phone(e164, FIELD) == e164
    assert normalise_phone("0" + prefix + rest, FIELD, landline=True) == e164
    assert mask_phone(e164).endswith(rest[-3:]) and prefix + rest[:4] not in mask_phone(e164)


@pytest.mark.parametrize("raw", ["024 3942 1234", "02439421234", "+84 24 3942 1234", "84 24 3942 1234",
                                 "(024) 3942-1234", "024.3942.1234"])
def test_a_ha_noi_landline_is_a_contact_number_in_e164(raw: str) -> None:
    assert normalise_phone(raw, FIELD, landline=True) == "+842439421234"
    assert mask_phone("+842439421234") == "**********234"


@pytest.mark.parametrize("raw", ["0205 3870 123", "028 3829 5555", "0204 3854 321"])
def test_landlines_of_other_provinces_with_three_digit_area_codes_too(raw: str) -> None:
    e164 = normalise_phone(raw, FIELD, landline=True)
    assert e164.startswith("+842") and len(e164) == len("+84") + 10


@pytest.mark.parametrize("raw", ["024 3942 1234", "0205 3870 123"])
def test_a_landline_is_refused_where_a_mobile_is_needed(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(raw, FIELD)
    assert "mobile" in refused.value.message and refused.value.field == FIELD


@pytest.mark.parametrize("raw", ["024 3942 123", "024 3942 12345", "024 1942 1234"])
def test_a_landline_one_digit_short_or_long_or_outside_its_ranges_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_phone(raw, FIELD, landline=True)


def test_national_id_is_twelve_digits_starting_with_a_province_code() -> None:
    assert check_national_id("020123456789", ["input", "nationalId"]) == "020123456789"
    for bad in ("02012345678", "0201234567890", "02012345678x", "999123456789", "003123456789"):
        with pytest.raises(InvalidInput) as refused:
            check_national_id(bad, ["input", "nationalId"])
        assert bad not in refused.value.message


@pytest.mark.parametrize(("reference", "masked"), [
    ("0011004455667", "****5667"),  # a bank account: its last four digits
    ("12345", "****2345"),  # five characters: still the last four
    ("1234", "****4"),  # four or fewer would be shown whole: only the last one
    ("123", "****3"),
    ("7", "****7"),
])
def test_a_payment_reference_shows_at_most_its_last_four_characters(reference: str, masked: str) -> None:
    assert mask_reference(reference) == masked
