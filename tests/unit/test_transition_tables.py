"""Every cell of the hand-written transition tables (tests/rules.py), driven through the aggregates on
POPO: each aggregate is brought to a status, given a command, and must end where the table says — or
refuse, recording nothing and staying where it was. The expectations come from the table, never from
the code's own tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from itertools import product
from typing import Any
from uuid import uuid4

import pytest

from farmgate.core.domain.carrier import VNPOST
from farmgate.core.domain.claim import CompensationClaim
from farmgate.core.domain.errors import DomainError
from farmgate.core.domain.export_order import ExportOrder
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.money import Money
from farmgate.core.domain.opening_hours import OpeningHours
from farmgate.core.domain.order import Order
from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.domain.storefront import Storefront
from tests.personal_data import PersonalData
from tests.rules import (
    CLAIM_AFTER, EXPORT_ORDER_AFTER, LISTING_AFTER, ORDER_AFTER, ORDER_FOLLOWS_SHIPMENT, SHIPMENT_AFTER_THE_END,
    SHIPMENT_FINAL, SHIPMENT_MAY_FOLLOW, STOREFRONT_MAY_BECOME,
)
from tests.unit import test_claim, test_export_order, test_listing, test_order, test_shipment


def outcome(aggregate: Any, command: Callable[[], object]) -> str | None:
    """The status after the command, or None if it was refused (then nothing may have been recorded)."""
    aggregate.collect_events()
    before = aggregate.status
    try:
        command()
    except DomainError:
        assert aggregate.collect_events() == [] and aggregate.status == before, "a refusal records nothing"
        return None
    return str(aggregate.status)


# -- shipments ------------------------------------------------------------------------------------------


_ALL_SHIPMENT_STATUSES = [*SHIPMENT_MAY_FOLLOW, *SHIPMENT_FINAL]


@pytest.mark.parametrize(("before", "after"), list(product(SHIPMENT_MAY_FOLLOW, _ALL_SHIPMENT_STATUSES)))
def test_a_shipment_in_flight_moves_as_the_table_says(before: str, after: str) -> None:
    shipment = test_shipment.reach(before)
    moved = outcome(shipment, lambda: test_shipment.move(shipment, after, test_shipment.at(2), test_shipment.at(3)))
    assert moved == (after if after in SHIPMENT_MAY_FOLLOW[before] else None)


def _ended(how: str):
    """A shipment whose way ended at at(1): delivered, returned, or spoiled by a person or by the watchdog."""
    actor = "SYSTEM:promise-watchdog" if how == "SPOILED_BY_SYSTEM" else "CARRIER:vnpost-bot"
    with recording(Provenance(actor, "end")):
        shipment = test_shipment.reach(how.removesuffix("_BY_SYSTEM"))
    return shipment


@pytest.mark.parametrize(("ended", "fact"), list(product(SHIPMENT_AFTER_THE_END, SHIPMENT_AFTER_THE_END["DELIVERED"])))
def test_after_the_way_ended_every_fact_is_recorded_meaning_what_the_table_says(ended: str, fact: str) -> None:
    shipment = _ended(ended)
    status, when = fact[:-1], fact[-1]
    occurred = test_shipment.at(0.5) if when == "<" else test_shipment.at(2)
    with recording(Provenance("CARRIER:vnpost-bot", "late")):
        test_shipment.move(shipment, status, occurred, test_shipment.at(3))
    recorded = [type(e).__name__ for e in shipment.collect_events()]
    final = ended.removesuffix("_BY_SYSTEM")
    meaning = SHIPMENT_AFTER_THE_END[ended][fact]
    if meaning == "h":
        assert shipment.status == final and len(recorded) == 1 and recorded[0] != "ContradictionRecorded"
    elif meaning == "c":
        assert (shipment.status, recorded) == (final, ["ContradictionRecorded"])
    else:
        assert shipment.status == status and len(recorded) == 2 and recorded[1] == "SpoilageWithdrawn"


# -- orders ---------------------------------------------------------------------------------------------


def an_order_in(status: str, pd: PersonalData) -> Order:
    shop = test_order.Shop(pd)
    order = test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(pd))
    if status == "CANCELLED":
        order.cancel("Khách đổi ý")
    if status != "PLACED" and status != "CANCELLED":
        order.confirm()
    if status not in ("PLACED", "CONFIRMED", "CANCELLED"):
        order.record_dispatch(uuid4(), "VNPost", "EB-1", VNPOST.id)
    shipment_status = {v: k for k, v in ORDER_FOLLOWS_SHIPMENT.items() if v != "DISPATCHED"}.get(status)
    if shipment_status is not None:
        with recording(Provenance("SYSTEM:process", "c", causation_id="cause-1")):
            assert order.follow_shipment(order.shipment_id, 2, shipment_status, test_order.NOW)
    assert order.status == status
    return order


ORDER_COMMANDS: dict[str, Callable[[Order], object]] = {
    "confirm": lambda order: order.confirm(),
    "cancel": lambda order: order.cancel("Hết hàng"),
    "dispatch": lambda order: order.record_dispatch(uuid4(), "VNPost", "EB-2", VNPOST.id),
    "pay": lambda order: order.record_payment(Money(Decimal(1000), "VND"), f"PAY-{uuid4().hex[:6]}",
                                              test_order.LATER, test_order.LATER),
}


@pytest.mark.parametrize(("status", "command"), sorted(ORDER_AFTER))
def test_order_commands_do_what_the_table_says(status: str, command: str, personal_data: PersonalData) -> None:
    order = an_order_in(status, personal_data)
    assert outcome(order, lambda: ORDER_COMMANDS[command](order)) == ORDER_AFTER[(status, command)]


@pytest.mark.parametrize(("following", "shipment_status"), list(product(("DISPATCHED", "DELIVERY_FAILED"),
                                                                         ORDER_FOLLOWS_SHIPMENT)))
def test_a_following_order_takes_the_status_the_table_maps_its_shipments_to(
        following: str, shipment_status: str, personal_data: PersonalData) -> None:
    order = an_order_in(following, personal_data)
    with recording(Provenance("SYSTEM:process", "c", causation_id=f"cause-{shipment_status}")):
        changed = order.follow_shipment(order.shipment_id, 3, shipment_status, test_order.LATER)
    assert order.status == ORDER_FOLLOWS_SHIPMENT[shipment_status]
    assert changed == (ORDER_FOLLOWS_SHIPMENT[shipment_status] != following)


@pytest.mark.parametrize("status", ["PLACED", "CONFIRMED", "CANCELLED", "DELIVERED", "SPOILED", "RETURNED"])
def test_an_order_that_does_not_follow_its_shipment_ignores_its_news(status: str, personal_data: PersonalData) -> None:
    order = an_order_in(status, personal_data)
    with recording(Provenance("SYSTEM:process", "c", causation_id="cause-late")):
        assert not order.follow_shipment(order.shipment_id, 9, "IN_TRANSIT", test_order.LATER)
        assert not order.follow_shipment(order.shipment_id, 10, "DELIVERED", test_order.LATER)
    assert order.status == status


def test_a_spoiled_order_follows_the_fact_that_withdrew_its_automatic_spoilage(personal_data: PersonalData) -> None:
    order = an_order_in("SPOILED", personal_data)
    with recording(Provenance("SYSTEM:process", "c", causation_id="cause-withdrawn")):
        assert order.follow_shipment(order.shipment_id, 9, "DELIVERED", test_order.LATER, withdraws_spoilage=True)
    assert order.status == ORDER_FOLLOWS_SHIPMENT["DELIVERED"]


# -- claims ---------------------------------------------------------------------------------------------

ONE_PARTY = [{"party": "CARRIER", "basis_points": 10_000}]


def a_claim_in(status: str) -> CompensationClaim:
    claim = test_claim.a_claim(claimed=300_000)
    if status == "WITHDRAWN":
        claim.withdraw("Đã thỏa thuận")
    if status in ("ASSESSED", "APPROVED", "REJECTED", "PAID"):
        claim.assess("Giao muộn", ONE_PARTY, test_claim.vnd(200_000))
    if status in ("APPROVED", "PAID"):
        claim.decide("APPROVED", test_claim.vnd(200_000), "Đúng")
    if status == "REJECTED":
        claim.decide("REJECTED", None, "Không đủ căn cứ")
    if status == "PAID":
        claim.record_payment("CARRIER", test_claim.vnd(200_000), "PAY-ALL")
    assert claim.status == status
    return claim


CLAIM_COMMANDS: dict[str, Callable[[CompensationClaim], object]] = {
    "add_evidence": lambda c: c.add_evidence({"sha256": "b" * 64, "uri": "https://e.example/2.jpg", "description": None}),
    "assess": lambda c: c.assess("Xem lại", ONE_PARTY, test_claim.vnd(200_000)),
    "approve": lambda c: c.decide("APPROVED", test_claim.vnd(200_000), "Đúng"),
    "reject": lambda c: c.decide("REJECTED", None, "Sai"),
    "pay_part": lambda c: c.record_payment("CARRIER", test_claim.vnd(50_000), "PAY-PART"),
    "pay_rest": lambda c: c.record_payment("CARRIER", test_claim.vnd(200_000) - c.paid_total, "PAY-REST"),
    "withdraw": lambda c: c.withdraw("Rút"),
}


@pytest.mark.parametrize(("status", "command"), sorted(CLAIM_AFTER))
def test_claim_commands_do_what_the_table_says(status: str, command: str) -> None:
    claim = a_claim_in(status)
    assert outcome(claim, lambda: CLAIM_COMMANDS[command](claim)) == CLAIM_AFTER[(status, command)]


# -- listings and storefronts -------------------------------------------------------------------------------


def a_listing_in(status: str) -> Listing:
    listing = test_listing.publish(stock_quantity=10)
    if status == "SOLD_OUT":
        listing.reserve(10)
    elif status == "PAUSED":
        listing.pause()
    elif status == "DELISTED":
        listing.delist()
    assert listing.status == status
    return listing


LISTING_COMMANDS: dict[str, Callable[[Listing], object]] = {
    "pause": lambda listing: listing.pause(),
    "resume": lambda listing: listing.resume(),
    "delist": lambda listing: listing.delist(),
    "reserve_all": lambda listing: listing.reserve(max(listing.stock_quantity, 1)),
    "restock": lambda listing: listing.adjust_stock(5, "Thu hoạch thêm"),
    "change_price": lambda listing: listing.change_price(Money(Decimal(36000), "VND")),
}


@pytest.mark.parametrize(("status", "command"), sorted(LISTING_AFTER))
def test_listing_commands_do_what_the_table_says(status: str, command: str) -> None:
    listing = a_listing_in(status)
    assert outcome(listing, lambda: LISTING_COMMANDS[command](listing)) == LISTING_AFTER[(status, command)]


def a_storefront_in(status: str) -> Storefront:
    storefront = Storefront.open(household=test_listing.a_household(), marketplace="POSTMART", name="Vải nhà Thiều",
                                 location=GeoPoint(21.38, 106.58), opening_hours=OpeningHours())
    if status != "OPEN":
        storefront.set_status(status)
    assert storefront.status == status
    return storefront


@pytest.mark.parametrize(("before", "after"), list(product(STOREFRONT_MAY_BECOME, STOREFRONT_MAY_BECOME)))
def test_a_storefront_status_changes_as_the_table_says(before: str, after: str) -> None:
    storefront = a_storefront_in(before)
    storefront.collect_events()
    assert outcome(storefront, lambda: storefront.set_status(after)) == (
        after if after in STOREFRONT_MAY_BECOME[before] else None)
    assert storefront.takes_new_listings == (storefront.status != "CLOSED")


def test_a_storefront_change_records_one_event_and_setting_its_own_status_none() -> None:
    for before, after in product(STOREFRONT_MAY_BECOME, STOREFRONT_MAY_BECOME):
        if after not in STOREFRONT_MAY_BECOME[before]:
            continue
        storefront = a_storefront_in(before)
        storefront.collect_events()
        storefront.set_status(after)
        assert len(storefront.collect_events()) == (0 if before == after else 1), (before, after)


# -- export orders ------------------------------------------------------------------------------------------


def an_export_order_in(status: str) -> ExportOrder:
    order = test_export_order.an_order()
    if status == "CANCELLED":
        order.cancel("Đối tác hủy")
    if status in ("IN_TRANSIT", "DELIVERED"):
        test_export_order.file_all_required(order)
        test_export_order.walk(order, "HARVESTED", "DEPARTED")
    if status == "DELIVERED":
        test_export_order.walk(order, "DELIVERED", start=test_export_order.HARVEST + timedelta(hours=50))
    assert order.status == status
    return order


def _next_milestone(order: ExportOrder) -> None:
    kind = "HARVESTED" if not order.milestones else "ARRIVED"
    order.record_milestone(kind, test_export_order.HARVEST + timedelta(hours=60), None, None, test_export_order.NOW)


EXPORT_COMMANDS: dict[str, Callable[[ExportOrder], object]] = {
    "allocate": lambda order: order.allocate_lot(uuid4(), "HH-24-000001", 10),
    "file_document": lambda order: order.file_document("IMPORT_DECLARATION", "ID-1", "Douane", test_export_order.HARVEST,
                                                       None, test_export_order.NOW),
    "record_milestone": _next_milestone,
    "cancel": lambda order: order.cancel("Hủy"),
}


@pytest.mark.parametrize(("status", "command"), sorted(EXPORT_ORDER_AFTER))
def test_export_order_commands_do_what_the_table_says(status: str, command: str) -> None:
    order = an_export_order_in(status)
    assert outcome(order, lambda: EXPORT_COMMANDS[command](order)) == EXPORT_ORDER_AFTER[(status, command)]
