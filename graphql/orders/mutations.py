"""Order mutations: place (a marketplace, from its own listings), confirm, cancel and dispatch (the
order's marketplace or household), record payments (the marketplace; the carrier for cash on
delivery), and the shipment's facts (the marketplace and the carrier; spoilage also dispute staff).

Who may act on which order or shipment is ``graphql.scope``'s; one out of the caller's reach is
NOT_FOUND, exactly as if it did not exist. Every command runs through ``execute`` (idempotency,
provenance, read-your-writes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry

from farmgate.core.domain.errors import NotFound
from farmgate.graphql.auth import Principal
from farmgate.graphql.commands import Outcome, execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.inputs import aware, given, plain
from farmgate.graphql.orders.inputs import (
    CancelOrderInput, CancelOrderPayload, ConfirmDeliveryInput, ConfirmDeliveryPayload, ConfirmOrderInput,
    ConfirmOrderPayload, DeclareSpoilageInput, DeclareSpoilagePayload, DispatchOrderInput, DispatchOrderPayload,
    PlaceOrderInput, PlaceOrderPayload, RecordCheckpointInput, RecordCheckpointPayload, RecordDeliveryFailureInput,
    RecordDeliveryFailurePayload, RecordPaymentInput, RecordPaymentPayload, RecordRefundInput, RecordRefundPayload,
)
from farmgate.graphql.orders.loaders import Row, forget_orders, order_row, shipment_row
from farmgate.graphql.orders.scoped import order_by_id, shipment_by_id
from farmgate.graphql.orders.types import Order, Shipment
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import (
    collects_payment, declares_spoilage_of, manages_order, orders_marketplace, refunds_order, tracks_shipment,
)
from farmgate.graphql.types import UserErrorCode

PARTIES = ("MARKETPLACE", "HOUSEHOLD")  # and ADMIN, always
TRACKERS = ("MARKETPLACE", "CARRIER")
Rule = Callable[[Principal, Row], bool]


async def _reachable(ctx: Context, global_id: str, kind: str, load: Callable[..., Any], may: Rule) -> Row | Outcome:
    """The order or shipment a mutation acts on, if the caller may act on it; else NOT_FOUND."""
    target = uuid_of(global_id, kind)
    row = None if target is None else await load(ctx, target)
    if row is None or not may(ctx.require_principal(), row):
        field = ["input", f"{kind.lower()}Id"]
        return Outcome.refused(UserErrorCode.NOT_FOUND, f"No {kind.lower()} with this id", field)
    return row


async def _order_payload(ctx: Context, outcome: Outcome) -> Order | None:
    value = outcome.get("orderId")
    forget_orders(ctx)  # a fresh read: the request's loaders may hold rows from before the write
    # What the caller acted on it may see, a carrier's order through its shipment included.
    return None if value is None else await order_by_id(ctx, UUID(value), through_shipment=True)


async def _shipment_payload(ctx: Context, outcome: Outcome) -> Shipment | None:
    value = outcome.get("shipmentId")
    forget_orders(ctx)
    return None if value is None else await shipment_by_id(ctx, UUID(value))


#: what a mutation may act on: how its row is loaded, and the input field naming it
_TARGETS: dict[str, tuple[Callable[..., Any], str, str]] = {
    "Order": (order_row, "order_id", "orderId"),
    "Shipment": (shipment_row, "shipment_id", "shipmentId"),
}


async def _act_on(
    info: strawberry.Info, kind: str, operation: str, input: Any, idempotency_key: str | None, may: Rule,
    change: Callable[[UUID], object],
) -> Outcome:
    """Find the order or shipment the input names (NOT_FOUND out of reach), then ``change`` it."""
    ctx: Context = info.context
    load, attribute, id_name = _TARGETS[kind]
    row = await _reachable(ctx, getattr(input, attribute), kind, load, may)
    if isinstance(row, Outcome):
        return row
    target = UUID(row["id"])

    def command() -> dict[str, Any]:
        change(target)
        return {id_name: str(target)}

    return await execute(ctx, operation, plain(input), given(idempotency_key), command)


def _takes_payment(principal: Principal, row: Row) -> bool:
    """recordPayment's rule: who tracks the order's shipment; a carrier FORBIDDEN unless cash on delivery."""
    if not tracks_shipment(principal, row):
        return False
    if not collects_payment(principal, row):
        raise forbidden("A carrier records cash-on-delivery payments only")
    return True


def _listing_id(global_id: str, index: int) -> UUID:
    listing_id = uuid_of(global_id, "Listing")
    if listing_id is None:
        raise NotFound("No listing with this id", ["input", "lines", str(index), "listingId"])
    return listing_id


def _occurred_at(input: Any) -> datetime:
    return aware(input.occurred_at, ["input", "occurredAt"])


@strawberry.type
class OrderMutation:
    @strawberry.mutation(extensions=allow("MARKETPLACE"))
    async def place_order(
        self, info: strawberry.Info, input: PlaceOrderInput, idempotency_key: str | None = strawberry.UNSET
    ) -> PlaceOrderPayload:
        ctx: Context = info.context
        marketplace = orders_marketplace(ctx.require_principal())
        request: dict[str, Any] = plain(input)

        def command() -> dict[str, Any]:
            lines = [{"listing_id": _listing_id(line.listing_id, index), "quantity": line.quantity}
                     for index, line in enumerate(input.lines)]
            order_id = ctx.system.app.place_order(lines=lines, buyer=request["buyer"],
                                                  payment_method=input.payment_method.value, marketplace=marketplace)
            return {"orderId": str(order_id), "orderNumber": ctx.system.app.order_number(order_id)}

        outcome = await execute(ctx, "placeOrder", request, given(idempotency_key), command)
        return PlaceOrderPayload(order=await _order_payload(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*PARTIES))
    async def confirm_order(
        self, info: strawberry.Info, input: ConfirmOrderInput, idempotency_key: str | None = strawberry.UNSET
    ) -> ConfirmOrderPayload:
        outcome = await _act_on(info, "Order", "confirmOrder", input, idempotency_key, manages_order,
                                info.context.system.app.confirm_order)
        return ConfirmOrderPayload(order=await _order_payload(info.context, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*PARTIES))
    async def cancel_order(
        self, info: strawberry.Info, input: CancelOrderInput, idempotency_key: str | None = strawberry.UNSET
    ) -> CancelOrderPayload:
        app = info.context.system.app
        outcome = await _act_on(info, "Order", "cancelOrder", input, idempotency_key, manages_order,
                                lambda order_id: app.cancel_order(order_id, input.reason))
        return CancelOrderPayload(order=await _order_payload(info.context, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*TRACKERS))
    async def record_payment(
        self, info: strawberry.Info, input: RecordPaymentInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RecordPaymentPayload:
        app, amount = info.context.system.app, plain(input.amount)
        outcome = await _act_on(
            info, "Order", "recordPayment", input, idempotency_key, _takes_payment,
            lambda order_id: app.record_payment(order_id, amount=amount, reference=input.reference,
                                                occurred_at=_occurred_at(input)),
        )
        return RecordPaymentPayload(order=await _order_payload(info.context, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE"),
                         description="Record money returned to the buyer (an addition to the contract): the order's"
                         " marketplace, or ADMIN. Moves the payment status to PARTIALLY_REFUNDED or REFUNDED.")
    async def record_refund(
        self, info: strawberry.Info, input: RecordRefundInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RecordRefundPayload:
        app, amount = info.context.system.app, plain(input.amount)
        outcome = await _act_on(
            info, "Order", "recordRefund", input, idempotency_key, refunds_order,
            lambda order_id: app.record_refund(order_id, amount=amount, reference=input.reference,
                                               occurred_at=_occurred_at(input)),
        )
        return RecordRefundPayload(order=await _order_payload(info.context, outcome), user_errors=outcome.user_errors,
                                   outcome=outcome)

    @strawberry.mutation(extensions=allow(*PARTIES))
    async def dispatch_order(
        self, info: strawberry.Info, input: DispatchOrderInput, idempotency_key: str | None = strawberry.UNSET
    ) -> DispatchOrderPayload:
        ctx: Context = info.context
        row = await _reachable(ctx, input.order_id, "Order", order_row, manages_order)
        if isinstance(row, Outcome):
            return DispatchOrderPayload(order=None, shipment=None, user_errors=row.user_errors)

        def command() -> dict[str, Any]:
            harvested_at = given(input.harvested_at)
            shipment_id = ctx.system.app.dispatch_order(
                UUID(row["id"]), carrier=uuid_of(input.carrier, "Carrier") or input.carrier,
                tracking_number=input.tracking_number,
                harvested_at=None if harvested_at is None else aware(harvested_at, ["input", "harvestedAt"]),
            )
            return {"orderId": row["id"], "shipmentId": str(shipment_id)}

        outcome = await execute(ctx, "dispatchOrder", plain(input), given(idempotency_key), command)
        return DispatchOrderPayload(order=await _order_payload(ctx, outcome),
                                    shipment=await _shipment_payload(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*TRACKERS))
    async def record_checkpoint(
        self, info: strawberry.Info, input: RecordCheckpointInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RecordCheckpointPayload:
        app = info.context.system.app
        outcome = await _act_on(
            info, "Shipment", "recordCheckpoint", input, idempotency_key, tracks_shipment,
            lambda shipment_id: app.record_checkpoint(
                shipment_id, status=input.status.value, occurred_at=_occurred_at(input), location=given(input.location),
                note=given(input.note), raw_status=given(input.raw_status),
            ),
        )
        return RecordCheckpointPayload(shipment=await _shipment_payload(info.context, outcome),
                                       user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*TRACKERS))
    async def record_delivery_failure(
        self, info: strawberry.Info, input: RecordDeliveryFailureInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RecordDeliveryFailurePayload:
        app = info.context.system.app
        outcome = await _act_on(
            info, "Shipment", "recordDeliveryFailure", input, idempotency_key, tracks_shipment,
            lambda shipment_id: app.record_delivery_failure(
                shipment_id, reason=input.reason.value, occurred_at=_occurred_at(input), note=given(input.note)),
        )
        return RecordDeliveryFailurePayload(shipment=await _shipment_payload(info.context, outcome),
                                            user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*TRACKERS))
    async def confirm_delivery(
        self, info: strawberry.Info, input: ConfirmDeliveryInput, idempotency_key: str | None = strawberry.UNSET
    ) -> ConfirmDeliveryPayload:
        app = info.context.system.app
        outcome = await _act_on(
            info, "Shipment", "confirmDelivery", input, idempotency_key, tracks_shipment,
            lambda shipment_id: app.confirm_delivery(
                shipment_id, occurred_at=_occurred_at(input), received_by=given(input.received_by)),
        )
        return ConfirmDeliveryPayload(shipment=await _shipment_payload(info.context, outcome),
                                      user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*TRACKERS, "DISPUTE_STAFF"))
    async def declare_spoilage(
        self, info: strawberry.Info, input: DeclareSpoilageInput, idempotency_key: str | None = strawberry.UNSET
    ) -> DeclareSpoilagePayload:
        app = info.context.system.app
        outcome = await _act_on(
            info, "Shipment", "declareSpoilage", input, idempotency_key, declares_spoilage_of,
            lambda shipment_id: app.declare_spoilage(shipment_id, occurred_at=_occurred_at(input), note=input.note),
        )
        return DeclareSpoilagePayload(shipment=await _shipment_payload(info.context, outcome),
                                      user_errors=outcome.user_errors, outcome=outcome)
