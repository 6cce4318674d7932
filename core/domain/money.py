"""Money: an exact amount of one currency, in its major unit, never a float.

An amount has no more decimal places than its currency's ISO 4217 minor unit (see ``currency``):
VND has none, so "1.5" VND is refused rather than rounded: rounding someone's price is a silent
change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.currency import MINOR_UNITS, check_currency
from farmgate.core.domain.errors import InvalidInput

# A plain decimal literal: no exponent, no thousands separators, no "+", at most 15 integer digits
# (a quadrillion VND is far beyond any amount this core will see, and keeps arithmetic exact).
_AMOUNT = re.compile(r"^-?[0-9]{1,15}(\.[0-9]+)?$")


class CurrencyMismatch(InvalidInput):
    """Two amounts of different currencies were combined."""


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        # Floats are refused outright: 0.1 has no exact binary form, and money must be exact.
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money takes a Decimal amount, not {type(self.amount).__name__}")
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"Unknown currency {self.currency!r}")
        if not self.amount.is_finite():
            raise ValueError("Money must be finite")
        unit = _unit(self.currency)
        exact = self.amount.quantize(unit) if self.amount else Decimal(0).quantize(unit)
        if exact != self.amount:
            raise ValueError(f"{self.currency} has {MINOR_UNITS[self.currency]} decimal places")
        # One representation per value, so "12.5" and "12.50" EUR print and hash alike.
        object.__setattr__(self, "amount", exact)

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def parse(cls, amount: str, currency: str, field: Sequence[str]) -> Money:
        """Money from the API's strings (digits of any script read as ASCII), or an InvalidInput
        naming the part at fault."""
        path = list(field)
        code = check_currency(currency if isinstance(currency, str) else "", path + ["currency"])
        text = canonical_code(amount, path + ["amount"]) if isinstance(amount, str) else ""
        if not _AMOUNT.match(text):
            raise InvalidInput('amount must be a decimal string such as "35000" or "12.50"', path + ["amount"])
        places = MINOR_UNITS[code]
        # Count the digits written, not the value: Vietnamese write 35.000 for thirty-five thousand
        # dong, so "35.000" VND read as 35 would be a silent thousandfold mistake.
        if len(text.partition(".")[2]) > places:
            if places == 0:
                raise InvalidInput(f"{code} has no minor unit: the amount must be whole", path + ["amount"])
            raise InvalidInput(f"{code} amounts have at most {places} decimal places", path + ["amount"])
        return cls(Decimal(text).quantize(_unit(code)), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-MINOR_UNITS[currency]).quantize(_unit(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount in minor units (dong, cents): the integer every split is made in."""
        return int(self.amount.scaleb(MINOR_UNITS[self.currency]))

    # -- primitives for events, read models and the API ------------------------------------------

    @property
    def amount_text(self) -> str:
        """The contract's form: "518966000" VND, "12.50" EUR."""
        return format(self.amount, "f")

    def to_primitive(self) -> dict[str, str]:
        return {"amount": self.amount_text, "currency": self.currency}

    @classmethod
    def from_primitive(cls, data: dict[str, Any]) -> Money:
        return cls(Decimal(str(data["amount"])), str(data["currency"]))

    def __str__(self) -> str:
        return f"{self.amount_text} {self.currency}"

    # -- arithmetic ------------------------------------------------------------------------------

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"Money cannot be combined with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        # Only whole quantities: a price times 2.5 kg would need a rounding rule nobody agreed on.
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError("Money can only be multiplied by a whole quantity")
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to whole-number weights, in minor units, losing nothing.

        Remainders go one minor unit at a time to the largest fractional shares (ties to the
        earlier weight), so the parts always add up to the whole.
        """
        if not weights or any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights):
            raise ValueError("weights must be non-negative whole numbers")
        total = sum(weights)
        if total == 0:
            raise ValueError("at least one weight must be positive")
        whole = self.minor
        sign = -1 if whole < 0 else 1
        shares = [divmod(abs(whole) * w, total) for w in weights]
        parts = [q for q, _ in shares]
        leftover = abs(whole) - sum(parts)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
        for i in by_remainder[:leftover]:
            parts[i] += 1
        return [Money.from_minor(sign * p, self.currency) for p in parts]

