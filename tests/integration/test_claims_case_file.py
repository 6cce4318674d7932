"""Claims and the case file on SQLite and PostgreSQL: the seed's custard-apple incident as the
dispute staff see it, replayed at moments, verified, then tampered with and caught."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest

from farmgate.core.case_file import CLAIM_RESPONSE, DELIVERY_PROMISE, as_of, open_case_file, sla_breaches
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.integration.test_orders import a_buyer, a_shop

T0 = datetime(2021, 8, 3, 8, 0, tzinfo=timezone(timedelta(hours=7)))


class MovableClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def clocked(backend_url: str, clock: MovableClock) -> Iterator[System]:
    system = build_system(Settings(database_url=backend_url, env="test"), clock=clock)
    yield system
    system.close()


def recorded_now() -> datetime:
    """Recorded time is the real time of recording (world time is the app clock)."""
    return datetime.now(timezone.utc)


def incident(system: System, clock: MovableClock, pd) -> dict[str, object]:
    """Custard apples from Chi Lăng to Hà Nội under Directive 16: failed, spoiled, claimed."""
    app = system.app
    shop = a_shop(system, pd, stock=200, shelf_life_hours=48, price="45000", title="Na dai Chi Lăng VietGAP")
    with recording(Provenance(actor="MARKETPLACE:postmart-ops", correlation_id="req-place")):
        order_id = app.place_order(lines=[{"listing_id": shop.listing_id, "quantity": 10}], buyer=a_buyer(pd),
                                   payment_method="E_WALLET", marketplace="POSTMART")
        clock.now = T0 + timedelta(minutes=5)
        app.record_payment(order_id, amount={"amount": "450000", "currency": "VND"}, reference="MOMO-1",
                           occurred_at=T0 + timedelta(minutes=5))
    app.confirm_order(order_id)
    clock.now = T0 + timedelta(hours=2)
    with recording(Provenance(actor="MARKETPLACE:postmart-ops", correlation_id="req-dispatch")):
        shipment_id = app.dispatch_order(order_id, carrier="VNPost", tracking_number="EL123456789VN",
                                         harvested_at=T0 - timedelta(hours=6))
    system.catch_up()
    moment_dispatched = recorded_now()
    clock.now = T0 + timedelta(hours=30)
    with recording(Provenance(actor="CARRIER:vnpost-bot", correlation_id="req-failure")):
        # Reported four hours late: it happened at T0+26h.
        app.record_delivery_failure(shipment_id, reason="AREA_RESTRICTED", occurred_at=T0 + timedelta(hours=26),
                                    note="Directive 16: ward sealed")
    system.catch_up()
    moment_failed = recorded_now()
    clock.now = T0 + timedelta(hours=49)
    app.declare_overdue_spoilage(system.orders.overdue_shipments(clock.now), clock.now)
    system.catch_up()
    with recording(Provenance(actor="MARKETPLACE:postmart-ops", correlation_id="req-claim")):
        claim_id = app.file_claim(order_id=order_id, kind="SPOILED", claimant="BUYER", amount="450000",
                                  currency="VND", description="Na hỏng, không giao được",
                                  evidence=[{"sha256": "c" * 64, "uri": "https://evidence.example/na.jpg"}])
    system.catch_up()
    moment_claimed = recorded_now()
    clock.now = T0 + timedelta(hours=49 + 80)  # staff decide late: past the 72 h response deadline
    with recording(Provenance(actor="DISPUTE_STAFF:minh", correlation_id="req-assess")):
        app.assess_claim(claim_id, "Lockdown held the parcel; carrier did not return it in time",
                         [{"party": "CARRIER", "basis_points": 5000}, {"party": "MARKETPLACE", "basis_points": 3000},
                          {"party": "HOUSEHOLD", "basis_points": 2000}], "450000", "VND")
        app.decide_claim(claim_id, "APPROVED", ("400000", "VND"), "Shared liability under Directive 16")
        for party, amount in (("CARRIER", "200000"), ("MARKETPLACE", "120000"), ("HOUSEHOLD", "80000")):
            app.record_compensation_payment(claim_id, party, amount, "VND", f"PAY-{party}")
    system.catch_up()
    return {"order": order_id, "shipment": shipment_id, "claim": claim_id, "dispatched": moment_dispatched,
            "failed": moment_failed, "claimed": moment_claimed}


def test_the_case_file_tells_the_whole_story_in_recorded_order(clocked: System, clock: MovableClock, personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    claim_ids = [UUID(r["id"]) for r in clocked.claims.for_orders([ids["order"]])[ids["order"]]]
    case = open_case_file(clocked.app, ids["order"], claim_ids)
    types = [f"{r.stream}.{r.type}" for r in case.timeline]
    for expected in ("Order.Placed", "Order.PaymentRecorded", "Order.Dispatched", "Shipment.Dispatched",
                     "Shipment.DeliveryFailed", "Shipment.SpoilageDeclared", "Order.Spoiled",
                     "CompensationClaim.Filed", "CompensationClaim.Decided", "Order.Refunded"):
        assert expected in types, expected
    recorded = [r.recorded_at for r in case.timeline]
    assert recorded == sorted(recorded)
    failure = next(r for r in case.timeline if r.type == "DeliveryFailed")
    assert failure.actor == "CARRIER:vnpost-bot" and failure.occurred_at < failure.recorded_at
    spoiled = next(r for r in case.timeline if r.type == "SpoilageDeclared")
    assert spoiled.actor == "SYSTEM:promise-watchdog"
    followed = next(r for r in case.timeline if r.stream == "Order" and r.type == "Spoiled")
    assert followed.actor == "SYSTEM:order-follows-shipment" and followed.data["causation_id"]
    refund = next(r for r in case.timeline if r.type == "Refunded")
    assert refund.actor == "SYSTEM:claim-refunds-order" and refund.data["payment_status"] == "PARTIALLY_REFUNDED"
    assert case.integrity.verified and case.integrity.event_count == len(case.timeline)


def test_replay_shows_what_was_known_at_three_moments(clocked: System, clock: MovableClock, personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    case = open_case_file(clocked.app, ids["order"], [ids["claim"]])  # type: ignore[list-item]
    dispatched = as_of(clocked.app, case, ids["dispatched"])  # type: ignore[arg-type]
    assert (dispatched.status, dispatched.shipment_status, dispatched.payment_status, dispatched.claim_statuses) == (
        "DISPATCHED", "INFO_RECEIVED", "PAID", [])
    failed = as_of(clocked.app, case, ids["failed"])  # type: ignore[arg-type]
    assert (failed.status, failed.shipment_status) == ("DELIVERY_FAILED", "ATTEMPT_FAILED")
    claimed = as_of(clocked.app, case, ids["claimed"])  # type: ignore[arg-type]
    assert (claimed.status, claimed.shipment_status, claimed.claim_statuses) == ("SPOILED", "SPOILED", ["OPEN"])
    now = as_of(clocked.app, case, recorded_now())
    assert now.payment_status == "PARTIALLY_REFUNDED" and now.claim_statuses == ["PAID"]
    assert dispatched.version < failed.version < claimed.version <= now.version
    with pytest.raises(InvalidInput):
        as_of(clocked.app, case, datetime(2020, 1, 1, tzinfo=timezone.utc))


def test_sla_breaches_name_the_broken_promises(clocked: System, clock: MovableClock, personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    case = open_case_file(clocked.app, ids["order"], [ids["claim"]])  # type: ignore[list-item]
    breaches = {b.kind: b for b in sla_breaches(clocked.app, case, clock.now)}
    assert breaches[DELIVERY_PROMISE].due_by == T0 + timedelta(hours=48)
    assert breaches[DELIVERY_PROMISE].breached_at == T0 + timedelta(hours=48)  # spoiled at the promise
    assert breaches[CLAIM_RESPONSE].due_by == T0 + timedelta(hours=49 + 72)
    assert breaches[CLAIM_RESPONSE].breached_at == T0 + timedelta(hours=49 + 80)


def stored_id(dialect: str, aggregate_id: object) -> object:
    """How the library keys a stream: hex text on SQLite, a uuid column on PostgreSQL."""
    return aggregate_id.hex if dialect == "sqlite" else aggregate_id  # type: ignore[attr-defined]


def test_tampering_with_one_stored_event_is_detected(clocked: System, clock: MovableClock, personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    table = clocked.app.recorder.events_table_name
    with clocked.store.transaction() as cur:
        row = cur.execute(f"SELECT originator_version, state FROM {table} WHERE originator_id = %s"
                          " AND originator_version = 2", (stored_id(cur.dialect, ids["shipment"]),)).fetchone()
        state = bytes(row["state"])
        assert b"AREA_RESTRICTED" in state
        forged = state.replace(b"AREA_RESTRICTED", b"WEATHER\x20\x20\x20\x20\x20\x20\x20\x20")
        cur.execute(f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 2",
                    (forged, stored_id(cur.dialect, ids["shipment"])))
    clocked.app.repository.cache.clear() if clocked.app.repository.cache else None
    case = open_case_file(clocked.app, ids["order"], [ids["claim"]])  # type: ignore[list-item]
    assert not case.integrity.verified
    broken = case.integrity.first_broken
    assert broken is not None and (broken.aggregate_id, broken.version) == (ids["shipment"], 2)


def test_two_concurrent_deadline_checks_record_one_breach(clocked: System, clock: MovableClock, personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    claim_id = clocked.app.file_claim(order_id=ids["order"], kind="LATE_DELIVERY", claimant="HOUSEHOLD",
                                      amount="10000", currency="VND", description="second claim")
    clock.now = clock.now + timedelta(hours=73)
    barrier = threading.Barrier(2)
    noted: list[list[UUID]] = []

    def check() -> None:
        barrier.wait(timeout=10)
        noted.append(clocked.app.note_missed_claim_deadlines([claim_id]))

    threads = [threading.Thread(target=check) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(len(n) for n in noted) == [0, 1]
    events = [type(e).__name__ for e in clocked.app.stored_events(claim_id)]
    assert events.count("ResponseDeadlineMissed") == 1


def test_the_claim_deadline_worker_records_each_overdue_claim_once(clocked: System, clock: MovableClock,
                                                                   personal_data) -> None:
    from farmgate.workers import claim_deadlines
    from farmgate.workers.runtime import bind_system

    ids = incident(clocked, clock, personal_data)
    late = clocked.app.file_claim(order_id=ids["order"], kind="LATE_DELIVERY", claimant="HOUSEHOLD",
                                  amount="10000", currency="VND", description="waiting")
    clocked.catch_up()
    bind_system(clocked)
    claim_deadlines.claim_deadlines()  # not yet due: nothing recorded
    clock.now += timedelta(hours=73)
    claim_deadlines.claim_deadlines()
    claim_deadlines.claim_deadlines()  # the next tick finds it recorded
    clocked.catch_up()
    missed = [e for e in clocked.app.stored_events(late) if type(e).__name__ == "ResponseDeadlineMissed"]
    assert [e.actor for e in missed] == ["SYSTEM:claim-deadline"]
    assert clocked.claims.by_ids([late])[late]["breached_at"] is not None
    # The decided claim of the incident is not touched.
    assert not [e for e in clocked.app.stored_events(ids["claim"]) if type(e).__name__ == "ResponseDeadlineMissed"]


def test_replays_and_breaches_fold_the_case_files_own_events(clocked: System, clock: MovableClock,
                                                             personal_data) -> None:
    """The case file reads each stream once; the order, shipment and claims it shows at any version
    are folded from those events, equal to what the event store rebuilds, with no read of their own."""
    from farmgate.core.case_file import aggregate_in, case_flags

    ids = incident(clocked, clock, personal_data)
    app = clocked.app
    reads: list[UUID] = []
    select_events = app.recorder.select_events

    def counted(originator_id: UUID, *args: object, **kwargs: object) -> object:
        reads.append(originator_id)
        return select_events(originator_id, *args, **kwargs)

    app.recorder.select_events = counted  # type: ignore[method-assign]
    try:
        case = open_case_file(app, ids["order"], [ids["claim"]])  # type: ignore[list-item]
        for moment in ("dispatched", "failed", "claimed"):
            as_of(app, case, ids[moment], "RECORDED")  # type: ignore[arg-type]
            as_of(app, case, ids[moment], "OCCURRED")  # type: ignore[arg-type]
        sla_breaches(app, case, recorded_now())
        case_flags(app, case)
    finally:
        del app.recorder.select_events
    assert sorted(map(str, reads)) == sorted(map(str, case.streams))
    for stream_id in case.streams:
        versions = [r.version for r in case.timeline if r.aggregate_id == stream_id]
        for version in (1, max(versions) // 2 or 1, max(versions)):
            folded = aggregate_in(app, case, stream_id, version)
            stored = app.repository.get(stream_id, version=version)
            assert (folded.version, vars(folded)) == (stored.version, vars(stored))
        assert vars(aggregate_in(app, case, stream_id)) == vars(app.repository.get(stream_id))
