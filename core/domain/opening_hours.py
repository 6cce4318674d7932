"""A storefront's weekly opening hours, in Vietnam's local time (Asia/Ho_Chi_Minh).

A day may have several intervals (a lunch break is common at market stalls); each runs from
``opens`` (inclusive) to ``closes`` (exclusive) on that day. "24:00" closes at midnight, so a day
can be covered completely; hours past midnight are entered on the next day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.errors import InvalidInput

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_INTERVALS = 28  # four a day is plenty; the bound keeps one storefront's row small

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_MIDNIGHT_END = "24:00"
_DAY_MINUTES = 24 * 60


def _minutes(text: Any, field: list[str], may_be_midnight: bool) -> int:
    text = canonical_code(text, field) if isinstance(text, str) else text
    if may_be_midnight and text == _MIDNIGHT_END:
        return _DAY_MINUTES
    match = _HHMM.match(text) if isinstance(text, str) else None
    if match is None:
        allowed = "00:00 to 24:00" if may_be_midnight else "00:00 to 23:59"
        raise InvalidInput(f"{field[-1]} must be a time HH:MM from {allowed}", field)
    return int(match.group(1)) * 60 + int(match.group(2))


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, order=True)
class DailyHours:
    day_of_week: int  # 1 = Monday … 7 = Sunday (ISO 8601)
    opens: int  # minutes after local midnight
    closes: int


@dataclass(frozen=True)
class OpeningHours:
    intervals: tuple[DailyHours, ...] = ()

    @classmethod
    def checked(cls, entries: Sequence[Mapping[str, Any]], field: list[str]) -> OpeningHours:
        """Hours from API input (``day_of_week``, ``opens``, ``closes``), or an InvalidInput at the entry."""
        if len(entries) > MAX_INTERVALS:
            raise InvalidInput(f"At most {MAX_INTERVALS} opening hours entries", field)
        intervals: list[tuple[DailyHours, int]] = []
        for index, entry in enumerate(entries):
            path = field + [str(index)]
            day = entry.get("day_of_week")
            if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
                raise InvalidInput("dayOfWeek must be 1 (Monday) to 7 (Sunday)", path + ["dayOfWeek"])
            opens = _minutes(entry.get("opens"), path + ["opens"], may_be_midnight=False)
            closes = _minutes(entry.get("closes"), path + ["closes"], may_be_midnight=True)
            if opens >= closes:
                raise InvalidInput("closes must be later than opens on the same day", path + ["closes"])
            intervals.append((DailyHours(day, opens, closes), index))
        intervals.sort()
        for (earlier, _), (later, index) in zip(intervals, intervals[1:]):
            if earlier.day_of_week == later.day_of_week and later.opens < earlier.closes:
                raise InvalidInput("Opening hours overlap another entry of the same day", field + [str(index), "opens"])
        return cls(tuple(interval for interval, _ in intervals))

    def is_open_at(self, instant: datetime) -> bool:
        if instant.tzinfo is None:
            # A naive time would silently be read as local or UTC depending on the caller: refuse it.
            raise ValueError("is_open_at needs a timezone-aware datetime")
        local = instant.astimezone(LOCAL_TIME)
        day, minute = local.isoweekday(), local.hour * 60 + local.minute
        return any(i.day_of_week == day and i.opens <= minute < i.closes for i in self.intervals)

    def to_primitive(self) -> list[dict[str, Any]]:
        return [
            {"day_of_week": i.day_of_week, "opens": _hhmm(i.opens), "closes": _hhmm(i.closes)}
            for i in self.intervals
        ]

    @classmethod
    def from_primitive(cls, entries: Sequence[Mapping[str, Any]]) -> OpeningHours:
        return cls(
            tuple(
                DailyHours(
                    int(e["day_of_week"]),
                    _minutes(e["opens"], ["opens"], may_be_midnight=False),
                    _minutes(e["closes"], ["closes"], may_be_midnight=True),
                )
                for e in entries
            )
        )
