"""Export objects by id as the caller may see them: the one way in for queries, mutation payloads,
subscriptions and ``node(id:)``. Out of scope is None, exactly as if the object did not exist."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from farmgate.graphql.context import Context
from farmgate.graphql.exports.loaders import export_order_row, export_partner_row
from farmgate.graphql.exports.types import ExportOrder, ExportPartner
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.scope import export_order_visible, export_partner_visible


async def visible_export_order_row(ctx: Context, order_id: UUID | None) -> dict[str, Any] | None:
    if order_id is None:
        return None
    row = await export_order_row(ctx, order_id)
    return row if row is not None and export_order_visible(ctx.principal, row) else None


async def export_order_by_id(ctx: Context, order_id: UUID | None) -> ExportOrder | None:
    row = await visible_export_order_row(ctx, order_id)
    return None if row is None else ExportOrder(row=row)


async def export_order_by_global_id(ctx: Context, global_id: str) -> ExportOrder | None:
    return await export_order_by_id(ctx, uuid_of(global_id, "ExportOrder"))


async def export_partner_by_id(ctx: Context, partner_id: UUID | None) -> ExportPartner | None:
    if partner_id is None or not export_partner_visible(ctx.principal, partner_id):
        return None
    row = await export_partner_row(ctx, partner_id)
    return None if row is None else ExportPartner(row=row)


async def export_partner_by_global_id(ctx: Context, global_id: str) -> ExportPartner | None:
    return await export_partner_by_id(ctx, uuid_of(global_id, "ExportPartner"))
