"""Listing: a product a storefront offers — price per unit, stock, shelf life, certifications.

Stock is the listing's own consistency boundary: orders ``reserve`` from it and ``release`` back
into it, and it never goes negative. Status follows stock (ACTIVE ⇄ SOLD_OUT) unless the household
paused or delisted the listing.

The Published event carries the storefront's marketplace and the household's area, so read models
(catalog filters, province rollouts) need no lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.currency import check_domestic_currency
from farmgate.core.domain.errors import InvalidInput, InvalidTransition, OutOfStock
from farmgate.core.domain.household import Household
from farmgate.core.domain.text import optional_text, required_text
from farmgate.core.domain.money import Money
from farmgate.core.domain.storefront import Storefront

CATEGORIES = (
    "FRUIT", "VEGETABLE", "RICE_AND_GRAIN", "SEAFOOD", "LIVESTOCK", "PROCESSED_FOOD", "FARM_INPUT", "OTHER",
)
LISTING_STATUSES = ("ACTIVE", "SOLD_OUT", "PAUSED", "DELISTED")

#: most units a listing holds, and most one stock adjustment moves: a million kg is a thousand tonnes,
#: more than a whole commune's harvest of one crop; beyond it a number is a typo, not a harvest
MAX_STOCK = 1_000_000
# Two years: rice, processed food (OCOP products) and farm inputs keep that long; lychee 48 hours.
MAX_SHELF_LIFE_HOURS = 17_520
MAX_UNIT_PRICE = Decimal(10) ** 12
MAX_CERTIFICATIONS = 10


def _whole(value: Any, field: list[str], low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be a whole number", field)
    if not low <= value <= high:
        raise InvalidInput(f"{what} must be between {low} and {high:,}", field)
    return value


def _checked_price(price: Money, field: list[str]) -> Money:
    check_domestic_currency(price.currency, field + ["currency"])
    if not price.is_positive:
        raise InvalidInput("unitPrice must be more than zero", field + ["amount"])
    if price.amount > MAX_UNIT_PRICE:
        raise InvalidInput("unitPrice is implausibly high", field + ["amount"])
    return price


#: units that are kilograms (case-insensitive): a listing sold by them weighs what it sells
KILOGRAM_UNITS = frozenset({"kg", "kgs", "kilogram", "kilograms", "kilôgam", "ký", "cân"})
#: heaviest one unit may be: a tonne (a crate, a sack, a basket are far lighter)
MAX_WEIGHT_PER_UNIT_KG = Decimal(1000)
WEIGHT_STEP = Decimal("0.001")  # grams


def sold_by_kilogram(unit: str) -> bool:
    return unit.strip().casefold() in KILOGRAM_UNITS


def checked_weight_per_unit(unit: str, weight: Decimal | None, field: list[str]) -> Decimal | None:
    """The weight of one unit in kg, to the gram, for a listing not sold by the kilogram (optional: without it
    its sales count in no campaign's kilograms); None for a per-kg listing. InvalidInput for a weight on a per-kg
    listing other than 1, for one not in (0, 1000] or finer than a gram."""
    if weight is None:
        return None
    if not isinstance(weight, Decimal) or not weight.is_finite():
        raise InvalidInput("weightPerUnitKg must be a number of kilograms", field)
    if sold_by_kilogram(unit):
        if weight != 1:
            raise InvalidInput("A listing sold by the kilogram weighs 1 kg a unit; leave weightPerUnitKg out", field)
        return None
    if not 0 < weight <= MAX_WEIGHT_PER_UNIT_KG:
        raise InvalidInput(f"weightPerUnitKg must be more than 0 and at most {MAX_WEIGHT_PER_UNIT_KG}", field)
    if weight != weight.quantize(WEIGHT_STEP):
        raise InvalidInput("weightPerUnitKg is given to the gram at most (3 decimals)", field)
    return weight.quantize(WEIGHT_STEP)


def grams_per_unit(unit: str, weight_per_unit_kg: str | None) -> int | None:
    """Grams one unit of a listing weighs: 1,000 for a per-kg listing, from its weight otherwise, None when
    its weight is unknown."""
    if sold_by_kilogram(unit):
        return 1000
    if weight_per_unit_kg is None:
        return None
    return int(Decimal(weight_per_unit_kg) * 1000)


def _certifications(
    household: Household, certification_ids: Sequence[UUID], now: datetime, field: list[str]
) -> list[dict[str, Any]]:
    """Snapshots of the household's valid certifications the listing claims."""
    if len(certification_ids) > MAX_CERTIFICATIONS:
        raise InvalidInput(f"At most {MAX_CERTIFICATIONS} certifications", field)
    claimed: list[dict[str, Any]] = []
    for index, certification_id in enumerate(certification_ids):
        path = field + [str(index)]
        found = household.certifications.get(certification_id)
        # The same words for "another household's" and "no such": the message reveals nothing.
        if found is None:
            raise InvalidInput("Not a certification of this storefront's household", path)
        if found["valid_until"] <= now:
            raise InvalidInput(f"This {found['scheme']} certification has expired", path)
        if any(c["certification_id"] == certification_id for c in claimed):
            raise InvalidInput("This certification is listed twice", path)
        claimed.append(
            {"certification_id": certification_id, "scheme": found["scheme"], "valid_until": found["valid_until"]}
        )
    return claimed


class Listing(FarmAggregate):
    class Published(FarmAggregate.Created):
        storefront_id: UUID
        household_id: UUID
        marketplace: str
        address_scheme: int
        province_code: str
        district_code: str | None
        title: str
        description: str | None
        category: str
        unit: str
        unit_price: dict[str, str]
        stock_quantity: int
        shelf_life_hours: int
        certifications: list[dict[str, Any]]
        campaign_id: UUID | None
        #: kilograms one unit weighs, as a decimal string (None for a per-kg listing, and absent from
        #: listings published before it existed: read as None)
        weight_per_unit_kg: str | None

    class StockAdjusted(FarmAggregate.Event):
        delta: int
        reason: str
        stock_quantity: int

        def apply(self, listing: Listing) -> None:
            listing.stock_quantity = self.stock_quantity

    class StockReserved(FarmAggregate.Event):
        quantity: int
        order_id: UUID | None
        stock_quantity: int

        def apply(self, listing: Listing) -> None:
            listing.stock_quantity = self.stock_quantity

    class StockReleased(FarmAggregate.Event):
        quantity: int
        order_id: UUID | None
        stock_quantity: int

        def apply(self, listing: Listing) -> None:
            listing.stock_quantity = self.stock_quantity

    class SoldOut(FarmAggregate.Event):
        def apply(self, listing: Listing) -> None:
            listing.status = "SOLD_OUT"

    class BackInStock(FarmAggregate.Event):
        def apply(self, listing: Listing) -> None:
            listing.status = "ACTIVE"

    class PriceChanged(FarmAggregate.Event):
        unit_price: dict[str, str]
        previous_unit_price: dict[str, str]

        def apply(self, listing: Listing) -> None:
            listing._unit_price = self.unit_price

    class Paused(FarmAggregate.Event):
        def apply(self, listing: Listing) -> None:
            listing.status = "PAUSED"

    class Resumed(FarmAggregate.Event):
        status: str  # ACTIVE, or SOLD_OUT if the stock ran out while paused

        def apply(self, listing: Listing) -> None:
            listing.status = self.status

    class Delisted(FarmAggregate.Event):
        def apply(self, listing: Listing) -> None:
            listing.status = "DELISTED"

    def __init__(
        self,
        storefront_id: UUID,
        household_id: UUID,
        marketplace: str,
        address_scheme: int,
        province_code: str,
        district_code: str | None,
        title: str,
        description: str | None,
        category: str,
        unit: str,
        unit_price: dict[str, str],
        stock_quantity: int,
        shelf_life_hours: int,
        certifications: list[dict[str, Any]],
        campaign_id: UUID | None,
        occurred_at: datetime,
        weight_per_unit_kg: str | None = None,
    ) -> None:
        self.storefront_id = storefront_id
        self.household_id = household_id
        self.marketplace = marketplace
        self.address_scheme = address_scheme
        self.province_code = province_code
        self.district_code = district_code
        self.title = title
        self.description = description
        self.category = category
        self.unit = unit
        # A primitive, so a snapshot of a long-lived listing needs no custom transcoding.
        self._unit_price = unit_price
        self.stock_quantity = stock_quantity
        self.shelf_life_hours = shelf_life_hours
        self.certifications = certifications
        self.campaign_id = campaign_id
        self.weight_per_unit_kg = weight_per_unit_kg
        self.status = "ACTIVE"
        self.published_at = occurred_at

    @classmethod
    def publish(
        cls,
        *,
        storefront: Storefront,
        household: Household,
        title: str,
        description: str | None,
        category: str,
        unit: str,
        unit_price: Money,
        stock_quantity: int,
        shelf_life_hours: int,
        certification_ids: Sequence[UUID] = (),
        campaign_id: UUID | None = None,
        weight_per_unit_kg: Decimal | None = None,
        now: datetime,
    ) -> Listing:
        if storefront.household_id != household.id:
            raise ValueError("publish needs the storefront's own household")
        if not storefront.takes_new_listings:
            raise InvalidTransition("The storefront is closed and takes no new listings", ["input", "storefrontId"])
        if category not in CATEGORIES:
            raise InvalidInput(f"Unknown category; use one of {', '.join(CATEGORIES)}", ["input", "category"])
        description = optional_text(description, ["input", "description"], 5000, multiline=True)
        address = household.address
        unit = required_text(unit, ["input", "unit"], 50)
        weight = checked_weight_per_unit(unit, weight_per_unit_kg, ["input", "weightPerUnitKg"])
        return cls._start(
            cls.Published,
            uuid4(),
            storefront_id=storefront.id,
            household_id=household.id,
            marketplace=storefront.marketplace,
            address_scheme=int(address["scheme"]),
            province_code=str(address["province_code"]),
            district_code=address.get("district_code"),
            title=required_text(title, ["input", "title"], 200),
            description=description,
            category=category,
            unit=unit,
            unit_price=_checked_price(unit_price, ["input", "unitPrice"]).to_primitive(),
            stock_quantity=_whole(stock_quantity, ["input", "stockQuantity"], 1, MAX_STOCK, "stockQuantity"),
            shelf_life_hours=_whole(
                shelf_life_hours, ["input", "shelfLifeHours"], 1, MAX_SHELF_LIFE_HOURS, "shelfLifeHours"
            ),
            certifications=_certifications(household, certification_ids, now, ["input", "certificationIds"]),
            campaign_id=campaign_id,
            weight_per_unit_kg=None if weight is None else format(weight.normalize(), "f"),
        )

    @property
    def unit_price(self) -> Money:
        return Money.from_primitive(self._unit_price)

    def _check_not_delisted(self, field: list[str]) -> None:
        if self.status == "DELISTED":
            raise InvalidTransition("The listing is delisted", field)

    def _follow_stock(self) -> None:
        """Sold out at zero, back on sale with new stock; a paused listing stays paused."""
        if self.status == "ACTIVE" and self.stock_quantity == 0:
            self._record(self.SoldOut)
        elif self.status == "SOLD_OUT" and self.stock_quantity > 0:
            self._record(self.BackInStock)

    # -- stock -----------------------------------------------------------------------------------

    def adjust_stock(self, delta: int, reason: str) -> None:
        """A new harvest (positive) or a loss (negative), with the household's reason."""
        self._check_not_delisted(["input", "listingId"])
        _whole(delta, ["input", "delta"], -MAX_STOCK, MAX_STOCK, "delta")
        if delta == 0:
            raise InvalidInput("delta must not be zero", ["input", "delta"])
        reason = required_text(reason, ["input", "reason"], 200)
        after = self.stock_quantity + delta
        if after < 0:
            raise InvalidInput(f"Only {self.stock_quantity} in stock; the loss cannot exceed it", ["input", "delta"])
        if after > MAX_STOCK:
            raise InvalidInput(f"Stock cannot exceed {MAX_STOCK:,}", ["input", "delta"])
        self._record(self.StockAdjusted, delta=delta, reason=reason, stock_quantity=after)
        self._follow_stock()

    def reserve(self, quantity: int, *, order_id: UUID | None = None, field: list[str] | None = None) -> None:
        """Take ``quantity`` for an order, or refuse with OutOfStock; stock never goes negative."""
        path = field or ["input", "quantity"]
        _whole(quantity, path, 1, MAX_STOCK, "quantity")
        if self.status in ("PAUSED", "DELISTED"):
            raise InvalidTransition(f"The listing is {self.status.lower()} and takes no orders", path)
        if quantity > self.stock_quantity:
            raise OutOfStock(f"Only {self.stock_quantity} {self.unit} left", path)
        self._record(self.StockReserved, quantity=quantity, order_id=order_id, stock_quantity=self.stock_quantity - quantity)
        self._follow_stock()

    def release(self, quantity: int, *, order_id: UUID | None = None, field: list[str] | None = None) -> None:
        """Put back stock an order had reserved (cancelled, refused). Even a delisted listing keeps count, and
        the count may pass MAX_STOCK: the units existed, and a cancel must not fail because a harvest was
        added meanwhile (MAX_STOCK bounds what a household types, not what comes back)."""
        path = field or ["input", "quantity"]
        _whole(quantity, path, 1, MAX_STOCK, "quantity")
        self._record(self.StockReleased, quantity=quantity, order_id=order_id, stock_quantity=self.stock_quantity + quantity)
        self._follow_stock()

    # -- price and status ------------------------------------------------------------------------

    def change_price(self, unit_price: Money) -> None:
        self._check_not_delisted(["input", "listingId"])
        if unit_price.currency != self.unit_price.currency:
            # A new price, not a new currency: every order, claim and refund of the listing is in its own.
            raise InvalidInput(f"This listing is priced in {self.unit_price.currency}; a new price keeps its currency",
                               ["input", "unitPrice", "currency"])
        price = _checked_price(unit_price, ["input", "unitPrice"])
        if price == self.unit_price:
            return  # the price it already has: nothing happened
        self._record(self.PriceChanged, unit_price=price.to_primitive(), previous_unit_price=self._unit_price)

    def pause(self) -> None:
        if self.status not in ("ACTIVE", "SOLD_OUT"):
            raise InvalidTransition(f"A {self.status} listing cannot be paused", ["input", "listingId"])
        self._record(self.Paused)

    def resume(self) -> None:
        if self.status != "PAUSED":
            raise InvalidTransition(f"A {self.status} listing cannot be resumed", ["input", "listingId"])
        self._record(self.Resumed, status="ACTIVE" if self.stock_quantity > 0 else "SOLD_OUT")

    def delist(self) -> None:
        self._check_not_delisted(["input", "listingId"])
        self._record(self.Delisted)
