"""Turning GraphQL input objects into plain values for the core: UNSET as None, aware times."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from farmgate.core.domain.canonical_text import canonical_code, canonical_text
from farmgate.core.domain.errors import InvalidInput
from farmgate.graphql.errors import CodedError


def given(value: Any) -> Any:
    """None for an argument or input field the client left out."""
    return None if value is strawberry.UNSET else value


def plain(value: Any) -> Any:
    """Input objects as dicts (for fingerprints and the core), enums as their values."""
    if value is strawberry.UNSET:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def text_argument(value: str | None, argument: str, *, code: bool = False) -> str | None:
    """A query's free-text (``code``: identifier) argument made canonical by the domain's rule, so
    both backends look up the same thing; None when left out. Text the rule refuses (control or
    bidi characters…) is the client's error: BAD_USER_INPUT naming the argument."""
    value = given(value)
    if value is None:
        return None
    try:
        return canonical_code(value, [argument]) if code else canonical_text(value, [argument])
    except InvalidInput as error:
        raise CodedError(error.message, "BAD_USER_INPUT") from None


def aware(value: datetime, field: list[str]) -> datetime:
    """Times must carry an offset: a naive time is ambiguous across Vietnam and the importers' zones."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("Time must be ISO-8601 with an offset, e.g. 2021-08-03T09:00:00+07:00", field)
    return value
