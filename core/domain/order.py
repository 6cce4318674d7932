"""Order: what a buyer bought from one storefront, what it costs, how it is paid, where it stands.

The rules it keeps, decided here once:
- One storefront per order. Every line's listing is on that storefront and ACTIVE (a sold-out one
  is OUT_OF_STOCK); one line per listing; quantities are whole, positive and bounded
  (``MAX_LINE_QUANTITY``); every line is priced in VND, the only currency of a domestic sale. Totals
  are exact Money. The stock itself is the listings' to reserve, in the same atomic save as the order.
- ``promised_by`` = placed + the shortest shelf life among its lines, at most 48 hours. When the
  shelf life bounds the promise, the order is perishable: past the promise its produce is spoiled.
- Status: PLACED → CONFIRMED (the household) → DISPATCHED (with its one shipment, saved with it).
  PLACED or CONFIRMED → CANCELLED, never after dispatch. After dispatch the order follows its
  shipment (``ORDER_STATUS_FOR_SHIPMENT``), moved by a process step that may repeat itself: each
  step names the shipment event that caused it, and a cause already applied, or older shipment news
  than the order has already followed, changes nothing.
- Payments are facts: in the order's currency, positive, each reference once (the same reference
  again is the same payment, refused as ALREADY_EXISTS and recorded once; references are compared by
  ``text.code_key``, so "BANK-TX-2", " bank-tx-2 " and "ＢＡＮＫ-TX-2" are one, including against
  references recorded before that rule). Refunds' references are each once the same way. The payment that covers
  the total makes it PAID; before that it stays PENDING with ``amount_paid`` tracked. A payment
  beyond the total, net of refunds (a duplicate gateway charge, a payment on a PAID order; not one
  that only makes good an over-refund: ``overpaid_by``), is recorded all the same and flagged
  OVERPAID: the excess is owed back (REFUND_DUE, ``refund_due``), as everything paid on a cancelled
  order is (cancelling records the refund owed; a payment that arrives after the cancel is
  recorded, owed back and flagged PAID_AFTER_CANCEL). The flags are on ``RefundFellDue``, kept for
  the case file; the order's own ``flags`` and ``overpaid`` say what is unsettled now (``flags_of``).
- Refunds are facts too (``record_refund``: money returned), beside the refunds approved BUYER
  claims make (``refund_for_claim``, never more than was paid and not yet returned). A refund beyond
  what was paid and not yet returned is recorded and flagged OVER_REFUNDED (on ``RefundRecorded``).
  The payment status follows from the running totals (``payment_status_of``).
- Claim exposure, as running totals (``note_claim``): each claim tells the order, in the same save,
  what it commits (OPEN: the amount claimed; ASSESSED: the recommended payout; APPROVED or PAID: the
  payout; REJECTED or WITHDRAWN: nothing). A claimant's commitments on one order stay within its
  limit (``claim_limit``): BUYER, what the buyer paid net of refunds (never more than the total of a
  live order, nothing on a cancelled one); HOUSEHOLD, the goods value of the lines, whatever was
  paid. Because the claim and the order are saved together, the order's version check serialises
  concurrent claims: two cannot both pass the limit.

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
from farmgate.core.domain.claim_exposure import CLAIMANTS, claim_limit, claimant_sum, exposure
from farmgate.core.domain.contact import normalise_phone
from farmgate.core.domain.currency import DOMESTIC_CURRENCY, check_domestic_currency
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition, LimitExceeded, OutOfStock
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.money import Money
from farmgate.core.domain.place import Address
from farmgate.core.domain.provenance import current_provenance
from farmgate.core.domain.shipment import (
    ATTEMPT_FAILED, AVAILABLE_FOR_PICKUP, DELIVERED as SHIPMENT_DELIVERED, EXCEPTION, INFO_RECEIVED, IN_TRANSIT,
    OUT_FOR_DELIVERY, RETURNED_TO_SENDER, SPOILED as SHIPMENT_SPOILED,
)
from farmgate.core.domain.storefront import Storefront
from farmgate.core.domain.text import code_key, required_code, required_text, world_time

PAYMENT_METHODS = ("CASH_ON_DELIVERY", "E_WALLET", "BANK_TRANSFER", "POST_OFFICE_COUNTER")

PLACED, CONFIRMED, DISPATCHED, CANCELLED = "PLACED", "CONFIRMED", "DISPATCHED", "CANCELLED"
DELIVERED, DELIVERY_FAILED, SPOILED, RETURNED = "DELIVERED", "DELIVERY_FAILED", "SPOILED", "RETURNED"
ORDER_STATUSES = (PLACED, CONFIRMED, DISPATCHED, DELIVERED, DELIVERY_FAILED, SPOILED, RETURNED, CANCELLED)
#: statuses in which the order follows its shipment
FOLLOWING = (DISPATCHED, DELIVERY_FAILED)

PENDING, PAID = "PENDING", "PAID"
REFUNDED, PARTIALLY_REFUNDED, REFUND_DUE = "REFUNDED", "PARTIALLY_REFUNDED", "REFUND_DUE"
PAYMENT_STATUSES = (PENDING, PAID, REFUND_DUE, PARTIALLY_REFUNDED, REFUNDED)

#: flags on money facts that contradict the order's state: recorded, never refused (see the module docstring)
OVERPAID, PAID_AFTER_CANCEL, OVER_REFUNDED = "OVERPAID", "PAID_AFTER_CANCEL", "OVER_REFUNDED"
ORDER_FLAGS = (OVERPAID, PAID_AFTER_CANCEL, OVER_REFUNDED)

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
#: claim statuses whose decision commits money: entering one checks the claimant's limit again
DECIDING = ("ASSESSED", "APPROVED")
#: most units of one listing on one order line: 10 tonnes of a per-kg listing, a truckload, far past
#: what a household sells one buyer; a larger number is a typo
MAX_LINE_QUANTITY = 10_000


def overpaid_of(total: Money, paid: Money, refunded: Money) -> Money:
    """The overpayment still owed back: paid beyond the total, less what was returned, never below
    zero (a refund goes against the excess first). Zero once refunds cover the excess; the case
    file's OVERPAID flag keeps that it happened."""
    over = paid - total - refunded
    return over if over.is_positive else Money.zero(over.currency)


