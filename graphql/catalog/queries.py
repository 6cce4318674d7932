"""Catalog queries, public (no token needed): storefronts, the store locator, listings and search."""

from __future__ import annotations

from typing import Annotated

import strawberry

from farmgate.core.domain.place import GeoPoint
from farmgate.graphql.area_arguments import (
    DISTRICT_FILTER,
    PROVINCE_FILTER,
    WARD_FILTER,
    district_filter,
    province_filter,
    ward_filter,
)
from farmgate.graphql.catalog.loaders import answered, listing_rows_page
from farmgate.graphql.catalog.scoped import listing_by_global_id, storefront_by_global_id
from farmgate.graphql.catalog.types import (
    Listing,
    ListingConnection,
    NearbyStorefront,
    ProductCategory,
    Storefront,
    StorefrontConnection,
    listing_connection,
    storefront_connection,
)
from farmgate.graphql.field_selection import selects
from farmgate.graphql.households.types import CertificationScheme
from farmgate.graphql.inputs import given, text_argument
from farmgate.graphql.pagination import window
from farmgate.graphql.types import GeoPointInput, Marketplace


def _value(choice: Marketplace | ProductCategory | CertificationScheme | None) -> str | None:
    chosen = given(choice)
    return None if chosen is None else chosen.value


@strawberry.type
class CatalogQuery:
    @strawberry.field
    async def storefront(self, info: strawberry.Info, id: strawberry.ID) -> Storefront | None:
        return await storefront_by_global_id(info.context, id)

    @strawberry.field
    async def storefronts(
        self,
        info: strawberry.Info,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        marketplace: Marketplace | None = strawberry.UNSET,
        province_code: Annotated[str | None, strawberry.argument(description=PROVINCE_FILTER)] = strawberry.UNSET,
        district_code: Annotated[str | None, strawberry.argument(description=DISTRICT_FILTER)] = strawberry.UNSET,
        ward_code: Annotated[str | None, strawberry.argument(description=WARD_FILTER)] = strawberry.UNSET,
    ) -> StorefrontConnection:
        page = window("storefronts", first, after)
        province, district = province_filter(province_code), district_filter(district_code)
        ward = ward_filter(ward_code)
        catalog, count = info.context.system.catalog, selects(info, "totalCount")
        rows, total = await answered(lambda: catalog.storefronts_page(
            after_position=page.after_position(), limit=page.limit + 1, marketplace=_value(marketplace),
            province=province, district_code=district, ward_code=ward, count=count,
        ))
        return storefront_connection(page, rows, total)

    @strawberry.field(description="Store locator: open storefronts nearest first within radiusKm.")
    async def nearby_storefronts(
        self,
        info: strawberry.Info,
        near: GeoPointInput,
        radius_km: float,
        first: int | None = strawberry.UNSET,
        open_now: bool | None = strawberry.UNSET,
        marketplace: Marketplace | None = strawberry.UNSET,
    ) -> list[NearbyStorefront]:
        page = window("nearby", first, strawberry.UNSET)
        catalog = info.context.system.catalog
        hits = await answered(lambda: catalog.nearby(
            GeoPoint.checked(near.latitude, near.longitude, ["near"]), radius_km, page.limit,
            open_now=given(open_now), marketplace=_value(marketplace),
        ))
        return [NearbyStorefront(storefront=Storefront(row=hit.storefront), distance_km=hit.distance_km) for hit in hits]

    @strawberry.field
    async def listing(self, info: strawberry.Info, id: strawberry.ID) -> Listing | None:
        return await listing_by_global_id(info.context, id)

    @strawberry.field(description="Search is accent-insensitive: 'vai thieu' finds 'Vải thiều'.")
    async def listings(
        self,
        info: strawberry.Info,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        search: str | None = strawberry.UNSET,
        category: ProductCategory | None = strawberry.UNSET,
        province_code: Annotated[str | None, strawberry.argument(description=PROVINCE_FILTER)] = strawberry.UNSET,
        certification: CertificationScheme | None = strawberry.UNSET,
        marketplace: Marketplace | None = strawberry.UNSET,
    ) -> ListingConnection:
        page = window("listings", first, after)
        rows, total = await listing_rows_page(
            info.context, page, search=text_argument(search, "search"), category=_value(category),
            province=province_filter(province_code),
            certification=_value(certification), marketplace=_value(marketplace), count=selects(info, "totalCount"),
        )
        return listing_connection(page, rows, total)
