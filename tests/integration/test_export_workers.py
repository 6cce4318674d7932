"""The export workers' steps on each real backend: the SLA watch records a change once, as
SYSTEM:export-sla; the webhook outbox hands out each order's deliveries one at a time, in order,
lets exactly one worker claim an attempt, and survives a rebuild without re-sending anything."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import ModuleType
from uuid import UUID

import pytest

from farmgate.core.domain.export_order import ExportOrder
from farmgate.core.projections.registry import projection_named
from farmgate.core.projections.webhook_outbox import DELIVERED, FAILED, LEASE_EXPIRED, PENDING, SENDING
from farmgate.deploy.container import System
from farmgate.workers.broker import make_broker
from farmgate.workers.runtime import bind_system

H = timedelta(hours=1)
DOCUMENTS = ("PHYTOSANITARY_CERTIFICATE", "CERTIFICATE_OF_ORIGIN", "COMMERCIAL_INVOICE", "PACKING_LIST", "AIR_WAYBILL",
             "EXPORT_DECLARATION")


@pytest.fixture(scope="module")
def actors() -> Iterator[tuple[ModuleType, ModuleType]]:
    make_broker("memory://")  # actors bind to the broker set when their module is imported
    from farmgate.workers import export_sla, webhooks

    yield export_sla, webhooks


def now() -> datetime:
    return datetime.now(timezone.utc)


def harvested_order(system: System, partner: UUID, reference: str, hours_ago: float) -> UUID:
    harvested_at = now() - hours_ago * H
    # The order is opened at its harvest (the app's clock, briefly pinned there): no export fact may
    # precede the opening by more than the order's 96-hour window.
    wall_clock, system.app.clock = system.app.clock, lambda: harvested_at
    try:
        order = system.app.create_export_order(
            partner_id=partner, reference=reference, product="Lychee", hs_code="081090", destination_country="BE",
            consignee="Ms Lan", incoterm="CPT", quantity_kg=100, unit_price="12.50", currency="EUR",
            harvest_to_door_hours=96, created_by="POSTMART",
        )
    finally:
        system.app.clock = wall_clock
    system.app.record_export_milestone(order, kind="HARVESTED", occurred_at=harvested_at)
    return order


def test_the_sla_watch_records_a_breach_once_as_the_system(system: System, actors: tuple[ModuleType, ModuleType]) -> None:
    export_sla, _ = actors
    bind_system(system)
    partner = system.app.register_export_partner(name="Lychee Import BV", country="BE")
    overdue = harvested_order(system, partner, "LATE-1", 100)
    fresh = harvested_order(system, partner, "FRESH-1", 10)
    system.catch_up()
    export_sla.refresh_export_sla()
    changes = [e for e in system.app.stored_events(overdue) if isinstance(e, ExportOrder.SlaStateChanged)]
    assert [(e.state, e.actor) for e in changes] == [("BREACHED", "SYSTEM:export-sla")]
    assert not [e for e in system.app.stored_events(fresh) if isinstance(e, ExportOrder.SlaStateChanged)]
    # Check a second run records nothing more, and the watchlist has let go of the final state.
    system.catch_up()
    export_sla.refresh_export_sla()
    assert len([e for e in system.app.stored_events(overdue) if isinstance(e, ExportOrder.SlaStateChanged)]) == 1
    assert system.exports.sla_watchlist() == [fresh]


def test_the_webhook_outbox_hands_out_each_orders_deliveries_in_order_and_one_claim_per_attempt(
    system: System, actors: tuple[ModuleType, ModuleType]
) -> None:
    _, webhooks = actors
    outbox = system.webhooks
    partner = system.app.register_export_partner(name="Praha Ovoce s.r.o.", country="CZ")
    before_endpoint = harvested_order(system, partner, "BEFORE-1", 1)
    system.app.register_webhook_endpoint(partner_id=partner, url="https://hooks.praha.example/in", secret="whsec_" + base64.b64encode(b"s" * 32).decode())
    first, second = harvested_order(system, partner, "A-1", 1), harvested_order(system, partner, "B-1", 1)
    for order in (first, second):
        system.app.record_export_document(order, kind="PACKING_LIST", number="PL-1", issuer="x", issued_at=now() - H)
    system.catch_up()

    # Check events from before the endpoint existed are not queued; after it, every event is.
    rows, total = outbox.page(after_position=0, limit=100, partner_id=partner)
    assert total == 6 and {r["export_order_id"] for r in rows} == {str(first), str(second)}
    assert str(before_endpoint) not in {r["export_order_id"] for r in rows}
    assert [r["event_id"] for r in rows if r["export_order_id"] == str(first)] == [f"{first}:{v}" for v in (1, 2, 3)]
    # Only the first undelivered delivery of each order is due.
    heads = outbox.due(now())
    assert [outbox.by_ids([h])[h]["event_id"] for h in heads] == [f"{first}:1", f"{second}:1"]

    # Eight workers try to claim one delivery at once: exactly one gets it.
    head = heads[0]
    tokens: list[str | None] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        tokens.append(outbox.claim(head, now(), now() + 30 * timedelta(seconds=1)))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [t for t in tokens if t]
    assert len(tokens) == 8 and len(winners) == 1
    assert outbox.by_ids([head])[head]["status"] == SENDING and outbox.by_ids([head])[head]["attempts"] == 1
    assert outbox.due(now(), export_order_id=first) == []  # the next one waits for this one

    # A failed attempt waits for its backoff; a finished one is recorded only by its own lease.
    assert outbox.failed(head, winners[0], "HTTP 503", now() + timedelta(seconds=60))
    assert not outbox.delivered(head, winners[0], now())
    assert outbox.due(now(), export_order_id=first) == []
    later = now() + timedelta(seconds=61)
    token = outbox.claim(head, later, later + timedelta(seconds=30))
    assert token and outbox.delivered(head, token, later)
    row = outbox.by_ids([head])[head]
    assert (row["status"], row["attempts"], row["last_error"]) == (DELIVERED, 2, "HTTP 503")
    following = outbox.due(later, export_order_id=first)
    assert [outbox.by_ids(following)[following[0]]["event_id"]] == [f"{first}:2"]

    # A worker that stops mid-send: once its lease runs out the delivery is taken again, with why.
    stuck = following[0]
    assert outbox.claim(stuck, later, later + timedelta(seconds=5))
    assert outbox.claim(stuck, later + timedelta(seconds=1), later + timedelta(seconds=30)) is None
    retaken = outbox.claim(stuck, later + timedelta(seconds=6), later + timedelta(seconds=30))
    assert retaken and outbox.by_ids([stuck])[stuck]["last_error"] == LEASE_EXPIRED
    # Given up (FAILED), it still holds back the later events of its order, until asked again.
    assert outbox.failed(stuck, retaken, "HTTP 410", None)
    assert outbox.by_ids([stuck])[stuck]["status"] == FAILED
    assert outbox.due(later + H, export_order_id=first) == []
    assert outbox.request_redelivery(stuck, later, "Redelivery requested")
    assert outbox.due(later, export_order_id=first) == [stuck]

    # A rebuild replays the outbox without re-queueing what was delivered.
    projection = next(p for p in system.projector.projections if p.name == projection_named("webhook_outbox").name)
    system.projector.reset(projection)
    system.catch_up()
    assert outbox.page(after_position=0, limit=100, partner_id=partner)[1] == 6
    assert outbox.by_ids([head])[head]["status"] == DELIVERED
    assert outbox.by_ids([stuck])[stuck]["status"] == PENDING

    assert [webhooks.retry_delay(n, 1.0, 5.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_the_dispatcher_queues_each_due_delivery_once_across_processes_until_its_mark_lapses(
    system: System, actors: tuple[ModuleType, ModuleType]
) -> None:
    outbox = system.webhooks
    partner = system.app.register_export_partner(name="Liège Primeurs SA", country="BE")
    system.app.register_webhook_endpoint(partner_id=partner, url="https://hooks.liege.example/in",
                                         secret="whsec_" + base64.b64encode(b"q" * 32).decode())
    orders = [harvested_order(system, partner, f"Q-{n}", 1) for n in range(3)]
    system.catch_up()
    moment = now()
    # Two dispatchers (two worker processes) tick at once: each due delivery goes to one of them.
    first = outbox.take_due(moment, moment + timedelta(seconds=60), 100)
    second = outbox.take_due(moment, moment + timedelta(seconds=60), 100)
    assert len(first) == len(orders) and second == []
    # A second later, still queued: nothing is queued again.
    assert outbox.take_due(moment + timedelta(seconds=1), moment + timedelta(seconds=61), 100) == []
    # A message lost in the broker: once its mark lapses, the delivery is queued again.
    assert sorted(outbox.take_due(moment + timedelta(seconds=61), moment + timedelta(seconds=121), 100)) == sorted(first)
    # An attempt that failed is queued again when its retry is due, not before.
    token = outbox.claim(first[0], moment + timedelta(seconds=62), moment + timedelta(seconds=92))
    assert token and outbox.failed(first[0], token, "HTTP 503", moment + timedelta(seconds=70))
    assert outbox.take_due(moment + timedelta(seconds=65), moment + timedelta(seconds=125), 100) == []
    assert outbox.take_due(moment + timedelta(seconds=71), moment + timedelta(seconds=131), 100) == [first[0]]
    # A worker killed mid-attempt: its claim took the delivery out of the broker, so the dispatcher
    # queues it again once the attempt's lease lapses, not a whole mark later.
    assert outbox.claim(first[1], moment + timedelta(seconds=72), moment + timedelta(seconds=87))
    assert outbox.take_due(moment + timedelta(seconds=80), moment + timedelta(seconds=140), 100) == []
    assert outbox.take_due(moment + timedelta(seconds=88), moment + timedelta(seconds=148), 100) == [first[1]]
