"""Money: exact amounts in ISO 4217 minor units, refused when not exact, never a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.money import CurrencyMismatch, Money

PRICE = ["input", "unitPrice"]
CURRENCIES = ["VND", "EUR", "USD", "CZK", "JPY"]


def money(currency: str = "VND") -> st.SearchStrategy[Money]:
    return st.integers(min_value=-(10**14), max_value=10**14).map(lambda minor: Money.from_minor(minor, currency))


any_currency = st.sampled_from(CURRENCIES)
same_currency_pair = any_currency.flatmap(lambda c: st.tuples(money(c), money(c)))


# -- parsing the API's strings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("518966000", "VND", "518966000"),
        ("12.5", "EUR", "12.50"),
        ("12.50", "eur", "12.50"),
        ("0.99", "USD", "0.99"),
        ("1299", "CZK", "1299.00"),
        ("1500", "JPY", "1500"),
        ("-20000", "VND", "-20000"),
    ],
)
def test_parses_exact_amounts_into_the_contracts_form(amount: str, currency: str, expected: str) -> None:
    parsed = Money.parse(amount, currency, PRICE)
    assert parsed.amount_text == expected
    assert parsed.to_primitive() == {"amount": expected, "currency": currency.upper()}


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("1.5", "VND", "amount"),  # VND has no minor unit
        ("35.000", "VND", "amount"),  # Vietnamese for 35,000: never read as 35 dong
        ("35000.0", "VND", "amount"),
        ("12.500", "EUR", "amount"),  # German for 12,500: never read as 12.50
        ("100.5", "JPY", "amount"),
        ("12.345", "EUR", "amount"),
        ("1e3", "VND", "amount"),
        ("35.000", "VND", "amount"),
        ("35,000", "VND", "amount"),
        ("NaN", "EUR", "amount"),
        ("Infinity", "EUR", "amount"),
        ("", "VND", "amount"),
        ("1000", "XYZ", "currency"),
        ("1000", "", "currency"),
        ("1000", "XAU", "currency"),
    ],
)
def test_refuses_what_is_not_an_exact_amount_of_a_known_currency(amount: str, currency: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Money.parse(amount, currency, PRICE)
    assert refused.value.code == "INVALID"
    assert refused.value.field == PRICE + [field]


def test_a_float_is_never_money() -> None:
    with pytest.raises(TypeError):
        Money(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Decimal("12.50"), "EUR") * 2.5  # type: ignore[operator]
    with pytest.raises(InvalidInput) as refused:
        Money.parse(12.5, "EUR", PRICE)  # type: ignore[arg-type]
    assert refused.value.field == PRICE + ["amount"]


def test_an_amount_finer_than_the_minor_unit_is_refused_not_rounded() -> None:
    with pytest.raises(ValueError):
        Money(Decimal("1.5"), "VND")
    with pytest.raises(ValueError):
        Money(Decimal("0.001"), "USD")


def test_currencies_do_not_mix() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(Decimal(1), "VND") + Money(Decimal(1), "EUR")
    with pytest.raises(CurrencyMismatch):
        assert Money(Decimal(1), "VND") < Money(Decimal(1), "JPY")


def test_allocation_spreads_the_remainder_one_dong_at_a_time() -> None:
    parts = Money(Decimal(100), "VND").allocate([1, 1, 1])
    assert [p.amount_text for p in parts] == ["34", "33", "33"]
    parts = Money(Decimal("0.05"), "EUR").allocate([1, 1])
    assert [p.amount_text for p in parts] == ["0.03", "0.02"]


# -- properties -----------------------------------------------------------------------------------


@given(any_currency.flatmap(money))
def test_the_contracts_string_reads_back_as_the_same_money(value: Money) -> None:
    assert Money.parse(value.amount_text, value.currency, PRICE) == value
    assert Money.from_primitive(value.to_primitive()) == value


@given(same_currency_pair)
def test_addition_commutes_and_subtraction_undoes_it(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert a + b == b + a
    assert a + b - b == a
    assert (a + b).minor == a.minor + b.minor


@given(any_currency.flatmap(money), st.integers(min_value=0, max_value=1000))
def test_a_line_total_is_the_price_added_quantity_times(price: Money, quantity: int) -> None:
    total = price * quantity
    assert total.minor == price.minor * quantity
    assert total == quantity * price


@given(
    any_currency.flatmap(money),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
)
def test_an_allocation_loses_nothing_and_is_fair_to_the_minor_unit(whole: Money, weights: list[int]) -> None:
    parts = whole.allocate(weights)
    assert sum(p.minor for p in parts) == whole.minor
    assert all(p.currency == whole.currency for p in parts)
    total = sum(weights)
    for part, weight in zip(parts, weights):
        exact = Decimal(whole.minor) * weight / total
        # Check each part is its exact share rounded one way or the other, never further off.
        assert abs(Decimal(part.minor) - exact) < 1


@given(any_currency, st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=9))
def test_any_digit_below_the_minor_unit_is_refused(currency: str, whole: int, digit: int) -> None:
    places = 0 if currency in ("VND", "JPY") else 2
    text = f"{whole}." + "0" * places + str(digit)
    with pytest.raises(InvalidInput) as refused:
        Money.parse(text, currency, PRICE)
    assert refused.value.field == PRICE + ["amount"]
