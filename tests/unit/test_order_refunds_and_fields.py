"""Refunds an approved claim makes on its order, and the order's fields, value by value."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from farmgate.core.domain.carrier import VNPOST
from farmgate.core.domain.errors import InvalidTransition
from farmgate.core.domain.money import Money
from farmgate.core.domain.provenance import Provenance, recording
from tests.personal_data import PersonalData
from tests.unit import test_order


def vnd(amount: int) -> Money:
    return Money(Decimal(amount), "VND")


def a_paid_order(pd: PersonalData, paid: int = 90_000):
    shop = test_order.Shop(pd)
    order = test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(pd))  # 90,000 VND
    order.record_payment(vnd(paid), "PAY-1", test_order.LATER, test_order.LATER)
    order.collect_events()
    return order


def test_a_claims_payout_is_refunded_once_and_never_more_than_was_paid(personal_data) -> None:
    order = a_paid_order(personal_data)
    first, second = uuid4(), uuid4()
    assert order.refund_for_claim(first, vnd(30_000)) is True
    [refunded] = order.collect_events()
    assert (refunded.claim_id, refunded.amount, refunded.refunded_total, refunded.payment_status) == (
        first, {"amount": "30000", "currency": "VND"}, {"amount": "30000", "currency": "VND"}, "PARTIALLY_REFUNDED")
    assert (order.refunded, order.payment_status, order.refunded_claims) == (vnd(30_000), "PARTIALLY_REFUNDED", [str(first)])
    assert order.refund_for_claim(first, vnd(30_000)) is False, "the same claim refunds once"
    # A second claim asks for more than is left: the rest of what was paid, and the order is refunded.
    assert order.refund_for_claim(second, vnd(70_000)) is True
    assert (order.refunded, order.payment_status) == (vnd(90_000), "REFUNDED")
    assert order.refund_for_claim(uuid4(), vnd(1)) is False, "nothing is left to refund"
    assert [e.amount["amount"] for e in order.collect_events()] == ["60000"]


def test_a_payout_of_exactly_what_was_paid_refunds_the_order_and_nothing_refunds_nothing(personal_data) -> None:
    order = a_paid_order(personal_data, paid=50_000)
    assert order.refund_for_claim(uuid4(), vnd(0)) is False
    assert order.collect_events() == []
    assert order.refund_for_claim(uuid4(), vnd(50_000)) is True
    assert (order.refunded, order.payment_status) == (vnd(50_000), "REFUNDED")


def test_an_unpaid_order_has_nothing_to_refund(personal_data) -> None:
    shop = test_order.Shop(personal_data)
    order = test_order.place(shop.storefront, [(shop.na, 1)], test_order.a_buyer(personal_data))
    assert order.refund_for_claim(uuid4(), vnd(1)) is False
    assert order.refunded == vnd(0) and order.payment_status == "PENDING"


def test_a_placed_order_keeps_its_lines_buyer_and_promise(personal_data) -> None:
    shop = test_order.Shop(personal_data)
    buyer = test_order.a_buyer(personal_data)
    order_id = uuid4()
    order = test_order.place(shop.storefront, [(shop.na, 2), (shop.rice, 1)], buyer, order_id=order_id,
                             number="FG-2021-000042", payment_method="E_WALLET")
    assert (order.id, order.number, order.payment_method, order.marketplace) == (order_id, "FG-2021-000042", "E_WALLET",
                                                                                  "POSTMART")
    assert (order.buyer_name, order.buyer_phone, order.buyer_address) == (buyer.name, buyer.phone, buyer.address.as_dict())
    assert order.lines == [
        {"listing_id": shop.na.id, "title": "Na dai Chi Lăng", "unit": "kg", "quantity": 2,
         "unit_price": {"amount": "45000", "currency": "VND"}, "line_total": {"amount": "90000", "currency": "VND"},
         "shelf_life_hours": 48},
        {"listing_id": shop.rice.id, "title": "Gạo Bao Thai", "unit": "bao 10kg", "quantity": 1,
         "unit_price": {"amount": "250000", "currency": "VND"}, "line_total": {"amount": "250000", "currency": "VND"},
         "shelf_life_hours": 8760},
    ]
    assert (order.total, order.amount_paid, order.refunded) == (vnd(340_000), vnd(0), vnd(0))
    assert (order.shipment_id, order.carrier, order.shipment_version, order.followed_causes) == (None, None, 0, [])
    assert order.promised_by == test_order.NOW + timedelta(hours=48) and order.perishable


def test_a_dispatch_names_its_shipment_and_carrier_and_a_payment_its_time(personal_data) -> None:
    shop = test_order.Shop(personal_data)
    order = test_order.place(shop.storefront, [(shop.na, 1)], test_order.a_buyer(personal_data))
    order.record_payment(vnd(45_000), "MOMO-1", test_order.NOW + timedelta(minutes=5), test_order.LATER)
    order.confirm()
    shipment = uuid4()
    order.record_dispatch(shipment, "VNPost", "EB-9", VNPOST.id)
    _, paid, _, dispatched = order.collect_events()
    assert (paid.occurred_at, paid.amount, paid.amount_paid, paid.payment_status) == (
        test_order.NOW + timedelta(minutes=5), {"amount": "45000", "currency": "VND"},
        {"amount": "45000", "currency": "VND"}, "PAID")
    assert (dispatched.shipment_id, dispatched.carrier, dispatched.tracking_number) == (shipment, "VNPost", "EB-9")
    assert (order.shipment_id, order.carrier, order.shipment_version) == (shipment, "VNPost", 1)
    with pytest.raises(InvalidTransition):
        order.record_dispatch(uuid4(), "VNPost", "EB-10", VNPOST.id)


def test_following_a_shipment_names_the_news_and_skips_a_cause_already_applied(personal_data) -> None:
    shop = test_order.Shop(personal_data)
    order = test_order.place(shop.storefront, [(shop.na, 1)], test_order.a_buyer(personal_data))
    order.confirm()
    shipment = uuid4()
    order.record_dispatch(shipment, "VNPost", "EB-9", VNPOST.id)
    order.collect_events()
    with recording(Provenance("SYSTEM:p", "c", causation_id="s:2")):
        assert order.follow_shipment(shipment, 2, "ATTEMPT_FAILED", test_order.LATER)
    [failed] = order.collect_events()
    assert (failed.shipment_id, failed.shipment_version, failed.shipment_status, failed.occurred_at) == (
        shipment, 2, "ATTEMPT_FAILED", test_order.LATER)
    assert order.followed_causes == ["s:2"] and order.shipment_version == 2
    with recording(Provenance("SYSTEM:p", "c", causation_id="s:2")):
        assert not order.follow_shipment(shipment, 3, "DELIVERED", test_order.LATER), "a cause applied once"
    with recording(Provenance("SYSTEM:p", "c", causation_id="s:1")):
        assert not order.follow_shipment(shipment, 2, "DELIVERED", test_order.LATER), "older news than followed"
    assert not order.follow_shipment(uuid4(), 5, "DELIVERED", test_order.LATER), "another shipment's news"
    with recording(Provenance("SYSTEM:p", "c", causation_id=None)):
        assert order.follow_shipment(shipment, 3, "DELIVERED", test_order.LATER), "no cause: judged by version"
    assert order.status == "DELIVERED"
