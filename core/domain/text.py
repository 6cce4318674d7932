"""Checked free text and reported times: the small rules every command's input shares."""

from __future__ import annotations

from datetime import datetime

from farmgate.core.domain.errors import InvalidInput


def required_text(value: str, field: list[str], limit: int = 200) -> str:
    """Stripped, not empty, not longer than ``limit``; the error names the field, never the value."""
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field[-1]} must not be empty", field)
    if len(value) > limit:
        raise InvalidInput(f"{field[-1]} is longer than {limit} characters", field)
    return value


def optional_text(value: str | None, field: list[str], limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    return required_text(value, field, limit)


def world_time(value: datetime, now: datetime, field: list[str]) -> datetime:
    """A time reported from the world: with an offset, and not after the application's now."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field[-1]} must carry a UTC offset", field)
    if value > now:
        raise InvalidInput(f"{field[-1]} must not be in the future", field)
    return value