def overpaid_by(total: Money, paid: Money, refunded: Money, amount: Money) -> Money:
    """The part of a payment of ``amount``, arriving when ``paid`` and ``refunded`` were recorded, that
    is overpaid: what it adds to ``overpaid_of`` (the part that takes paid − refunded past the total).
    A payment that only makes good an over-refund adds nothing; one on an order already overpaid is
    overpaid in full. Zero or positive, in the order's currency."""
    return overpaid_of(total, paid + amount, refunded) - overpaid_of(total, paid, refunded)


def over_refunded(paid: Money, refunded: Money) -> bool:
    """True while more was returned than was paid: a refund is over-refunded by the part beyond
    paid − refunded before it (the rule of ``flags_of`` and ``record_refund``)."""
    return refunded > paid


def flags_of(total: Money, paid: Money, refunded: Money) -> list[str]:
    """The contradictions the running totals show now (``ORDER_FLAGS``, in that order): OVERPAID while
    an overpayment is not returned (``overpaid_of``), OVER_REFUNDED while more was returned than was
    paid. Both clear when later facts settle them; the case file keeps the facts that raised them."""
    flags = [OVERPAID] if overpaid_of(total, paid, refunded).is_positive else []
    return flags + ([OVER_REFUNDED] if over_refunded(paid, refunded) else [])


def payment_status_of(total: Money, paid: Money, refunded: Money, due: Money) -> str:
    """The contract's PaymentStatus from the running totals: money owed back first, then what came back."""
    if due.is_positive:
        return REFUND_DUE
    if paid.is_positive and refunded >= paid:
        return REFUNDED
    if refunded.is_positive and total.is_positive and paid - refunded >= total:
        return PAID  # an overpayment returned: the total is still paid
    if refunded.is_positive:
        return PARTIALLY_REFUNDED
    if paid.is_positive and paid >= total:
        return PAID
    return PENDING


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
            # A contact number: a buyer's office or home landline reaches them as well as a mobile.
            normalise_phone(phone if isinstance(phone, str) else "", path + ["phone"], landline=True),
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


