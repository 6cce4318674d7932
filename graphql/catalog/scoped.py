"""Storefronts and listings by id as the caller may see them: the one way in for queries, mutation
payloads, ``Household.storefronts`` and ``node(id:)``. Out of scope is None, as if absent."""

from __future__ import annotations

from uuid import UUID

from farmgate.graphql.catalog.loaders import listing_row, storefront_row, storefront_rows_of_household
from farmgate.graphql.catalog.types import Listing, Storefront
from farmgate.graphql.context import Context
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.scope import catalog_entry_visible


async def storefront_by_id(ctx: Context, storefront_id: UUID | None) -> Storefront | None:
    row = None if storefront_id is None else await storefront_row(ctx, storefront_id)
    return Storefront(row=row) if row is not None and catalog_entry_visible(ctx.principal, row) else None


async def storefront_by_global_id(ctx: Context, global_id: str) -> Storefront | None:
    return await storefront_by_id(ctx, uuid_of(global_id, "Storefront"))


async def listing_by_id(ctx: Context, listing_id: UUID | None) -> Listing | None:
    row = None if listing_id is None else await listing_row(ctx, listing_id)
    return Listing(row=row) if row is not None and catalog_entry_visible(ctx.principal, row) else None


async def listing_by_global_id(ctx: Context, global_id: str) -> Listing | None:
    return await listing_by_id(ctx, uuid_of(global_id, "Listing"))


async def storefronts_of_household(ctx: Context, household_id: str) -> list[Storefront]:
    rows = await storefront_rows_of_household(ctx, UUID(household_id))
    return [Storefront(row=row) for row in rows if catalog_entry_visible(ctx.principal, row)]
