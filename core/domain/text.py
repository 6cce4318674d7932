"""Checked free text (the canonical rule, required or optional, bounded) and reported times: the
small rules every command's input shares."""

from __future__ import annotations

from datetime import datetime

from farmgate.core.domain.canonical_text import canonical_text, has_visible_character
from farmgate.core.domain.errors import InvalidInput


def required_text(value: str, field: list[str], limit: int = 200, *, multiline: bool = False) -> str:
    """Canonical text (see ``canonical_text``) with at least one visible character and at most
    ``limit`` characters; ``multiline`` keeps line breaks. The error names the field, never the value."""
    value = canonical_text(value, field, multiline=multiline)
    if not value:
        raise InvalidInput(f"{field[-1]} must not be empty", field)
    if not has_visible_character(value):
        raise InvalidInput(f"{field[-1]} must have a visible character", field)
    if len(value) > limit:
        raise InvalidInput(f"{field[-1]} is longer than {limit} characters", field)
    return value


def optional_text(value: str | None, field: list[str], limit: int, *, multiline: bool = False) -> str | None:
    """None for no text or only whitespace; otherwise ``required_text``'s rule (text of nothing
    visible but format characters is refused, not taken as absent)."""
    if value is None or not value.strip():
        return None
    return required_text(value, field, limit, multiline=multiline)


def world_time(value: datetime, now: datetime, field: list[str]) -> datetime:
    """A time reported from the world: with an offset, and not after the application's now."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field[-1]} must carry a UTC offset", field)
    if value > now:
        raise InvalidInput(f"{field[-1]} must not be in the future", field)
    return value
