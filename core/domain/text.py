"""Checked free text and reported times: the small rules every command's input shares.

Free text follows the canonical rule of ``canonical_text`` (NFC, no control or bidirectional
characters, something visible), required or optional, bounded in length.

World time (``occurredAt``, ``harvestedAt``, ``issuedAt``…) follows one policy everywhere, decided
in ``world_time``: it carries a UTC offset; it is at most ``CLOCK_SKEW`` ahead of the application's
clock (a carrier's or a gateway's clock may run a little fast, but the future has not happened);
and it is never before the fact's possible start (a checkpoint before its shipment was dispatched,
a payment before its order was placed) by more than the same allowance, so a gateway time truncated
to the second is taken while one from the year 0001 is not.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

from farmgate.core.domain.canonical_text import ascii_digits, canonical_text, has_visible_character
from farmgate.core.domain.errors import InvalidInput, field_name


def required_text(value: str, field: list[str], limit: int = 200, *, multiline: bool = False) -> str:
    """Canonical text (see ``canonical_text``) with at least one visible character and at most
    ``limit`` characters; ``multiline`` keeps line breaks. The error names the field, never the value."""
    value = canonical_text(value, field, multiline=multiline)
    if not value:
        raise InvalidInput(f"{field_name(field)} must not be empty", field)
    if not has_visible_character(value):
        raise InvalidInput(f"{field_name(field)} must have a visible character", field)
    if len(value) > limit:
        raise InvalidInput(f"{field_name(field)} is longer than {limit} characters", field)
    return value


def required_code(value: str, field: list[str], limit: int = 100) -> str:
    """A reference or number someone typed (a payment's, refund's or compensation payment's reference,
    a certificate's or an export document's number): ``required_text``'s rule, single-line, in Unicode
    NFKC (UAX #15 compatibility composition: full-width letters and digits, ligatures, no-break spaces
    become their plain forms) and with its digits folded to ASCII, so "ＢＡＮＫ-TX-２", "MOMO-١٢٣" and
    "MOMO-123" come back as "BANK-TX-2", "MOMO-123" and "MOMO-123". Outer whitespace is stripped; the
    case is kept as typed (what is stored and shown). Two codes are the same code when their
    ``code_key`` is equal: that also ignores case. The limit counts characters after NFKC."""
    compatible = unicodedata.normalize("NFKC", canonical_text(value, field))
    return ascii_digits(required_text(compatible, field, limit))


def code_key(code: str) -> str:
    """The key two references or numbers are compared by for duplicates: ``required_code``'s folding
    (NFKC, stripped, digits to ASCII) then case folded (Unicode full case folding, NFKC again after
    it), so "BANK-TX-2", " bank-tx-2 " and "ＢＡＮＫ-TX-2" share one key. It is applied when a check
    compares, not when a fact is stored, so codes recorded before this rule (as typed then, events
    stay as recorded) are matched too."""
    folded = ascii_digits(unicodedata.normalize("NFKC", code).strip())
    return unicodedata.normalize("NFKC", folded.casefold())


def optional_text(value: str | None, field: list[str], limit: int, *, multiline: bool = False) -> str | None:
    """None for no text or only whitespace; otherwise ``required_text``'s rule (text of nothing
    visible but format characters is refused, not taken as absent)."""
    if value is None or not value.strip():
        return None
    return required_text(value, field, limit, multiline=multiline)


#: how far a reported time may run ahead of the application's clock, or before the fact's start
CLOCK_SKEW = timedelta(minutes=5)


def world_time(
    value: datetime, now: datetime, field: list[str], not_before: datetime | None = None, start: str = ""
) -> datetime:
    """A time reported from the world (see the module docstring), or InvalidInput naming the field.

    ``not_before`` is the fact's possible start (None: no such bound) and ``start`` names it for the
    message ("the order was placed"). Within ``CLOCK_SKEW`` either way the time is taken as given.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field_name(field)} must carry a UTC offset", field)
    if not has_utc_instant(value):
        raise InvalidInput(f"{field_name(field)} is outside the years 1 to 9999 in UTC", field)
    if value > now + CLOCK_SKEW:
        raise InvalidInput(f"{field_name(field)} must not be in the future (more than {_minutes(CLOCK_SKEW)} ahead"
                           " of the clock)", field)
    if not_before is not None and value < not_before - CLOCK_SKEW:
        raise InvalidInput(f"{field_name(field)} must not be before {start or 'the fact could have happened'}", field)
    return value


def has_utc_instant(value: datetime) -> bool:
    """Whether an aware ``value`` converts to UTC: ``0001-01-01T00:00:00+05:00`` and
    ``9999-12-31T23:59:59-05:00`` do not (Python's datetime spans years 1 to 9999), and an event
    stores every time in UTC."""
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        return False
    return True


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} minutes"
