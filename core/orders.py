"""Order and shipment use cases: place, confirm, cancel, pay, dispatch, track, deliver, spoil.

Placing an order is one atomic save of the order, its year's number sequence and every listing it
reserves stock from: a buyer hears OUT_OF_STOCK at once, and a lost race on a hot listing (or on the
number sequence) is reloaded and retried a bounded number of times, then reported as CONFLICT —
never oversold, never lost.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import structlog

from farmgate.core.domain.carrier import MAX_SPELLING_LENGTH
from farmgate.core.domain.errors import InvalidInput, NotFound
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import Buyer, Order, check_payment_method, checked_lines, line_path
from farmgate.core.domain.order_number import OrderNumberSequence, numbering_year
from farmgate.core.domain.provenance import Provenance, current_provenance, recording
from farmgate.core.domain.shipment import Shipment
from farmgate.core.domain.storefront import Storefront
from farmgate.core.domain.text import required_text

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate

ORDER_FIELD = ["input", "orderId"]
SHIPMENT_FIELD = ["input", "shipmentId"]
WATCHDOG_ACTOR = "SYSTEM:promise-watchdog"

log = structlog.get_logger("farmgate.orders")

_numbering_guard = threading.Lock()
_numbering_locks: weakref.WeakKeyDictionary[object, threading.Lock] = weakref.WeakKeyDictionary()


def _numbering_lock(app: object) -> threading.Lock:
    """The application's own queue for its number sequences (one per application object)."""
    with _numbering_guard:
        return _numbering_locks.setdefault(app, threading.Lock())


