"""Every read model farmgate keeps, in the order the projector runs them."""

from __future__ import annotations

from farmgate.core.projections.base import Projection
from farmgate.core.projections.campaigns import CampaignView
from farmgate.core.projections.carriers import CarrierDirectory
from farmgate.core.projections.claims import ClaimsView
from farmgate.core.projections.catalog import ListingCatalog, StorefrontDirectory
from farmgate.core.projections.exports import ExportTracking
from farmgate.core.projections.households import HouseholdDirectory
from farmgate.core.projections.webhook_outbox import WebhookOutbox
from farmgate.core.projections.orders import OrdersAndShipments
from farmgate.core.projections.rollout import ProvinceRolloutView


def all_projections() -> list[Projection]:
    return [HouseholdDirectory(), ExportTracking(), StorefrontDirectory(), ListingCatalog(), OrdersAndShipments(), WebhookOutbox(),
            ClaimsView(), CarrierDirectory(), ProvinceRolloutView(), CampaignView()]


def projection_named(name: str) -> Projection:
    for projection in all_projections():
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in all_projections())
    raise KeyError(f"No projection named {name!r}; known: {known}")
