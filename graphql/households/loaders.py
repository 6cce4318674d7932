"""Household DataLoaders: one batched query per request for every household a page touches."""

from __future__ import annotations

from typing import Any
from uuid import UUID


from farmgate.graphql.context import Context
from farmgate.graphql.loading import batched
from farmgate.graphql.households.types import Household
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.scope import household_visible


_household_rows = batched(lambda ctx: ctx.system.households.by_ids)


async def household_row(ctx: Context, household_id: UUID) -> dict[str, Any] | None:
    """The directory row, whatever the caller's scope (for scope checks and for lots)."""
    return await ctx.loader("household_rows", _household_rows).load(household_id)


async def household_by_id(ctx: Context, household_id: UUID | None) -> Household | None:
    """The household if it exists and is in the caller's scope; otherwise None (not found)."""
    if household_id is None:
        return None
    row = await household_row(ctx, household_id)
    if row is None or not household_visible(ctx.principal, row):
        return None
    return Household(row=row)


async def household_by_global_id(ctx: Context, global_id: str) -> Household | None:
    return await household_by_id(ctx, uuid_of(global_id, "Household"))
