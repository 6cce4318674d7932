"""Order: what a buyer bought from one storefront, what it costs, how it is paid, where it stands.

The rules it keeps, decided here once:
- One storefront per order. Every line's listing is on that storefront and ACTIVE (a sold-out one
  is OUT_OF_STOCK); one line per listing; quantities are whole, positive and bounded; all lines are
  priced in one currency. Totals are exact Money. The stock itself is the listings' to reserve, in
  the same atomic save as the order.
- ``promised_by`` = placed + the shortest shelf life among its lines, at most 48 hours. When the
  shelf life bounds the promise, the order is perishable: past the promise its produce is spoiled.
- Status: PLACED → CONFIRMED (the household) → DISPATCHED (with its one shipment, saved with it).
  PLACED or CONFIRMED → CANCELLED, never after dispatch. After dispatch the order follows its
  shipment (``ORDER_STATUS_FOR_SHIPMENT``), moved by a process step that may repeat itself: each
  step names the shipment event that caused it, and a cause already applied, or older shipment news
  than the order has already followed, changes nothing.
- Payments: in the order's currency, positive, never more than what is outstanding (the refusal
  names the outstanding amount), each reference once. The payment that covers the total makes it
  PAID; before that it stays PENDING with ``amount_paid`` tracked. Not on a cancelled order.

The buyer's name, phone and address are personal data: their event fields are named ``buyer_*`` so
``personal_data`` masks them, and no message here repeats them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.contact import normalise_phone
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition, OutOfStock
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.money import Money
from farmgate.core.domain.place import Address
from farmgate.core.domain.provenance import current_provenance
from farmgate.core.domain.shipment import (
    ATTEMPT_FAILED, AVAILABLE_FOR_PICKUP, DELIVERED as SHIPMENT_DELIVERED, EXCEPTION, INFO_RECEIVED, IN_TRANSIT,
    OUT_FOR_DELIVERY, RETURNED_TO_SENDER, SPOILED as SHIPMENT_SPOILED,
)
from farmgate.core.domain.storefront import Storefront
from farmgate.core.domain.text import required_text, world_time

PAYMENT_METHODS = ("CASH_ON_DELIVERY", "E_WALLET", "BANK_TRANSFER", "POST_OFFICE_COUNTER")

PLACED, CONFIRMED, DISPATCHED, CANCELLED = "PLACED", "CONFIRMED", "DISPATCHED", "CANCELLED"
DELIVERED, DELIVERY_FAILED, SPOILED, RETURNED = "DELIVERED", "DELIVERY_FAILED", "SPOILED", "RETURNED"
ORDER_STATUSES = (PLACED, CONFIRMED, DISPATCHED, DELIVERED, DELIVERY_FAILED, SPOILED, RETURNED, CANCELLED)
#: statuses in which the order follows its shipment
FOLLOWING = (DISPATCHED, DELIVERY_FAILED)

PENDING, PAID = "PENDING", "PAID"
REFUNDED, PARTIALLY_REFUNDED = "REFUNDED", "PARTIALLY_REFUNDED"

ORDER_STATUS_FOR_SHIPMENT = {
    INFO_RECEIVED: DISPATCHED,
    IN_TRANSIT: DISPATCHED,
    OUT_FOR_DELIVERY: DISPATCHED,
    AVAILABLE_FOR_PICKUP: DISPATCHED,
    EXCEPTION: DISPATCHED,
    ATTEMPT_FAILED: DELIVERY_FAILED,
    SHIPMENT_DELIVERED: DELIVERED,
    SHIPMENT_SPOILED: SPOILED,
    RETURNED_TO_SENDER: RETURNED,
}

#: the marketplaces' delivery promise (Postmart and Voso promised lychee within 48 hours)
MAX_PROMISE_HOURS = 48
MAX_LINES = 50
MAX_LINE_QUANTITY = 10_000


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str  # E.164
    address: Address

    @classmethod
    def checked(cls, name: str, phone: str, address: dict[str, Any]) -> Buyer:
        path = ["input", "buyer"]
        if not isinstance(address, dict):
            raise InvalidInput("address is required", path + ["address"])
        return cls(
            required_text(name if isinstance(name, str) else "", path + ["name"], 200),
            normalise_phone(phone if isinstance(phone, str) else "", path + ["phone"]),
            Address.checked(field=path + ["address"], **address),
        )


def line_path(index: int, name: str) -> list[str]:
    return ["input", "lines", str(index), name]


def check_payment_method(payment_method: str) -> str:
    if payment_method not in PAYMENT_METHODS:
        raise InvalidInput(f"Unknown payment method; use one of {', '.join(PAYMENT_METHODS)}",
                           ["input", "paymentMethod"])
    return payment_method


def checked_lines(lines: Sequence[tuple[Any, Any]]) -> list[tuple[UUID, int]]:
    """(listing id, quantity) pairs: at least one, at most MAX_LINES, one per listing, whole quantities."""
    if not lines:
        raise InvalidInput("An order needs at least one line", ["input", "lines"])
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"An order has at most {MAX_LINES} lines", ["input", "lines"])
    seen: set[UUID] = set()
    for index, (listing_id, quantity) in enumerate(lines):
        if not isinstance(listing_id, UUID):
            raise InvalidInput("listingId is not a listing's id", line_path(index, "listingId"))
        if listing_id in seen:
            raise InvalidInput("This listing is already on another line", line_path(index, "listingId"))
        seen.add(listing_id)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidInput("quantity must be a whole number", line_path(index, "quantity"))
        if not 1 <= quantity <= MAX_LINE_QUANTITY:
            raise InvalidInput(f"quantity must be between 1 and {MAX_LINE_QUANTITY:,}", line_path(index, "quantity"))
    return [(listing_id, quantity) for listing_id, quantity in lines]


def _line(index: int, listing: Listing, quantity: int, storefront: Storefront, currency: str) -> dict[str, Any]:
    if listing.storefront_id != storefront.id:
        raise InvalidInput("Every line of an order must come from one storefront", line_path(index, "listingId"))
    if listing.status == "SOLD_OUT":
        raise OutOfStock(f"{listing.title} is sold out", line_path(index, "quantity"))
    if listing.status != "ACTIVE":
        raise InvalidTransition(f"This listing is {listing.status.lower()} and takes no orders",
                                line_path(index, "listingId"))
    price = listing.unit_price
    if price.currency != currency:
        raise InvalidInput(f"Every line of an order must be priced in one currency ({currency})",
                           line_path(index, "listingId"))
    return {
        "listing_id": listing.id,
        "title": listing.title,
        "unit": listing.unit,
        "quantity": quantity,
        "unit_price": price.to_primitive(),
        "line_total": (price * quantity).to_primitive(),
        "shelf_life_hours": listing.shelf_life_hours,
    }


class Order(FarmAggregate):
    class Placed(FarmAggregate.Created):
        number: str
        marketplace: str
        storefront_id: UUID
        household_id: UUID
        lines: list[dict[str, Any]]
        total: dict[str, str]
        payment_method: str
        buyer_name: str
        buyer_phone: str
        buyer_address: dict[str, Any]
        promised_by: datetime
        perishable: bool

    class Confirmed(FarmAggregate.Event):
        def apply(self, order: Order) -> None:
            order.status = CONFIRMED

    class Cancelled(FarmAggregate.Event):
        reason: str

        def apply(self, order: Order) -> None:
            order.status = CANCELLED

    class PaymentRecorded(FarmAggregate.Event):
        amount: dict[str, str]
        reference: str
        #: what has been paid in all, and the payment status, after this payment
        amount_paid: dict[str, str]
        payment_status: str

        def apply(self, order: Order) -> None:
            order._amount_paid = self.amount_paid
            order.payment_status = self.payment_status
            order.payment_references.append(self.reference)

    class Dispatched(FarmAggregate.Event):
        shipment_id: UUID
        carrier: str
        tracking_number: str

        def apply(self, order: Order) -> None:
            order.status = DISPATCHED
            order.shipment_id = self.shipment_id
            order.carrier = self.carrier
            order.shipment_version = 1  # the shipment's own first event

    class FollowedShipment(FarmAggregate.Event):
        """The order's status moved with its shipment's; caused by that shipment's event."""

        shipment_id: UUID
        shipment_version: int
        shipment_status: str

        def apply(self, order: Order) -> None:
            order.status = ORDER_STATUS_FOR_SHIPMENT[self.shipment_status]
            order.shipment_version = self.shipment_version
            if self.causation_id:
                order.followed_causes.append(self.causation_id)

    class Refunded(FarmAggregate.Event):
        """Money went back to the buyer, because an approved compensation claim said so."""

        claim_id: UUID
        amount: dict[str, str]
        #: refunded in all, and the payment status, after this refund
        refunded_total: dict[str, str]
        payment_status: str

        def apply(self, order: Order) -> None:
            order._refunded = self.refunded_total
            order.payment_status = self.payment_status
            order.refunded_claims.append(str(self.claim_id))

    class Delivered(FollowedShipment):
        pass

    class DeliveryFailed(FollowedShipment):
        pass

    class DeliveryResumed(FollowedShipment):
        pass

    class Spoiled(FollowedShipment):
        pass

    class Returned(FollowedShipment):
        pass

    def __init__(
        self,
        number: str,
        marketplace: str,
        storefront_id: UUID,
        household_id: UUID,
        lines: list[dict[str, Any]],
        total: dict[str, str],
        payment_method: str,
        buyer_name: str,
        buyer_phone: str,
        buyer_address: dict[str, Any],
        promised_by: datetime,
        perishable: bool,
        occurred_at: datetime,
    ) -> None:
        self.number = number
        self.marketplace = marketplace
        self.storefront_id = storefront_id
        self.household_id = household_id
        # Primitives, so a snapshot needs no custom transcoding; properties give the values.
        self.lines = lines
        self._total = total
        self.payment_method = payment_method
        self.buyer_name = buyer_name
        self.buyer_phone = buyer_phone
        self.buyer_address = buyer_address
        self.placed_at = occurred_at
        self.promised_by = promised_by
        self.perishable = perishable
        self.status = PLACED
        self.payment_status = PENDING
        self._amount_paid = Money.zero(total["currency"]).to_primitive()
        self.payment_references: list[str] = []
        self.shipment_id: UUID | None = None
        self.carrier: str | None = None
        #: version of the newest shipment event the order has followed
        self.shipment_version = 0
        #: ids of the shipment events already applied, so a repeated process step changes nothing
        self.followed_causes: list[str] = []
        self._refunded = Money.zero(total["currency"]).to_primitive()
        #: claims already refunded: a repeated process step refunds nothing twice
        self.refunded_claims: list[str] = []

    @classmethod
    def place(
        cls,
        *,
        order_id: UUID,
        number: str,
        storefront: Storefront,
        lines: Sequence[tuple[Listing, int]],
        buyer: Buyer,
        payment_method: str,
        now: datetime,
    ) -> Order:
        check_payment_method(payment_method)
        checked_lines([(listing.id, quantity) for listing, quantity in lines])
        if storefront.status != "OPEN":
            raise InvalidTransition("The storefront is not taking orders", line_path(0, "listingId"))
        currency = lines[0][0].unit_price.currency
        placed = [
            _line(index, listing, quantity, storefront, currency) for index, (listing, quantity) in enumerate(lines)
        ]
        total = Money.zero(currency)
        for line in placed:
            total += Money.from_primitive(line["line_total"])
        shortest = min(line["shelf_life_hours"] for line in placed)
        return cls._start(
            cls.Placed,
            order_id,
            occurred_at=now,
            number=number,
            marketplace=storefront.marketplace,
            storefront_id=storefront.id,
            household_id=storefront.household_id,
            lines=placed,
            total=total.to_primitive(),
            payment_method=payment_method,
            buyer_name=buyer.name,
            buyer_phone=buyer.phone,
            buyer_address=buyer.address.as_dict(),
            promised_by=now + timedelta(hours=min(shortest, MAX_PROMISE_HOURS)),
            perishable=shortest <= MAX_PROMISE_HOURS,
        )

    # -- what it is now ----------------------------------------------------------------------------

    @property
    def total(self) -> Money:
        return Money.from_primitive(self._total)

    @property
    def amount_paid(self) -> Money:
        return Money.from_primitive(self._amount_paid)

    @property
    def outstanding(self) -> Money:
        return self.total - self.amount_paid

    def _require_status(self, allowed: tuple[str, ...], doing: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"A {self.status} order cannot {doing}", ["input", "orderId"])

    # -- commands ----------------------------------------------------------------------------------

    def confirm(self) -> None:
        self._require_status((PLACED,), "be confirmed")
        self._record(self.Confirmed)

    def cancel(self, reason: str) -> list[tuple[UUID, int]]:
        """Cancel before dispatch; returns each listing's reserved quantity, for the caller to release."""
        self._require_status((PLACED, CONFIRMED), "be cancelled")
        self._record(self.Cancelled, reason=required_text(reason, ["input", "reason"], 500, multiline=True))
        return [(line["listing_id"], line["quantity"]) for line in self.lines]

    def record_payment(self, amount: Money, reference: str, occurred_at: datetime, now: datetime) -> None:
        self._require_status(tuple(s for s in ORDER_STATUSES if s != CANCELLED), "take payments")
        reference = required_text(reference, ["input", "reference"], 100)
        occurred_at = world_time(occurred_at, now, ["input", "occurredAt"])
        if occurred_at < self.placed_at:
            raise InvalidInput("occurredAt must not be before the order was placed", ["input", "occurredAt"])
        if amount.currency != self.total.currency:
            raise InvalidInput(f"This order is paid in {self.total.currency}", ["input", "amount", "currency"])
        if not amount.is_positive:
            raise InvalidInput("amount must be more than zero", ["input", "amount", "amount"])
        if reference in self.payment_references:
            raise AlreadyExists("A payment with this reference is already recorded", ["input", "reference"])
        outstanding = self.outstanding
        if amount > outstanding:
            if outstanding.is_zero:
                raise InvalidInput("Nothing is outstanding: the order is paid", ["input", "amount", "amount"])
            raise InvalidInput(f"Only {outstanding} is outstanding; {amount} would overpay the order",
                               ["input", "amount", "amount"])
        paid = self.amount_paid + amount
        self._record(
            self.PaymentRecorded,
            occurred_at=occurred_at,
            amount=amount.to_primitive(),
            reference=reference,
            amount_paid=paid.to_primitive(),
            payment_status=PAID if paid == self.total else PENDING,
        )

    def record_dispatch(self, shipment_id: UUID, carrier: str, tracking_number: str) -> None:
        """The order leaves with its one shipment (created in the same save)."""
        self._require_status((CONFIRMED,), "be dispatched")
        if self.shipment_id is not None:
            raise InvalidTransition("The order already has a shipment on its way", ["input", "orderId"])
        self._record(self.Dispatched, shipment_id=shipment_id, carrier=carrier, tracking_number=tracking_number)

    def follow_shipment(
        self, shipment_id: UUID, shipment_version: int, shipment_status: str, occurred_at: datetime
    ) -> bool:
        """Move with the shipment's news; True if the order changed.

        Called by a process step that may run more than once per event, and late: a cause already
        applied, news older than the order already followed, or news that changes nothing record
        nothing. The cause is the current provenance's causation id.
        """
        target = ORDER_STATUS_FOR_SHIPMENT[shipment_status]
        cause = current_provenance().causation_id
        if shipment_id != self.shipment_id or self.status not in FOLLOWING:
            return False
        if (cause is not None and cause in self.followed_causes) or shipment_version <= self.shipment_version:
            return False
        if target == self.status:
            return False
        event_class = {
            DISPATCHED: self.DeliveryResumed,
            DELIVERY_FAILED: self.DeliveryFailed,
            DELIVERED: self.Delivered,
            SPOILED: self.Spoiled,
            RETURNED: self.Returned,
        }[target]
        self._record(
            event_class,
            occurred_at=occurred_at,
            shipment_id=shipment_id,
            shipment_version=shipment_version,
            shipment_status=shipment_status,
        )
        return True

    # -- refunds -----------------------------------------------------------------------------------

    @property
    def refunded(self) -> Money:
        return Money.from_primitive(self._refunded)

    def refund_for_claim(self, claim_id: UUID, payout: Money) -> bool:
        """Refund an approved claim's payout once; never more than was paid. True if recorded."""
        if str(claim_id) in self.refunded_claims or not payout.is_positive:
            return False
        if payout.currency != self.total.currency:
            raise InvalidInput(f"This order was paid in {self.total.currency}", ["input", "payout", "currency"])
        room = self.amount_paid - self.refunded
        amount = payout if payout <= room else room
        if not amount.is_positive:
            return False
        refunded = self.refunded + amount
        self._record(
            self.Refunded,
            claim_id=claim_id,
            amount=amount.to_primitive(),
            refunded_total=refunded.to_primitive(),
            payment_status=REFUNDED if refunded == self.amount_paid else PARTIALLY_REFUNDED,
        )
        return True
