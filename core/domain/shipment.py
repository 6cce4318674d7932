"""Shipment: an order's produce on its way with a carrier, as the carrier and the people report it.

Every fact keeps ``occurred_at`` (when it happened in the world, as reported; the world-time policy
of ``text.world_time``, never before the dispatch) apart from the recorded time: a carrier may
report hours late.

Statuses (the contract's ShipmentStatus) and what may follow each — the transition table:

    status                 may be followed by
    INFO_RECEIVED          every in-flight status, and every final one
    IN_TRANSIT             every in-flight status but INFO_RECEIVED, and every final one
    OUT_FOR_DELIVERY       (same as IN_TRANSIT)
    ATTEMPT_FAILED         (same as IN_TRANSIT)
    AVAILABLE_FOR_PICKUP   (same as IN_TRANSIT)
    EXCEPTION              (same as IN_TRANSIT)
    DELIVERED              nothing
    SPOILED                nothing: spoiled produce is not delivered afterwards
    RETURNED_TO_SENDER     nothing

A fact from the world is always recorded, even after a final status; what it means is decided here
(``_settle``):
- an in-flight scan or a failure that happened before the final fact is history: kept, moves nothing;
- a delivery or return that happened before an *automatic* spoilage (declared by a ``SYSTEM:`` actor,
  the promise watchdog) shows the inference wrong: the fact is recorded and moves the shipment, and
  ``SpoilageWithdrawn`` withdraws the inference, naming the fact that caused it;
- anything else contradicts the final fact (a delivery after a person declared spoilage, a scan after
  the delivery): it is recorded as ``ContradictionRecorded``, moves nothing, and the case file flags it.

In flight, a carrier's scans come in any order (out for delivery, attempt failed, back in transit,
available for pickup…), so any in-flight status may follow another; only INFO_RECEIVED, which means
the carrier has not handled the parcel yet, cannot come back. A late report whose occurred_at is
older than the current status's is kept in the history and leaves the status as it is, so it is
not checked against the table.

Which command records which status: ``record_checkpoint`` the in-flight scans (INFO_RECEIVED,
IN_TRANSIT, OUT_FOR_DELIVERY, AVAILABLE_FOR_PICKUP, EXCEPTION) and RETURNED_TO_SENDER (the contract
gives returns no mutation of their own); ``record_delivery_failure`` ATTEMPT_FAILED, because a
failure needs its reason; ``confirm_delivery`` DELIVERED; ``declare_spoilage`` SPOILED.

A shipment is perishable when its order's promise is bounded by shelf life (the shortest shelf
life of its lines is within the 48-hour promise): past the promise such produce is spoiled by
definition, and the promise watchdog declares it so.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.carrier import Carrier
from farmgate.core.domain.errors import InvalidInput, InvalidTransition
from farmgate.core.domain.text import optional_text, required_text, world_time

SYSTEM_ACTOR_PREFIX = "SYSTEM:"

INFO_RECEIVED = "INFO_RECEIVED"
IN_TRANSIT = "IN_TRANSIT"
OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
ATTEMPT_FAILED = "ATTEMPT_FAILED"
AVAILABLE_FOR_PICKUP = "AVAILABLE_FOR_PICKUP"
EXCEPTION = "EXCEPTION"
DELIVERED = "DELIVERED"
SPOILED = "SPOILED"
RETURNED_TO_SENDER = "RETURNED_TO_SENDER"

SHIPMENT_STATUSES = (
    INFO_RECEIVED, IN_TRANSIT, OUT_FOR_DELIVERY, ATTEMPT_FAILED, AVAILABLE_FOR_PICKUP, EXCEPTION,
    DELIVERED, SPOILED, RETURNED_TO_SENDER,
)
IN_FLIGHT = frozenset({INFO_RECEIVED, IN_TRANSIT, OUT_FOR_DELIVERY, ATTEMPT_FAILED, AVAILABLE_FOR_PICKUP, EXCEPTION})
FINAL = frozenset({DELIVERED, SPOILED, RETURNED_TO_SENDER})

TRANSITIONS: dict[str, frozenset[str]] = {
    INFO_RECEIVED: IN_FLIGHT | FINAL,
    **{status: (IN_FLIGHT - {INFO_RECEIVED}) | FINAL for status in IN_FLIGHT - {INFO_RECEIVED}},
    **{status: frozenset() for status in FINAL},
}

#: statuses ``record_checkpoint`` records; the others have a command of their own (see above)
CHECKPOINT_STATUSES = (INFO_RECEIVED, IN_TRANSIT, OUT_FOR_DELIVERY, AVAILABLE_FOR_PICKUP, EXCEPTION, RETURNED_TO_SENDER)
_OWN_COMMAND = {
    ATTEMPT_FAILED: "recordDeliveryFailure (a failure needs its reason)",
    DELIVERED: "confirmDelivery",
    SPOILED: "declareSpoilage",
}

DELIVERY_FAILURE_REASONS = (
    "AREA_RESTRICTED", "RECIPIENT_UNREACHABLE", "ADDRESS_INVALID", "REFUSED_BY_RECIPIENT",
    "DAMAGED_IN_TRANSIT", "CARRIER_CAPACITY", "WEATHER", "OTHER",
)

#: the oldest harvest a dispatch may name (stored grain keeps about a year; nothing farmgate sells longer)
MAX_HARVEST_AGE = timedelta(days=366)

_TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9\-]{4,40}$")


class Shipment(FarmAggregate):
    class Dispatched(FarmAggregate.Created):
        order_id: UUID
        order_number: str
        marketplace: str
        storefront_id: UUID
        household_id: UUID
        #: the carrier's name as the registry knew it at dispatch
        carrier: str
        #: the carrier's id (``domain.carrier``); absent from dispatches recorded while carriers were
        #: free text, whose ``carrier`` is the text as given (read models resolve it by spelling)
        carrier_id: UUID
        tracking_number: str
        harvested_at: datetime | None
        promised_by: datetime
        perishable: bool

    class StatusChanged(FarmAggregate.Event):
        """A fact that may move the shipment; ``status`` is the shipment's status after it."""

        status: str

        def apply(self, shipment: Shipment) -> None:
            if self.status != shipment.status:
                shipment.status = self.status
                shipment.status_since = self.occurred_at
                shipment.status_event = (self.originator_version, type(self).__name__, self.actor)

    class CheckpointRecorded(StatusChanged):
        checkpoint_status: str
        #: the carrier's own words for it, as it sent them
        raw_status: str | None
        location: str | None
        note: str | None

    class DeliveryFailed(StatusChanged):
        reason: str
        note: str | None

        def apply(self, shipment: Shipment) -> None:
            super().apply(shipment)
            shipment.failure_count += 1

    class Delivered(StatusChanged):
        received_by: str | None

        def apply(self, shipment: Shipment) -> None:
            super().apply(shipment)
            shipment.delivered_at = self.occurred_at

    class SpoilageDeclared(StatusChanged):
        note: str

        def apply(self, shipment: Shipment) -> None:
            super().apply(shipment)
            shipment.spoiled_at = self.occurred_at
            shipment.spoiled_by = self.actor

    class ReturnedToSender(StatusChanged):
        location: str | None
        note: str | None
        raw_status: str | None

    class SpoilageWithdrawn(StatusChanged):
        """The automatic spoilage (event ``withdrawn_version``) was wrong: a fact reported late
        (event ``cause_version``) happened before it. ``status`` is the shipment's after the fact."""

        withdrawn_version: int
        cause_version: int
        cause: str

        def apply(self, shipment: Shipment) -> None:
            super().apply(shipment)
            shipment.spoiled_at = None
            shipment.spoiled_by = None

    class ContradictionRecorded(StatusChanged):
        """A fact that contradicts the shipment's final fact (event ``contradicts_version``, by
        ``contradicts_actor``): kept as reported, moving nothing (``status`` is unchanged)."""

        fact: str
        details: dict[str, Any]
        contradicts_version: int
        contradicts_type: str
        contradicts_actor: str

    def __init__(
        self,
        order_id: UUID,
        order_number: str,
        marketplace: str,
        storefront_id: UUID,
        household_id: UUID,
        carrier: str,
        tracking_number: str,
        harvested_at: datetime | None,
        promised_by: datetime,
        perishable: bool,
        occurred_at: datetime,
        carrier_id: UUID | None = None,
    ) -> None:
        self.order_id = order_id
        self.order_number = order_number
        self.marketplace = marketplace
        self.storefront_id = storefront_id
        self.household_id = household_id
        self.carrier = carrier
        #: None for a dispatch recorded while carriers were free text
        self.carrier_id = carrier_id
        self.tracking_number = tracking_number
        self.harvested_at = harvested_at
        self.promised_by = promised_by
        self.perishable = perishable
        self.dispatched_at = occurred_at
        self.status = INFO_RECEIVED
        #: occurred_at of the fact that set the current status (late reports older than it are history);
        #: None while the status is the dispatch's own: any carrier news is newer than "info received",
        #: even a scan made before farmgate was told of the dispatch.
        self.status_since: datetime | None = None
        self.failure_count = 0
        self.delivered_at: datetime | None = None
        self.spoiled_at: datetime | None = None
        self.spoiled_by: str | None = None
        #: (version, event type, actor) of the fact that set the current status
        self.status_event: tuple[int, str, str] = (1, "Dispatched", "")

    @classmethod
    def dispatch(
        cls,
        *,
        order_id: UUID,
        order_number: str,
        marketplace: str,
        storefront_id: UUID,
        household_id: UUID,
        carrier: Carrier | None,
        tracking_number: str,
        harvested_at: datetime | None,
        promised_by: datetime,
        perishable: bool,
        now: datetime,
        shipment_id: UUID | None = None,
    ) -> Shipment:
        """Hand the order's produce to ``carrier``, as ``CarrierRegistry.resolve`` found it from what the
        caller sent. Raises InvalidInput on ``carrier`` (None: no known carrier), ``trackingNumber``
        or ``harvestedAt``."""
        if carrier is None:
            raise InvalidInput("No known carrier has this id or name (ADMIN adds carriers: registerCarrier)",
                               ["input", "carrier"])
        tracking_number = canonical_code(tracking_number if isinstance(tracking_number, str) else "",
                                         ["input", "trackingNumber"])
        if not _TRACKING_NUMBER.match(tracking_number):
            raise InvalidInput("trackingNumber must be 4 to 40 letters, digits or dashes", ["input", "trackingNumber"])
        if harvested_at is not None:
            harvested_at = world_time(harvested_at, now, ["input", "harvestedAt"], now - MAX_HARVEST_AGE,
                                      "a year before the dispatch")
        return cls._start(
            cls.Dispatched,
            shipment_id or uuid4(),
            occurred_at=now,
            order_id=order_id,
            order_number=order_number,
            marketplace=marketplace,
            storefront_id=storefront_id,
            household_id=household_id,
            carrier=carrier.name,
            carrier_id=carrier.id,
            tracking_number=tracking_number,
            harvested_at=harvested_at,
            promised_by=promised_by,
            perishable=perishable,
        )

    # -- what it is now ----------------------------------------------------------------------------

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    def is_overdue(self, now: datetime) -> bool:
        """Perishable, past its promise and not yet at the end of its way: the watchdog's to spoil."""
        return self.perishable and not self.is_final and self.promised_by < now

    # -- commands ----------------------------------------------------------------------------------

    def _when(self, occurred_at: datetime, now: datetime) -> datetime:
        return world_time(occurred_at, now, ["input", "occurredAt"], self.dispatched_at, "the shipment was dispatched")

    def _settle(self, status: str, occurred_at: datetime) -> tuple[str, str]:
        """What a fact of ``status`` at ``occurred_at`` means now: ("move", status after),
        ("history", status unchanged), ("withdraw", status after) or ("contradiction", unchanged).
        Raises InvalidTransition only for an in-flight move the table forbids."""
        if self.is_final:
            before_final = self.status_since is not None and occurred_at < self.status_since
            if (self.status == SPOILED and (self.spoiled_by or "").startswith(SYSTEM_ACTOR_PREFIX)
                    and status in (DELIVERED, RETURNED_TO_SENDER) and before_final):
                return "withdraw", status
            if before_final and status in IN_FLIGHT:
                return "history", self.status
            return "contradiction", self.status
        # A final fact ends the way whenever it happened; an in-flight scan older than the current
        # status is history and moves nothing.
        if status in IN_FLIGHT and self.status_since is not None and occurred_at < self.status_since:
            return "history", self.status
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(f"{status} cannot follow {self.status}", ["input", "status"])
        return "move", status

    def _report(self, status: str, occurred_at: datetime, event_class: type, **data: Any) -> None:
        """Record a fact as _settle says: as itself (moving the shipment or as history), with the
        withdrawal of an automatic spoilage after it, or as a contradiction."""
        meaning, after = self._settle(status, occurred_at)
        if meaning == "contradiction":
            version, kind, actor = self.status_event
            self._record(self.ContradictionRecorded, occurred_at=occurred_at, status=self.status, fact=status,
                         details=data, contradicts_version=version, contradicts_type=kind, contradicts_actor=actor)
            return
        withdrawn_version, spoiled_at = self.status_event[0], self.spoiled_at
        self._record(event_class, occurred_at=occurred_at, status=after, **data)
        if meaning == "withdraw":
            self._record(
                self.SpoilageWithdrawn, occurred_at=occurred_at, status=after, withdrawn_version=withdrawn_version,
                cause_version=self.version,
                cause=(f"{status} at {occurred_at.isoformat()}, reported by {self.status_event[2]}, happened before"
                       f" the spoilage inferred at {spoiled_at.isoformat() if spoiled_at else 'the promise'}"),
            )

    def record_checkpoint(
        self,
        status: str,
        occurred_at: datetime,
        now: datetime,
        location: str | None = None,
        note: str | None = None,
        raw_status: str | None = None,
    ) -> None:
        if status in _OWN_COMMAND:
            raise InvalidInput(f"Record {status} with {_OWN_COMMAND[status]}", ["input", "status"])
        if status not in CHECKPOINT_STATUSES:
            raise InvalidInput(f"Unknown shipment status; use one of {', '.join(CHECKPOINT_STATUSES)}",
                               ["input", "status"])
        occurred_at = self._when(occurred_at, now)
        if status == RETURNED_TO_SENDER:
            self.return_to_sender(occurred_at, now, note=note, location=location, raw_status=raw_status)
            return
        self._report(
            status, occurred_at, self.CheckpointRecorded,
            checkpoint_status=status,
            raw_status=optional_text(raw_status, ["input", "rawStatus"], 200),
            location=optional_text(location, ["input", "location"], 200),
            note=optional_text(note, ["input", "note"], 1000, multiline=True),
        )

    def record_delivery_failure(
        self, reason: str, occurred_at: datetime, now: datetime, note: str | None = None
    ) -> None:
        if reason not in DELIVERY_FAILURE_REASONS:
            raise InvalidInput(f"Unknown reason; use one of {', '.join(DELIVERY_FAILURE_REASONS)}", ["input", "reason"])
        occurred_at = self._when(occurred_at, now)
        self._report(ATTEMPT_FAILED, occurred_at, self.DeliveryFailed, reason=reason,
                     note=optional_text(note, ["input", "note"], 1000, multiline=True))

    def confirm_delivery(self, occurred_at: datetime, now: datetime, received_by: str | None = None) -> None:
        occurred_at = self._when(occurred_at, now)
        self._report(DELIVERED, occurred_at, self.Delivered,
                     received_by=optional_text(received_by, ["input", "receivedBy"], 200))

    def declare_spoilage(self, occurred_at: datetime, now: datetime, note: str) -> None:
        occurred_at = self._when(occurred_at, now)
        self._report(SPOILED, occurred_at, self.SpoilageDeclared, note=required_text(note, ["input", "note"], 1000, multiline=True))

    def return_to_sender(
        self,
        occurred_at: datetime,
        now: datetime,
        note: str | None = None,
        location: str | None = None,
        raw_status: str | None = None,
    ) -> None:
        occurred_at = self._when(occurred_at, now)
        self._report(
            RETURNED_TO_SENDER, occurred_at, self.ReturnedToSender,
            location=optional_text(location, ["input", "location"], 200),
            note=optional_text(note, ["input", "note"], 1000, multiline=True),
            raw_status=optional_text(raw_status, ["input", "rawStatus"], 200),
        )
