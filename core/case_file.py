"""The case file of one order: every event of the order, its shipments and its claims in recorded
order, re-verified from storage; the SLA breaches; the flags dispute staff must see (contradictions,
withdrawn inferences, claims flagged or past their limit); and the order as it stood at any moment,
rebuilt from the stored events (not from a read model), on either time axis:

- RECORDED: what farmgate knew at T — the events recorded by T, each stream rebuilt at its version.
- OCCURRED: what had happened in the world by T, as known now — the facts whose ``occurred_at`` is
  at or before T, however late they were reported; an automatic spoilage that a later-reported fact
  withdrew never happened, and a contradiction moved nothing. The shipment's status is its ending by
  T if it had one, else its newest in-flight fact by T; the order follows it after its dispatch.
  Claims and refunds have no world time of their own beyond when they were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from farmgate.core.audit_anchors import AnchorCheck
from farmgate.core.domain.claim import OVERPAID_CAUSE, CompensationClaim
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import (
    CANCELLED, CONFIRMED, DISPATCHED, ORDER_STATUS_FOR_SHIPMENT, PLACED, Order, payment_status_of,
)
from farmgate.core.domain.shipment import ATTEMPT_FAILED, DELIVERED, INFO_RECEIVED, RETURNED_TO_SENDER, SPOILED, Shipment
from farmgate.core.history import EventRecord, IntegrityReport, integrity_of, read_stream

DELIVERY_PROMISE = "DELIVERY_PROMISE"
CLAIM_RESPONSE = "CLAIM_RESPONSE"
UNDECIDED = ("OPEN", "ASSESSED")


@dataclass(frozen=True)
class SlaBreach:
    kind: str
    due_by: datetime
    breached_at: datetime | None


RECORDED, OCCURRED = "RECORDED", "OCCURRED"
#: a shipment event's own status, by event type (CheckpointRecorded names its own)
_FACT_STATUS = {"Dispatched": INFO_RECEIVED, "DeliveryFailed": ATTEMPT_FAILED, "Delivered": DELIVERED,
                "SpoilageDeclared": SPOILED, "ReturnedToSender": RETURNED_TO_SENDER}
_ENDINGS = (DELIVERED, SPOILED, RETURNED_TO_SENDER)


@dataclass(frozen=True)
class ClaimSnapshot:
    claim_id: UUID
    claimant: str
    kind: str
    status: str
    claimed: Money
    committed: Money
    approved: Money
    paid: Money


@dataclass(frozen=True)
class OrderSnapshot:
    at: datetime
    status: str
    payment_status: str
    shipment_status: str | None
    version: int
    claim_statuses: list[str]
    axis: str = RECORDED
    amount_paid: Money | None = None
    amount_refunded: Money | None = None
    refund_due: Money | None = None
    #: the shipment's facts known on the axis, in world-time order: records of its status facts
    checkpoints: list[EventRecord] = field(default_factory=list)
    failures: list[EventRecord] = field(default_factory=list)
    claims: list[ClaimSnapshot] = field(default_factory=list)


@dataclass
class CaseFile:
    order_id: UUID
    shipment_ids: list[UUID]
    claim_ids: list[UUID]
    timeline: list[EventRecord]
    integrity: IntegrityReport
    #: each stream's domain events as decoded for the timeline (a stream with a record that no longer
    #: decodes is left out): the aggregates at any version are folded from them, not read again
    events: dict[UUID, list[Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def streams(self) -> list[UUID]:
        return [self.order_id, *self.shipment_ids, *self.claim_ids]


def _shipment_ids(order_records: list[EventRecord]) -> list[UUID]:
    ids: list[UUID] = []
    for record in order_records:
        shipment_id = record.data.get("shipment_id") if record.type == "Dispatched" else None
        if shipment_id and UUID(shipment_id) not in ids:
            ids.append(UUID(shipment_id))
    return ids


def open_case_file(app: Any, order_id: UUID, claim_ids: list[UUID]) -> CaseFile:
    """``claim_ids`` come from the claims index; everything else is read from the stored events."""
    order_records, order_events = read_stream(app, order_id)
    shipment_ids = _shipment_ids(order_records)
    # Each stream is read once: the same records make the timeline and the integrity report, and
    # their decoded events every aggregate the case shows (``aggregate_in``).
    streams = {order_id: order_records}
    decoded = {order_id: order_events}
    for stream_id in [*shipment_ids, *claim_ids]:
        streams[stream_id], decoded[stream_id] = read_stream(app, stream_id)
    rank = {stream_id: n for n, stream_id in enumerate(streams)}
    records = [record for stream in streams.values() for record in stream]
    # A record whose bytes no longer decode has no time: it sorts first, where it cannot hide.
    records.sort(key=lambda r: (r.recorded_at.timestamp() if r.recorded_at else float("-inf"),
                                rank[r.aggregate_id], r.version))
    integrity = integrity_of(streams)
    anchors = getattr(app, "audit_anchors", None)
    if anchors is not None:
        integrity = anchored(integrity, anchors.check_streams(app, streams), records)
    events = {stream_id: stream_events for stream_id, stream_events in decoded.items() if stream_events}
    return CaseFile(order_id, shipment_ids, claim_ids, records, integrity, events)


def aggregate_in(app: Any, case: CaseFile, stream_id: UUID, version: int | None = None) -> Any:
    """The aggregate of one of the case's streams at ``version`` (None: the newest the case holds),
    folded from the events the case file decoded — the same state as the timeline, no second read.
    A stream the case could not decode is read through ``app.repository`` (which raises as it
    does)."""
    events = case.events.get(stream_id)
    if not events or (version is not None and not 0 < version <= len(events)):
        return app.repository.get(stream_id, version=version)
    aggregate = None
    # eventsourcing's project_aggregate does the same, asserting a runtime-checkable Protocol on
    # every event: a third of a case file's time.
    for event in events if version is None else events[:version]:
        aggregate = event.mutate(aggregate)
    return aggregate


def anchored(report: IntegrityReport, check: AnchorCheck, records: list[EventRecord]) -> IntegrityReport:
    """The chain's report, checked against the audit anchors as well: ``anchored_at`` is the newest
    anchor covering the streams; an event altered after it was sealed (even with its stream's hashes
    recomputed) or sealed events since deleted make it unverified, with the reason."""
    reasons = []
    first_broken = report.first_broken
    if first_broken is not None:
        reasons.append(f"event {first_broken.version} of stream {first_broken.aggregate_id} no longer matches its"
                       " recorded hash chain")
    if check.reason:
        reasons.append(check.reason)
        if first_broken is None and check.broken is not None:
            first_broken = next((r for r in records if (r.aggregate_id, r.version) == check.broken), None)
    return replace(report, verified=not reasons, first_broken=first_broken, anchored_at=check.anchored_at,
                   reason="; ".join(reasons) or None)


def _known(record: EventRecord, at: datetime, axis: str) -> bool:
    moment = record.recorded_at if axis == RECORDED else record.occurred_at
    return moment is not None and moment <= at


def _version_at(case: CaseFile, stream_id: UUID, at: datetime, axis: str = RECORDED) -> int:
    return max((r.version for r in case.timeline if r.aggregate_id == stream_id and _known(r, at, axis)), default=0)


def _withdrawn(case: CaseFile) -> set[tuple[UUID, int]]:
    """(shipment id, version) of every automatic spoilage a later-reported fact withdrew."""
    return {(r.aggregate_id, int(r.data["withdrawn_version"])) for r in case.timeline
            if (r.stream, r.type) == ("Shipment", "SpoilageWithdrawn")}


def _shipment_facts(case: CaseFile, shipment_id: UUID, at: datetime, axis: str) -> list[EventRecord]:
    """The shipment's status facts known on the axis, in world-time order (withdrawn ones left out)."""
    withdrawn = _withdrawn(case)
    facts = [r for r in case.timeline if r.aggregate_id == shipment_id and _known(r, at, axis)
             and (r.type in _FACT_STATUS or r.type == "CheckpointRecorded")
             and (r.aggregate_id, r.version) not in withdrawn]
    return sorted(facts, key=lambda r: (r.occurred_at, r.version))


