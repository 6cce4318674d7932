"""The case file of one order: every event of the order, its shipments and its claims in recorded
order, re-verified from storage; the SLA breaches; and the order as it stood at any moment,
rebuilt from the events recorded by then (not from a read model)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from farmgate.core.domain.claim import CompensationClaim
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.order import Order
from farmgate.core.domain.shipment import Shipment
from farmgate.core.history import EventRecord, IntegrityReport, integrity_of, stream_records

DELIVERY_PROMISE = "DELIVERY_PROMISE"
CLAIM_RESPONSE = "CLAIM_RESPONSE"
UNDECIDED = ("OPEN", "ASSESSED")


@dataclass(frozen=True)
class SlaBreach:
    kind: str
    due_by: datetime
    breached_at: datetime | None


@dataclass(frozen=True)
class OrderSnapshot:
    at: datetime
    status: str
    payment_status: str
    shipment_status: str | None
    version: int
    claim_statuses: list[str]


@dataclass
class CaseFile:
    order_id: UUID
    shipment_ids: list[UUID]
    claim_ids: list[UUID]
    timeline: list[EventRecord]
    integrity: IntegrityReport

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
    order_records = stream_records(app, order_id)
    shipment_ids = _shipment_ids(order_records)
    # Each stream is read once: the same records make the timeline and the integrity report.
    streams = {order_id: order_records}
    for stream_id in [*shipment_ids, *claim_ids]:
        streams[stream_id] = stream_records(app, stream_id)
    rank = {stream_id: n for n, stream_id in enumerate(streams)}
    records = [record for stream in streams.values() for record in stream]
    # A record whose bytes no longer decode has no time: it sorts first, where it cannot hide.
    records.sort(key=lambda r: (r.recorded_at.timestamp() if r.recorded_at else float("-inf"),
                                rank[r.aggregate_id], r.version))
    integrity = integrity_of(streams)
    return CaseFile(order_id, shipment_ids, claim_ids, records, integrity)


def _version_at(case: CaseFile, stream_id: UUID, at: datetime) -> int:
    return max((r.version for r in case.timeline
                if r.aggregate_id == stream_id and r.recorded_at is not None and r.recorded_at <= at), default=0)


def as_of(app: Any, case: CaseFile, at: datetime) -> OrderSnapshot:
    """The order, its newest shipment and its claims as recorded by ``at``."""
    order_version = _version_at(case, case.order_id, at)
    if order_version == 0:
        raise InvalidInput("The order had not been placed at that moment", ["asOf", "at"])
    order = app.repository.get(case.order_id, version=order_version)
    shipment_status = None
    for shipment_id in reversed(case.shipment_ids):
        version = _version_at(case, shipment_id, at)
        if version:
            shipment_status = app.repository.get(shipment_id, version=version).status
            break
    claim_statuses = []
    for claim_id in case.claim_ids:
        version = _version_at(case, claim_id, at)
        if version:
            claim_statuses.append(app.repository.get(claim_id, version=version).status)
    return OrderSnapshot(at, order.status, order.payment_status, shipment_status, order_version, claim_statuses)


def sla_breaches(app: Any, case: CaseFile, now: datetime) -> list[SlaBreach]:
    """Promises not kept: ``breached_at`` is when the late outcome was recorded; None while the
    promise is overdue and still open."""
    breaches: list[SlaBreach] = []
    order: Order = app.repository.get(case.order_id)
    shipments: list[Shipment] = [app.repository.get(i) for i in case.shipment_ids]
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
        claim: CompensationClaim = app.repository.get(claim_id)
        decided_at = claim.decision["decided_at"] if claim.decision else None
        if decided_at is not None and decided_at > claim.respond_by:
            breaches.append(SlaBreach(CLAIM_RESPONSE, claim.respond_by, decided_at))
        elif decided_at is None and claim.status in UNDECIDED and now > claim.respond_by:
            breaches.append(SlaBreach(CLAIM_RESPONSE, claim.respond_by, None))
    return breaches
