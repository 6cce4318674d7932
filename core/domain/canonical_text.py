"""Canonical input: the one rule every free-text and code field passes before it becomes an event.

Text is Unicode NFC (UAX #15), so "Vải" typed composed or decomposed is one string, stored, hashed
and searched alike. It may not carry:

- control characters (Unicode category Cc: C0, DEL and C1). A single-line field refuses them all;
  a multi-line field (descriptions, notes, findings, reasons) keeps line breaks, stored as "\\n";
- bidirectional formatting controls (the Bidi_Control property of Unicode's PropList.txt, UAX #9:
  embeddings, overrides, isolates and the directional marks), which can make text display other
  than it reads (a right-to-left override turns "gpj.exe" into "exe.jpg");
- lone surrogates (category Cs), which no UTF-8 database can store;
- code points Unicode has not assigned, and its noncharacters (category Cn, U+FFFE, U+FDD0…):
  they show nothing, and NFC is only promised stable for assigned characters (UAX #15's
  stability policy), so such text could later normalise to another string than the one stored;
- nothing visible: text made only of spaces, zero-width or other format characters is empty.

Digits in identifiers and numbers (national IDs, phones, administrative-unit codes, amounts,
order numbers, codes) are folded to ASCII before they are checked and hashed: a citizen whose ID
was typed in Arabic-Indic or full-width digits is the same citizen. Cursor positions, which only we
write, take ASCII digits and nothing else.

Refusals name the field and never repeat the value (it may be personal data).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from farmgate.core.domain.errors import InvalidInput, field_name

#: Unicode's Bidi_Control property (PropList.txt): ALM, LRM, RLM, LRE..RLO, LRI..PDI
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: line breaks a multi-line field keeps (each stored as "\n"): CR LF, CR, LF, NEL, LS, PS
_LINE_BREAKS = ("\r\n", "\r", "\x85", "\u2028", "\u2029")
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Mn", "Me"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: the largest position a cursor may hold: PostgreSQL's BIGINT
MAX_POSITION = 2**63 - 1


def _refusal(field: Sequence[str], what: str) -> InvalidInput:
    return InvalidInput(f"{field_name(field)} must not contain {what}", list(field))


def canonical_text(value: str, field: Sequence[str], *, multiline: bool = False) -> str:
    """``value`` in NFC with outer whitespace stripped, or InvalidInput naming ``field``.

    Refused: control characters (but line breaks in a ``multiline`` field, which come back as
    "\\n"), bidirectional controls, lone surrogates and unassigned code points. Empty text comes
    back empty: whether that is allowed is the caller's rule (see ``has_visible_character``).
    """
    if not isinstance(value, str):
        raise InvalidInput(f"{field_name(field)} must be text", list(field))
    if multiline:
        for line_break in _LINE_BREAKS:
            value = value.replace(line_break, "\n")
    for character in value:
        if character == "\n" and multiline:
            continue
        category = unicodedata.category(character)
        if category == "Cc" or character in ("\u2028", "\u2029"):
            raise _refusal(field, "control characters" + ("" if multiline else " or line breaks"))
        if character in BIDI_CONTROLS:
            raise _refusal(field, "bidirectional control characters")
        if category == "Cs":
            raise _refusal(field, "unpaired surrogate code points")
        if category == "Cn":
            raise _refusal(field, "unassigned code points or noncharacters")
    text = unicodedata.normalize("NFC", value).strip()
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text


def has_visible_character(text: str) -> bool:
    """Whether ``text`` shows anything: a character that is not a separator, a control or format
    character (zero-width space, joiner, BOM…), a non-spacing mark standing alone, or one of the
    blank letters (Hangul fillers, the blank Braille pattern) that render as nothing."""
    return any(
        unicodedata.category(c) not in _INVISIBLE_CATEGORIES and c not in _BLANK_LETTERS and not c.isspace()
        for c in text
    )


def ascii_digits(value: str) -> str:
    """``value`` with every decimal digit (Unicode category Nd: Arabic-Indic, full-width,
    Devanagari…) replaced by its ASCII digit; everything else unchanged.

    For identifiers and numbers people type: "024٠٨٠٠٠٠٢٠١" and "０２４０８０００００２０１" are
    "024080000201".
    """
    if value.isascii():
        return value
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in value)


def canonical_code(value: str, field: Sequence[str]) -> str:
    """A code or identifier as typed (GSO codes, HS codes, references, order numbers): canonical
    single-line text with its digits folded to ASCII."""
    return ascii_digits(canonical_text(value, field))


def cursor_position(text: str, parts: int, field: Sequence[str]) -> tuple[int, ...]:
    """The numbers a cursor stands for: ``parts`` runs of ASCII digits joined by ":", each at most
    MAX_POSITION; anything else is InvalidInput (a cursor is ours, so nothing is folded)."""
    numbers = text.split(":")
    if len(numbers) != parts or not all(n.isascii() and n.isdigit() and len(n) <= 19 for n in numbers):
        raise InvalidInput(f"{field_name(field)} is not a cursor of this list", list(field))
    values = tuple(int(n) for n in numbers)
    if any(v > MAX_POSITION for v in values):
        raise InvalidInput(f"{field_name(field)} is not a cursor of this list", list(field))
    return values
