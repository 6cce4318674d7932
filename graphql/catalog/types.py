"""Storefront and listing types: the public catalog. A household reached from them is shown as the
caller may see it (``graphql.scope.catalog_household_row``): a seller's public face to most."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from farmgate.core.domain.contact import mask_phone
from farmgate.graphql.catalog.loaders import (
    first_listings_of,
    listing_rows_page,
    storefront_contact_phone,
    storefront_row,
)
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.field_selection import selects
from farmgate.graphql.households.loaders import household_row
from farmgate.graphql.households.types import Certification, Household, address_of
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.rollouts.loaders import campaign_by_global_id, campaign_listing
from farmgate.graphql.rollouts.types import Campaign
from farmgate.graphql.pagination import Window, connection, window
from farmgate.graphql.scope import catalog_household_row, sees_personal_data, storefront_listing_statuses
from farmgate.graphql.types import Address, GeoPoint, Marketplace, Money, Node, PageInfo

Row = dict[str, Any]


@strawberry.enum
class StorefrontStatus(Enum):
    OPEN = "OPEN"
    TEMPORARILY_CLOSED = "TEMPORARILY_CLOSED"
    CLOSED = "CLOSED"


@strawberry.enum
class ProductCategory(Enum):
    FRUIT = "FRUIT"
    VEGETABLE = "VEGETABLE"
    RICE_AND_GRAIN = "RICE_AND_GRAIN"
    SEAFOOD = "SEAFOOD"
    LIVESTOCK = "LIVESTOCK"
    PROCESSED_FOOD = "PROCESSED_FOOD"
    FARM_INPUT = "FARM_INPUT"
    OTHER = "OTHER"


@strawberry.enum
class ListingStatus(Enum):
    ACTIVE = "ACTIVE"
    SOLD_OUT = "SOLD_OUT"
    PAUSED = "PAUSED"
    DELISTED = "DELISTED"


@strawberry.type
class OpeningHours:
    day_of_week: int = strawberry.field(description="1 = Monday … 7 = Sunday")
    opens: str = strawberry.field(description="Local time (Asia/Ho_Chi_Minh), HH:MM")
    closes: str


async def _household_row(ctx: Context, via: Row) -> Row:
    row = await household_row(ctx, UUID(via["household_id"]))
    if row is None:  # a household is projected before any storefront of it can be opened
        raise RuntimeError("storefront or listing without a projected household")
    return row


async def seller_of(ctx: Context, via: Row) -> Household:
    """The household of a storefront or listing the caller can see, in the view the caller may have."""
    shown = catalog_household_row(ctx.principal, await _household_row(ctx, via), via)
    if shown is None:
        raise forbidden("This storefront's household is not shown to you")
    return Household(row=shown)


@strawberry.type
class Storefront(Node):
    row: strawberry.Private[Row]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Storefront", self.row["id"]))

    @strawberry.field
    async def household(self, info: strawberry.Info) -> Household:
        return await seller_of(info.context, self.row)

    @strawberry.field
    def marketplace(self) -> Marketplace:
        return Marketplace(self.row["marketplace"])

    @strawberry.field
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field
    def status(self) -> StorefrontStatus:
        return StorefrontStatus(self.row["status"])

    @strawberry.field
    def location(self) -> GeoPoint:
        return GeoPoint(latitude=self.row["latitude"], longitude=self.row["longitude"])

    @strawberry.field
    async def address(self, info: strawberry.Info) -> Address:
        return address_of(await _household_row(info.context, self.row))

    @strawberry.field(
        description="The storefront's own contact number if it gave one (a landline is fine), else the household's;"
        " only the last 3 digits, the full number only to ADMIN and the household itself."
    )
    async def contact_phone_masked(self, info: strawberry.Info) -> str:
        phone = await storefront_contact_phone(info.context, UUID(self.row["id"]))
        if phone is None:
            phone = (await _household_row(info.context, self.row))["phone"]
        return phone if sees_personal_data(info.context.principal, self.row["household_id"]) else mask_phone(phone)

    @strawberry.field
    def opening_hours(self) -> list[OpeningHours]:
        return [OpeningHours(day_of_week=h["day_of_week"], opens=h["opens"], closes=h["closes"])
                for h in self.row["opening_hours"]]

    @strawberry.field(description="Open at this moment by its hours and status.")
    def is_open_now(self) -> bool:
        return bool(self.row["is_open_now"])

    @strawberry.field
    async def listings(
        self, info: strawberry.Info, first: int | None = strawberry.UNSET, after: str | None = strawberry.UNSET
    ) -> ListingConnection:
        page = window("listings", first, after)
        statuses = tuple(storefront_listing_statuses(info.context.principal, self.row))
        count = selects(info, "totalCount")
        if page.after is None:
            # First pages of every storefront shown come from one batched top-N query.
            rows, total = await first_listings_of(info.context, UUID(self.row["id"]), page.limit + 1, statuses, count)
        else:
            rows, total = await listing_rows_page(
                info.context, page, storefront_id=UUID(self.row["id"]), statuses=statuses, open_storefronts_only=False,
                count=count,
            )
        return listing_connection(page, rows, total)


@strawberry.type
class Listing(Node):
    row: strawberry.Private[Row]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Listing", self.row["id"]))

    @strawberry.field
    async def storefront(self, info: strawberry.Info) -> Storefront:
        # A listing the caller sees has a storefront the caller sees: both follow the storefront's status.
        row = await storefront_row(info.context, UUID(self.row["storefront_id"]))
        if row is None:  # a storefront is projected before any listing of it can be published
            raise RuntimeError("listing without a projected storefront")
        return Storefront(row=row)

    @strawberry.field
    async def household(self, info: strawberry.Info) -> Household:
        return await seller_of(info.context, self.row)

    @strawberry.field
    def title(self) -> str:
        return self.row["title"]

    @strawberry.field
    def description(self) -> str | None:
        return self.row["description"]

    @strawberry.field
    def category(self) -> ProductCategory:
        return ProductCategory(self.row["category"])

    @strawberry.field(description="Unit of sale, e.g. 'kg', 'hộp 5kg'.")
    def unit(self) -> str:
        return self.row["unit"]

    @strawberry.field
    def unit_price(self) -> Money:
        return Money(amount=self.row["unit_price"]["amount"], currency=self.row["unit_price"]["currency"])

    @strawberry.field
    def stock_quantity(self) -> int:
        return int(self.row["stock_quantity"])

    @strawberry.field
    def status(self) -> ListingStatus:
        return ListingStatus(self.row["status"])

    @strawberry.field(description="Hours from harvest until the produce spoils; drives delivery promises.")
    def shelf_life_hours(self) -> int:
        return int(self.row["shelf_life_hours"])

    @strawberry.field
    async def certifications(self, info: strawberry.Info) -> list[Certification]:
        # The listing keeps which of its household's certifications it claims; the household row
        # (one batched load per page) has their numbers and issuers.
        held = {c["id"]: c for c in (await _household_row(info.context, self.row))["certifications"]}
        return [Certification.of(held[c["id"]]) for c in self.row["certifications"] if c["id"] in held]

    @strawberry.field(description="Kilograms one unit weighs, for a listing not sold by the kilogram, if the"
                                  " household said; null otherwise. Beyond the contract.")
    async def weight_per_unit_kg(self, info: strawberry.Info) -> float | None:
        row = await campaign_listing(info.context, UUID(self.row["id"]))
        weight = None if row is None else row["weight_per_unit_kg"]
        return None if weight is None else float(weight)

    @strawberry.field(description="The campaign it joined when published, if any.")
    async def campaign(self, info: strawberry.Info) -> Campaign | None:
        campaign_id = self.row.get("campaign_id")
        return None if campaign_id is None else await campaign_by_global_id(
            info.context, to_global_id("Campaign", campaign_id))

    @strawberry.field
    def published_at(self) -> datetime:
        return datetime.fromisoformat(self.row["published_at"])


@strawberry.type
class ListingEdge:
    cursor: str
    node: Listing


@strawberry.type
class ListingConnection:
    edges: list[ListingEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class StorefrontEdge:
    cursor: str
    node: Storefront


@strawberry.type
class StorefrontConnection:
    edges: list[StorefrontEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class NearbyStorefront:
    storefront: Storefront
    distance_km: float


def listing_connection(page: Window, rows: list[Row], total: int | None) -> ListingConnection:
    """``rows`` as fetched with one more than the page, to tell whether another page follows."""
    return connection(page, rows, total, connection=ListingConnection, edge=ListingEdge, node=Listing, key="sort_key")


def storefront_connection(page: Window, rows: list[Row], total: int | None) -> StorefrontConnection:
    return connection(page, rows, total, connection=StorefrontConnection, edge=StorefrontEdge, node=Storefront)
