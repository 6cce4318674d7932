"""The CARRIER token's scope claim, read against the carrier reference data.

A token's ``carrier`` claim names its carrier by the carrier's global ID (``Carrier.id``) or by any
known spelling of it ("VNPost", "Vietnam Post", "Bưu điện Việt Nam"), compared as
``domain.carrier.spelling_key`` compares them. Every scope rule compares carrier ids only
(``scope.carries``): the principal leaves authentication carrying the carrier's global ID, so a
shipment dispatched as "Vietnam Post" is the shipment of a token that says "VNPost".
"""

from __future__ import annotations

from dataclasses import replace

from farmgate.core.projections.carriers import CarrierQueries
from farmgate.graphql.auth import AuthenticationError, Principal
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.scope import carrier_global_id


def with_carrier_resolved(principal: Principal, carriers: CarrierQueries) -> Principal:
    """``principal`` with its ``carrier`` claim replaced by the global ID of the carrier it names
    (CARRIER role only; other roles are returned as they are). Raises AuthenticationError when the
    claim names no known carrier: such a token could never see anything."""
    if not principal.is_("CARRIER") or principal.carrier is None:
        return principal
    carrier_id = uuid_of(principal.carrier, "Carrier")
    if carrier_id is not None:
        carrier_id = carrier_id if carriers.by_ids([carrier_id]) else None
    else:
        carrier_id = carriers.id_named(principal.carrier)
    if carrier_id is None:
        raise AuthenticationError("Invalid token: the carrier claim names no known carrier (see the carriers query)")
    return replace(principal, carrier=carrier_global_id(carrier_id))
