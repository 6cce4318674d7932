"""The order mutations' inputs and payloads, as the contract names them (plus ``rawStatus``)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from farmgate.graphql.orders.enums import DeliveryFailureReason, PaymentMethod, ShipmentStatus
from farmgate.graphql.orders.types import Order, Shipment
from farmgate.graphql.types import AddressInput, MoneyInput, UserError
from farmgate.graphql.written import OrderNumberWritten, OrderWritten, ShipmentWritten


@strawberry.input
class OrderLineInput:
    listing_id: strawberry.ID
    quantity: int


@strawberry.input
class BuyerInput:
    name: str
    phone: str
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
    occurred_at: datetime


@strawberry.type
class RecordPaymentPayload(OrderWritten):
    order: Order | None
    user_errors: list[UserError]


@strawberry.input
class DispatchOrderInput:
    order_id: strawberry.ID
    carrier: str
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
    occurred_at: datetime
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
    occurred_at: datetime
    note: str | None = strawberry.UNSET


@strawberry.type
class RecordDeliveryFailurePayload(ShipmentWritten):
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.input
class ConfirmDeliveryInput:
    shipment_id: strawberry.ID
    occurred_at: datetime
    received_by: str | None = strawberry.UNSET


@strawberry.type
class ConfirmDeliveryPayload(ShipmentWritten):
    shipment: Shipment | None
    user_errors: list[UserError]


@strawberry.input
class DeclareSpoilageInput:
    shipment_id: strawberry.ID
    occurred_at: datetime
    note: str


@strawberry.type
class DeclareSpoilagePayload(ShipmentWritten):
    shipment: Shipment | None
    user_errors: list[UserError]
