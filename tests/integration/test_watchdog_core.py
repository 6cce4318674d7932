"""The promise watchdog on SQLite and PostgreSQL, with a clock the test moves.

Custard apples from Chi Lăng reached Hà Nội on 3 August 2021 under Directive 16 and could not be
delivered; 48 hours after the order they were spoiled. The watchdog declares that once, even when
two workers run it at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest

from farmgate.core.domain.shipment import Shipment
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.integration.test_orders import a_shop, another_listing, place
from tests.personal_data import PersonalData

T0 = datetime(2021, 8, 3, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội


class Clock:
    """The application's clock, moved by the test; it can make its next reading a rendezvous."""

    def __init__(self, now: datetime = T0):
        self.now = now
        self._rendezvous: threading.Barrier | None = None
        self.met = False

    def __call__(self) -> datetime:
        barrier, self._rendezvous = self._rendezvous, None
        if barrier is not None:
            barrier.wait()
            self.met = True
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def meet_at(self, barrier: threading.Barrier) -> None:
        self._rendezvous = barrier


def a_system(url: str, clock: Clock) -> System:
    return build_system(Settings(database_url=url, env="test", projection_wait_seconds=10), clock=clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clocked(backend_url: str, clock: Clock) -> Iterator[System]:
    system = a_system(backend_url, clock)
    yield system
    system.close()


def dispatched(system: System, pd: PersonalData, listing_id: UUID, tracking_number: str) -> UUID:
    order = place(system, pd, [(listing_id, 2)])
    system.app.confirm_order(order)
    return system.app.dispatch_order(order, carrier="VNPost", tracking_number=tracking_number)


def spoilages(system: System, shipment_id: UUID) -> list[object]:
    return [e for e in system.app.stored_events(shipment_id) if type(e).__name__ == "SpoilageDeclared"]


def test_custard_apples_stuck_in_a_lockdown_are_declared_spoiled_once_the_promise_passes(
    clocked: System, clock: Clock, personal_data
) -> None:
    system, app = clocked, clocked.app
    shop = a_shop(system, personal_data, title="Na dai Chi Lăng")
    rice = another_listing(system, shop.storefront_id, title="Gạo Bao Thai", shelf_life_hours=8760)
    custard = dispatched(system, personal_data, shop.listing_id, "EB000000801VN")
    durable = dispatched(system, personal_data, rice, "EB000000802VN")
    received = dispatched(system, personal_data, shop.listing_id, "EB000000803VN")
    clock.advance(hours=20)
    app.confirm_delivery(received, occurred_at=clock.now, received_by="Chị Lan")
    clock.advance(hours=10)
    # The carrier reports four hours late that Hà Nội's lockdown stopped the delivery.
    app.record_delivery_failure(custard, reason="AREA_RESTRICTED", occurred_at=T0 + timedelta(hours=26),
                                note="Phong tỏa theo Chỉ thị 16")

    clock.advance(hours=17)  # T0 + 47 h: still promised
    system.catch_up()
    assert system.orders.overdue_shipments(clock.now) == []
    assert app.declare_overdue_spoilage([custard], clock.now) == []

    clock.advance(hours=2)  # T0 + 49 h
    system.catch_up()
    candidates = system.orders.overdue_shipments(clock.now)
    assert candidates == [custard]
    # Check stale or wrong candidates are checked again on the write side and left alone.
    assert app.declare_overdue_spoilage([durable, received, *candidates], clock.now) == [custard]

    [declared] = spoilages(system, custard)
    promised_by = app.load(Shipment, custard).promised_by
    assert promised_by == T0 + timedelta(hours=48)
    assert (declared.actor, declared.occurred_at, declared.causation_id) == (
        "SYSTEM:promise-watchdog", promised_by, None)
    assert declared.correlation_id.startswith("promise-watchdog:")

    system.catch_up()
    order_id = app.load(Shipment, custard).order_id
    assert system.orders.orders_by_ids([order_id])[order_id]["status"] == "SPOILED"
    row = system.orders.shipments_by_ids([custard])[custard]
    assert (row["status"], datetime.fromisoformat(row["spoiled_at"])) == ("SPOILED", promised_by)
    assert [f["reason"] for f in system.orders.failures_for_shipments([custard])[custard]] == ["AREA_RESTRICTED"]
    assert system.orders.overdue_shipments(clock.now) == []

    # Check a second run, with a stale candidate list, records nothing.
    assert app.declare_overdue_spoilage([custard], clock.now) == []
    assert len(spoilages(system, custard)) == 1
    assert app.load(Shipment, durable).status == "INFO_RECEIVED"


def test_two_watchdogs_at_the_same_moment_record_one_spoilage(
    backend_url: str, clocked: System, clock: Clock, personal_data
) -> None:
    shop = a_shop(clocked, personal_data)
    shipment = dispatched(clocked, personal_data, shop.listing_id, "EB000000901VN")
    other_clock = Clock(clock.now)
    other = a_system(backend_url, other_clock)
    try:
        for c in (clock, other_clock):
            c.advance(hours=49)
        clocked.catch_up()
        candidates = clocked.orders.overdue_shipments(clock.now)
        assert candidates == [shipment]
        # Both load the shipment, then meet at their clocks before either decides and saves: the
        # second save loses the version race, reloads, finds it spoiled and skips.
        barrier = threading.Barrier(2, timeout=20)
        clock.meet_at(barrier)
        other_clock.meet_at(barrier)
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(system.app.declare_overdue_spoilage, candidates, clock.now)
                    for system in (clocked, other)]
            results = [run.result(timeout=60) for run in runs]
        assert clock.met and other_clock.met
        assert sorted(results, key=len) == [[], [shipment]]
        assert len(spoilages(clocked, shipment)) == 1
    finally:
        other.close()


def test_two_watchdogs_over_many_shipments_declare_each_exactly_once(
    backend_url: str, clocked: System, clock: Clock, personal_data
) -> None:
    shop = a_shop(clocked, personal_data, stock=1000)
    shipments = [dispatched(clocked, personal_data, shop.listing_id, f"EB{n:09d}VN") for n in range(12)]
    other_clock = Clock(clock.now)
    other = a_system(backend_url, other_clock)
    try:
        for c in (clock, other_clock):
            c.advance(hours=72)
        clocked.catch_up()
        candidates = clocked.orders.overdue_shipments(clock.now)
        assert sorted(candidates) == sorted(shipments)
        start = threading.Barrier(2, timeout=20)

        def watch(system: System) -> list[UUID]:
            start.wait()
            return system.app.declare_overdue_spoilage(candidates, clock.now)

        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(watch, system) for system in (clocked, other)]
            first, second = (run.result(timeout=120) for run in runs)
        assert not set(first) & set(second)
        assert sorted(first + second) == sorted(shipments)
        assert all(len(spoilages(clocked, s)) == 1 for s in shipments)
        clocked.catch_up()
        assert {r["status"] for r in clocked.orders.page(after=0, limit=100)[0]} == {"SPOILED"}
    finally:
        other.close()
