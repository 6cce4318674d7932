"""The order mutations' inputs and payloads, as the contract names them (plus ``rawStatus``)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from farmgate.core.domain.order import MAX_LINE_QUANTITY
from farmgate.graphql.orders.enums import DeliveryFailureReason, PaymentMethod, ShipmentStatus
from farmgate.graphql.orders.types import Order, Shipment
from farmgate.graphql.schema_docs import CODE_RULE
from farmgate.graphql.types import AddressInput, MoneyInput, UserError
from farmgate.graphql.written import OrderNumberWritten, OrderWritten, ShipmentWritten

#: the world-time policy (``core.domain.text.world_time``), as every occurredAt input documents it
WORLD_TIME = (
    "When it happened in the world, as reported (world-time policy): with a UTC offset; at most 5 minutes"
    " ahead of the clock; never before the fact could have happened (its order placed, its shipment"
    " dispatched) by more than those 5 minutes."
)


@strawberry.input
class OrderLineInput:
    listing_id: strawberry.ID
    quantity: int = strawberry.field(
        description=f"Units of the listing's unit, a whole number from 1 to {MAX_LINE_QUANTITY:,}; more is refused"
        " (INVALID). The listing's price is in VND: a domestic order is priced in VND only."
    )


@strawberry.input
class BuyerInput:
    name: str
    phone: str = strawberry.field(
        description="A contact number: a Vietnamese mobile (0912345678, +84912345678) or landline (024 3942 1234);"
        " stored as E.164. Personal data: never logged."
    )
    address: AddressInput


@strawberry.input
class PlaceOrderInput:
    lines: list[OrderLineInput]
    buyer: BuyerInput
    payment_method: PaymentMethod


@strawberry.type
class PlaceOrderPayload(OrderWritten, OrderNumberWritten):
    order: Order | None
    user_errors: list[UserError]


@strawberry.input
class ConfirmOrderInput:
    order_id: strawberry.ID


@strawberry.type
class ConfirmOrderPayload(OrderWritten):
    order: Order | None
    user_errors: list[UserError]


@strawberry.input
class CancelOrderInput:
    order_id: strawberry.ID
    reason: str


@strawberry.type
class CancelOrderPayload(OrderWritten):
    order: Order | None
    user_errors: list[UserError]


@strawberry.input
class RecordPaymentInput:
    order_id: strawberry.ID
    amount: MoneyInput
    reference: str
    occurred_at: datetime = strawberry.field(description=WORLD_TIME)


@strawberry.type
class RecordPaymentPayload(OrderWritten):
    order: Order | None
    user_errors: list[UserError]


@strawberry.input(description="Money returned to the buyer (an addition to the contract).")
class RecordRefundInput:
    order_id: strawberry.ID
    amount: MoneyInput = strawberry.field(description="What went back; more than was paid and not yet refunded is"
                                       " recorded and flagged OVER_REFUNDED.")
    reference: str = strawberry.field(description="The gateway's or bank's reference of the refund; once per order. "
                                      + CODE_RULE)
    occurred_at: datetime = strawberry.field(description=WORLD_TIME)


@strawberry.type
class RecordRefundPayload(OrderWritten):
    order: Order | None
    user_errors: list[UserError]


@strawberry.input
class DispatchOrderInput:
    order_id: strawberry.ID
    carrier: str = strawberry.field(description=(
        "The carrier: its id (Carrier.id), its name or any known spelling of it ('Vietnam Post', 'VN Post'); see "
        "the carriers query. One that names no known carrier is refused (INVALID, field [\"input\", \"carrier\"])."))
    tracking_number: str
    harvested_at: datetime | None = strawberry.UNSET


@strawberry.type
class DispatchOrderPayload(OrderWritten, ShipmentWritten):
    order: Order | None
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.input
class RecordCheckpointInput:
    shipment_id: strawberry.ID
    status: ShipmentStatus
    occurred_at: datetime = strawberry.field(description=WORLD_TIME)
    location: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    raw_status: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The carrier's own words for the status, as it sent them (beyond the contract).",
    )


@strawberry.type
class RecordCheckpointPayload(ShipmentWritten):
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.input
class RecordDeliveryFailureInput:
    shipment_id: strawberry.ID
    reason: DeliveryFailureReason
    occurred_at: datetime = strawberry.field(description=WORLD_TIME)
    note: str | None = strawberry.UNSET


@strawberry.type
class RecordDeliveryFailurePayload(ShipmentWritten):
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.input
class ConfirmDeliveryInput:
    shipment_id: strawberry.ID
    occurred_at: datetime = strawberry.field(description=WORLD_TIME)
    received_by: str | None = strawberry.UNSET


@strawberry.type
class ConfirmDeliveryPayload(ShipmentWritten):
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.input
class DeclareSpoilageInput:
    shipment_id: strawberry.ID
    occurred_at: datetime = strawberry.field(description=WORLD_TIME)
    note: str


@strawberry.type
class DeclareSpoilagePayload(ShipmentWritten):
    shipment: Shipment | None
    user_errors: list[UserError]