def _fact_status(record: EventRecord) -> str:
    return str(record.data["checkpoint_status"]) if record.type == "CheckpointRecorded" else _FACT_STATUS[record.type]


def _world_shipment_status(facts: list[EventRecord]) -> str | None:
    """The shipment's status in the world by the last fact given: its ending if it had one, else its
    newest in-flight fact."""
    if not facts:
        return None
    endings = [f for f in facts if _fact_status(f) in _ENDINGS]
    return _fact_status(endings[0] if endings else facts[-1])


def _money_of(records: list[EventRecord], types: tuple[str, ...], currency: str) -> Money:
    total = Money.zero(currency)
    for r in records:
        if r.type in types:
            total += Money.from_primitive(r.data["amount"])
    return total


def _world_order(case: CaseFile, at: datetime, shipment_status: str | None) -> tuple[str, str, Money, Money, Money, int]:
    """Order status, payment status, paid, refunded, refund due and version by world time ``at``."""
    records = [r for r in case.timeline if r.aggregate_id == case.order_id and _known(r, at, OCCURRED)]
    kinds = {r.type for r in records}
    placed = next(r for r in case.timeline if r.aggregate_id == case.order_id and r.version == 1)
    total = Money.from_primitive(placed.data["total"])
    status = PLACED
    if "Confirmed" in kinds:
        status = CONFIRMED
    if "Cancelled" in kinds:
        status = CANCELLED
    elif "Dispatched" in kinds:
        status = ORDER_STATUS_FOR_SHIPMENT[shipment_status] if shipment_status else DISPATCHED
    paid = _money_of(records, ("PaymentRecorded",), total.currency)
    refunded = _money_of(records, ("RefundRecorded", "Refunded"), total.currency)
    kept = Money.zero(total.currency) if status == CANCELLED else total
    due = paid - refunded - kept
    due = due if due.is_positive else Money.zero(total.currency)
    version = max((r.version for r in records), default=0)
    return status, payment_status_of(total, paid, refunded, due), paid, refunded, due, version


