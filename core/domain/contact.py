"""Personal identifiers: the citizen identity card number (CCCD) and Vietnamese phone numbers.

Both are personal data: their values never go into an error message or a log line.

Phone numbers are read with ``phonenumbers`` (Google's libphonenumber metadata), which knows which
Vietnamese ranges are assigned: mobiles (03x, 05x, 07x, 08x, 09x: 0 + 9 digits) and, since the 2017
renumbering, fixed lines (0 + area code 2x or 2xx + subscriber number, 0 + 10 digits in all, e.g.
Hà Nội 024 3942 1234, Lạng Sơn 0205 3870 123). Where a mobile is needed (a household's own number,
which its e-wallet and the marketplaces' SMS reach) a landline is refused; where a contact number is
asked (a buyer) either is taken.
"""

from __future__ import annotations

import re

import phonenumbers

from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.provinces import PROVINCES

# What a person writes around the digits of a phone number (already folded to ASCII), the country code
# bracketed too ("(+84) 912-345-678"); letters are refused rather than read as a keypad's
# (libphonenumber would read "091234567a" as 0912345672).
_PHONE_CHARACTERS = re.compile(r"^(\(\+|\+)?[0-9\s.\-()]+$")
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE}
_MOBILE_OR_FIXED_LINE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE}
_MOBILE_EXAMPLE = "Phone must be a Vietnamese mobile number, e.g. 0912345678 or +84912345678"
_CONTACT_EXAMPLE = "Phone must be a Vietnamese mobile or landline number, e.g. 0912345678 or 024 3942 1234"


def check_national_id(value: str, field: list[str]) -> str:
    """A CCCD is 12 digits, the first three the 2021 province code of registration of birth.

    Digits typed in any script are folded to ASCII first, so one citizen has one ID (and one digest)."""
    digits = canonical_code(value, field)
    if not re.fullmatch(r"[0-9]{12}", digits):
        raise InvalidInput("National ID (CCCD) must be exactly 12 digits", field)
    if digits[1:3] not in PROVINCES[2021] or digits[0] != "0":
        raise InvalidInput("National ID (CCCD) does not start with a known province code", field)
    return digits


def normalise_phone(value: str, field: list[str], *, landline: bool = False) -> str:
    """A Vietnamese phone number in E.164 (+84…), from 0912345678, +84 912 345 678, 84912345678, or, with
    ``landline``, 024 3942 1234 too. A mobile only, unless ``landline``: then a fixed line as well.

    Digits typed in any script are folded to ASCII first (canonical_code), then the number is read with
    libphonenumber's numbering plan.

    Raises InvalidInput at ``field`` for anything else (foreign, unassigned, short, premium-rate 1900…,
    control or bidirectional characters), without repeating the number.
    """
    text = canonical_code(value if isinstance(value, str) else "", field)
    message = _CONTACT_EXAMPLE if landline else _MOBILE_EXAMPLE
    if not _PHONE_CHARACTERS.match(text):
        raise InvalidInput(message, field)
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        raise InvalidInput(message, field) from None
    kinds = _MOBILE_OR_FIXED_LINE if landline else _MOBILE
    if (number.country_code != 84 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in kinds):
        raise InvalidInput(message, field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Only the last 3 digits, as the contract says. What is not a number (the erased marker of
    ``personal_data``) is shown as it is."""
    if not e164.startswith("+"):
        return e164
    return "*" * (len(e164) - 3) + e164[-3:]


def mask_reference(reference: str) -> str:
    tail = reference[-4:] if len(reference) > 4 else reference[-1:]
    return "****" + tail
