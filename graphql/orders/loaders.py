"""Order DataLoaders: one batched query per request for every order, shipment, line list, shipment
list, checkpoint list and failure list a page touches (rows only; scope is applied by the callers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from farmgate.graphql.context import Context
from farmgate.graphql.loading import batched
from farmgate.graphql.pagination import Window

Row = dict[str, Any]

ORDER_ROWS, SHIPMENT_ROWS = "order_rows", "shipment_rows"
LINE_ROWS, ORDER_SHIPMENT_ROWS = "order_line_rows", "order_shipment_rows"
CHECKPOINT_ROWS, FAILURE_ROWS = "shipment_checkpoint_rows", "shipment_failure_rows"


_orders = batched(lambda ctx: ctx.system.orders.orders_by_ids, None)
_shipments = batched(lambda ctx: ctx.system.orders.shipments_by_ids, None)
_lines = batched(lambda ctx: ctx.system.orders.lines_for_orders, [])
_order_shipments = batched(lambda ctx: ctx.system.orders.shipments_for_orders, [])
_checkpoints = batched(lambda ctx: ctx.system.orders.checkpoints_for_shipments, [])
_failures = batched(lambda ctx: ctx.system.orders.failures_for_shipments, [])


async def order_row(ctx: Context, order_id: UUID) -> Row | None:
    return await ctx.loader(ORDER_ROWS, _orders).load(order_id)


async def shipment_row(ctx: Context, shipment_id: UUID) -> Row | None:
    return await ctx.loader(SHIPMENT_ROWS, _shipments).load(shipment_id)


async def line_rows(ctx: Context, order_id: UUID) -> list[Row]:
    return await ctx.loader(LINE_ROWS, _lines).load(order_id)


async def shipment_rows_of_order(ctx: Context, order_id: UUID) -> list[Row]:
    grouped = await ctx.loader(ORDER_SHIPMENT_ROWS, _order_shipments).load(order_id)
    # Grouped rows come without the key they were grouped by; a shipment row carries its order's id.
    rows = [{**row, "order_id": str(order_id)} for row in grouped]
    # Seed the by-id loader: a shipment listed here and asked for by id again costs nothing more.
    loader = ctx.loader(SHIPMENT_ROWS, _shipments)
    for row in rows:
        loader.prime(UUID(row["id"]), row)
    return rows


async def checkpoint_rows(ctx: Context, shipment_id: UUID) -> list[Row]:
    return await ctx.loader(CHECKPOINT_ROWS, _checkpoints).load(shipment_id)


async def failure_rows(ctx: Context, shipment_id: UUID) -> list[Row]:
    return await ctx.loader(FAILURE_ROWS, _failures).load(shipment_id)


async def order_rows_page(ctx: Context, page: Window, **filters: Any) -> tuple[list[Row], int | None]:
    """A page of order rows, one more than asked for (so the caller knows whether more follow), and the
    total (``filters`` as ``OrderQueries.page`` takes them, ``count`` among them)."""
    rows, total = await run_in_threadpool(
        lambda: ctx.system.orders.page(after=page.after_position(), limit=page.limit + 1, **filters)
    )
    # Seed the by-id loader, so the orders of the page are not fetched again by id.
    loader = ctx.loader(ORDER_ROWS, _orders)
    for row in rows:
        loader.prime(UUID(row["id"]), row)
    return rows, total


def forget_orders(ctx: Context) -> None:
    """After a write: the next read in this request goes to the read model again."""
    for name in (ORDER_ROWS, SHIPMENT_ROWS, LINE_ROWS, ORDER_SHIPMENT_ROWS, CHECKPOINT_ROWS, FAILURE_ROWS):
        ctx.loaders.pop(name, None)
