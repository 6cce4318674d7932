"""Plausible money and quantities, at their exact edges (limit - 1, limit, limit + 1): domestic prices
and orders in VND only, a price change that keeps the listing's currency, and a documented maximum on
every quantity — listing stock, stock adjustments, order lines, export orders and their lots."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.export_order import MAX_LOT_KG, MAX_ORDER_KG
from farmgate.core.domain.listing import MAX_STOCK
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import MAX_LINE_QUANTITY
from tests.unit.test_export_order import an_order
from tests.unit.test_listing import publish
from tests.unit.test_order import Shop, a_buyer, place


def edges(limit: int) -> list[tuple[int, bool]]:
    """(value, accepted) at a maximum: one under, the limit itself, one over."""
    return [(limit - 1, True), (limit, True), (limit + 1, False)]


# -- currency -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["EUR", "USD", "CNY"])
def test_a_domestic_listing_in_another_currency_is_refused_at_its_currency(currency: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        publish(unit_price=Money(Decimal("12"), currency))
    assert refused.value.field == ["input", "unitPrice", "currency"] and "VND" in refused.value.message


def test_a_price_change_keeps_the_listings_currency() -> None:
    listing = publish(unit_price=Money(Decimal(45000), "VND"))
    listing.collect_events()
    with pytest.raises(InvalidInput) as refused:
        listing.change_price(Money(Decimal("12.50"), "EUR"))
    assert refused.value.field == ["input", "unitPrice", "currency"]
    assert listing.unit_price == Money(Decimal(45000), "VND") and listing.collect_events() == []
    listing.change_price(Money(Decimal(50000), "VND"))
    assert listing.unit_price == Money(Decimal(50000), "VND")


# -- quantities ---------------------------------------------------------------------------------------


def at_edge(accepted: bool, act: Callable[[], Any], field: list[str]) -> Any:
    """What ``act`` returns if the value at the edge is ``accepted``; else the refusal, checked to be at ``field``."""
    if accepted:
        return act()
    with pytest.raises(InvalidInput) as refused:
        act()
    assert refused.value.field == field
    return refused.value


@pytest.mark.parametrize(("stock", "accepted"), edges(MAX_STOCK))
def test_listing_stock_at_its_maximum(stock: int, accepted: bool) -> None:
    result = at_edge(accepted, lambda: publish(stock_quantity=stock), ["input", "stockQuantity"])
    assert result.stock_quantity == stock if accepted else f"{MAX_STOCK:,}" in result.message


@pytest.mark.parametrize(("after", "accepted"), edges(MAX_STOCK))
def test_a_stock_adjustment_up_to_the_maximum_stock(after: int, accepted: bool) -> None:
    listing = publish(stock_quantity=10)
    at_edge(accepted, lambda: listing.adjust_stock(after - 10, "thu hoạch mới"), ["input", "delta"])
    assert listing.stock_quantity == (after if accepted else 10)


@pytest.mark.parametrize(("delta", "accepted"), edges(MAX_STOCK))
def test_one_stock_adjustment_moves_at_most_the_maximum_either_way(delta: int, accepted: bool) -> None:
    listing = publish(stock_quantity=MAX_STOCK)
    at_edge(accepted, lambda: listing.adjust_stock(-delta, "mất mùa"), ["input", "delta"])
    assert listing.stock_quantity == (MAX_STOCK - delta if accepted else MAX_STOCK)


@pytest.mark.parametrize(("quantity", "accepted"), edges(MAX_LINE_QUANTITY))
def test_an_order_line_at_its_maximum_quantity(personal_data, quantity: int, accepted: bool) -> None:
    shop = Shop(personal_data)
    shop.na.adjust_stock(MAX_LINE_QUANTITY, "thu hoạch mới")
    order = at_edge(accepted, lambda: place(shop.storefront, [(shop.na, quantity)], a_buyer(personal_data)),
                    ["input", "lines", "0", "quantity"])
    if accepted:
        assert order.lines[0]["quantity"] == quantity and order.total.currency == "VND"


@pytest.mark.parametrize(("kilograms", "accepted"), [*edges(MAX_ORDER_KG), (2_147_483_647, False)])
def test_an_export_order_at_its_maximum_kilograms(kilograms: int, accepted: bool) -> None:
    result = at_edge(accepted, lambda: an_order(quantity_kg=kilograms), ["input", "quantityKg"])
    assert result.quantity_kg == kilograms if accepted else f"{MAX_ORDER_KG:,}" in result.message


@pytest.mark.parametrize(("kilograms", "accepted"), edges(MAX_LOT_KG))
def test_an_export_lot_at_its_maximum_kilograms(kilograms: int, accepted: bool) -> None:
    order = an_order(quantity_kg=MAX_ORDER_KG)
    at_edge(accepted, lambda: order.allocate_lot(uuid4(), "HH-24-000001", kilograms), ["input", "quantityKg"])
    assert order.allocated_kg == (kilograms if accepted else 0)


def test_stock_an_order_gives_back_is_taken_back_even_past_the_maximum() -> None:
    listing = publish(stock_quantity=MAX_STOCK)
    order_id = uuid4()
    listing.reserve(10, order_id=order_id)
    listing.adjust_stock(10, "thu hoạch mới")  # back at the maximum while the order waits
    listing.release(10, order_id=order_id)  # the order is cancelled: its 10 units exist, and come back
    assert listing.stock_quantity == MAX_STOCK + 10
    with pytest.raises(InvalidInput):
        listing.adjust_stock(1, "thu hoạch mới")
