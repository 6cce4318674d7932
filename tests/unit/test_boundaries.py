"""Exact limits of each domain rule, beside its property test: 0, 1, limit − 1, limit, limit + 1, and
for each refusal the error it must be (not just any refusal), with nothing recorded."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from farmgate.core.domain.contact import check_national_id, normalise_phone
from farmgate.core.domain.errors import InvalidInput, LimitExceeded, OutOfStock
from farmgate.core.domain.export_order import MAX_HARVEST_TO_DOOR_HOURS, MAX_LOT_KG, MAX_ORDER_KG
from farmgate.core.domain.export_sla import AT_RISK, BREACHED, MET, ON_TRACK, assess_clock
from farmgate.core.domain.listing import MAX_CERTIFICATIONS, MAX_SHELF_LIFE_HOURS, MAX_STOCK, MAX_UNIT_PRICE
from farmgate.core.domain.money import Money
from farmgate.core.domain.opening_hours import MAX_INTERVALS, OpeningHours
from farmgate.core.domain.order import MAX_LINE_QUANTITY, MAX_LINES, MAX_PROMISE_HOURS
from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.text import CLOCK_SKEW, required_text
from farmgate.core.domain.webhook_endpoint import MAX_SECRET_BYTES, MAX_URL_LENGTH, MIN_SECRET_BYTES, check_secret, check_url
from tests.unit import test_claim, test_export_order, test_listing, test_order, test_shipment


def vnd(amount: int) -> Money:
    return Money(Decimal(amount), "VND")


# -- stock ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stock", "accepted"), [(0, False), (1, True), (MAX_STOCK - 1, True), (MAX_STOCK, True),
                                                 (MAX_STOCK + 1, False)])
def test_a_listing_publishes_between_one_and_max_stock(stock: int, accepted: bool) -> None:
    if accepted:
        assert test_listing.publish(stock_quantity=stock).stock_quantity == stock
    else:
        with pytest.raises(InvalidInput) as refused:
            test_listing.publish(stock_quantity=stock)
        assert refused.value.field == ["input", "stockQuantity"]


@pytest.mark.parametrize(("delta", "after"), [(-9, 1), (-10, 0), (-11, None), (MAX_STOCK - 10, MAX_STOCK),
                                              (MAX_STOCK - 9, None)])
def test_a_stock_adjustment_stops_exactly_at_zero_and_at_max_stock(delta: int, after: int | None) -> None:
    listing = test_listing.publish(stock_quantity=10)
    listing.collect_events()
    if after is None:
        with pytest.raises(InvalidInput) as refused:
            listing.adjust_stock(delta, "kiểm kho")
        assert refused.value.field == ["input", "delta"]
        assert (listing.stock_quantity, listing.collect_events()) == (10, [])
    else:
        listing.adjust_stock(delta, "kiểm kho")
        assert listing.stock_quantity == after
        assert listing.status == ("SOLD_OUT" if after == 0 else "ACTIVE")


@pytest.mark.parametrize(("quantity", "left"), [(9, 1), (10, 0), (11, None)])
def test_an_order_may_take_the_last_unit_and_not_one_more(quantity: int, left: int | None) -> None:
    listing = test_listing.publish(stock_quantity=10)
    listing.collect_events()
    if left is None:
        with pytest.raises(OutOfStock):
            listing.reserve(quantity)
        assert (listing.stock_quantity, listing.collect_events()) == (10, [])
    else:
        listing.reserve(quantity)
        assert listing.stock_quantity == left and listing.status == ("SOLD_OUT" if left == 0 else "ACTIVE")


@pytest.mark.parametrize("quantity", [0, -1, MAX_STOCK + 1])
def test_a_reservation_or_release_of_nothing_or_too_much_is_invalid(quantity: int) -> None:
    listing = test_listing.publish(stock_quantity=10)
    for command in (listing.reserve, listing.release):
        with pytest.raises(InvalidInput):
            command(quantity)


def test_stock_an_order_gives_back_is_never_refused_for_the_maximum_a_household_enters() -> None:
    # MAX_STOCK bounds what a household enters; units a cancelled order returns come back whatever
    # the harvest added meanwhile (issue 9: a cancel refused for the stock maximum).
    listing = test_listing.publish(stock_quantity=MAX_STOCK - 1)
    listing.release(1)
    assert listing.stock_quantity == MAX_STOCK
    listing.release(1)
    assert listing.stock_quantity == MAX_STOCK + 1
    with pytest.raises(InvalidInput):
        listing.adjust_stock(1, "Thu hoạch thêm")
    assert listing.stock_quantity == MAX_STOCK + 1


@pytest.mark.parametrize(("hours", "accepted"), [(0, False), (1, True), (MAX_SHELF_LIFE_HOURS, True),
                                                 (MAX_SHELF_LIFE_HOURS + 1, False)])
def test_shelf_life_is_between_an_hour_and_two_years(hours: int, accepted: bool) -> None:
    if accepted:
        assert test_listing.publish(shelf_life_hours=hours).shelf_life_hours == hours
    else:
        with pytest.raises(InvalidInput):
            test_listing.publish(shelf_life_hours=hours)


@pytest.mark.parametrize(("amount", "accepted"), [(Decimal(0), False), (Decimal(1), True), (MAX_UNIT_PRICE, True),
                                                  (MAX_UNIT_PRICE + 1, False)])
def test_a_unit_price_is_more_than_zero_and_at_most_a_trillion(amount: Decimal, accepted: bool) -> None:
    price = Money(amount, "VND")
    if accepted:
        assert test_listing.publish(unit_price=price).unit_price == price
    else:
        with pytest.raises(InvalidInput) as refused:
            test_listing.publish(unit_price=price)
        assert refused.value.field == ["input", "unitPrice", "amount"]


def test_a_listing_claims_at_most_ten_certifications_valid_after_now() -> None:
    household = test_listing.a_household()
    ids = [household.add_certification("VIETGAP", f"VG-{i}", "Sở NN", test_listing.NOW + timedelta(days=1),
                                       test_listing.NOW) for i in range(MAX_CERTIFICATIONS + 1)]
    assert len(test_listing.publish(household, certification_ids=ids[:MAX_CERTIFICATIONS]).certifications) == 10
    with pytest.raises(InvalidInput):
        test_listing.publish(household, certification_ids=ids)
    expiring = household.add_certification("ORGANIC", "OR-1", "Sở NN", test_listing.NOW + timedelta(microseconds=1),
                                           test_listing.NOW - timedelta(days=1))
    assert test_listing.publish(household, certification_ids=[expiring]).certifications
    with pytest.raises(InvalidInput):
        test_listing.publish(household, certification_ids=[expiring], now=test_listing.NOW + timedelta(microseconds=1))


# -- orders -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shelf_life", "promise", "perishable"), [(1, 1, True), (47, 47, True), (48, 48, True),
                                                                   (49, 48, False), (8760, 48, False)])
def test_perishable_exactly_when_shelf_life_is_within_the_48_hour_promise(shelf_life: int, promise: int,
                                                                           perishable: bool, personal_data) -> None:
    assert MAX_PROMISE_HOURS == 48
    shop = test_order.Shop(personal_data)
    listing = test_order.a_listing(shop.household, shop.storefront, shelf_life_hours=shelf_life)
    order = test_order.place(shop.storefront, [(listing, 1)], test_order.a_buyer(personal_data))
    assert order.promised_by == test_order.NOW + timedelta(hours=promise)
    assert order.perishable is perishable


@pytest.mark.parametrize(("quantity", "accepted"), [(0, False), (1, True), (MAX_LINE_QUANTITY, True),
                                                    (MAX_LINE_QUANTITY + 1, False)])
def test_a_line_quantity_is_between_one_and_ten_thousand(quantity: int, accepted: bool, personal_data) -> None:
    shop = test_order.Shop(personal_data)
    listing = test_order.a_listing(shop.household, shop.storefront, stock_quantity=MAX_STOCK)
    if accepted:
        assert test_order.place(shop.storefront, [(listing, quantity)], test_order.a_buyer(personal_data)).lines
    else:
        with pytest.raises(InvalidInput) as refused:
            test_order.place(shop.storefront, [(listing, quantity)], test_order.a_buyer(personal_data))
        assert refused.value.field == ["input", "lines", "0", "quantity"]


@pytest.mark.parametrize(("count", "accepted"), [(MAX_LINES, True), (MAX_LINES + 1, False)])
def test_an_order_has_at_most_fifty_lines(count: int, accepted: bool, personal_data) -> None:
    shop = test_order.Shop(personal_data)
    listings = [test_order.a_listing(shop.household, shop.storefront) for _ in range(count)]
    lines = [(listing, 1) for listing in listings]
    if accepted:
        assert len(test_order.place(shop.storefront, lines, test_order.a_buyer(personal_data)).lines) == count
    else:
        with pytest.raises(InvalidInput) as refused:
            test_order.place(shop.storefront, lines, test_order.a_buyer(personal_data))
        assert refused.value.field == ["input", "lines"]


def test_a_payment_of_exactly_what_is_outstanding_pays_and_a_dong_more_is_overpaid(personal_data) -> None:
    # A payment beyond what is outstanding is a fact: recorded and flagged, no longer refused.
    later = test_order.LATER
    shop = test_order.Shop(personal_data)
    exact = test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(personal_data))  # 90,000 VND
    with pytest.raises(InvalidInput):
        exact.record_payment(vnd(0), "P-0", later, later)
    exact.record_payment(vnd(1), "P-1", later, later)
    assert exact.payment_status == "PENDING"
    exact.record_payment(vnd(89_999), "P-2", later, later)
    assert (exact.payment_status, exact.outstanding, exact.overpaid, exact.flags) == ("PAID", vnd(0), vnd(0), [])
    exact.record_payment(vnd(1), "P-3", later, later)
    assert (exact.payment_status, exact.overpaid, exact.refund_due, exact.flags) == (
        "REFUND_DUE", vnd(1), vnd(1), ["OVERPAID"])
    over = test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(personal_data))
    over.record_payment(vnd(90_001), "P-0", later, later)
    assert (over.payment_status, over.amount_paid, over.refund_due) == ("REFUND_DUE", vnd(90_001), vnd(1))


@pytest.mark.parametrize(("payment", "flag", "due"), [(90_001, None, 0), (90_002, "OVERPAID", 1)])
def test_a_payment_after_an_over_refund_is_overpaid_only_past_the_total_net_of_refunds(
    payment: int, flag: str | None, due: int, personal_data
) -> None:
    # Paid 90,000, refunded 90,001 (OVER_REFUNDED): 90,001 makes the order whole again, a dong more is overpaid.
    later = test_order.LATER
    shop = test_order.Shop(personal_data)
    order = test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(personal_data))  # 90,000 VND
    order.record_payment(vnd(90_000), "P-1", later, later)
    order.record_refund(vnd(90_001), "R-1", later, later)
    order.collect_events()
    order.record_payment(vnd(payment), "P-2", later, later)
    dues = [e for e in order.collect_events() if type(e).__name__ == "RefundFellDue"]
    assert [(e.flag, e.amount_due) for e in dues] == ([(flag, vnd(due).to_primitive())] if flag else [])
    assert (order.overpaid, order.refund_due, order.flags) == (vnd(due), vnd(due), [flag] if flag else [])


@pytest.mark.parametrize(("refund", "flag"), [(90_000, None), (90_001, "OVER_REFUNDED")])
def test_a_refund_is_over_refunded_only_past_what_was_paid_and_not_yet_returned(
    refund: int, flag: str | None, personal_data
) -> None:
    # Paid 180,000 on a 90,000 order, 90,000 of it returned: 90,000 is left to return, a dong more is too much.
    later = test_order.LATER
    shop = test_order.Shop(personal_data)
    order = test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(personal_data))  # 90,000 VND
    order.record_payment(vnd(180_000), "P-1", later, later)
    order.record_refund(vnd(90_000), "R-1", later, later)
    order.collect_events()
    order.record_refund(vnd(refund), "R-2", later, later)
    (recorded,) = order.collect_events()
    assert (recorded.flag, order.flags) == (flag, [flag] if flag else [])


def test_a_payment_may_have_happened_from_the_placing_to_now_within_the_clock_skew(personal_data) -> None:
    # The world-time policy (text.world_time): within CLOCK_SKEW either way a reported time is taken as given.
    shop = test_order.Shop(personal_data)
    order = test_order.place(shop.storefront, [(shop.na, 1)], test_order.a_buyer(personal_data))
    with pytest.raises(InvalidInput) as early:
        order.record_payment(vnd(1), "P-1", test_order.NOW - CLOCK_SKEW - timedelta(microseconds=1), test_order.LATER)
    assert early.value.field == ["input", "occurredAt"]
    order.record_payment(vnd(1), "P-1", test_order.NOW - CLOCK_SKEW, test_order.LATER)
    with pytest.raises(InvalidInput) as future:
        order.record_payment(vnd(1), "P-2", test_order.LATER + CLOCK_SKEW + timedelta(microseconds=1),
                             test_order.LATER)
    assert future.value.field == ["input", "occurredAt"]
    order.record_payment(vnd(1), "P-2", test_order.LATER + CLOCK_SKEW, test_order.LATER)


# -- claims -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shares", "accepted"), [
    ([9_999], False), ([10_000], True), ([10_001], False),
    ([6_000, 3_999], False), ([6_000, 4_000], True), ([6_000, 4_001], False),
    ([0, 10_000], True), ([-1, 10_001], False), ([10_001, -1], False),
])
def test_liability_shares_each_between_zero_and_ten_thousand_and_sum_to_exactly_ten_thousand(
        shares: list[int], accepted: bool) -> None:
    claim = test_claim.a_claim()
    liability = [{"party": party, "basis_points": points} for party, points in zip(("CARRIER", "HOUSEHOLD"), shares)]
    claim.collect_events()
    if accepted:
        claim.assess("xem xét", liability, vnd(100_000))
        assert claim.status == "ASSESSED"
    else:
        with pytest.raises(InvalidInput) as refused:
            claim.assess("xem xét", liability, vnd(100_000))
        assert refused.value.field[:2] == ["input", "liability"]
        assert (claim.status, claim.collect_events()) == ("OPEN", [])


def test_a_claim_is_for_more_than_nothing() -> None:
    assert test_claim.a_claim(claimed=1).claimed == vnd(1)
    with pytest.raises(InvalidInput) as refused:
        test_claim.a_claim(claimed=0)
    assert refused.value.field == ["input", "amountClaimed", "amount"]


@pytest.mark.parametrize(("claimant", "claimed", "accepted"), [
    # A BUYER's claims commit at most what the buyer paid (60,000 of the order's 90,000 VND)...
    ("BUYER", 1, True), ("BUYER", 59_999, True), ("BUYER", 60_000, True), ("BUYER", 60_001, False),
    # ...a HOUSEHOLD's at most the goods value of the order's lines, whatever was paid.
    ("HOUSEHOLD", 89_999, True), ("HOUSEHOLD", 90_000, True), ("HOUSEHOLD", 90_001, False),
])
def test_what_a_claimants_claims_on_an_order_commit_stops_at_its_limit(
        claimant: str, claimed: int, accepted: bool, personal_data) -> None:
    shop = test_order.Shop(personal_data)
    order = test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(personal_data))
    assert order.total == vnd(90_000)
    order.record_payment(vnd(60_000), "MOMO-1", test_order.LATER, test_order.LATER)
    order.collect_events()

    def note() -> None:
        order.note_claim(uuid4(), claimant, "SPOILED", "OPEN", vnd(claimed), vnd(claimed), vnd(0), vnd(0),
                         ["input", "amountClaimed"])

    if accepted:
        note()
        assert order.committed_total(claimant) == vnd(claimed)
    else:
        with pytest.raises(LimitExceeded) as refused:
            note()
        assert refused.value.field == ["input", "amountClaimed", "amount"]
        assert order.collect_events() == [] and order.committed_total(claimant) == vnd(0)


@pytest.mark.parametrize(("payout", "accepted"), [(-1, False), (0, True), (300_000, True), (300_001, False)])
def test_a_recommended_payout_is_between_zero_and_the_amount_claimed(payout: int, accepted: bool) -> None:
    claim = test_claim.a_claim(claimed=300_000)
    one = [{"party": "CARRIER", "basis_points": 10_000}]
    if accepted:
        claim.assess("x", one, vnd(payout))
    else:
        with pytest.raises(InvalidInput) as refused:
            claim.assess("x", one, vnd(payout))
        assert refused.value.field == ["input", "recommendedPayout", "amount"]


@pytest.mark.parametrize(("payout", "accepted"), [(0, False), (1, True), (300_000, True), (300_001, False)])
def test_an_approved_payout_is_more_than_zero_and_at_most_the_amount_claimed(payout: int, accepted: bool) -> None:
    claim = test_claim.a_claim(claimed=300_000)
    claim.assess("x", [{"party": "CARRIER", "basis_points": 10_000}], vnd(1))
    if accepted:
        claim.decide("APPROVED", vnd(payout), "ok")
        assert claim.payout == vnd(payout)
    else:
        with pytest.raises(InvalidInput) as refused:
            claim.decide("APPROVED", vnd(payout), "ok")
        assert refused.value.field == ["input", "payout", "amount"]


def _overpaid_flags(claim) -> list[str]:
    return [f["cause"] for f in claim.flags if f["cause"].startswith("OVERPAID:")]


def test_a_party_pays_exactly_its_share_and_a_dong_more_is_recorded_and_flagged() -> None:
    # A compensation payment beyond the payer's share is a fact: recorded and flagged, no longer refused.
    claim = test_claim.a_claim(claimed=300_000)
    claim.assess("x", [{"party": "CARRIER", "basis_points": 6_000}, {"party": "HOUSEHOLD", "basis_points": 4_000}],
                 vnd(100_001))
    claim.decide("APPROVED", vnd(100_001), "ok")
    assert claim.shares() == {"CARRIER": vnd(60_001), "HOUSEHOLD": vnd(40_000)}
    claim.record_payment("CARRIER", vnd(60_001), "C-1")
    assert (claim.status, _overpaid_flags(claim)) == ("APPROVED", [])
    claim.record_payment("CARRIER", vnd(1), "C-2")
    assert (claim.status, claim.paid_by("CARRIER"), _overpaid_flags(claim)) == ("APPROVED", vnd(60_002), ["OVERPAID:C-2"])
    assert claim.flags[-1]["reason"] == "CARRIER owed 0 VND of its share; 1 VND was paid (C-2): 1 VND overpaid"
    claim.record_payment("HOUSEHOLD", vnd(39_999), "H-1")
    assert claim.status == "APPROVED"  # the carrier's overpayment does not pay the household's share
    claim.record_payment("HOUSEHOLD", vnd(1), "H-2")
    assert claim.status == "PAID" and _overpaid_flags(claim) == ["OVERPAID:C-2"]


def test_a_party_with_a_zero_share_that_pays_is_recorded_and_flagged() -> None:
    claim = test_claim.a_claim(claimed=300_000)
    claim.assess("x", [{"party": "CARRIER", "basis_points": 10_000}, {"party": "BUYER", "basis_points": 0}], vnd(1))
    claim.decide("APPROVED", vnd(1_000), "ok")
    claim.record_payment("BUYER", vnd(1), "B-1")
    assert (claim.status, claim.paid_by("BUYER"), _overpaid_flags(claim)) == ("APPROVED", vnd(1), ["OVERPAID:B-1"])


def test_the_response_deadline_is_missed_only_after_respond_by() -> None:
    claim = test_claim.a_claim()
    assert claim.respond_by == test_claim.NOW + timedelta(hours=72)
    assert not claim.note_missed_deadline(claim.respond_by)
    assert claim.note_missed_deadline(claim.respond_by + timedelta(microseconds=1))
    assert claim.pending_events[-1].respond_by == claim.respond_by
    assert not claim.note_missed_deadline(claim.respond_by + timedelta(hours=1))  # once only


@pytest.mark.parametrize("status", ["APPROVED", "REJECTED", "WITHDRAWN"])
def test_a_decided_or_withdrawn_claim_misses_no_deadline(status: str) -> None:
    claim = test_claim.a_claim()
    if status == "WITHDRAWN":
        claim.withdraw("x")
    else:
        claim.assess("x", [{"party": "CARRIER", "basis_points": 10_000}], vnd(1))
        claim.decide(status, vnd(1) if status == "APPROVED" else None, "x")
    assert not claim.note_missed_deadline(claim.respond_by + timedelta(days=1))


def test_an_assessed_claim_still_misses_its_deadline() -> None:
    claim = test_claim.a_claim()
    claim.assess("x", [{"party": "CARRIER", "basis_points": 10_000}], vnd(1))
    assert claim.note_missed_deadline(claim.respond_by + timedelta(seconds=1))
    assert claim.breached_at is not None


# -- shipments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tracking", "accepted"), [("EB1", False), ("EB12", True), ("E" * 40, True), ("E" * 41, False)])
def test_a_tracking_number_has_four_to_forty_characters(tracking: str, accepted: bool) -> None:
    if accepted:
        assert test_shipment.dispatch(tracking_number=tracking).tracking_number == tracking
    else:
        with pytest.raises(InvalidInput):
            test_shipment.dispatch(tracking_number=tracking)


def test_overdue_only_strictly_after_the_promise() -> None:
    shipment = test_shipment.dispatch()
    assert not shipment.is_overdue(test_shipment.PROMISED_BY)
    assert shipment.is_overdue(test_shipment.PROMISED_BY + timedelta(microseconds=1))


def test_a_scan_at_the_same_instant_as_the_current_status_still_moves_it() -> None:
    shipment = test_shipment.dispatch()
    shipment.record_checkpoint("OUT_FOR_DELIVERY", test_shipment.at(10), test_shipment.at(10))
    shipment.record_checkpoint("IN_TRANSIT", test_shipment.at(10), test_shipment.at(11))
    assert shipment.status == "IN_TRANSIT"
    shipment.record_checkpoint("EXCEPTION", test_shipment.at(10) - timedelta(microseconds=1), test_shipment.at(11))
    assert shipment.status == "IN_TRANSIT"


# -- export orders --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "accepted"), [
    ("quantity_kg", 0, False), ("quantity_kg", 1, True), ("quantity_kg", MAX_ORDER_KG, True),
    ("quantity_kg", MAX_ORDER_KG + 1, False),
    ("harvest_to_door_hours", 0, False), ("harvest_to_door_hours", 1, True),
    ("harvest_to_door_hours", MAX_HARVEST_TO_DOOR_HOURS, True), ("harvest_to_door_hours", MAX_HARVEST_TO_DOOR_HOURS + 1, False),
    ("hs_code", "08109", False), ("hs_code", "081090", True), ("hs_code", "0810901234", True), ("hs_code", "08109012345", False),
])
def test_an_export_order_opens_within_its_limits(field: str, value: object, accepted: bool) -> None:
    if accepted:
        assert getattr(test_export_order.an_order(**{field: value}), field) == value
    else:
        with pytest.raises(InvalidInput):
            test_export_order.an_order(**{field: value})


@pytest.mark.parametrize(("quantity", "accepted"), [(0, False), (1, True), (MAX_LOT_KG - 1, True), (MAX_LOT_KG, True),
                                                    (MAX_LOT_KG + 1, False)])
def test_one_lot_is_one_kilo_to_fifty_tonnes(quantity: int, accepted: bool) -> None:
    order = test_export_order.an_order(quantity_kg=MAX_ORDER_KG)
    if accepted:
        order.allocate_lot(uuid4(), "HH-24-000001", quantity)
        assert order.allocated_kg == quantity
    else:
        with pytest.raises(InvalidInput) as refused:
            order.allocate_lot(uuid4(), "HH-24-000001", quantity)
        assert refused.value.field == ["input", "quantityKg"] and order.allocated_kg == 0


def test_lots_may_fill_the_order_exactly_and_not_a_kilo_more() -> None:
    order = test_export_order.an_order(quantity_kg=100)
    order.allocate_lot(uuid4(), "HH-24-000001", 99)
    with pytest.raises(LimitExceeded):
        order.allocate_lot(uuid4(), "HH-24-000002", 2)
    order.allocate_lot(uuid4(), "HH-24-000002", 1)
    assert order.allocated_kg == 100
    with pytest.raises(LimitExceeded):
        order.allocate_lot(uuid4(), "HH-24-000003", 1)


def test_a_milestone_may_share_the_previous_ones_instant_but_not_precede_it() -> None:
    order = test_export_order.an_order()
    harvest = test_export_order.HARVEST
    order.record_milestone("HARVESTED", harvest, None, None, test_export_order.NOW)
    order.record_milestone("PACKED", harvest, None, None, test_export_order.NOW)
    with pytest.raises(InvalidInput):
        order.record_milestone("PHYTOSANITARY_INSPECTED", harvest - timedelta(microseconds=1), None, None,
                               test_export_order.NOW)


#: the earliest world time an export fact may carry: opened minus the 96-hour window, minus the clock skew
EXPORT_FLOOR = test_export_order.OPENED - timedelta(hours=96) - CLOCK_SKEW


@pytest.mark.parametrize(("at", "accepted"), [(EXPORT_FLOOR - timedelta(seconds=1), False), (EXPORT_FLOOR, True),
                                              (datetime(1, 1, 1, tzinfo=timezone.utc), False)])
def test_an_export_milestone_is_not_before_the_orders_harvest_to_door_window(at: datetime, accepted: bool) -> None:
    order = test_export_order.an_order()
    assert order.earliest_fact == test_export_order.OPENED - timedelta(hours=96)
    if accepted:
        order.record_milestone("HARVESTED", at, None, None, test_export_order.NOW)
        assert order.milestones == {"HARVESTED": at}
        return
    with pytest.raises(InvalidInput) as refused:
        order.record_milestone("HARVESTED", at, None, None, test_export_order.NOW)
    assert refused.value.field == ["input", "occurredAt"] and "harvest-to-door window (96 hours" in refused.value.message
    assert order.milestones == {} and order.version == 1


@pytest.mark.parametrize(("at", "accepted"), [(EXPORT_FLOOR - timedelta(seconds=1), False), (EXPORT_FLOOR, True),
                                              (datetime(1, 1, 1, tzinfo=timezone.utc), False)])
def test_an_export_documents_issue_is_not_before_the_orders_harvest_to_door_window(at: datetime, accepted: bool) -> None:
    order = test_export_order.an_order()
    if accepted:
        order.file_document("PACKING_LIST", "PL-1", "Lục Ngạn packer", at, None, test_export_order.NOW)
        assert order.documents == {"PACKING_LIST": ["PL-1"]}
        return
    with pytest.raises(InvalidInput) as refused:
        order.file_document("PACKING_LIST", "PL-1", "Lục Ngạn packer", at, None, test_export_order.NOW)
    assert refused.value.field == ["input", "issuedAt"] and "harvest-to-door window (96 hours" in refused.value.message
    assert order.documents == {} and order.version == 1


@pytest.mark.parametrize("hours", [1, 96, MAX_HARVEST_TO_DOOR_HOURS])
def test_the_export_floor_follows_the_orders_own_window(hours: int) -> None:
    order = test_export_order.an_order(harvest_to_door_hours=hours)
    floor = test_export_order.OPENED - timedelta(hours=hours) - CLOCK_SKEW
    order.file_document("PACKING_LIST", "PL-1", "x", floor, None, test_export_order.NOW)
    with pytest.raises(InvalidInput):
        order.file_document("PACKING_LIST", "PL-2", "x", floor - timedelta(microseconds=1), None, test_export_order.NOW)
    assert order.documents == {"PACKING_LIST": ["PL-1"]}


@pytest.mark.parametrize("kind", ["milestone", "document"])
def test_an_export_fact_far_in_the_future_is_refused(kind: str) -> None:
    order = test_export_order.an_order()
    now = test_export_order.NOW
    with pytest.raises(InvalidInput) as refused:
        if kind == "milestone":
            order.record_milestone("HARVESTED", datetime(2099, 1, 1, tzinfo=timezone.utc), None, None, now)
        else:
            order.file_document("PACKING_LIST", "PL-1", "x", datetime(2099, 1, 1, tzinfo=timezone.utc), None, now)
    assert "future" in refused.value.message and order.version == 1


HARVESTED = datetime(2021, 6, 1, 5, 0, tzinfo=timezone.utc)
DUE = HARVESTED + timedelta(hours=96)


@pytest.mark.parametrize(("delivered", "now", "state"), [
    (None, HARVESTED, ON_TRACK),
    (None, HARVESTED + timedelta(hours=72) - timedelta(microseconds=1), ON_TRACK),
    (None, HARVESTED + timedelta(hours=72), AT_RISK),
    (None, DUE, AT_RISK),
    (None, DUE + timedelta(microseconds=1), BREACHED),
    (DUE, DUE + timedelta(days=9), MET),
    (DUE + timedelta(microseconds=1), DUE, BREACHED),
])
def test_the_harvest_to_door_clock_at_its_edges(delivered: datetime | None, now: datetime, state: str) -> None:
    assert assess_clock(HARVESTED, delivered, 96, now).state == state


@pytest.mark.parametrize(("share", "accepted"), [(0, False), (0.01, True), (1, True), (1.01, False)])
def test_the_at_risk_share_is_above_zero_and_at_most_one(share: float, accepted: bool) -> None:
    if accepted:
        assess_clock(HARVESTED, None, 96, HARVESTED, at_risk_share=share)
    else:
        with pytest.raises(ValueError):
            assess_clock(HARVESTED, None, 96, HARVESTED, at_risk_share=share)


# -- value objects and checked input ----------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "currency", "accepted"), [
    ("999999999999999", "VND", True), ("1000000000000000", "VND", False), ("35.000", "VND", False),
    ("35", "VND", True), ("12.50", "EUR", True), ("12.505", "EUR", False), ("1.234", "KWD", True),
    ("1.2345", "KWD", False), ("-1", "VND", True), ("1e3", "VND", False), ("+1", "VND", False), ("1,000", "VND", False),
])
def test_money_from_the_api_takes_at_most_fifteen_digits_and_its_currencys_decimals(
        amount: str, currency: str, accepted: bool) -> None:
    if accepted:
        assert Money.parse(amount, currency, ["input", "price"]).amount == Decimal(amount)
    else:
        with pytest.raises(InvalidInput) as refused:
            Money.parse(amount, currency, ["input", "price"])
        assert refused.value.field == ["input", "price", "amount"]


@pytest.mark.parametrize(("length", "accepted"), [(MIN_SECRET_BYTES - 1, False), (MIN_SECRET_BYTES, True),
                                                  (MIN_SECRET_BYTES + 1, True), (MAX_SECRET_BYTES - 1, True),
                                                  (MAX_SECRET_BYTES, True), (MAX_SECRET_BYTES + 1, False)])
def test_a_webhook_secret_is_whsec_and_the_base64_of_24_to_64_bytes(length: int, accepted: bool) -> None:
    secret = "whsec_" + base64.b64encode(bytes(range(length))).decode()  # Standard Webhooks' form
    if accepted:
        assert check_secret(secret, ["input", "secret"]) == secret
    else:
        with pytest.raises(InvalidInput) as refused:
            check_secret(secret, ["input", "secret"])
        assert refused.value.field == ["input", "secret"]


def test_a_webhook_url_is_at_most_two_thousand_characters() -> None:
    base = "https://hooks.example/"
    assert check_url(base + "a" * (MAX_URL_LENGTH - len(base)), ["input", "url"])
    with pytest.raises(InvalidInput):
        check_url(base + "a" * (MAX_URL_LENGTH - len(base) + 1), ["input", "url"])


def test_opening_hours_take_at_most_28_entries_closing_at_24_00_and_touching_but_not_overlapping() -> None:
    entries = [{"day_of_week": day, "opens": f"{hour:02d}:00", "closes": f"{hour + 1:02d}:00"}
               for day in range(1, 8) for hour in range(4)]
    assert len(OpeningHours.checked(entries[:MAX_INTERVALS], ["h"]).intervals) == 28
    with pytest.raises(InvalidInput):
        OpeningHours.checked(entries + [{"day_of_week": 1, "opens": "10:00", "closes": "11:00"}], ["h"])
    day = OpeningHours.checked([{"day_of_week": 1, "opens": "00:00", "closes": "12:00"},
                                {"day_of_week": 1, "opens": "12:00", "closes": "24:00"}], ["h"])
    assert len(day.intervals) == 2
    with pytest.raises(InvalidInput):
        OpeningHours.checked([{"day_of_week": 1, "opens": "00:00", "closes": "12:01"},
                              {"day_of_week": 1, "opens": "12:00", "closes": "24:00"}], ["h"])
    for opens, closes in (("24:00", "24:00"), ("12:00", "12:00"), ("23:60", "24:00"), ("12:00", "24:01")):
        with pytest.raises(InvalidInput):
            OpeningHours.checked([{"day_of_week": 1, "opens": opens, "closes": closes}], ["h"])
    for day_of_week in (0, 8):
        with pytest.raises(InvalidInput):
            OpeningHours.checked([{"day_of_week": day_of_week, "opens": "08:00", "closes": "09:00"}], ["h"])


def test_opening_hours_include_the_opening_minute_and_exclude_the_closing_one() -> None:
    hours = OpeningHours.checked([{"day_of_week": 2, "opens": "08:00", "closes": "17:30"}], ["h"])
    hanoi = timezone(timedelta(hours=7))
    tuesday = datetime(2021, 8, 3, tzinfo=hanoi)
    assert not hours.is_open_at(tuesday + timedelta(hours=7, minutes=59))
    assert hours.is_open_at(tuesday + timedelta(hours=8))
    assert hours.is_open_at(tuesday + timedelta(hours=17, minutes=29))
    assert not hours.is_open_at(tuesday + timedelta(hours=17, minutes=30))
    assert not hours.is_open_at(tuesday + timedelta(days=1, hours=9))


@pytest.mark.parametrize(("text", "accepted"), [("", False), ("   ", False), ("a", True), ("a" * 200, True),
                                                ("a" * 201, False), ("  " + "a" * 200 + "  ", True)])
def test_required_text_is_stripped_and_at_most_its_limit(text: str, accepted: bool) -> None:
    if accepted:
        assert required_text(text, ["input", "name"], 200) == text.strip()
    else:
        with pytest.raises(InvalidInput) as refused:
            required_text(text, ["input", "name"], 200)
        assert refused.value.field == ["input", "name"]
        assert not text.strip() or text.strip() not in refused.value.message  # the error never repeats the value


@pytest.mark.parametrize(("value", "accepted"), [("02012345678", False), ("020123456789", True), ("0201234567890", False),
                                                 ("120123456789", False), ("099123456789", False)])
def test_a_national_id_is_twelve_digits_starting_with_a_2021_province_code(value: str, accepted: bool) -> None:
    if accepted:
        assert check_national_id(value, ["input", "nationalId"]) == value
    else:
        with pytest.raises(InvalidInput):
            check_national_id(value, ["input", "nationalId"])


@pytest.mark.parametrize(("typed", "e164"), [
    ("0912345678", "+84912345678"), ("091234567", None), ("09123456789", None), ("0212345678", None),
    ("84912345678", "+84912345678"), ("8491234567", None), ("+84 912 345 678", "+84912345678"),
    ("(+84) 912-345-678", "+84912345678"), ("0912.345.678", "+84912345678"),
    # without its trunk prefix libphonenumber reads the national number as it is; the retired 11-digit form is refused
    ("912345678", "+84912345678"), ("01912345678", None),
])
def test_a_mobile_number_has_nine_national_digits_after_its_trunk_prefix(typed: str, e164: str | None) -> None:
    if e164:
        assert normalise_phone(typed, ["input", "phone"]) == e164
    else:
        with pytest.raises(InvalidInput):
            normalise_phone(typed, ["input", "phone"])


@pytest.mark.parametrize(("latitude", "longitude", "accepted"), [
    (90, 180, True), (-90, -180, True), (90.000001, 0, False), (-90.000001, 0, False), (0, 180.000001, False),
    (0, -180.000001, False),
])
def test_a_point_is_on_the_globe(latitude: float, longitude: float, accepted: bool) -> None:
    if accepted:
        assert GeoPoint.checked(latitude, longitude, ["p"]) == GeoPoint(latitude, longitude)
    else:
        with pytest.raises(InvalidInput):
            GeoPoint.checked(latitude, longitude, ["p"])
