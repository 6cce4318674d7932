"""Claims by id as the caller may see them, through the order they are about."""

from __future__ import annotations

from typing import Any
from uuid import UUID


from farmgate.graphql.claims.types import CompensationClaim
from farmgate.graphql.context import Context
from farmgate.graphql.loading import batched
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.orders.loaders import order_row
from farmgate.graphql.scope import claim_visible

Row = dict[str, Any]


_claims = batched(lambda ctx: ctx.system.claims.by_ids)
_claims_of_orders = batched(lambda ctx: ctx.system.claims.for_orders, [])


async def claim_row(ctx: Context, claim_id: UUID) -> Row | None:
    return await ctx.loader("claim_rows", _claims).load(claim_id)


def forget_claims(ctx: Context) -> None:
    """After a write: the request's loaders may hold rows from before it."""
    for name in ("claim_rows", "order_claim_rows"):
        ctx.loaders.pop(name, None)


async def claim_rows_of_order(ctx: Context, order_id: UUID) -> list[Row]:
    return await ctx.loader("order_claim_rows", _claims_of_orders).load(order_id)


async def visible_claim(ctx: Context, claim_id: UUID | None) -> tuple[Row, Row] | None:
    """The claim row and its order row, if the caller may see the claim."""
    row = None if claim_id is None else await claim_row(ctx, claim_id)
    if row is None:
        return None
    order = await order_row(ctx, UUID(row["order_id"]))
    return (row, order) if order is not None and claim_visible(ctx.principal, order) else None


async def claim_by_id(ctx: Context, claim_id: UUID | None) -> CompensationClaim | None:
    found = await visible_claim(ctx, claim_id)
    return None if found is None else CompensationClaim(row=found[0])


async def claim_by_global_id(ctx: Context, global_id: str) -> CompensationClaim | None:
    return await claim_by_id(ctx, uuid_of(global_id, "CompensationClaim"))
