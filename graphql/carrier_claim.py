"""The CARRIER token's scope claim, read against the carrier reference data.

A token's ``carrier`` claim names its carrier by the carrier's global ID (``Carrier.id``) or by any
known spelling of it ("VNPost", "Vietnam Post", "Bưu điện Việt Nam"), compared as
``domain.carrier.spelling_key`` compares them. ``CarrierClaims`` is the ``CarrierResolver`` the token
verifier reads carrier claims with (``graphql.scope_claims.read_claim``): the principal leaves
authentication carrying the carrier's global ID, and so does every carrier an issuer is allowed, so
every scope rule compares carrier ids only (``scope.carries``) and a shipment dispatched as "Vietnam
Post" is the shipment of a token that says "VNPost".
"""

from __future__ import annotations

from farmgate.core.projections.carriers import CarrierQueries
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.scope import carrier_global_id


class CarrierClaims:
    """Reads carrier claims against the carriers read model (built-in carriers and ADMIN's)."""

    def __init__(self, carriers: CarrierQueries):
        self.carriers = carriers

    def __call__(self, claim: str) -> str | None:
        """The global ID of the carrier ``claim`` names (a Carrier global ID of a known carrier, or
        one of a carrier's spellings), or None when it names none. Reads the database."""
        carrier_id = uuid_of(claim, "Carrier")
        if carrier_id is not None:
            carrier_id = carrier_id if self.carriers.by_ids([carrier_id]) else None
        else:
            carrier_id = self.carriers.id_named(claim)
        return None if carrier_id is None else carrier_global_id(carrier_id)