class OrderCommands:
    # -- orders ------------------------------------------------------------------------------------

    def place_order(
        self: Farmgate,
        *,
        lines: Sequence[Mapping[str, Any]],
        buyer: Mapping[str, Any],
        payment_method: str,
        marketplace: str | None = None,
    ) -> UUID:
        """Place an order and reserve its stock; ``marketplace`` (the caller's scope, if any) makes
        another marketplace's listings read as not found."""
        check_payment_method(payment_method)
        wanted = checked_lines([(line.get("listing_id"), line.get("quantity")) for line in lines])
        checked_buyer = Buyer.checked(buyer.get("name", ""), buyer.get("phone", ""), buyer.get("address"))
        order_id = uuid4()
        numbering = _numbering_lock(self)

        def command() -> UUID:
            # Every order of a year takes the next number from one sequence, so orders collide on it
            # whatever they buy. Threads of one application queue here instead of losing the race to
            # each other (a third of the throughput, measured); other processes still race, and the
            # version check still decides.
            with numbering:
                return attempt()

        def attempt() -> UUID:
            now = self.clock()
            listings = []
            for index, (listing_id, _) in enumerate(wanted):
                listing = self.load(Listing, listing_id, line_path(index, "listingId"))
                if marketplace is not None and listing.marketplace != marketplace:
                    raise NotFound("No listing with this id", line_path(index, "listingId"))
                listings.append(listing)
            storefront = self.load(Storefront, listings[0].storefront_id, line_path(0, "listingId"))
            year = numbering_year(now)
            sequence = self.load_or_start(
                OrderNumberSequence, OrderNumberSequence.id_for(year), lambda: OrderNumberSequence.start(year)
            )
            quantities = [quantity for _, quantity in wanted]
            order = Order.place(
                order_id=order_id,
                number=sequence.issue(),
                storefront=storefront,
                lines=list(zip(listings, quantities)),
                buyer=checked_buyer,
                payment_method=payment_method,
                now=now,
            )
            for index, (listing, quantity) in enumerate(zip(listings, quantities)):
                listing.reserve(quantity, order_id=order.id, field=line_path(index, "quantity"))
            self.save(order, sequence, *listings)
            return order.id

        return self.retrying(command, "this order's listings")

    def order_number(self: Farmgate, order_id: UUID) -> str:
        """The number an order was placed with, from the event store (a read model may lag)."""
        return self.load(Order, order_id, ["input", "orderId"]).number

    def _change_order(self: Farmgate, order_id: UUID, change: Callable[[Order], None]) -> UUID:
        def command() -> UUID:
            order = self.load(Order, order_id, ORDER_FIELD)
            change(order)
            self.save(order)
            return order.id

        return self.retrying(command, "this order")

    def confirm_order(self: Farmgate, order_id: UUID) -> UUID:
        return self._change_order(order_id, Order.confirm)

    def cancel_order(self: Farmgate, order_id: UUID, reason: str) -> UUID:
        """Cancel before dispatch and put the reserved stock back, in one save."""

        def command() -> UUID:
            order = self.load(Order, order_id, ORDER_FIELD)
            released = order.cancel(reason)
            listings = []
            for listing_id, quantity in released:
                listing = self.load(Listing, listing_id)
                listing.release(quantity, order_id=order.id)
                listings.append(listing)
            self.save(order, *listings)
            return order.id

        return self.retrying(command, "this order")

    def record_payment(
        self: Farmgate, order_id: UUID, *, amount: Mapping[str, Any], reference: str, occurred_at: datetime
    ) -> UUID:
        """A COD collection, a transfer received, a payment at a post-office counter."""
        money = Money.parse(amount.get("amount", ""), amount.get("currency", ""), ["input", "amount"])
        return self._change_order(
            order_id, lambda order: order.record_payment(money, reference, occurred_at, self.clock())
        )

    def record_refund(
        self: Farmgate, order_id: UUID, *, amount: Mapping[str, Any], reference: str, occurred_at: datetime
    ) -> UUID:
        """Money returned to the buyer (a gateway refund, a transfer back)."""
        money = Money.parse(amount.get("amount", ""), amount.get("currency", ""), ["input", "amount"])
        return self._change_order(
            order_id, lambda order: order.record_refund(money, reference, occurred_at, self.clock())
        )

    # -- shipments ---------------------------------------------------------------------------------

    def dispatch_order(
        self: Farmgate,
        order_id: UUID,
        *,
        carrier: str | UUID,
        tracking_number: str,
        harvested_at: datetime | None = None,
    ) -> UUID:
        """Hand a confirmed order to a carrier, named by its id or any of its spellings (InvalidInput
        on ``["input", "carrier"]`` when no known carrier is, or when the spelling is not canonical
        text, ``text.required_text``: "VN\\x00Post" is refused, not read as "VNPost"); the order and
        its shipment are saved together, so an order never has two shipments on their way. Returns
        the shipment's id."""
        if not isinstance(carrier, UUID):
            carrier = required_text(carrier, ["input", "carrier"], MAX_SPELLING_LENGTH)

        def command() -> UUID:
            order = self.load(Order, order_id, ORDER_FIELD)
            shipment = Shipment.dispatch(
                order_id=order.id,
                order_number=order.number,
                marketplace=order.marketplace,
                storefront_id=order.storefront_id,
                household_id=order.household_id,
                carrier=self.carrier_registry().resolve(carrier),
                tracking_number=tracking_number,
                harvested_at=harvested_at,
                promised_by=order.promised_by,
                perishable=order.perishable,
                now=self.clock(),
            )
            order.record_dispatch(shipment.id, shipment.carrier, shipment.tracking_number,
                                  carrier_id=shipment.carrier_id)
            self.save(order, shipment)
            return shipment.id

        return self.retrying(command, "this order")

    def _change_shipment(self: Farmgate, shipment_id: UUID, change: Callable[[Shipment, datetime], None]) -> UUID:
        def command() -> UUID:
            shipment = self.load(Shipment, shipment_id, SHIPMENT_FIELD)
            change(shipment, self.clock())
            self.save(shipment)
            return shipment.id

        return self.retrying(command, "this shipment")

    def record_checkpoint(
        self: Farmgate,
        shipment_id: UUID,
        *,
        status: str,
        occurred_at: datetime,
        location: str | None = None,
        note: str | None = None,
        raw_status: str | None = None,
    ) -> UUID:
        return self._change_shipment(
            shipment_id,
            lambda s, now: s.record_checkpoint(status, occurred_at, now, location=location, note=note,
                                               raw_status=raw_status),
        )

    def record_delivery_failure(
        self: Farmgate, shipment_id: UUID, *, reason: str, occurred_at: datetime, note: str | None = None
    ) -> UUID:
        return self._change_shipment(
            shipment_id, lambda s, now: s.record_delivery_failure(reason, occurred_at, now, note=note)
        )

    def confirm_delivery(
        self: Farmgate, shipment_id: UUID, *, occurred_at: datetime, received_by: str | None = None
    ) -> UUID:
        """Record the delivery; ``received_by`` (who signed) is sealed under the key of the shipment's
        order's buyer, so erasing that buyer erases it too (see ``personal_mapper.data_subject``)."""
        if received_by is not None:
            self._note_buyer_of_shipment(shipment_id)
        return self._change_shipment(
            shipment_id, lambda s, now: s.confirm_delivery(occurred_at, now, received_by=received_by)
        )

    def _note_buyer_of_shipment(self: Farmgate, shipment_id: UUID) -> None:
        shipment = self.load(Shipment, shipment_id, SHIPMENT_FIELD)
        try:
            subject = self.buyer_subject_of_order(shipment.order_id)
        except (InvalidInput, NotFound):
            return  # the order's buyer was recorded before sealing: the shipment is its own subject
        self.personal_keys.note_stream(subject, shipment_id)

    def declare_spoilage(self: Farmgate, shipment_id: UUID, *, occurred_at: datetime, note: str) -> UUID:
        return self._change_shipment(shipment_id, lambda s, now: s.declare_spoilage(occurred_at, now, note))

    def return_to_sender(
        self: Farmgate,
        shipment_id: UUID,
        *,
        occurred_at: datetime,
        note: str | None = None,
        location: str | None = None,
        raw_status: str | None = None,
    ) -> UUID:
        return self._change_shipment(
            shipment_id,
            lambda s, now: s.return_to_sender(occurred_at, now, note=note, location=location, raw_status=raw_status),
        )

    # -- process steps -----------------------------------------------------------------------------

    def follow_shipment(
        self: Farmgate, shipment_id: UUID, shipment_version: int, shipment_status: str, occurred_at: datetime,
        withdraws_spoilage: bool = False,
    ) -> bool:
        """Move the shipment's order with its news (see ``Order.follow_shipment``); True if it moved."""

        def command() -> bool:
            shipment = self.load(Shipment, shipment_id)
            order = self.load(Order, shipment.order_id)
            if not order.follow_shipment(shipment_id, shipment_version, shipment_status, occurred_at,
                                         withdraws_spoilage):
                return False
            self.save(order)
            return True

        return self.retrying(command, "this order")

    def declare_overdue_spoilage(
        self: Farmgate, shipment_ids: Iterable[UUID], now: datetime | None = None
    ) -> list[UUID]:
        """The promise watchdog: declare spoiled each given shipment that is perishable, past its
        promise at ``now`` and not yet delivered, spoiled or returned. Returns those it declared.

        The candidates come from the caller (``OrderQueries.overdue_shipments``); each is checked
        again here, so a stale candidate is harmless. Two watchdogs at one moment declare each
        spoilage once: the second save loses the version race, reloads, finds it spoiled, skips.
        The spoilage occurred when the promise passed, whenever the watchdog noticed.
        """
        moment = now or self.clock()
        correlation_id = current_provenance().correlation_id
        if correlation_id == "system":
            correlation_id = f"promise-watchdog:{moment.isoformat()}"
        declared: list[UUID] = []

        def declare(shipment_id: UUID) -> bool:
            shipment = self.load(Shipment, shipment_id)
            if shipment.is_final or not shipment.perishable:
                return False
            clock_now = self.clock()
            # A promise that has not passed by the application's own clock has not passed.
            if not shipment.is_overdue(min(moment, clock_now)):
                return False
            promised = shipment.promised_by
            shipment.declare_spoilage(promised, clock_now, f"Not delivered by the promise of {promised.isoformat()}")
            self.save(shipment)
            log.info("spoilage_declared", shipment_id=str(shipment.id), order_number=shipment.order_number,
                     carrier=shipment.carrier, promised_by=promised.isoformat())
            return True

        with recording(Provenance(actor=WATCHDOG_ACTOR, correlation_id=correlation_id)):
            for shipment_id in shipment_ids:
                if self.retrying(partial(declare, shipment_id), "this shipment"):
                    declared.append(shipment_id)
        return declared
