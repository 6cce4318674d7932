"""Listing aggregates on POPO: publishing, stock that never goes negative, price and status."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.application import Farmgate
from farmgate.core.domain.errors import DomainError, InvalidInput, InvalidTransition, OutOfStock
from farmgate.core.domain.household import Household
from farmgate.core.domain.listing import MAX_STOCK, Listing
from farmgate.core.domain.money import Money
from farmgate.core.domain.opening_hours import OpeningHours
from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.storefront import Storefront

NOW = datetime(2021, 6, 10, 2, 0, tzinfo=timezone.utc)
PRICE = Money(Decimal(35000), "VND")


def a_household(digest: str = "d" * 64, province: str = "24") -> Household:
    return Household.register(
        code=f"HH-{province}-000001",
        name="Hộ Nguyễn Văn Vải",
        national_id_digest=digest,
        phone="+84912000101",
        address={"scheme": 2021, "province_code": province, "district_code": "219", "ward_code": None, "street": None},
    )


def a_storefront(household: Household) -> Storefront:
    return Storefront.open(household=household, marketplace="VOSO", name="Vải thiều Lục Ngạn",
                           location=GeoPoint(21.38, 106.58), opening_hours=OpeningHours())


def publish(household: Household | None = None, storefront: Storefront | None = None, **overrides) -> Listing:
    household = household or a_household()
    args = dict(
        storefront=storefront or a_storefront(household),
        household=household,
        title="Vải thiều Lục Ngạn loại 1",
        description="Hái sáng, giao trong 48 giờ",
        category="FRUIT",
        unit="hộp 5kg",
        unit_price=PRICE,
        stock_quantity=10,
        shelf_life_hours=48,
        certification_ids=[],
        now=NOW,
    )
    args.update(overrides)
    return Listing.publish(**args)


def event_names(listing: Listing) -> list[str]:
    return [type(e).__name__ for e in listing.collect_events()]


def test_a_published_listing_carries_what_the_catalog_needs_without_lookups() -> None:
    household = a_household(province="24")
    listing = publish(household)
    published = listing.pending_events[0]
    assert published.household_id == household.id
    assert published.storefront_id == listing.storefront_id
    assert (published.marketplace, published.province_code, published.address_scheme) == ("VOSO", "24", 2021)
    # Check money goes into the event as exact strings, never a float.
    assert published.unit_price == {"amount": "35000", "currency": "VND"}
    assert listing.unit_price == PRICE and listing.status == "ACTIVE"


def test_a_closed_storefront_takes_no_listings_but_a_temporarily_closed_one_does() -> None:
    household = a_household()
    storefront = a_storefront(household)
    storefront.set_status("TEMPORARILY_CLOSED")
    assert publish(household, storefront).status == "ACTIVE"
    storefront.set_status("CLOSED")
    with pytest.raises(InvalidTransition) as refused:
        publish(household, storefront)
    assert refused.value.field == ["input", "storefrontId"]


def test_certifications_must_be_the_households_own_and_still_valid() -> None:
    household, neighbour = a_household("a" * 64), a_household("b" * 64)
    own = household.add_certification("VIETGAP", "VG-24-001", "Sở NN&PTNT Bắc Giang", NOW + timedelta(days=365), NOW)
    soon = household.add_certification("OCOP", "OCOP-3", "UBND tỉnh", NOW + timedelta(days=2), NOW)
    theirs = neighbour.add_certification("GLOBALGAP", "GG-9", "Control Union", NOW + timedelta(days=365), NOW)

    listing = publish(household, certification_ids=[own, soon])
    assert [c["scheme"] for c in listing.certifications] == ["VIETGAP", "OCOP"]

    with pytest.raises(InvalidInput) as other_households:
        publish(household, certification_ids=[own, theirs])
    assert other_households.value.field == ["input", "certificationIds", "1"]
    with pytest.raises(InvalidInput) as unknown:
        publish(household, certification_ids=[uuid4()])
    # Check "another household's" and "no such" read the same: the message reveals nothing.
    assert unknown.value.message == other_households.value.message
    with pytest.raises(InvalidInput) as expired:
        publish(household, certification_ids=[soon], now=NOW + timedelta(days=3))
    assert expired.value.field == ["input", "certificationIds", "0"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit_price": Money(Decimal(-1000), "VND")}, ["input", "unitPrice", "amount"]),
        ({"unit_price": Money(Decimal(0), "VND")}, ["input", "unitPrice", "amount"]),
        ({"stock_quantity": 0}, ["input", "stockQuantity"]),
        ({"stock_quantity": -5}, ["input", "stockQuantity"]),
        ({"stock_quantity": MAX_STOCK + 1}, ["input", "stockQuantity"]),
        ({"stock_quantity": 2.5}, ["input", "stockQuantity"]),
        ({"shelf_life_hours": 0}, ["input", "shelfLifeHours"]),
        ({"shelf_life_hours": 10**6}, ["input", "shelfLifeHours"]),
        ({"category": "DURIAN"}, ["input", "category"]),
        ({"title": "   "}, ["input", "title"]),
        ({"unit": ""}, ["input", "unit"]),
        ({"description": "x" * 5001}, ["input", "description"]),
    ],
)
def test_bad_listing_input_is_refused_with_its_field(overrides: dict, field: list[str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        publish(**overrides)
    assert refused.value.field == field


def test_sold_out_at_zero_and_active_again_on_a_new_harvest() -> None:
    listing = publish(stock_quantity=3)
    listing.collect_events()
    listing.adjust_stock(-3, "hư hỏng do mưa")
    assert (listing.stock_quantity, listing.status) == (0, "SOLD_OUT")
    listing.adjust_stock(200, "thu hoạch mới")
    assert (listing.stock_quantity, listing.status) == (200, "ACTIVE")
    assert event_names(listing) == ["StockAdjusted", "SoldOut", "StockAdjusted", "BackInStock"]


@pytest.mark.parametrize(
    ("delta", "reason", "field"),
    [(0, "nothing", "delta"), (-11, "lost more than we had", "delta"), (True, "x", "delta"),
     (MAX_STOCK, "too much", "delta"), (5, "  ", "reason")],
)
def test_a_stock_adjustment_must_change_something_explainable_and_stay_in_range(
    delta: int, reason: str, field: str
) -> None:
    listing = publish(stock_quantity=10)
    with pytest.raises(InvalidInput) as refused:
        listing.adjust_stock(delta, reason)
    assert refused.value.field == ["input", field]
    assert listing.stock_quantity == 10


def test_reserving_more_than_is_left_is_out_of_stock_and_takes_nothing() -> None:
    listing = publish(stock_quantity=5)
    listing.reserve(4, order_id=uuid4())
    with pytest.raises(OutOfStock) as refused:
        listing.reserve(2, field=["input", "lines", "0", "quantity"])
    assert refused.value.code == "OUT_OF_STOCK"
    assert refused.value.field == ["input", "lines", "0", "quantity"]
    assert listing.stock_quantity == 1
    listing.reserve(1)
    assert (listing.stock_quantity, listing.status) == (0, "SOLD_OUT")
    with pytest.raises(OutOfStock):
        listing.reserve(1)
    listing.release(3)
    assert (listing.stock_quantity, listing.status) == (3, "ACTIVE")


def test_a_paused_listing_takes_no_orders_and_resumes_as_its_stock_says() -> None:
    listing = publish(stock_quantity=2)
    listing.pause()
    with pytest.raises(InvalidTransition):
        listing.reserve(1)
    listing.adjust_stock(-2, "bán ngoài chợ")
    assert listing.status == "PAUSED"
    listing.resume()
    assert listing.status == "SOLD_OUT"


def test_a_delisted_listing_is_final_but_still_counts_stock_coming_back() -> None:
    listing = publish(stock_quantity=2)
    listing.reserve(2)
    listing.delist()
    for change in (lambda: listing.adjust_stock(5, "x"), lambda: listing.change_price(PRICE * 2),
                   listing.pause, listing.resume, listing.delist, lambda: listing.reserve(1)):
        with pytest.raises(InvalidTransition):
            change()
    with pytest.raises(InvalidTransition) as again:
        listing.delist()
    assert (again.value.message, again.value.field) == ("The listing is delisted", ["input", "listingId"])
    listing.release(2)  # a cancelled order gives its stock back even after delisting
    assert (listing.stock_quantity, listing.status) == (2, "DELISTED")


def test_a_price_change_is_exact_and_the_same_price_records_nothing() -> None:
    listing = publish()
    listing.collect_events()
    listing.change_price(PRICE)
    assert listing.collect_events() == []
    listing.change_price(Money(Decimal(32000), "VND"))
    (changed,) = listing.collect_events()
    assert changed.unit_price == {"amount": "32000", "currency": "VND"}
    assert changed.previous_unit_price == {"amount": "35000", "currency": "VND"}
    with pytest.raises(InvalidInput) as refused:
        listing.change_price(Money(Decimal(-1), "VND"))
    assert refused.value.field == ["input", "unitPrice", "amount"]
    with pytest.raises(InvalidInput) as currency:
        listing.change_price(Money(Decimal(2), "EUR"))
    assert (currency.value.message, currency.value.field) == (
        "This listing is priced in VND; a new price keeps its currency", ["input", "unitPrice", "currency"])


operations = st.lists(
    st.tuples(st.sampled_from(["reserve", "release", "adjust", "pause", "resume"]), st.integers(-50, 50)),
    max_size=40,
)


@given(st.integers(min_value=1, max_value=100), operations)
def test_stock_never_goes_negative_and_status_follows_it(initial: int, steps: list[tuple[str, int]]) -> None:
    listing = publish(stock_quantity=initial)
    for operation, amount in steps:
        try:
            if operation == "reserve":
                listing.reserve(amount)
            elif operation == "release":
                listing.release(amount)
            elif operation == "adjust":
                listing.adjust_stock(amount, "kiểm kho")
            else:
                getattr(listing, operation)()
        except DomainError:
            pass
        assert listing.stock_quantity >= 0
        if listing.status != "PAUSED":
            assert listing.status == ("ACTIVE" if listing.stock_quantity > 0 else "SOLD_OUT")
    # Check the events alone rebuild the same state (what a reload from the store does).
    rebuilt = None
    for event in listing.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert (rebuilt.stock_quantity, rebuilt.status) == (listing.stock_quantity, listing.status)


def test_listing_and_storefront_survive_a_snapshots_round_trip() -> None:
    # A popular listing's stream grows with every order: its state must snapshot without custom transcoding.
    app = Farmgate({"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"})
    household = a_household()
    certification = household.add_certification("VIETGAP", "VG-1", "Sở NN", NOW + timedelta(days=365), NOW)
    storefront = Storefront.open(
        household=household, marketplace="POSTMART", name="Vải nhà Thiều", location=GeoPoint(21.38, 106.58),
        opening_hours=OpeningHours.checked([{"day_of_week": 1, "opens": "07:00", "closes": "11:00"}], ["h"]),
    )
    listing = publish(household, storefront, certification_ids=[certification])
    for _ in range(5):
        listing.reserve(2, order_id=uuid4())
    listing.change_price(Money(Decimal("32000"), "VND"))
    app.save(household, storefront, listing)
    for aggregate in (storefront, listing):
        app.take_snapshot(aggregate.id)
        # Check the snapshot as stored (encoded, then decoded by the app's transcoder) rebuilds it.
        (snapshot,) = app.snapshots.get(aggregate.id)
        rebuilt = snapshot.mutate(None)
        assert rebuilt is not aggregate and vars(rebuilt) == vars(aggregate)
    rebuilt_listing = next(iter(app.snapshots.get(listing.id))).mutate(None)
    assert rebuilt_listing.unit_price == Money(Decimal(32000), "VND") and rebuilt_listing.stock_quantity == 0
