"""The ``DateTime`` scalar: strawberry's ISO 8601 parsing, refusing a time that has no UTC instant.

Python's datetime spans years 1 to 9999 in its own offset; ``0001-01-01T00:00:00+05:00`` or
``9999-12-31T23:59:59-05:00`` parse, but converting them to UTC (as every event and read model does)
raises OverflowError — an internal error where the client sent a bad value. Such a time is refused
here, as any unparsable DateTime is: a coercion error naming the argument (GRAPHQL_VALIDATION_FAILED).
Serialising is strawberry's (``isoformat``); the name and description are strawberry's, so the
served schema is unchanged.
"""

from __future__ import annotations

from datetime import datetime, timezone

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

_strawberry_parse = DateTimeDefinition.parse_value


def parse_datetime(value: object) -> datetime:
    """A DateTime input → datetime; StrawberryInputCoercionError if strawberry refuses it or it is
    an aware time whose UTC instant is outside years 1 to 9999."""
    parsed = _strawberry_parse(value)  # type: ignore[misc]
    if isinstance(parsed, datetime) and parsed.utcoffset() is not None:
        try:
            parsed.astimezone(timezone.utc)
        except OverflowError:
            raise StrawberryInputCoercionError(
                "Value cannot represent a DateTime: its UTC time is outside years 1 to 9999") from None
    return parsed  # type: ignore[return-value]


DATETIME_SCALAR = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=None,
    serialize=DateTimeDefinition.serialize,
    parse_value=parse_datetime,
    parse_literal=None,
    origin=datetime,
)
