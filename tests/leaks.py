"""The leak check: which personal data of a test run appear in log lines.

It looks for values, not shapes: every national ID, phone number, name and street the run used
(``PersonalData``), in whatever form a log line may carry them — JSON-escaped, phones with spaces,
dots, dashes or brackets between their digits and any trunk prefix, names in any case or without
their accents. It does not trust the log scrubber: a value the scrubber's pattern misses is found here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from farmgate.core.domain.canonical_text import ascii_digits
from farmgate.core.domain.folding import fold
from tests.personal_data import PersonalData

DIGIT_RUNS = re.compile(r"\d{9,}")
# Separators a person types inside a number: joined up, "(+84) 912-345-678" reads as +84912345678.
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[ .\-()/]{1,3}(?=\(?\+?\d)")
_OPENING = re.compile(r"\(\+?(?=\d)|\+(?=\d)")


@dataclass(frozen=True)
class Leak:
    kind: str  # "national ID", "phone", "name" or "street"
    value: str
    line: str


def leaked(line: str, national_ids: set[str], phones: set[str]) -> list[str]:
    """Every run of digits in the line that is a national ID, or ends in a phone's national digits:
    nine for a mobile (0912…, 84912…, +84912… all end so), ten for a landline (024…, 8424…), once
    typed separators are joined up, in whatever script its digits were typed."""
    joined = _BETWEEN_DIGITS.sub("", _OPENING.sub("", line))
    runs = [ascii_digits(run) for run in DIGIT_RUNS.findall(joined)]
    return [run for run in runs if run in national_ids or run[-9:] in phones or run[-10:] in phones]


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def readable(line: str) -> str:
    """The text a log line carries: a JSON line's strings unescaped ("Nguy\\u1ec5n" is Nguyễn), NFC."""
    try:
        text = "\n".join(_strings(json.loads(line)))
    except ValueError:
        text = line
    return unicodedata.normalize("NFC", text)


def _any_of(values: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(values), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


def leaks_in(lines: Iterable[str], data: PersonalData) -> list[Leak]:
    """Every personal value of ``data`` found in ``lines``."""
    words = [("name", value) for value in data.names] + [("street", value) for value in data.streets]
    # Looked up in each line as written (any case) and with accents folded away ("tran thi mai").
    by_casefolded = {value.casefold(): (kind, value) for kind, value in words}
    by_folded = {fold(value): (kind, value) for kind, value in words}
    casefolded_re, folded_re = _any_of(by_casefolded), _any_of(by_folded)
    found: list[Leak] = []
    for raw in lines:
        text = readable(raw)
        for run in leaked(text, data.national_ids, data.phones):
            found.append(Leak("national ID" if run in data.national_ids else "phone", run, raw[:300]))
        hits = set()
        if casefolded_re is not None:
            hits |= {by_casefolded[m] for m in casefolded_re.findall(text.casefold())}
        if folded_re is not None:
            hits |= {by_folded[m] for m in folded_re.findall(fold(text))}
        found.extend(Leak(kind, value, raw[:300]) for kind, value in sorted(hits))
    return found
