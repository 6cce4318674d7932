"""The delivery-promise watchdog end to end, with a clock every process reads from one file.

Custard apples from Chi Lăng reached Hà Nội on 3 August 2021, in the lockdown under Directive 16,
and could not be delivered. 48 hours after the order the produce is spoiled: the watchdog declares
it so, once, as SYSTEM:promise-watchdog, and the order follows.

PostgreSQL: the API, a projector and a real `farmgate worker` on Redis; the test sends the watchdog's
messages through Redis itself, several at one moment, and waits until the worker has taken them all.
SQLite: the embedded worker, run by its own periodic scheduler.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

import pytest
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from farmgate.core.history import stream_records
from farmgate.deploy.clock import FileClock
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql.ids import from_global_id
from tests.e2e.order_steps import FAIL, SHIPMENT, a_seller, confirm, dispatch, iso, on_shipment, place
from tests.e2e.server import Api, running_api
from tests.e2e.receiver import wait_until
from tests.services import emptied_redis_url, fresh_postgres_database, postgres_admin_url

T0 = datetime(2021, 8, 3, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
ORDER_STATUS = "query($id: ID!) { order(id: $id) { status } }"


@dataclass
class Watched:
    api: Api
    clock: FileClock
    #: the Redis the worker consumes (None: the embedded worker, which only its scheduler reaches)
    broker_url: str | None


@pytest.fixture(params=["sqlite", "postgres"])
def watched(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Watched]:
    clock = FileClock(tmp_path / "clock.txt")
    clock.set(T0)
    extra_env = {"FARMGATE_TEST_CLOCK_FILE": str(clock.path)}
    if request.param == "sqlite":
        # The embedded scheduler is the only way to the watchdog here: a short period keeps the wait short.
        with running_api(f"sqlite:///{tmp_path}/farmgate.db", name="test_promise_watchdog-sqlite",
                         extra_env={**extra_env, "FARMGATE_PROMISE_WATCHDOG_SECONDS": "1"}) as api:
            yield Watched(api, clock, None)
    else:
        broker_url = emptied_redis_url()  # nothing left by earlier tests to hold the queue's join
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=broker_url, name="test_promise_watchdog-postgres", workers=True,
                            extra_env=extra_env) as api:
            yield Watched(api, clock, broker_url)


def run_watchdog_now(broker_url: str, times: int) -> None:
    """Send the watchdog's message ``times`` at one moment, as a scheduler would, and wait until the
    worker has taken every message off the queue (processed and acknowledged)."""
    broker = RedisBroker(url=broker_url)
    try:
        for _ in range(times):
            broker.enqueue(Message(queue_name="default", actor_name="promise_watchdog", args=(), kwargs={}, options={}))
        broker.join("default", timeout=60_000)
    finally:
        broker.close()


def test_custard_apples_undelivered_past_the_promise_are_declared_spoiled_once(watched: Watched, personal_data) -> None:
    api, clock = watched.api, watched.clock
    tokens = {"officer": api.token("PROVINCE_OFFICER", "giang", province="24"),
              "postmart": api.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART"),
              "carrier": api.token("CARRIER", "vnpost-bot", carrier="VNPost"),
              "staff": api.token("DISPUTE_STAFF", "minh")}
    seller = a_seller(api, tokens, personal_data, "Na dai Chi Lăng", stock=50, price="45000", shelf_life_hours=48)
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 4)])
    assert datetime.fromisoformat(order["placedAt"]) == T0
    confirm(api, seller["household"]["token"], order["id"])
    shipment = dispatch(api, seller["household"]["token"], order["id"], "EB000000801VN")["shipment"]
    promised_by = datetime.fromisoformat(shipment["promisedBy"])
    assert promised_by == T0 + timedelta(hours=48)

    # A day later the carrier reports, four hours late, that the lockdown stopped the delivery.
    clock.set(T0 + timedelta(hours=30))
    on_shipment(api, FAIL, "recordDeliveryFailure", tokens["carrier"], shipment["id"], reason="AREA_RESTRICTED",
                occurredAt=iso(T0 + timedelta(hours=26)), note="Phong tỏa theo Chỉ thị 16")
    if watched.broker_url:
        # Check the watchdog leaves a shipment alone while its promise holds.
        clock.set(T0 + timedelta(hours=47))
        run_watchdog_now(watched.broker_url, 2)
        assert api.data(SHIPMENT, {"id": shipment["id"]}, tokens["carrier"])["shipment"]["status"] == "ATTEMPT_FAILED"

    clock.set(T0 + timedelta(hours=49))
    if watched.broker_url:
        run_watchdog_now(watched.broker_url, 4)

    def spoiled() -> dict | None:
        found = api.data(SHIPMENT, {"id": shipment["id"]}, tokens["carrier"])["shipment"]
        return found if found["status"] == "SPOILED" else None

    # The embedded worker's scheduler runs the watchdog every second (the fixture's setting).
    found = wait_until(spoiled, "the shipment is declared spoiled", timeout=30)
    assert datetime.fromisoformat(found["spoiledAt"]) == promised_by
    assert [f["reason"] for f in found["failures"]] == ["AREA_RESTRICTED"]
    wait_until(lambda: api.data(ORDER_STATUS, {"id": order["id"]}, tokens["staff"])["order"]["status"] == "SPOILED",
               "the order follows its shipment", timeout=30)

    # Check the event log itself: one spoilage, by the watchdog, when the promise passed; and the
    # order's move caused by it.
    system = build_system(Settings(database_url=api.database_url, env="test"), create_tables=False)
    try:
        shipment_id = UUID(from_global_id(shipment["id"])[1])
        records = stream_records(system.app, shipment_id)
        spoilages = [r for r in records if r.type == "SpoilageDeclared"]
        assert [(r.actor, r.occurred_at) for r in spoilages] == [("SYSTEM:promise-watchdog", promised_by)]
        assert all(r.intact for r in records)
        order_events = stream_records(system.app, UUID(from_global_id(order["id"])[1]))
        assert [(r.type, r.actor) for r in order_events][-1] == ("Spoiled", "SYSTEM:order-follows-shipment")
        assert order_events[-1].data["causation_id"] == f"{shipment_id}:{spoilages[0].version}"
    finally:
        system.close()
