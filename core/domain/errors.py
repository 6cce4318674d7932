"""Domain errors: a broken business rule, named by a code the API turns into a userError."""

from __future__ import annotations

from collections.abc import Sequence


def field_name(field: Sequence[str]) -> str:
    """How a message names the input at ``field``: its last name, with the item's index when the
    path ends in a list item (["input", "aliases", "1"] is "aliases[1]", never a bare "1")."""
    *parents, last = [str(part) for part in field]
    if last.isdigit() and parents:
        return f"{field_name(parents)}[{last}]"
    return last


class DomainError(Exception):
    """A command was refused. ``field`` is the path of the input at fault, when one is."""

    code = "INVALID"

    def __init__(self, message: str, field: Sequence[str] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = list(field) if field else None
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"


class Conflict(DomainError):
    code = "CONFLICT"


class LimitExceeded(DomainError):
    code = "LIMIT_EXCEEDED"


class OutOfStock(DomainError):
    code = "OUT_OF_STOCK"
