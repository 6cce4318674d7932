"""Orders and shipments by id as the caller may see them: the one way in for queries, mutation
payloads, other contexts (claims, case files) and ``node(id:)``. Out of scope is None, as if absent."""

from __future__ import annotations

from uuid import UUID

from starlette.concurrency import run_in_threadpool

from farmgate.graphql.context import Context
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.orders.loaders import Row, order_row, shipment_row
from farmgate.graphql.orders.types import Order, Shipment
from farmgate.graphql.scope import order_visible, shipment_visible


async def visible_order_row(ctx: Context, order_id: UUID | None, *, through_shipment: bool = False) -> Row | None:
    row = None if order_id is None else await order_row(ctx, order_id)
    return row if row is not None and order_visible(ctx.principal, row, through_shipment=through_shipment) else None


async def order_by_id(ctx: Context, order_id: UUID, *, through_shipment: bool = False) -> Order | None:
    """The order if it exists and the caller may see it; ``through_shipment`` also lets in the carrier
    of its shipment (for a payload of something it did to the order)."""
    row = await visible_order_row(ctx, order_id, through_shipment=through_shipment)
    return None if row is None else Order(row=row)


async def order_by_global_id(ctx: Context, global_id: str) -> Order | None:
    order_id = uuid_of(global_id, "Order")
    return None if order_id is None else await order_by_id(ctx, order_id)


async def order_by_number(ctx: Context, number: str) -> Order | None:
    row = await run_in_threadpool(ctx.system.orders.order_by_number, number)
    return Order(row=row) if row is not None and order_visible(ctx.principal, row) else None


async def visible_shipment_row(ctx: Context, shipment_id: UUID | None) -> Row | None:
    row = None if shipment_id is None else await shipment_row(ctx, shipment_id)
    return row if row is not None and shipment_visible(ctx.principal, row) else None


async def shipment_by_id(ctx: Context, shipment_id: UUID) -> Shipment | None:
    row = await visible_shipment_row(ctx, shipment_id)
    return None if row is None else Shipment(row=row)


async def shipment_by_global_id(ctx: Context, global_id: str) -> Shipment | None:
    shipment_id = uuid_of(global_id, "Shipment")
    return None if shipment_id is None else await shipment_by_id(ctx, shipment_id)
