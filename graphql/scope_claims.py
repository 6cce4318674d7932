"""The scope claims of a token (marketplace, province, partner, carrier, household): which role needs
which, and what a valid value of each looks like. Every token, whoever issued it, is read here, so a
claim's form changes in one place.

A value that is not a valid one of its kind makes the token invalid (UNAUTHENTICATED), rather than
a token whose scope matches nothing: a typo in a marketplace name must not look like an empty shop.

A carrier claim names its carrier by the carrier's global ID or by any known spelling ("VNPost",
"Vietnam Post", "Bưu điện Việt Nam"); carriers are reference data, so reading one needs a
``CarrierResolver`` (``graphql.carrier_claim``), which gives the carrier's global ID. A claim read
with a resolver is that ID, and so is every value an issuer is allowed (``grants``): an issuer
allowed "Vietnam Post" grants a token that says "VNPost", and scope rules compare ids only.
Without a resolver (``farmgate token``, which has no database) a carrier claim is checked for its
form only.
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

#: a carrier claim's value (a global ID or a spelling) -> the global ID of the carrier it names, or
#: None when it names no known carrier
CarrierResolver = Callable[[str], str | None]


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
    # A carrier's global ID or one of its spellings: printable text, no surrounding spaces.
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


def read_claim(claim: str, value: str, carriers: CarrierResolver | None = None) -> str:
    """One scope claim's value in the form scope rules compare: checked by its kind's parser and, for
    a carrier read with ``carriers``, the global ID of the carrier it names. Raises InvalidScopeClaim."""
    checked = PARSERS[claim](value)
    if claim != "carrier" or carriers is None:
        return checked
    carrier = carriers(checked)
    if carrier is None:
        raise InvalidScopeClaim("the carrier claim names no known carrier (see the carriers query)")
    return carrier


def scope_claims(role: str, claims: Mapping[str, Any], *, carriers: CarrierResolver | None = None,
                 ) -> dict[str, str | None]:
    """The scope claims of a token carrying ``role``, checked: ``{claim: value or None}`` for each of
    SCOPE_CLAIMS, each as ``read_claim`` reads it (a carrier as its global ID when ``carriers`` is
    given). Raises InvalidScopeClaim when a value is malformed or names no known carrier, or the
    role's own claim is missing."""
    found: dict[str, str | None] = {}
    for claim in SCOPE_CLAIMS:
        value = claims.get(claim)
        if value is None:
            found[claim] = None
            continue
        if not isinstance(value, str):
            raise InvalidScopeClaim(f"{claim} must be a string")
        found[claim] = read_claim(claim, value, carriers)
    needed = REQUIRED_SCOPE.get(role)
    if needed and not found[needed]:
        raise InvalidScopeClaim(f"a {role} token needs the {needed} claim")
    return found


def grants(allowed: Sequence[str], claim: str, value: str, *, carriers: CarrierResolver | None = None) -> bool:
    """Whether an issuer configured with ``allowed`` values of ``claim`` ("*" for any) may grant
    ``value`` (as ``read_claim`` read it, with the same ``carriers``). Configured values are read in
    the same form as claims, so an issuer allowed province ``20`` grants the claim ``2025:20``, and
    one allowed carrier "Vietnam Post" grants VNPost's global ID, whichever spelling the token used."""
    if "*" in allowed:
        return True
    for candidate in allowed:
        try:
            if read_claim(claim, candidate, carriers) == value:
                return True
        except InvalidScopeClaim:
            continue  # a configured value that names nothing grants nothing
    return False
