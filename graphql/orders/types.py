"""Order and shipment types: what a buyer bought, from whom, how it is paid, and where it is on its way.

The buyer is personal data: shown whole only to whom ``graphql.scope.sees_buyer`` lets see it, masked
to everyone else who sees the order. An order reached from a shipment (``Shipment.order``) is shown
to whoever sees that shipment — the carrier's only way to its orders.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from farmgate.core.domain.claim_exposure import CLAIMANTS, claim_limit, exposure
from farmgate.core.domain.contact import mask_phone
from farmgate.core.domain.personal_data import ERASED
from farmgate.core.domain.money import Money as DomainMoney
from farmgate.core.domain.order import flags_of, overpaid_of
from farmgate.core.domain.provinces import province
from farmgate.graphql.catalog.loaders import listing_row, storefront_row
from farmgate.graphql.catalog.types import Listing, Storefront
from farmgate.graphql.households.loaders import household_row
from farmgate.graphql.claims.types import ClaimParty
from farmgate.graphql.households.types import Household, address_of
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.orders.enums import (
    DeliveryFailureReason,
    OrderFlag,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ShipmentStatus,
)
from farmgate.graphql.orders.loaders import (
    checkpoint_rows,
    failure_rows,
    line_rows,
    order_row,
    shipment_rows_of_order,
)
from farmgate.graphql.pagination import Window, connection
from farmgate.graphql.scope import carrier_global_id, order_household_row, sees_buyer, shipment_visible
from farmgate.graphql.types import Address, Marketplace, Money, Node, PageInfo

if TYPE_CHECKING:
    from farmgate.graphql.claims.types import CompensationClaim

Row = dict[str, Any]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _projected(row: Row | None, what: str) -> Row:
    if row is None:  # saved in one transaction with (or before) what refers to it, so always projected first
        raise RuntimeError(f"{what} is not projected")
    return row


@strawberry.type
class Buyer:
    name: str
    phone_masked: str
    address: Address

    @classmethod
    def of(cls, order: Row, reveal: bool) -> Buyer:
        address = order["buyer_address"]
        if reveal:
            return cls(name=order["buyer_name"], phone_masked=order["buyer_phone"], address=address_of(address))
        return cls(
            name=order["buyer_name"] if order["buyer_name"] == ERASED else order["buyer_name"][:1] + "***",
            phone_masked=mask_phone(order["buyer_phone"]),
            address=Address(
                scheme=address["scheme"], province_code=address["province_code"],
                province_name=province(address["scheme"], address["province_code"]).name,
                district_code=None, ward_code=None, street=None,
            ),
        )


@strawberry.type
class OrderLine:
    row: strawberry.Private[Row]

    @strawberry.field
    async def listing(self, info: strawberry.Info) -> Listing:
        # The order names the listing: whoever sees the order sees it, even once it left the catalog.
        return Listing(row=_projected(await listing_row(info.context, UUID(self.row["listing_id"])), "listing"))

    @strawberry.field
    def title(self) -> str:
        return self.row["title"]

    @strawberry.field
    def quantity(self) -> int:
        return int(self.row["quantity"])

    @strawberry.field
    def unit_price(self) -> Money:
        return Money(amount=self.row["unit_price"], currency=self.row["currency"])

    @strawberry.field
    def line_total(self) -> Money:
        return Money(amount=self.row["line_total"], currency=self.row["currency"])


@strawberry.type(description="One claimant's claims on one order, as running totals (an addition to the contract).")
class ClaimExposure:
    claimant: ClaimParty
    limit: Money = strawberry.field(description="BUYER: what the buyer paid net of refunds (nothing on a cancelled"
                                    " order); HOUSEHOLD: the goods value of the order's lines, whatever was paid.")
    claimed: Money = strawberry.field(description="Committed by its open (amount claimed), assessed (recommended"
                                      " payout) and approved or paid (payout) claims.")
    approved: Money
    paid: Money = strawberry.field(description="Compensation paid on its claims by the liable parties.")
    room: Money = strawberry.field(description="limit - claimed; negative when a later refund shrank the limit.")


def claim_exposure_of(row: Row) -> list[ClaimExposure]:
    """Each claimant's exposure from an order row (the domain's rules, ``claim_exposure``)."""
    currency = row["currency"]

    def money_of(column: str) -> DomainMoney:
        return DomainMoney.parse(row[column], currency, [column])

    found = []
    for claimant in CLAIMANTS:
        limit = claim_limit(claimant, total=money_of("total_amount"), paid=money_of("amount_paid"),
                            refunded_directly=money_of("refunded_directly"), cancelled=row["status"] == "CANCELLED")
        totals = exposure(claimant, row["claims"], limit)
        found.append(ClaimExposure(claimant=ClaimParty(claimant), **{k: Money(amount=v.amount_text, currency=v.currency)
                                                        for k, v in totals.items()}))
    return found


@strawberry.type
class Order(Node):
    row: strawberry.Private[Row]

    @property
    def uuid(self) -> UUID:
        return UUID(self.row["id"])

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Order", self.row["id"]))

    @strawberry.field(description="Human-readable, unique, e.g. FG-2021-000123.")
    def number(self) -> str:
        return self.row["number"]

    @strawberry.field
    def marketplace(self) -> Marketplace:
        return Marketplace(self.row["marketplace"])

    @strawberry.field
    def status(self) -> OrderStatus:
        return OrderStatus(self.row["status"])

    @strawberry.field
    async def storefront(self, info: strawberry.Info) -> Storefront:
        # The order names its storefront: whoever sees the order sees it, even once it closed.
        return Storefront(row=_projected(await storefront_row(info.context, UUID(self.row["storefront_id"])),
                                         "storefront"))

    @strawberry.field
    async def household(self, info: strawberry.Info) -> Household:
        row = _projected(await household_row(info.context, UUID(self.row["household_id"])), "household")
        return Household(row=order_household_row(info.context.principal, row, self.row))

    @strawberry.field(description="Personal data: whole for ADMIN and the order's marketplace, masked for others.")
    def buyer(self, info: strawberry.Info) -> Buyer:
        return Buyer.of(self.row, sees_buyer(info.context.principal, self.row))

    @strawberry.field
    async def lines(self, info: strawberry.Info) -> list[OrderLine]:
        return [OrderLine(row=row) for row in await line_rows(info.context, self.uuid)]

    @strawberry.field
    def total(self) -> Money:
        return Money(amount=self.row["total_amount"], currency=self.row["currency"])

    @strawberry.field(description="What has been paid so far (beyond the contract).")
    def amount_paid(self) -> Money:
        return Money(amount=self.row["amount_paid"], currency=self.row["currency"])

    @strawberry.field(description="Returned to the buyer in all: recorded refunds and refunds through BUYER claims"
                      " (beyond the contract).")
    def amount_refunded(self) -> Money:
        return Money(amount=self.row["amount_refunded"], currency=self.row["currency"])

    @strawberry.field(description="Refunded through approved BUYER claims (beyond the contract).")
    def refunded_through_claims(self) -> Money:
        through = DomainMoney.parse(self.row["amount_refunded"], self.row["currency"], ["amountRefunded"]) - \
            DomainMoney.parse(self.row["refunded_directly"], self.row["currency"], ["refundedDirectly"])
        return Money(amount=through.amount_text, currency=through.currency)

    @strawberry.field(description="Paid but not the order's to keep (it was cancelled, or more than the total was"
                      " paid): owed back to the buyer (beyond the contract).")
    def refund_due(self) -> Money:
        return Money(amount=self.row["refund_due"], currency=self.row["currency"])

    def _money(self, column: str) -> DomainMoney:
        return DomainMoney.parse(self.row[column], self.row["currency"], [column])

    @strawberry.field(description="Paid beyond the total (a duplicate charge, a payment past what was outstanding)"
                      " and not yet returned, zero if none: refunds go against the excess first. Recorded, never"
                      " refused, and owed back through refundDue; the case file keeps the OVERPAID flag after the"
                      " refund (beyond the contract).")
    def overpaid(self) -> Money:
        over = overpaid_of(self._money("total_amount"), self._money("amount_paid"), self._money("amount_refunded"))
        return Money(amount=over.amount_text, currency=over.currency)

    @strawberry.field(description="Contradictions the order's money facts show now, for dispute staff: each clears"
                      " once later facts settle it; the case file names the facts and keeps the history (beyond"
                      " the contract).")
    def flags(self) -> list[OrderFlag]:
        return [OrderFlag(flag) for flag in flags_of(self._money("total_amount"), self._money("amount_paid"),
                                                     self._money("amount_refunded"))]

    @strawberry.field(description="The order's claim exposure per claimant, as running totals: what its open, assessed"
                      " and approved claims commit, what was approved and paid, the claimant's limit and the room"
                      " left (beyond the contract).")
    def claim_exposure(self) -> list[ClaimExposure]:
        return claim_exposure_of(self.row)

    @strawberry.field
    def payment_method(self) -> PaymentMethod:
        return PaymentMethod(self.row["payment_method"])

    @strawberry.field
    def payment_status(self) -> PaymentStatus:
        return PaymentStatus(self.row["payment_status"])

    @strawberry.field
    def placed_at(self) -> datetime:
        return datetime.fromisoformat(self.row["placed_at"])

    @strawberry.field(
        description="Latest moment the produce may reach the buyer: from the shortest shelf life among its lines, "
        "at most 48 hours."
    )
    def promised_by(self) -> datetime:
        return datetime.fromisoformat(self.row["promised_by"])

    @strawberry.field
    async def shipments(self, info: strawberry.Info) -> list[Shipment]:
        rows = await shipment_rows_of_order(info.context, self.uuid)
        return [Shipment(row=row) for row in rows if shipment_visible(info.context.principal, row)]

    @strawberry.field
    async def claims(
        self, info: strawberry.Info
    ) -> list[Annotated[CompensationClaim, strawberry.lazy("farmgate.graphql.claims.types")]]:
        from farmgate.graphql.claims.scoped import claim_rows_of_order
        from farmgate.graphql.claims.types import CompensationClaim
        from farmgate.graphql.scope import claim_visible

        if not claim_visible(info.context.principal, self.row):
            return []
        return [CompensationClaim(row=r) for r in await claim_rows_of_order(info.context, self.uuid)]


@strawberry.type
class Checkpoint:
    status: ShipmentStatus
    occurred_at: datetime
    recorded_at: datetime
    location: str | None
    note: str | None
    raw_status: str | None = strawberry.field(
        description="The carrier's own words for it, as sent (beyond the contract)."
    )

    @classmethod
    def of(cls, row: Row) -> Checkpoint:
        return cls(status=ShipmentStatus(row["status"]), occurred_at=datetime.fromisoformat(row["occurred_at"]),
                   recorded_at=datetime.fromisoformat(row["recorded_at"]), location=row["location"], note=row["note"],
                   raw_status=row["raw_status"])


@strawberry.type
class DeliveryFailure:
    reason: DeliveryFailureReason
    occurred_at: datetime
    recorded_at: datetime
    note: str | None

    @classmethod
    def of(cls, row: Row) -> DeliveryFailure:
        return cls(reason=DeliveryFailureReason(row["reason"]), occurred_at=datetime.fromisoformat(row["occurred_at"]),
                   recorded_at=datetime.fromisoformat(row["recorded_at"]), note=row["note"])


@strawberry.type
class Shipment(Node):
    row: strawberry.Private[Row]

    @property
    def uuid(self) -> UUID:
        return UUID(self.row["id"])

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Shipment", self.row["id"]))

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order:
        # Whoever sees the shipment sees its order through it (``scope.order_visible(through_shipment=True)``).
        return Order(row=_projected(await order_row(info.context, UUID(self.row["order_id"])), "order"))

    @strawberry.field(description="The carrier's name: as the carrier list names it for a shipment dispatched since "
                                  "carriers are reference data; the text given for one dispatched before.")
    def carrier(self) -> str:
        return self.row["carrier"]

    @strawberry.field(description="The carrier's id (Carrier.id); null only for a shipment dispatched before carriers "
                                  "were reference data whose text names no known carrier.")
    def carrier_id(self) -> strawberry.ID | None:
        carrier_id = self.row.get("carrier_id")
        return None if carrier_id is None else strawberry.ID(carrier_global_id(carrier_id))

    @strawberry.field
    def tracking_number(self) -> str:
        return self.row["tracking_number"]

    @strawberry.field
    def status(self) -> ShipmentStatus:
        return ShipmentStatus(self.row["status"])

    @strawberry.field
    def harvested_at(self) -> datetime | None:
        return _time(self.row["harvested_at"])

    @strawberry.field
    def promised_by(self) -> datetime:
        return datetime.fromisoformat(self.row["promised_by"])

    @strawberry.field(description="In world-time order: a late report stands where it happened.")
    async def checkpoints(self, info: strawberry.Info) -> list[Checkpoint]:
        return [Checkpoint.of(row) for row in await checkpoint_rows(info.context, self.uuid)]

    @strawberry.field
    async def failures(self, info: strawberry.Info) -> list[DeliveryFailure]:
        return [DeliveryFailure.of(row) for row in await failure_rows(info.context, self.uuid)]

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return _time(self.row["delivered_at"])

    @strawberry.field
    def spoiled_at(self) -> datetime | None:
        return _time(self.row["spoiled_at"])


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int


def order_connection(page: Window, rows: list[Row], total: int | None) -> OrderConnection:
    """``rows`` as fetched with one more than the page, to tell whether another page follows."""
    return connection(page, rows, total, connection=OrderConnection, edge=OrderEdge, node=Order)
