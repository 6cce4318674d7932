"""Catalog use cases: open a storefront, set its status, publish listings and keep them current."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from farmgate.core.domain.campaign import Campaign
from farmgate.core.domain.errors import AlreadyExists, InvalidInput
from farmgate.core.domain.household import Household
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.money import Money
from farmgate.core.domain.opening_hours import OpeningHours
from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.storefront import Storefront, check_marketplace, storefront_id_for

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate


def _price(unit_price: Mapping[str, Any]) -> Money:
    return Money.parse(unit_price.get("amount", ""), unit_price.get("currency", ""), ["input", "unitPrice"])


class CatalogCommands:
    def open_storefront(
        self: Farmgate,
        *,
        household_id: UUID,
        marketplace: str,
        name: str,
        location: Mapping[str, float],
        opening_hours: Sequence[Mapping[str, Any]],
        contact_phone: str | None = None,
    ) -> UUID:
        check_marketplace(marketplace, ["input", "marketplace"])
        point = GeoPoint.checked(location["latitude"], location["longitude"], ["input", "location"])
        hours = OpeningHours.checked(opening_hours, ["input", "openingHours"])

        def command() -> UUID:
            household = self.load(Household, household_id, ["input", "householdId"])
            if self.exists(storefront_id_for(household.id, marketplace)):
                raise AlreadyExists(f"This household already has a storefront on {marketplace}", ["input", "marketplace"])
            if contact_phone is not None and self.erasure_of(self.household_subject(household.id)) is not None:
                # its key is destroyed: the number could not be kept, and would read as erased
                raise InvalidInput("This household's personal data was erased: a contact number cannot be kept for"
                                   " it; open the storefront without one", ["input", "contactPhone"])
            storefront = Storefront.open(
                household=household, marketplace=marketplace, name=name, location=point, opening_hours=hours,
                contact_phone=contact_phone,
            )
            self.save(storefront)
            return storefront.id

        return self.retrying(command, "this storefront")

    def set_storefront_status(self: Farmgate, storefront_id: UUID, status: str) -> UUID:
        def command() -> UUID:
            storefront = self.load(Storefront, storefront_id, ["input", "storefrontId"])
            storefront.set_status(status)
            self.save(storefront)
            return storefront.id

        return self.retrying(command, "this storefront")

    def publish_listing(
        self: Farmgate,
        *,
        storefront_id: UUID,
        title: str,
        description: str | None,
        category: str,
        unit: str,
        unit_price: Mapping[str, Any],
        stock_quantity: int,
        shelf_life_hours: int,
        certification_ids: Sequence[UUID] = (),
        campaign_id: UUID | None = None,
        weight_per_unit_kg: Decimal | None = None,
    ) -> UUID:
        """Publish a listing; ``campaign_id`` joins it to a campaign of its household's province (NotFound
        for a campaign that does not exist, InvalidInput for one of another province);
        ``weight_per_unit_kg`` for a listing not sold by the kilogram (see ``checked_weight_per_unit``)."""
        price = _price(unit_price)

        def command() -> UUID:
            storefront = self.load(Storefront, storefront_id, ["input", "storefrontId"])
            household = self.load(Household, storefront.household_id, ["input", "storefrontId"])
            if campaign_id is not None:
                self._check_joins_campaign(household, campaign_id)
            listing = Listing.publish(
                storefront=storefront,
                household=household,
                title=title,
                description=description,
                category=category,
                unit=unit,
                unit_price=price,
                stock_quantity=stock_quantity,
                shelf_life_hours=shelf_life_hours,
                certification_ids=list(certification_ids),
                campaign_id=campaign_id,
                weight_per_unit_kg=weight_per_unit_kg,
                now=self.clock(),
            )
            self.save(listing)
            return listing.id

        return self.retrying(command, "this listing")

    def _check_joins_campaign(self: Farmgate, household: Household, campaign_id: UUID) -> None:
        field = ["input", "campaignId"]
        campaign = self.load(Campaign, campaign_id, field)
        address = household.address
        if not campaign.area.covers(int(address["scheme"]), str(address["province_code"]), address.get("ward_code")):
            raise InvalidInput("The campaign is of another province than this storefront's household", field)

    def _change_listing(self: Farmgate, listing_id: UUID, change: Callable[[Listing], None]) -> UUID:
        # A popular listing is a hot aggregate: a lost version race is reloaded and retried.
        def command() -> UUID:
            listing = self.load(Listing, listing_id, ["input", "listingId"])
            change(listing)
            self.save(listing)
            return listing.id

        return self.retrying(command, "this listing")

    def adjust_stock(self: Farmgate, listing_id: UUID, delta: int, reason: str) -> UUID:
        return self._change_listing(listing_id, lambda listing: listing.adjust_stock(delta, reason))

    def change_price(self: Farmgate, listing_id: UUID, unit_price: Mapping[str, Any]) -> UUID:
        price = _price(unit_price)
        return self._change_listing(listing_id, lambda listing: listing.change_price(price))

    def pause_listing(self: Farmgate, listing_id: UUID) -> UUID:
        return self._change_listing(listing_id, Listing.pause)

    def resume_listing(self: Farmgate, listing_id: UUID) -> UUID:
        return self._change_listing(listing_id, Listing.resume)

    def delist_listing(self: Farmgate, listing_id: UUID) -> UUID:
        return self._change_listing(listing_id, Listing.delist)
