"""The canonical input rule: NFC text without control, bidi or invisible-only content, digits in
ASCII for identifiers, ASCII-only cursor positions. Whatever a caller types, an event holds one form."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.domain.canonical_text import (
    BIDI_CONTROLS, MAX_POSITION, ascii_digits, canonical_code, canonical_text, cursor_position,
)
from farmgate.core.domain.contact import check_national_id, normalise_phone
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.money import Money
from farmgate.core.domain.place import Address
from farmgate.core.domain.text import optional_text, required_code, required_text

FIELD = ["input", "name"]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def refused(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value


def test_decomposed_vietnamese_becomes_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Hộ Nguyễn Văn Thiều")
    assert decomposed != "Hộ Nguyễn Văn Thiều"
    assert required_text(decomposed, FIELD) == "Hộ Nguyễn Văn Thiều"
    assert unicodedata.is_normalized("NFC", required_text(decomposed, FIELD))


@pytest.mark.parametrize("text", [
    "Na\u0000Chi Lăng", "Hộ\u0000Nul", "\x1b[31mĐỏ\x1b[0m", "Chuông\x07", "Tab\there", "Xoá\x7f", "C1\x9bcsi",
    "Hai\ndòng", "Hai\rdòng", "Hai\u2028dòng", "NEL\x85",
])
def test_a_single_line_field_refuses_control_characters_and_line_breaks(text: str) -> None:
    error = refused(required_text, text, FIELD)
    assert error.field == FIELD and error.code == "INVALID"
    assert text not in error.message and "Chi Lăng" not in error.message


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_bidirectional_controls_are_refused_in_every_kind_of_field(control: str) -> None:
    for multiline in (False, True):
        error = refused(required_text, f"invoice{control}gpj.exe", FIELD, multiline=multiline)
        assert error.message == "name must not contain bidirectional control characters"


@pytest.mark.parametrize("unassigned", ["\u0378", "\U000e0080", "\ufffe", "\uffff", "\ufdd0", "\U0010ffff"])
def test_unassigned_code_points_and_noncharacters_are_refused_wherever_they_stand(unassigned: str) -> None:
    # NFC is promised stable for assigned characters only (UAX #15): such text is not canonical.
    for text in (unassigned, f"Na{unassigned} Chi Lăng", f"Chi Lăng {unassigned}"):
        for multiline in (False, True):
            error = refused(canonical_text, text, FIELD, multiline=multiline)
            assert (error.message, error.field) == ("name must not contain unassigned code points or noncharacters",
                                                    FIELD)


def test_a_lone_surrogate_is_refused() -> None:
    assert refused(required_text, "Vải\ud800", FIELD).field == FIELD


def test_a_multi_line_field_keeps_line_breaks_as_newlines_and_nothing_else() -> None:
    note = "Giao lần 1: vắng nhà\r\nGiao lần 2: phong toả  \rGọi\u2029lại"
    assert required_text(note, ["input", "note"], 500, multiline=True) == (
        "Giao lần 1: vắng nhà\nGiao lần 2: phong toả\nGọi\nlại")
    for control in ("\x00", "\x1b", "\t", "\x07", "\x9c"):
        assert refused(required_text, f"dòng 1\n{control}dòng 2", ["input", "note"], 500, multiline=True)


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200c\u200d", " \ufeff ", "\u2060", "\u3164\u3164",
                                       "\u115f", "\u2800", "\u00ad", "\u0301", "\u3000"])
def test_text_with_nothing_visible_is_refused_as_empty(invisible: str) -> None:
    assert refused(required_text, invisible, FIELD).field == FIELD
    # Optional text: whitespace is "not given"; zero-width and other invisible characters are refused.
    if invisible.strip():
        assert refused(optional_text, invisible, FIELD, 100).field == FIELD
    else:
        assert optional_text(invisible, FIELD, 100) is None


def test_visible_text_with_joiners_stays_as_typed() -> None:
    assert required_text("Na dai 👨\u200d🌾", FIELD) == "Na dai 👨\u200d🌾"


@pytest.mark.parametrize("script", [ARABIC_INDIC, PERSIAN, FULL_WIDTH, DEVANAGARI])
def test_digits_of_any_script_are_one_identity(script: dict[int, str]) -> None:
    national_id = "024080000201"
    typed = national_id.translate(script)
    assert typed != national_id
    assert check_national_id(typed, ["input", "nationalId"]) == national_id
    assert normalise_phone("0912345678".translate(script), ["input", "phone"]) == "+84912345678"
    assert normalise_phone("+84 912 345 678".translate(script), ["input", "phone"]) == "+84912345678"
    address = Address.checked(scheme=2021, province_code="20".translate(script), district_code="187".translate(script),
                              ward_code="06466".translate(script))
    assert (address.province_code, address.district_code, address.ward_code) == ("20", "187", "06466")
    assert Money.parse("35000".translate(script), "VND", ["price"]).amount == 35000


def test_mixed_digits_fold_too() -> None:
    assert ascii_digits("0２4٠8") == "02408"
    assert ascii_digits("HH-20-000001") == "HH-20-000001"
    assert canonical_code(" FG-２０２１-000123 ", ["number"]) == "FG-2021-000123"


def test_a_reference_is_one_reference_whatever_digits_it_was_typed_in() -> None:
    for script in (ARABIC_INDIC, FULL_WIDTH, DEVANAGARI):
        assert required_code(" MOMO-2021-0042 ".translate(script), ["input", "reference"]) == "MOMO-2021-0042"
    assert required_code(unicodedata.normalize("NFD", "Bưu điện-7"), FIELD) == "Bưu điện-7"
    assert refused(required_code, "\u200b", FIELD).field == FIELD
    assert refused(required_code, "MOMO\x00-1", FIELD).field == FIELD
    assert "longer than 5" in refused(required_code, "١٢٣٤٥٦", FIELD, 5).message


def test_an_identifier_with_a_control_character_is_refused_not_folded() -> None:
    error = refused(check_national_id, "02408000\x000201", ["input", "nationalId"])
    assert error.field == ["input", "nationalId"] and "0201" not in error.message
    assert refused(normalise_phone, "0912\u202e345678", ["input", "phone"]).field == ["input", "phone"]


def test_cursor_positions_take_ascii_digits_within_bigint_only() -> None:
    assert cursor_position("42", 1, ["after"]) == (42,)
    assert cursor_position("3:120", 2, ["after"]) == (3, 120)
    assert cursor_position(str(MAX_POSITION), 1, ["after"]) == (MAX_POSITION,)
    for bad in ("99999999999999999999", str(MAX_POSITION + 1), "٤٢", "４２", "-1", "+1", " 42", "4 2", "", "1:2",
                "0x10", "1e3", "42\x00"):
        assert refused(cursor_position, bad, 1, ["after"]).message == "after is not a cursor of this list", bad
    for bad in ("42", "1:2:3", "1:", ":1", "١:2"):
        assert refused(cursor_position, bad, 2, ["after"]), bad
    # At most 19 digits each, zeros in front too (no longer string is ever parsed as a number).
    assert cursor_position("0" * 18 + "7", 1, ["after"]) == (7,)
    assert refused(cursor_position, "0" * 19 + "7", 1, ["after"]).message == "after is not a cursor of this list"
    # Both refusals name the argument at fault.
    for bad in ("0" * 19 + "7", "x", str(MAX_POSITION + 1)):
        assert refused(cursor_position, bad, 1, ["input", "after"]).field == ["input", "after"], bad


@given(st.text())
def test_whatever_is_accepted_is_nfc_and_free_of_controls(text: str) -> None:
    for multiline in (False, True):
        try:
            result = canonical_text(text, FIELD, multiline=multiline)
        except InvalidInput:
            continue
        assert unicodedata.is_normalized("NFC", result)
        assert not any(unicodedata.category(c) in ("Cc", "Cs") and not (multiline and c == "\n") for c in result)
        assert not set(result) & BIDI_CONTROLS
        assert not any(unicodedata.category(c) == "Cn" for c in result)
        assert canonical_text(result, FIELD, multiline=multiline) == result


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=30))
def test_every_decimal_digit_folds_to_its_ascii_value(digits: str) -> None:
    folded = ascii_digits(digits)
    assert folded.isascii() and folded.isdigit()
    assert [int(c) for c in folded] == [unicodedata.decimal(c) for c in digits]


@pytest.mark.parametrize(("value", "says"), [
    ("VN\u202ePost", "aliases[1] must not contain bidirectional control characters"),
    ("VN\x00Post", "aliases[1] must not contain control characters or line breaks"),
    ("\u200b", "aliases[1] must have a visible character"),
    ("V" * 81, "aliases[1] is longer than 80 characters"),
])
def test_an_item_of_a_list_is_named_with_its_index_not_by_the_bare_index(value: str, says: str) -> None:
    error = refused(required_text, value, ["input", "aliases", "1"], 80)
    assert (error.message, error.field) == (says, ["input", "aliases", "1"])
    assert refused(canonical_text, "\x07", ["input", "evidence", "0", "uri"]).message.startswith("uri must not")
