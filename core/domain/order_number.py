"""Order numbers: human-readable, unique, issued in order per year (FG-2021-000123).

One sequence aggregate per year issues them. It is saved in the same atomic save as the order that
takes the number, so two orders racing for one number collide on the sequence's version: the loser
reloads and takes the next one. A number is issued only when its order is saved, so the numbers
of a year have no gaps.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate

ORDER_NUMBER_SEQUENCE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:order-number-sequence")

# The marketplaces sell in Vietnam: an order placed at 20:00 UTC on 31 December is a new year's
# order for everyone who reads its number. Vietnam keeps no daylight saving time.
VIETNAM = timezone(timedelta(hours=7), "ICT")


def numbering_year(placed_at: datetime) -> int:
    return placed_at.astimezone(VIETNAM).year


class OrderNumberSequence(FarmAggregate):
    """Issues one year's order numbers; a number once issued is never issued again."""

    class Started(FarmAggregate.Created):
        year: int

    class NumberIssued(FarmAggregate.Event):
        order_number: str
        sequence_number: int

        def apply(self, sequence: OrderNumberSequence) -> None:
            sequence.last_number = self.sequence_number

    def __init__(self, year: int) -> None:
        self.year = year
        self.last_number = 0

    @staticmethod
    def id_for(year: int) -> UUID:
        return uuid5(ORDER_NUMBER_SEQUENCE_NAMESPACE, str(year))

    @classmethod
    def start(cls, year: int) -> OrderNumberSequence:
        return cls._start(cls.Started, cls.id_for(year), year=year)

    def issue(self) -> str:
        number = self.last_number + 1
        order_number = f"FG-{self.year}-{number:06d}"
        self._record(self.NumberIssued, order_number=order_number, sequence_number=number)
        return order_number
