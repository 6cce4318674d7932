"""Catalog mutations: open a storefront and set its status; publish a listing and keep its stock,
price and status current. A household acts on its own storefronts, a marketplace on its own
marketplace's, ADMIN on any; a storefront or listing out of the caller's scope is NOT_FOUND."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry

from farmgate.core.domain.currency import DOMESTIC_CURRENCY
from farmgate.core.domain.errors import InvalidInput, NotFound
from farmgate.core.domain.listing import MAX_STOCK
from farmgate.graphql.catalog.loaders import forget_catalog, listing_row, storefront_row
from farmgate.graphql.catalog.scoped import listing_by_id, storefront_by_id
from farmgate.graphql.catalog.types import Listing, ProductCategory, Storefront, StorefrontStatus
from farmgate.graphql.commands import Outcome, execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.inputs import given, plain
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import manages_storefront, opens_storefronts_for, opens_storefronts_on
from farmgate.graphql.types import GeoPointInput, Marketplace, MoneyInput, UserError
from farmgate.graphql.written import ListingWritten, StorefrontWritten

MANAGERS = ("MARKETPLACE", "HOUSEHOLD")  # and ADMIN, always


@strawberry.input
class OpeningHoursInput:
    day_of_week: int
    opens: str
    closes: str


@strawberry.input
class OpenStorefrontInput:
    household_id: strawberry.ID
    marketplace: Marketplace
    name: str
    location: GeoPointInput
    opening_hours: list[OpeningHoursInput]
    contact_phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The storefront's own contact number: a Vietnamese mobile or landline (024 3942 1234), stored as"
        " E.164; without it the household's number is the contact (beyond the contract). Personal data: refused"
        " (INVALID) for a household whose personal data was erased.",
    )


@strawberry.type
class OpenStorefrontPayload(StorefrontWritten):
    storefront: Storefront | None
    user_errors: list[UserError]


@strawberry.input
class SetStorefrontStatusInput:
    storefront_id: strawberry.ID
    status: StorefrontStatus


@strawberry.type
class SetStorefrontStatusPayload(StorefrontWritten):
    storefront: Storefront | None
    user_errors: list[UserError]


@strawberry.input
class PublishListingInput:
    storefront_id: strawberry.ID
    title: str
    description: str | None = strawberry.UNSET
    category: ProductCategory
    unit: str
    unit_price: MoneyInput = strawberry.field(
        description=f"Price per unit, in {DOMESTIC_CURRENCY} only: storefronts sell in Vietnam, where prices are not"
        " quoted in a foreign currency (another currency is refused, INVALID)."
    )
    stock_quantity: int = strawberry.field(
        description=f"Units on hand, a whole number from 1 to {MAX_STOCK:,}; more is refused (INVALID)."
    )
    shelf_life_hours: int
    certification_ids: list[strawberry.ID] | None = strawberry.UNSET
    campaign_id: strawberry.ID | None = strawberry.UNSET
    weight_per_unit_kg: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="Kilograms one unit weighs (to the gram), for a listing not sold by the kilogram (a 'hộp 5kg' box:"
        " 5): its campaign counts quantity × this. Leave it out for a per-kg listing. Beyond the contract.",
    )


@strawberry.type
class PublishListingPayload(ListingWritten):
    listing: Listing | None
    user_errors: list[UserError]


@strawberry.input
class AdjustStockInput:
    listing_id: strawberry.ID
    delta: int = strawberry.field(
        description=f"Positive for a new harvest, negative for a loss: a whole number, not zero, at most {MAX_STOCK:,}"
        f" either way; the stock after it stays between 0 and {MAX_STOCK:,} (else INVALID)."
    )
    reason: str


@strawberry.type
class AdjustStockPayload(ListingWritten):
    listing: Listing | None
    user_errors: list[UserError]


@strawberry.input
class ChangePriceInput:
    listing_id: strawberry.ID
    unit_price: MoneyInput = strawberry.field(
        description="The new price per unit, in the listing's own currency (VND): a price in another currency is"
        " refused (INVALID), never a silent switch."
    )


@strawberry.type
class ChangePricePayload(ListingWritten):
    listing: Listing | None
    user_errors: list[UserError]


@strawberry.input
class ListingStatusInput:
    """Pause, resume or delist a listing (beyond the contract)."""

    listing_id: strawberry.ID


@strawberry.type
class ListingStatusPayload(ListingWritten):
    listing: Listing | None
    user_errors: list[UserError]


def _not_found(what: str, field: list[str]) -> Outcome:
    return Outcome(user_errors=[UserError.of(NotFound(f"No {what} with this id", field))])


async def _managed(ctx: Context, global_id: str, kind: str, load: Callable[..., Any]) -> UUID | Outcome:
    """The storefront or listing a mutation acts on, if the caller manages it; else NOT_FOUND."""
    field = ["input", f"{kind.lower()}Id"]
    target = uuid_of(global_id, kind)
    row = None if target is None else await load(ctx, target)
    if target is None or row is None or not manages_storefront(ctx.require_principal(), row):
        return _not_found(kind.lower(), field)
    return target


def _certification_ids(global_ids: Sequence[str]) -> list[UUID]:
    ids = []
    for index, global_id in enumerate(global_ids):
        certification_id = uuid_of(global_id, "Certification")
        if certification_id is None:  # the core's words for "not this household's"
            raise InvalidInput("Not a certification of this storefront's household",
                               ["input", "certificationIds", str(index)])
        ids.append(certification_id)
    return ids


async def _storefront_payload(ctx: Context, outcome: Outcome) -> Storefront | None:
    value = outcome.get("storefrontId")
    forget_catalog(ctx)  # a fresh read: the request's loaders may hold rows from before the write
    return None if value is None else await storefront_by_id(ctx, UUID(value))


async def _listing_payload(ctx: Context, outcome: Outcome) -> Listing | None:
    value = outcome.get("listingId")
    forget_catalog(ctx)
    return None if value is None else await listing_by_id(ctx, UUID(value))


async def _change_listing(
    info: strawberry.Info, operation: str, input: Any, idempotency_key: str | None,
    change: Callable[[UUID], UUID],
) -> tuple[Listing | None, Outcome]:
    ctx: Context = info.context
    target = await _managed(ctx, input.listing_id, "Listing", listing_row)
    if isinstance(target, Outcome):
        return None, target
    outcome = await execute(ctx, operation, plain(input), given(idempotency_key),
                            lambda: {"listingId": str(change(target))})
    return await _listing_payload(ctx, outcome), outcome


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(extensions=allow(*MANAGERS))
    async def open_storefront(
        self, info: strawberry.Info, input: OpenStorefrontInput, idempotency_key: str | None = strawberry.UNSET
    ) -> OpenStorefrontPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        if not opens_storefronts_on(principal, input.marketplace.value):
            raise forbidden("A marketplace opens storefronts on its own marketplace only")
        household_id = uuid_of(input.household_id, "Household")
        if household_id is None or not opens_storefronts_for(principal, str(household_id)):
            return OpenStorefrontPayload(storefront=None,
                                         user_errors=_not_found("household", ["input", "householdId"]).user_errors)
        request: dict[str, Any] = plain(input)

        def command() -> dict[str, Any]:
            storefront_id = ctx.system.app.open_storefront(
                household_id=household_id, marketplace=input.marketplace.value, name=input.name,
                location=request["location"], opening_hours=request["opening_hours"],
                contact_phone=given(input.contact_phone),
            )
            return {"storefrontId": str(storefront_id)}

        outcome = await execute(ctx, "openStorefront", request, given(idempotency_key), command)
        return OpenStorefrontPayload(storefront=await _storefront_payload(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*MANAGERS))
    async def set_storefront_status(
        self, info: strawberry.Info, input: SetStorefrontStatusInput, idempotency_key: str | None = strawberry.UNSET
    ) -> SetStorefrontStatusPayload:
        ctx: Context = info.context
        target = await _managed(ctx, input.storefront_id, "Storefront", storefront_row)
        if isinstance(target, Outcome):
            return SetStorefrontStatusPayload(storefront=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            return {"storefrontId": str(ctx.system.app.set_storefront_status(target, input.status.value))}

        outcome = await execute(ctx, "setStorefrontStatus", plain(input), given(idempotency_key), command)
        return SetStorefrontStatusPayload(storefront=await _storefront_payload(ctx, outcome),
                                          user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*MANAGERS))
    async def publish_listing(
        self, info: strawberry.Info, input: PublishListingInput, idempotency_key: str | None = strawberry.UNSET
    ) -> PublishListingPayload:
        ctx: Context = info.context
        target = await _managed(ctx, input.storefront_id, "Storefront", storefront_row)
        if isinstance(target, Outcome):
            return PublishListingPayload(listing=None, user_errors=target.user_errors)
        request: dict[str, Any] = plain(input)

        def command() -> dict[str, Any]:
            campaign_id = None
            if given(input.campaign_id) is not None:
                campaign_id = uuid_of(input.campaign_id, "Campaign")
                if campaign_id is None:
                    raise NotFound("No campaign with this id", ["input", "campaignId"])
            weight = given(input.weight_per_unit_kg)
            listing_id = ctx.system.app.publish_listing(
                storefront_id=target, title=input.title, description=given(input.description),
                category=input.category.value, unit=input.unit, unit_price=request["unit_price"],
                stock_quantity=input.stock_quantity, shelf_life_hours=input.shelf_life_hours,
                certification_ids=_certification_ids(given(input.certification_ids) or []),
                campaign_id=campaign_id, weight_per_unit_kg=None if weight is None else Decimal(str(weight)),
            )
            return {"listingId": str(listing_id)}

        outcome = await execute(ctx, "publishListing", request, given(idempotency_key), command)
        return PublishListingPayload(listing=await _listing_payload(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*MANAGERS))
    async def adjust_stock(
        self, info: strawberry.Info, input: AdjustStockInput, idempotency_key: str | None = strawberry.UNSET
    ) -> AdjustStockPayload:
        app = info.context.system.app
        listing, outcome = await _change_listing(info, "adjustStock", input, idempotency_key,
                                                lambda target: app.adjust_stock(target, input.delta, input.reason))
        return AdjustStockPayload(listing=listing, user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*MANAGERS))
    async def change_price(
        self, info: strawberry.Info, input: ChangePriceInput, idempotency_key: str | None = strawberry.UNSET
    ) -> ChangePricePayload:
        app, price = info.context.system.app, plain(input.unit_price)
        listing, outcome = await _change_listing(info, "changePrice", input, idempotency_key,
                                                lambda target: app.change_price(target, price))
        return ChangePricePayload(listing=listing, user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*MANAGERS), description="Take a listing off sale for now (beyond the contract).")
    async def pause_listing(
        self, info: strawberry.Info, input: ListingStatusInput, idempotency_key: str | None = strawberry.UNSET
    ) -> ListingStatusPayload:
        listing, outcome = await _change_listing(info, "pauseListing", input, idempotency_key,
                                                info.context.system.app.pause_listing)
        return ListingStatusPayload(listing=listing, user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*MANAGERS), description="Put a paused listing back on sale (beyond the contract).")
    async def resume_listing(
        self, info: strawberry.Info, input: ListingStatusInput, idempotency_key: str | None = strawberry.UNSET
    ) -> ListingStatusPayload:
        listing, outcome = await _change_listing(info, "resumeListing", input, idempotency_key,
                                                info.context.system.app.resume_listing)
        return ListingStatusPayload(listing=listing, user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow(*MANAGERS), description="Withdraw a listing for good (beyond the contract).")
    async def delist_listing(
        self, info: strawberry.Info, input: ListingStatusInput, idempotency_key: str | None = strawberry.UNSET
    ) -> ListingStatusPayload:
        listing, outcome = await _change_listing(info, "delistListing", input, idempotency_key,
                                                info.context.system.app.delist_listing)
        return ListingStatusPayload(listing=listing, user_errors=outcome.user_errors, outcome=outcome)