def as_of(app: Any, case: CaseFile, at: datetime, axis: str = RECORDED) -> OrderSnapshot:
    """The order, its newest shipment and its claims at ``at`` on ``axis`` (see the module docstring)."""
    order_version = _version_at(case, case.order_id, at, axis)
    if order_version == 0:
        raise InvalidInput("The order had not been placed at that moment", ["asOf", "at"])
    shipment_id = next((i for i in reversed(case.shipment_ids) if _version_at(case, i, at, axis)), None)
    facts = [] if shipment_id is None else _shipment_facts(case, shipment_id, at, axis)
    if axis == RECORDED:
        order: Order = aggregate_in(app, case, case.order_id, order_version)
        shipment_status = None
        if shipment_id is not None:
            shipment_status = aggregate_in(app, case, shipment_id, _version_at(case, shipment_id, at)).status
        status, payment_status = order.status, order.payment_status
        paid, refunded, due = order.amount_paid, order.refunded, order.refund_due
    else:
        shipment_status = _world_shipment_status(facts)
        status, payment_status, paid, refunded, due, order_version = _world_order(case, at, shipment_status)
    claims = []
    for claim_id in case.claim_ids:
        version = _version_at(case, claim_id, at, axis)
        if version:
            claim: CompensationClaim = aggregate_in(app, case, claim_id, version)
            claims.append(ClaimSnapshot(claim_id, claim.claimant, claim.kind, claim.status, claim.claimed,
                                        claim.committed, claim.approved, claim.paid_total))
    return OrderSnapshot(
        at, status, payment_status, shipment_status, order_version, [c.status for c in claims], axis=axis,
        amount_paid=paid, amount_refunded=refunded, refund_due=due, checkpoints=facts,
        failures=[f for f in facts if f.type == "DeliveryFailed"], claims=claims,
    )


@dataclass(frozen=True)
class CaseFlag:
    """Something dispute staff must look at: CONTRADICTION (a fact against a final one, kept),
    INFERENCE_WITHDRAWN (an automatic spoilage withdrawn by an earlier fact reported late),
    CLAIM_FLAGGED (a claim flagged for review), CLAIM_OVER_LIMIT (a claimant's commitments above its
    limit after a later refund); money facts recorded against the state: OVERPAID (a payment beyond
    the order's total), PAID_AFTER_CANCEL, OVER_REFUNDED (more returned than was paid), CLAIM_OVERPAID
    (a compensation payment beyond what the payer owed)."""

    kind: str
    summary: str
    record: EventRecord | None = None


