"""Personal identifiers: the citizen identity card number (CCCD) and Vietnamese mobile numbers.

Both are personal data: their values never go into an error message or a log line.
"""

from __future__ import annotations

import re

from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.provinces import PROVINCES

_NON_DIGITS = re.compile(r"[\s.\-()]")
# Mobile prefixes after the trunk 0 / +84: 3x, 5x, 7x, 8x, 9x, nine digits in all.
_MOBILE = re.compile(r"^[35789][0-9]{8}$")


def check_national_id(value: str, field: list[str]) -> str:
    """A CCCD is 12 digits, the first three the 2021 province code of registration of birth.

    Digits typed in any script are folded to ASCII first, so one citizen has one ID (and one digest)."""
    digits = canonical_code(value, field)
    if not re.fullmatch(r"[0-9]{12}", digits):
        raise InvalidInput("National ID (CCCD) must be exactly 12 digits", field)
    if digits[1:3] not in PROVINCES[2021] or digits[0] != "0":
        raise InvalidInput("National ID (CCCD) does not start with a known province code", field)
    return digits


def normalise_phone(value: str, field: list[str]) -> str:
    """Vietnamese mobile number in E.164 (+84…), from 0912345678, +84 912 345 678, 84912345678,
    in ASCII digits whatever digits it was typed in."""
    raw = _NON_DIGITS.sub("", canonical_code(value, field))
    if raw.startswith("+84"):
        national = raw[3:]
    elif raw.startswith("84") and len(raw) == 11:
        national = raw[2:]
    elif raw.startswith("0"):
        national = raw[1:]
    else:
        raise InvalidInput("Phone must be a Vietnamese mobile number, e.g. 0912345678 or +84912345678", field)
    if not _MOBILE.match(national):
        raise InvalidInput("Phone must be a Vietnamese mobile number, e.g. 0912345678 or +84912345678", field)
    return "+84" + national


def mask_phone(e164: str) -> str:
    """Only the last 3 digits, as the contract says."""
    return "*" * (len(e164) - 3) + e164[-3:]


def mask_reference(reference: str) -> str:
    tail = reference[-4:] if len(reference) > 4 else reference[-1:]
    return "****" + tail
