"""The case file over GraphQL: timeline, SLA breaches, integrity, and replay as of a moment."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core import case_file as core
from farmgate.core.domain.errors import DomainError
from farmgate.graphql.audit import EventRecord
from farmgate.graphql.claims.scoped import claim_rows_of_order
from farmgate.graphql.errors import CodedError
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.inputs import aware
from farmgate.graphql.orders.enums import OrderStatus, PaymentStatus, ShipmentStatus
from farmgate.core.domain.money import Money as DomainMoney
from farmgate.core.history import EventRecord as CoreEventRecord
from farmgate.graphql.claims.types import ClaimKind, ClaimParty, ClaimStatus
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.types import Money
from farmgate.graphql.orders.scoped import visible_order_row
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import case_file_visible, sees_buyer

if TYPE_CHECKING:
    from farmgate.graphql.orders.types import Order


@strawberry.type
class SlaBreach:
    kind: str = strawberry.field(description="DELIVERY_PROMISE, CLAIM_RESPONSE or EXPORT_HARVEST_TO_DOOR")
    due_by: datetime
    breached_at: datetime | None = strawberry.field(description="When it was breached; null while still open and overdue.")


@strawberry.type
class IntegrityReport:
    verified: bool = strawberry.field(description="False when any stored event no longer matches its recorded hash chain.")
    event_count: int
    head_hash: str
    first_broken_event: EventRecord | None = strawberry.field(description="The first event that fails verification, if any.")
    anchored_at: datetime | None = strawberry.field(
        description="The newest signed anchor that covers these streams; null until the log is sealed past them.")
    reason: str | None = strawberry.field(
        description="Why verification failed (an edited event, a rewritten chain, events missing since an anchor),"
                    " in words.")


@strawberry.enum(description="Which time a replay follows: when facts became known to farmgate, or when they happened in the world.")
class TimeAxis(Enum):
    RECORDED = "RECORDED"
    OCCURRED = "OCCURRED"


@strawberry.type(description="A claim as it stood at a replayed moment (an addition to the contract).")
class ClaimSnapshot:
    claim_id: strawberry.ID
    claimant: ClaimParty
    kind: ClaimKind
    status: ClaimStatus
    amount_claimed: Money
    committed: Money = strawberry.field(description="What it counted against its claimant's limit then.")
    approved: Money
    paid: Money


@strawberry.type(description="A fact about the shipment known at a replayed moment (an addition to the contract).")
class SnapshotFact:
    status: ShipmentStatus
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    reason: str | None = strawberry.field(description="A delivery failure's reason.")


@strawberry.type(description="The state of an order and its shipment as it stood at a moment, rebuilt from events.")
class OrderSnapshot:
    at: datetime
    status: OrderStatus
    payment_status: PaymentStatus
    shipment_status: ShipmentStatus | None
    version: int = strawberry.field(description="Version of the order stream at that moment.")
    claim_statuses: list[ClaimStatus]
    axis: TimeAxis = strawberry.field(description="The time axis replayed (beyond the contract).")
    amount_paid: Money = strawberry.field(description="Paid by then (beyond the contract).")
    amount_refunded: Money = strawberry.field(description="Refunded by then, through claims too (beyond the contract).")
    refund_due: Money = strawberry.field(description="Owed back to the buyer then (beyond the contract).")
    checkpoints: list[SnapshotFact] = strawberry.field(
        description="The shipment's facts known on the axis by then, in world-time order (beyond the contract).")
    failures: list[SnapshotFact] = strawberry.field(description="Its delivery failures among them (beyond the contract).")
    claims: list[ClaimSnapshot] = strawberry.field(description="The claims by then, with amounts (beyond the contract).")


@strawberry.type(description="Something in the case dispute staff must look at (an addition to the contract).")
class CaseFlag:
    kind: str = strawberry.field(description="CONTRADICTION, INFERENCE_WITHDRAWN, CLAIM_FLAGGED, CLAIM_OVER_LIMIT; money"
                                   " facts recorded against the state: OVERPAID, PAID_AFTER_CANCEL, OVER_REFUNDED,"
                                   " CLAIM_OVERPAID.")
    summary: str
    event: EventRecord | None


def _money(value: DomainMoney | None) -> Money:
    assert value is not None
    return Money(amount=value.amount_text, currency=value.currency)


def _fact(record: CoreEventRecord) -> SnapshotFact:
    status = record.data["checkpoint_status"] if record.type == "CheckpointRecorded" else core._FACT_STATUS[record.type]
    return SnapshotFact(status=ShipmentStatus(status), occurred_at=record.occurred_at, recorded_at=record.recorded_at,
                        actor=record.actor, reason=record.data.get("reason") if record.type == "DeliveryFailed" else None)


@strawberry.type(description="Everything dispute staff need to decide a claim about one order.")
class CaseFile:
    order_row: strawberry.Private[dict[str, Any]]
    case: strawberry.Private[core.CaseFile]
    reveal: strawberry.Private[bool]

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Annotated[Order, strawberry.lazy("farmgate.graphql.orders.types")]:
        from farmgate.graphql.orders.types import Order

        return Order(row=self.order_row)

    @strawberry.field(description="Every event of the order, its shipments and its claims, in the order they were recorded.")
    def timeline(self) -> list[EventRecord]:
        return [EventRecord.of(r, self.reveal) for r in self.case.timeline]

    @strawberry.field
    async def sla_breaches(self, info: strawberry.Info) -> list[SlaBreach]:
        app = info.context.system.app
        breaches = await run_in_threadpool(core.sla_breaches, app, self.case, app.clock())
        return [SlaBreach(kind=b.kind, due_by=b.due_by, breached_at=b.breached_at) for b in breaches]

    @strawberry.field
    def integrity(self) -> IntegrityReport:
        report = self.case.integrity
        broken = report.first_broken
        return IntegrityReport(verified=report.verified, event_count=report.event_count, head_hash=report.head_hash,
                               first_broken_event=None if broken is None else EventRecord.of(broken, self.reveal),
                               anchored_at=report.anchored_at, reason=report.reason)

    @strawberry.field(description="Replay: the order as it stood at `at`, on the chosen time axis.")
    async def as_of(
        self, info: strawberry.Info, at: datetime, axis: TimeAxis | None = TimeAxis.RECORDED
    ) -> OrderSnapshot | None:
        chosen = axis or TimeAxis.RECORDED  # None (sent as null) reads as the default, RECORDED
        try:
            moment = aware(at, ["asOf", "at"])
            snapshot = await run_in_threadpool(core.as_of, info.context.system.app, self.case, moment, chosen.value)
        except DomainError as error:
            raise CodedError(error.message, "BAD_USER_INPUT") from None
        return OrderSnapshot(
            at=snapshot.at, status=OrderStatus(snapshot.status), payment_status=PaymentStatus(snapshot.payment_status),
            shipment_status=ShipmentStatus(snapshot.shipment_status) if snapshot.shipment_status else None,
            version=snapshot.version, claim_statuses=[ClaimStatus(s) for s in snapshot.claim_statuses], axis=chosen,
            amount_paid=_money(snapshot.amount_paid), amount_refunded=_money(snapshot.amount_refunded),
            refund_due=_money(snapshot.refund_due), checkpoints=[_fact(r) for r in snapshot.checkpoints],
            failures=[_fact(r) for r in snapshot.failures],
            claims=[ClaimSnapshot(claim_id=strawberry.ID(to_global_id("CompensationClaim", c.claim_id)),
                                  claimant=ClaimParty(c.claimant), kind=ClaimKind(c.kind), status=ClaimStatus(c.status),
                                  amount_claimed=_money(c.claimed), committed=_money(c.committed),
                                  approved=_money(c.approved), paid=_money(c.paid)) for c in snapshot.claims],
        )

    @strawberry.field(description="What dispute staff must look at: contradicting facts kept, automatic inferences"
                      " withdrawn, claims flagged or past their limit (beyond the contract).")
    async def flags(self, info: strawberry.Info) -> list[CaseFlag]:
        found = await run_in_threadpool(core.case_flags, info.context.system.app, self.case)
        return [CaseFlag(kind=f.kind, summary=f.summary,
                         event=None if f.record is None else EventRecord.of(f.record, self.reveal)) for f in found]


async def case_file_for(ctx: Any, order_global_id: str) -> CaseFile | None:
    order_row = await visible_order_row(ctx, uuid_of(order_global_id, "Order"))
    if order_row is None or not case_file_visible(ctx.principal, order_row):
        return None
    order_id = UUID(order_row["id"])
    claim_ids = [UUID(r["id"]) for r in await claim_rows_of_order(ctx, order_id)]
    case = await run_in_threadpool(core.open_case_file, ctx.system.app, order_id, claim_ids)
    return CaseFile(order_row=order_row, case=case, reveal=sees_buyer(ctx.principal, order_row))


@strawberry.type
class CaseFileQuery:
    @strawberry.field(extensions=allow("MARKETPLACE", "HOUSEHOLD", "DISPUTE_STAFF"))
    async def case_file(self, info: strawberry.Info, order_id: strawberry.ID) -> CaseFile | None:
        return await case_file_for(info.context, order_id)