_FLAGGED_EVENTS = {("Shipment", "ContradictionRecorded"): "CONTRADICTION",
                   ("Shipment", "SpoilageWithdrawn"): "INFERENCE_WITHDRAWN",
                   ("CompensationClaim", "FlaggedForReview"): "CLAIM_FLAGGED"}


def _money_flag_summary(r: EventRecord) -> str:
    if r.type == "RefundFellDue":
        return f"{r.data['reason']}; {Money.from_primitive(r.data['amount_due'])} is owed back to the buyer"
    return (f"Refund {r.data['reference']} of {Money.from_primitive(r.data['amount'])} took the refunds to"
            f" {Money.from_primitive(r.data['refunded_total'])}, more than was paid")


def case_flags(app: Any, case: CaseFile) -> list[CaseFlag]:
    """The case's flags, in recorded order, then any claimant past its limit now."""
    flags = []
    for r in case.timeline:
        kind = _FLAGGED_EVENTS.get((r.stream, r.type))
        if kind == "CONTRADICTION":
            flags.append(CaseFlag(kind, f"{r.data['fact']} reported by {r.actor} contradicts the"
                                        f" {r.data['contradicts_type']} by {r.data['contradicts_actor']}", r))
        elif kind == "INFERENCE_WITHDRAWN":
            flags.append(CaseFlag(kind, f"Automatic spoilage withdrawn: {r.data['cause']}", r))
        elif kind == "CLAIM_FLAGGED":
            overpaid = str(r.data.get("cause", "")).startswith(OVERPAID_CAUSE)
            flags.append(CaseFlag("CLAIM_OVERPAID" if overpaid else kind, str(r.data["reason"]), r))
        elif r.stream == "Order" and r.type in ("RefundFellDue", "RefundRecorded") and r.data.get("flag"):
            flags.append(CaseFlag(str(r.data["flag"]), _money_flag_summary(r), r))
    order: Order = aggregate_in(app, case, case.order_id)
    for claimant in ("BUYER", "HOUSEHOLD"):
        exposure = order.exposure(claimant)
        if exposure["room"].amount < 0:
            flags.append(CaseFlag("CLAIM_OVER_LIMIT", f"{claimant} claims commit {exposure['claimed']}, above the"
                                                      f" limit of {exposure['limit']} after a later refund"))
    return flags


def sla_breaches(app: Any, case: CaseFile, now: datetime) -> list[SlaBreach]:
    """Promises not kept: ``breached_at`` is when the late outcome was recorded; None while the
    promise is overdue and still open."""
    breaches: list[SlaBreach] = []
    order: Order = aggregate_in(app, case, case.order_id)
    shipments: list[Shipment] = [aggregate_in(app, case, i) for i in case.shipment_ids]
    promised = order.promised_by
    if order.perishable and order.status != "CANCELLED":
        finished = [s for s in shipments if s.delivered_at or s.spoiled_at]
        if finished:
            outcome = finished[-1].delivered_at or finished[-1].spoiled_at
            if finished[-1].spoiled_at or (outcome and outcome > promised):
                breaches.append(SlaBreach(DELIVERY_PROMISE, promised, outcome))
        elif now > promised:
            breaches.append(SlaBreach(DELIVERY_PROMISE, promised, None))
    for claim_id in case.claim_ids:
        claim: CompensationClaim = aggregate_in(app, case, claim_id)
        decided_at = claim.decision["decided_at"] if claim.decision else None
        if decided_at is not None and decided_at > claim.respond_by:
            breaches.append(SlaBreach(CLAIM_RESPONSE, claim.respond_by, decided_at))
        elif decided_at is None and claim.status in UNDECIDED and now > claim.respond_by:
            breaches.append(SlaBreach(CLAIM_RESPONSE, claim.respond_by, None))
    return breaches
