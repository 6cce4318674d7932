"""Export DataLoaders: one batched query per request for every order, partner, lot list, document
list and milestone list a page touches (rows only; scope is applied by the callers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID


from farmgate.graphql.context import Context
from farmgate.graphql.loading import batched

Rows = dict[UUID, Any]


_orders = batched(lambda ctx: ctx.system.exports.by_ids, None)
_partners = batched(lambda ctx: ctx.system.exports.partners_by_ids, None)
_lots = batched(lambda ctx: ctx.system.exports.lots_for, [])
_documents = batched(lambda ctx: ctx.system.exports.documents_for, [])
_milestones = batched(lambda ctx: ctx.system.exports.milestones_for, [])
_deliveries = batched(lambda ctx: ctx.system.webhooks.by_ids, None)
_endpoints = batched(lambda ctx: ctx.system.webhooks.endpoints_by_partner, None)
_marketplace_endpoints = batched(lambda ctx: ctx.system.webhooks.endpoints_by_marketplace, None)


async def export_order_row(ctx: Context, order_id: UUID) -> dict[str, Any] | None:
    return await ctx.loader("export_order_rows", _orders).load(order_id)


async def export_partner_row(ctx: Context, partner_id: UUID) -> dict[str, Any] | None:
    return await ctx.loader("export_partner_rows", _partners).load(partner_id)


async def lot_rows(ctx: Context, order_id: UUID) -> list[dict[str, Any]]:
    return await ctx.loader("export_lot_rows", _lots).load(order_id)


async def document_rows(ctx: Context, order_id: UUID) -> list[dict[str, Any]]:
    return await ctx.loader("export_document_rows", _documents).load(order_id)


async def milestone_rows(ctx: Context, order_id: UUID) -> list[dict[str, Any]]:
    return await ctx.loader("export_milestone_rows", _milestones).load(order_id)


async def delivery_row(ctx: Context, delivery_id: UUID) -> dict[str, Any] | None:
    return await ctx.loader("webhook_delivery_rows", _deliveries).load(delivery_id)


async def endpoint_row(ctx: Context, partner_id: UUID) -> dict[str, Any] | None:
    return await ctx.loader("webhook_endpoint_rows", _endpoints).load(partner_id)


async def marketplace_endpoint_row(ctx: Context, marketplace: str) -> dict[str, Any] | None:
    return await ctx.loader("marketplace_endpoint_rows", _marketplace_endpoints).load(marketplace)


def forget_export_order(ctx: Context) -> None:
    """After a write: the next read of an order in this request goes to the read model again."""
    for name in ("export_order_rows", "export_lot_rows", "export_document_rows", "export_milestone_rows"):
        ctx.loaders.pop(name, None)
