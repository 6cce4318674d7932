"""What a mutation wrote, named on its payload from the write side (additions to the contract).

Each payload's object (``order``, ``household``…) is read back from a read model, which may not
have caught up yet (``extensions.readModel`` then says so). The ids here come from the command
itself, so a client always learns what it created or changed — an order's id and number most of
all — and can fetch it once the view catches up, instead of retrying (and ordering twice).

A payload mixes in the classes of the objects it names and is built with ``outcome=``.
"""

from __future__ import annotations

import strawberry

from farmgate.graphql.commands import Outcome

_WHY = ("from the write side: set whenever the mutation wrote, even while the payload's object is "
        "null or stale because the read model is behind (see extensions.readModel)")


def _written(outcome: Outcome | None, name: str, type_name: str) -> strawberry.ID | None:
    value = None if outcome is None else outcome.global_id(name, type_name)
    return None if value is None else strawberry.ID(value)


@strawberry.type
class Written:
    """The base of the mixins: the command's Outcome (None when the mutation was refused before it ran)."""

    outcome: strawberry.Private[Outcome | None] = None


@strawberry.type
class HouseholdWritten(Written):
    @strawberry.field(description=f"The household's id, {_WHY}.")
    def household_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "householdId", "Household")


@strawberry.type
class CertificationWritten(Written):
    @strawberry.field(description=f"The certification's id, {_WHY}.")
    def certification_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "certificationId", "Certification")


@strawberry.type
class StorefrontWritten(Written):
    @strawberry.field(description=f"The storefront's id, {_WHY}.")
    def storefront_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "storefrontId", "Storefront")


@strawberry.type
class ListingWritten(Written):
    @strawberry.field(description=f"The listing's id, {_WHY}.")
    def listing_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "listingId", "Listing")


@strawberry.type
class OrderWritten(Written):
    @strawberry.field(description=f"The order's id, {_WHY}.")
    def order_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "orderId", "Order")


@strawberry.type
class OrderNumberWritten(Written):
    @strawberry.field(description=f"The order's number (FG-<year>-<n>), {_WHY}.")
    def order_number(self) -> str | None:
        return None if self.outcome is None else self.outcome.get("orderNumber")


@strawberry.type
class ShipmentWritten(Written):
    @strawberry.field(description=f"The shipment's id, {_WHY}.")
    def shipment_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "shipmentId", "Shipment")


@strawberry.type
class ClaimWritten(Written):
    @strawberry.field(description=f"The claim's id, {_WHY}.")
    def claim_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "claimId", "CompensationClaim")


@strawberry.type
class ExportPartnerWritten(Written):
    @strawberry.field(description=f"The export partner's id, {_WHY}.")
    def partner_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "partnerId", "ExportPartner")


@strawberry.type
class ExportOrderWritten(Written):
    @strawberry.field(description=f"The export order's id, {_WHY}.")
    def export_order_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "exportOrderId", "ExportOrder")


@strawberry.type
class WebhookEndpointWritten(Written):
    @strawberry.field(description=f"The webhook endpoint's id, {_WHY}.")
    def endpoint_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "partnerId", "WebhookEndpoint")


@strawberry.type
class MarketplaceWebhookEndpointWritten(Written):
    @strawberry.field(description=f"The marketplace's webhook endpoint's id, {_WHY}.")
    def endpoint_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "marketplace", "MarketplaceWebhookEndpoint")


@strawberry.type
class WebhookDeliveryWritten(Written):
    @strawberry.field(description=f"The webhook delivery's id, {_WHY}.")
    def delivery_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "deliveryId", "WebhookDelivery")


@strawberry.type
class CarrierWritten(Written):
    @strawberry.field(description=f"The carrier's id, {_WHY}.")
    def carrier_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "carrierId", "Carrier")


@strawberry.type
class CampaignWritten(Written):
    @strawberry.field(description=f"The campaign's id, {_WHY}.")
    def campaign_id(self) -> strawberry.ID | None:
        return _written(self.outcome, "campaignId", "Campaign")
