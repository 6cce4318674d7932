"""Catalog DataLoaders: one batched query per request for every storefront and listing a page
touches. A household's storefronts are found by their ids (derived from household and marketplace),
so a page of households costs one storefront query too. Rows only; scope is applied by the callers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from farmgate.core.domain.errors import DomainError
from farmgate.core.domain.storefront import MARKETPLACES, storefront_id_for
from farmgate.graphql.context import Context
from farmgate.graphql.errors import CodedError
from farmgate.graphql.loading import batched
from farmgate.graphql.pagination import Window

Row = dict[str, Any]
T = TypeVar("T")
STOREFRONT_ROWS, LISTING_ROWS = "catalog_storefront_rows", "catalog_listing_rows"
CONTACT_PHONES = "catalog_storefront_contact_phones"


_storefronts = batched(lambda ctx: ctx.system.catalog.storefronts_by_ids)
_listings = batched(lambda ctx: ctx.system.catalog.listings_by_ids)
_contact_phones = batched(lambda ctx: ctx.system.catalog.storefront_contact_phones)


async def storefront_row(ctx: Context, storefront_id: UUID) -> Row | None:
    return await ctx.loader(STOREFRONT_ROWS, _storefronts).load(storefront_id)


async def storefront_contact_phone(ctx: Context, storefront_id: UUID) -> str | None:
    """The storefront's own contact number (E.164), or None when it gave none."""
    return await ctx.loader(CONTACT_PHONES, _contact_phones).load(storefront_id)


async def listing_row(ctx: Context, listing_id: UUID) -> Row | None:
    return await ctx.loader(LISTING_ROWS, _listings).load(listing_id)


async def storefront_rows_of_household(ctx: Context, household_id: UUID) -> list[Row]:
    """A household has at most one storefront per marketplace, under an id derived from both."""
    ids = [storefront_id_for(household_id, marketplace) for marketplace in MARKETPLACES]
    rows = await ctx.loader(STOREFRONT_ROWS, _storefronts).load_many(ids)
    return sorted((row for row in rows if row is not None), key=lambda row: int(row["position"]))


def forget_catalog(ctx: Context) -> None:
    """After a write: the next read in this request goes to the read model again."""
    for name in (STOREFRONT_ROWS, LISTING_ROWS, CONTACT_PHONES):
        ctx.loaders.pop(name, None)


async def answered(call: Callable[[], T]) -> T:
    """A catalog read in a worker thread. What the read model refuses (a cursor of another list, too
    long a search, too wide a radius) is the client's error: its code and the argument at fault."""
    try:
        return await run_in_threadpool(call)
    except DomainError as error:
        coded = CodedError(error.message, "LIMIT_EXCEEDED" if error.code == "LIMIT_EXCEEDED" else "BAD_USER_INPUT")
        if error.field:
            coded.extensions["field"] = error.field
        raise coded from None


async def listing_rows_page(ctx: Context, page: Window, **filters: Any) -> tuple[list[Row], int | None]:
    """A page of listing rows, one more than asked for (so the caller knows whether more follow), and
    the total (``filters`` as ``CatalogQueries.listings_page`` takes them, ``count`` among them)."""
    return await answered(
        lambda: ctx.system.catalog.listings_page(after=page.after, limit=page.limit + 1, **filters)
    )


FIRST_LISTINGS = "catalog_first_listings"
FirstListingsKey = tuple[UUID, int, tuple[str, ...], bool]


def _first_listings(ctx: Context) -> DataLoader[FirstListingsKey, tuple[list[Row], int | None]]:
    """First pages of storefronts' listings, batched per (page size, statuses, counted or not)
    across storefronts."""

    async def load(keys: list[FirstListingsKey]) -> list[tuple[list[Row], int | None]]:
        groups: dict[tuple[int, tuple[str, ...], bool], list[UUID]] = {}
        for storefront_id, limit, statuses, count in keys:
            groups.setdefault((limit, statuses, count), []).append(storefront_id)
        found: dict[FirstListingsKey, tuple[list[Row], int | None]] = {}
        for (limit, statuses, count), ids in groups.items():
            pages = await run_in_threadpool(ctx.system.catalog.first_listings_of_storefronts, ids, limit, statuses,
                                            count)
            found.update({(i, limit, statuses, count): pages[i] for i in ids})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


async def first_listings_of(ctx: Context, storefront_id: UUID, limit: int, statuses: tuple[str, ...], count: bool
                            ) -> tuple[list[Row], int | None]:
    """A storefront's first page of listings and their total (None unless ``count``)."""
    return await ctx.loader(FIRST_LISTINGS, _first_listings).load((storefront_id, limit, statuses, count))