def _line(index: int, listing: Listing, quantity: int, storefront: Storefront) -> dict[str, Any]:
    if listing.storefront_id != storefront.id:
        raise InvalidInput("Every line of an order must come from one storefront", line_path(index, "listingId"))
    if listing.status == "SOLD_OUT":
        raise OutOfStock(f"{listing.title} is sold out", line_path(index, "quantity"))
    if listing.status != "ACTIVE":
        raise InvalidTransition(f"This listing is {listing.status.lower()} and takes no orders",
                                line_path(index, "listingId"))
    price = listing.unit_price
    # A listing published before prices were VND only may still carry another currency.
    check_domestic_currency(price.currency, line_path(index, "listingId"))
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

    class RefundFellDue(FarmAggregate.Event):
        """Money the order holds but may not keep (it was cancelled): owed back to the buyer."""

        amount_due: dict[str, str]
        reason: str
        payment_status: str
        #: OVERPAID or PAID_AFTER_CANCEL when a payment contradicting the order's state caused it, None
        #: when the cancel did; absent from events recorded before flags
        flag: str | None

        def apply(self, order: Order) -> None:
            order.payment_status = self.payment_status

    class RefundRecorded(FarmAggregate.Event):
        """Money went back to the buyer (a gateway refund, a transfer back), as reported."""

        amount: dict[str, str]
        reference: str
        #: refunded in all (through claims too), and the payment status, after this refund
        refunded_total: dict[str, str]
        payment_status: str
        #: OVER_REFUNDED when more has now been returned than was paid, else None; absent from events
        #: recorded before flags
        flag: str | None

        def apply(self, order: Order) -> None:
            order._refunded = self.refunded_total
            order._refunded_directly = (Money.from_primitive(order._refunded_directly)
                                        + Money.from_primitive(self.amount)).to_primitive()
            order.payment_status = self.payment_status
            order.refund_references.append(self.reference)

    class ClaimExposureChanged(FarmAggregate.Event):
        """A claim on this order was filed or moved: what it now commits and what was paid on it."""

        claim_id: UUID
        claimant: str
        kind: str
        claim_status: str
        claimed: dict[str, str]
        committed: dict[str, str]
        approved: dict[str, str]
        paid: dict[str, str]

        def apply(self, order: Order) -> None:
            order.claims[str(self.claim_id)] = {
                "claimant": self.claimant, "kind": self.kind, "status": self.claim_status, "claimed": self.claimed,
                "committed": self.committed, "approved": self.approved, "paid": self.paid,
            }

    class Dispatched(FarmAggregate.Event):
        shipment_id: UUID
        carrier: str
        #: absent from dispatches recorded while carriers were free text (see ``Shipment.Dispatched``)
        carrier_id: UUID
        tracking_number: str

        def apply(self, order: Order) -> None:
            order.status = DISPATCHED
            order.shipment_id = self.shipment_id
            order.carrier = self.carrier
            order.carrier_id = getattr(self, "carrier_id", None)
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

    class SpoilageWithdrawn(FollowedShipment):
        """The shipment's automatic spoilage was withdrawn by a fact that happened before it: the order
        follows its shipment again."""

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
        self.carrier_id: UUID | None = None
        #: version of the newest shipment event the order has followed
        self.shipment_version = 0
        #: ids of the shipment events already applied, so a repeated process step changes nothing
        self.followed_causes: list[str] = []
        self._refunded = Money.zero(total["currency"]).to_primitive()
        #: refunded by record_refund (not through claims)
        self._refunded_directly = Money.zero(total["currency"]).to_primitive()
        self.refund_references: list[str] = []
        #: claims already refunded: a repeated process step refunds nothing twice
        self.refunded_claims: list[str] = []
        #: claim id -> claimant, kind, status and the claim's amounts (primitives)
        self.claims: dict[str, dict[str, Any]] = {}

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
        placed = [_line(index, listing, quantity, storefront) for index, (listing, quantity) in enumerate(lines)]
        total = Money.zero(DOMESTIC_CURRENCY)
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
        """Still to pay: the total less what was paid, never below zero."""
        left = self.total - self.amount_paid
        return left if left.is_positive else Money.zero(left.currency)

    @property
    def overpaid(self) -> Money:
        """Paid beyond the total (a duplicate charge, a payment past what was outstanding) and not yet
        returned, zero if none (``overpaid_of``)."""
        return overpaid_of(self.total, self.amount_paid, self.refunded)

    @property
    def flags(self) -> list[str]:
        """The contradictions the money facts show now (``flags_of``), for dispute staff."""
        return flags_of(self.total, self.amount_paid, self.refunded)

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
        if self.refund_due.is_positive:
            self._record(self.RefundFellDue, amount_due=self.refund_due.to_primitive(),
                         reason="The order was cancelled after it was paid",
                         payment_status=payment_status_of(self.total, self.amount_paid, self.refunded,
                                                          self.refund_due), flag=None)
        return [(line["listing_id"], line["quantity"]) for line in self.lines]

    def _check_money(self, amount: Money, field: list[str]) -> None:
        if amount.currency != self.total.currency:
            raise InvalidInput(f"This order is paid in {self.total.currency}", field + ["currency"])
        if not amount.is_positive:
            raise InvalidInput("amount must be more than zero", field + ["amount"])

    def record_payment(self, amount: Money, reference: str, occurred_at: datetime, now: datetime) -> None:
        """A payment that arrived: always recorded, whatever the order's state. Refused only when it is
        not a fact: malformed, not positive, in another currency, or a reference already recorded
        (AlreadyExists: the same payment again; compared by ``code_key``, so case, full-width forms and
        outer spaces do not make a new one). On a live order the part that takes paid − refunded past
        the total (``overpaid_by``) is owed back and flagged OVERPAID (nothing is, when it only makes
        good an over-refund); on a cancelled order all of it is owed back and flagged PAID_AFTER_CANCEL."""
        reference = required_code(reference, ["input", "reference"], 100)
        occurred_at = world_time(occurred_at, now, ["input", "occurredAt"], self.placed_at, "the order was placed")
        self._check_money(amount, ["input", "amount"])
        if code_key(reference) in {code_key(known) for known in self.payment_references}:
            raise AlreadyExists("A payment with this reference is already recorded", ["input", "reference"])
        # What the payment overpays follows the order's own rule (``overpaid_of``), refunds included: a
        # payment that only makes good an over-refund is owed back to no one.
        excess = overpaid_by(self.total, self.amount_paid, self.refunded, amount)
        paid = self.amount_paid + amount
        self._record(
            self.PaymentRecorded,
            occurred_at=occurred_at,
            amount=amount.to_primitive(),
            reference=reference,
            amount_paid=paid.to_primitive(),
            payment_status=payment_status_of(self.total, paid, self.refunded, self._due(paid, self.refunded)),
        )
        if self.status == CANCELLED:
            self._record(self.RefundFellDue, amount_due=self.refund_due.to_primitive(),
                         reason="A payment arrived after the order was cancelled", payment_status=self.payment_status,
                         flag=PAID_AFTER_CANCEL)
        elif excess.is_positive:
            self._record(self.RefundFellDue, amount_due=self.refund_due.to_primitive(),
                         reason=f"Payment {reference} of {amount} arrived when {amount - excess} was outstanding:"
                                f" {excess} was overpaid",
                         payment_status=self.payment_status, flag=OVERPAID)

    def record_refund(self, amount: Money, reference: str, occurred_at: datetime, now: datetime) -> None:
        """Money returned to the buyer: always recorded (refused only when malformed, not positive, in
        another currency, or a reference already recorded, compared by ``code_key``). More
        than was paid and not yet returned is flagged OVER_REFUNDED."""
        reference = required_code(reference, ["input", "reference"], 100)
        occurred_at = world_time(occurred_at, now, ["input", "occurredAt"], self.placed_at, "the order was placed")
        self._check_money(amount, ["input", "amount"])
        if code_key(reference) in {code_key(known) for known in self.refund_references}:
            raise AlreadyExists("A refund with this reference is already recorded", ["input", "reference"])
        refunded = self.refunded + amount
        self._record(
            self.RefundRecorded,
            occurred_at=occurred_at,
            amount=amount.to_primitive(),
            reference=reference,
            refunded_total=refunded.to_primitive(),
            payment_status=payment_status_of(self.total, self.amount_paid, refunded,
                                             self._due(self.amount_paid, refunded)),
            flag=OVER_REFUNDED if over_refunded(self.amount_paid, refunded) else None,
        )

    def record_dispatch(self, shipment_id: UUID, carrier: str, tracking_number: str, carrier_id: UUID) -> None:
        """The order leaves with its one shipment (created in the same save) and the shipment's
        carrier: its name and its id."""
        self._require_status((CONFIRMED,), "be dispatched")
        if self.shipment_id is not None:
            raise InvalidTransition("The order already has a shipment on its way", ["input", "orderId"])
        self._record(self.Dispatched, shipment_id=shipment_id, carrier=carrier, carrier_id=carrier_id,
                     tracking_number=tracking_number)

    def follow_shipment(
        self, shipment_id: UUID, shipment_version: int, shipment_status: str, occurred_at: datetime,
        withdraws_spoilage: bool = False,
    ) -> bool:
        """Move with the shipment's news; True if the order changed.

        Called by a process step that may run more than once per event, and late: a cause already
        applied, news older than the order already followed, or news that changes nothing record
        nothing. The cause is the current provenance's causation id. ``withdraws_spoilage``: the news
        withdraws the shipment's automatic spoilage, so a SPOILED order follows it again.
        """
        target = ORDER_STATUS_FOR_SHIPMENT[shipment_status]
        cause = current_provenance().causation_id
        following = FOLLOWING + ((SPOILED,) if withdraws_spoilage else ())
        if shipment_id != self.shipment_id or self.status not in following:
            return False
        if (cause is not None and cause in self.followed_causes) or shipment_version <= self.shipment_version:
            return False
        if target == self.status:
            return False
        event_class = self.SpoilageWithdrawn if self.status == SPOILED else {
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
        """Returned to the buyer in all: recorded refunds and refunds through claims."""
        return Money.from_primitive(self._refunded)

    @property
    def refunded_directly(self) -> Money:
        return Money.from_primitive(self._refunded_directly)

    @property
    def refunded_through_claims(self) -> Money:
        return self.refunded - self.refunded_directly

    @property
    def kept(self) -> Money:
        """What the order may keep of what was paid: its total while it stands, nothing once cancelled."""
        return Money.zero(self.total.currency) if self.status == CANCELLED else self.total

    def _due(self, paid: Money, refunded: Money) -> Money:
        due = paid - refunded - self.kept
        return due if due.is_positive else Money.zero(due.currency)

    @property
    def refund_due(self) -> Money:
        """Paid, not refunded, and not the order's to keep: owed back to the buyer."""
        return self._due(self.amount_paid, self.refunded)

    def refund_for_claim(self, claim_id: UUID, payout: Money) -> bool:
        """Refund an approved BUYER claim's payout once; never more than was paid and not yet
        refunded (the event records how much it refunded). True if recorded."""
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
            payment_status=payment_status_of(self.total, self.amount_paid, refunded,
                                             self._due(self.amount_paid, refunded)),
        )
        return True

    # -- claim exposure ------------------------------------------------------------------------------

    def claim_limit(self, claimant: str) -> Money:
        """How much ``claimant``'s claims on this order may commit in all (``claim_exposure``)."""
        return claim_limit(claimant, total=self.total, paid=self.amount_paid, refunded_directly=self.refunded_directly,
                           cancelled=self.status == CANCELLED)

    def committed_total(self, claimant: str) -> Money:
        """What ``claimant``'s claims on this order commit now, in all."""
        return claimant_sum(self.claims, claimant, "committed", self.total.currency)

    def exposure(self, claimant: str) -> dict[str, Money]:
        """claimed, approved, paid, limit and room of ``claimant``'s claims (``claim_exposure.exposure``)."""
        return exposure(claimant, self.claims, self.claim_limit(claimant))

    def note_claim(
        self, claim_id: UUID, claimant: str, kind: str, claim_status: str, claimed: Money, committed: Money,
        approved: Money, paid: Money, field: list[str],
    ) -> None:
        """Record what a claim now commits, refusing (LIMIT_EXCEEDED, naming the room left) a rise that
        would take its claimant's commitments past the limit, and an assessment or approval while they
        are past it (a refund recorded since the claim was filed shrinks a BUYER's limit: a decision
        made after it must fit). ``field`` is the input amount at fault."""
        if claimant not in CLAIMANTS:
            raise InvalidInput(f"Unknown claimant {claimant}", ["input", "claimant"])
        if claimed.currency != self.total.currency:
            raise InvalidInput(f"This order is priced in {self.total.currency}", field + ["currency"])
        previous = self.claims.get(str(claim_id))
        before = Money.from_primitive(previous["committed"]) if previous else Money.zero(self.total.currency)
        deciding = claim_status in DECIDING and (previous is None or previous["status"] != claim_status)
        if committed > before or (deciding and committed.is_positive):
            limit = self.claim_limit(claimant)
            others = claimant_sum(self.claims, claimant, "committed", self.total.currency, without=str(claim_id))
            if others + committed > limit:
                room = limit - others
                room = room if room.is_positive else Money.zero(room.currency)
                raise LimitExceeded(
                    f"{claimant} claims on this order may commit at most {limit} in all; {room} is left",
                    field + ["amount"],
                )
        self._record(
            self.ClaimExposureChanged,
            claim_id=claim_id, claimant=claimant, kind=kind, claim_status=claim_status,
            claimed=claimed.to_primitive(), committed=committed.to_primitive(), approved=approved.to_primitive(),
            paid=paid.to_primitive(),
        )
