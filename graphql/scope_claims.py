"""The scope claims of a token (marketplace, province, partner, carrier, household): which role needs
which, and what a valid value of each looks like. Every token, whoever issued it, is read here, so a
claim's form changes in one place.

A value that is not a valid one of its kind makes the token invalid (UNAUTHENTICATED), rather than
a token whose scope matches nothing: a typo in a marketplace name must not look like an empty shop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.graphql.ids import uuid_of

MARKETPLACES = ("POSTMART", "VOSO")
SCOPE_CLAIMS = ("marketplace", "province", "partner", "carrier", "household")
#: the scope claim each role must carry
REQUIRED_SCOPE = {
    "MARKETPLACE": "marketplace",
    "HOUSEHOLD": "household",
    "CARRIER": "carrier",
    "PROVINCE_OFFICER": "province",
    "EXPORT_PARTNER": "partner",
}
MAX_CARRIER_LENGTH = 100


class InvalidScopeClaim(ValueError):
    """A scope claim's value is not a valid value of its kind; the message names the claim only."""


def _marketplace(value: str) -> str:
    if value not in MARKETPLACES:
        raise InvalidScopeClaim(f"marketplace must be one of {', '.join(MARKETPLACES)}")
    return value


def _province(value: str) -> str:
    """A GSO province code qualified by its scheme (``2021:24`` Bắc Giang, ``2025:24`` Bắc Ninh); a
    bare code is read in the 2025 scheme, like an address without one. Returns the qualified form."""
    try:
        return ProvinceArea.parse(value).claim
    except InvalidInput as error:
        raise InvalidScopeClaim(error.message) from None


def _global_id_of(type_name: str, claim: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if uuid_of(value, type_name) is None:
            raise InvalidScopeClaim(f"{claim} must be the global ID of a {type_name}")
        return value

    return parse


def _carrier(value: str) -> str:
    # The carrier's name as given on dispatch: printable text, no surrounding spaces.
    if not value or len(value) > MAX_CARRIER_LENGTH or not value.isprintable() or value != value.strip():
        raise InvalidScopeClaim(f"carrier must be a carrier name of 1 to {MAX_CARRIER_LENGTH} printable characters")
    return value


PARSERS: dict[str, Callable[[str], str]] = {
    "marketplace": _marketplace,
    "province": _province,
    "partner": _global_id_of("ExportPartner", "partner"),
    "carrier": _carrier,
    "household": _global_id_of("Household", "household"),
}


def scope_claims(role: str, claims: Mapping[str, Any]) -> dict[str, str | None]:
    """The scope claims of a token carrying ``role``, checked: ``{claim: value or None}`` for each of
    SCOPE_CLAIMS. Raises InvalidScopeClaim when a value is malformed or the role's own claim is missing."""
    found: dict[str, str | None] = {}
    for claim in SCOPE_CLAIMS:
        value = claims.get(claim)
        if value is None:
            found[claim] = None
            continue
        if not isinstance(value, str):
            raise InvalidScopeClaim(f"{claim} must be a string")
        found[claim] = PARSERS[claim](value)
    needed = REQUIRED_SCOPE.get(role)
    if needed and not found[needed]:
        raise InvalidScopeClaim(f"a {role} token needs the {needed} claim")
    return found


def grants(allowed: Sequence[str], claim: str, value: str) -> bool:
    """Whether an issuer configured with ``allowed`` values of ``claim`` ("*" for any) may grant
    ``value`` (already checked). Configured values are read in the same form as claims, so an
    issuer allowed province ``20`` grants the claim ``2025:20``."""
    if "*" in allowed:
        return True
    for candidate in allowed:
        try:
            if PARSERS[claim](candidate) == value:
                return True
        except InvalidScopeClaim:
            continue  # a configured value that names nothing grants nothing
    return False
