"""Two `farmgate worker` processes on one Redis queue run the delivery-promise watchdog at the same
moment, past the promise of one perishable shipment: exactly one spoilage is recorded, and each
process's own log shows it ran the watchdog then (so the race really was between two processes).

To have both processes busy when the promise passes, a long burst of watchdog messages is queued while
the promise still holds; once both logs show runs, the shared clock moves past the promise, and the
runs that follow, in both processes at once, race to declare the spoilage."""

from __future__ import annotations

from collections.abc import Iterator
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
from tests.e2e.order_steps import SHIPMENT, a_seller, confirm, dispatch, place
from tests.e2e.server import Api, running_api
from tests.e2e.test_promise_watchdog import T0, private_redis_db
from tests.e2e.test_webhooks import wait_until
from tests.personal_data import LOG_DIR
from tests.process_logs import logged
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

NAME = "test_watchdog_processes"
WORKER_LOGS = (f"{NAME}-worker.log", f"{NAME}-worker-1.log")
BURST = 600  # enough runs to keep both processes busy while the clock moves


def watchdog_runs(log_name: str) -> list[int]:
    """The ``declared`` count of each watchdog run the process logged."""
    return [int(entry["declared"]) for entry in logged(log_name, "promise_watchdog_ran")]


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Api, FileClock, str]]:
    clock = FileClock(tmp_path / "clock.txt")
    clock.set(T0)
    for name in WORKER_LOGS:
        (LOG_DIR / name).unlink(missing_ok=True)
    broker_url = private_redis_db(redis_url())
    with fresh_postgres_database(postgres_admin_url()) as url, \
            running_api(url, broker_url=broker_url, name=NAME, workers=2,
                        extra_env={"FARMGATE_TEST_CLOCK_FILE": str(clock.path)}) as api:
        yield api, clock, broker_url


def test_two_worker_processes_running_the_watchdog_at_once_declare_one_spoilage(two_workers, personal_data) -> None:
    api, clock, broker_url = two_workers
    tokens = {"officer": api.token("PROVINCE_OFFICER", "giang", province="24"),
              "postmart": api.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART"),
              "carrier": api.token("CARRIER", "vnpost-bot", carrier="VNPost")}
    seller = a_seller(api, tokens, personal_data, "Na dai Chi Lăng", stock=20, shelf_life_hours=48)
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 2)])
    confirm(api, seller["household"]["token"], order["id"])
    shipment = dispatch(api, seller["household"]["token"], order["id"], "EB000000901VN")["shipment"]
    wait_until(lambda: all(logged(name, "workers_started") for name in WORKER_LOGS), "both workers have started",
               timeout=60)
    started = [len(watchdog_runs(name)) for name in WORKER_LOGS]

    clock.set(T0 + timedelta(hours=47))
    broker = RedisBroker(url=broker_url)
    try:
        for _ in range(BURST):
            broker.enqueue(Message(queue_name="default", actor_name="promise_watchdog", args=(), kwargs={}, options={}))
        wait_until(lambda: all(len(watchdog_runs(name)) > seen + 3 for name, seen in zip(WORKER_LOGS, started)),
                   "both worker processes are running the burst", timeout=60)
        moved = [len(watchdog_runs(name)) for name in WORKER_LOGS]
        clock.set(T0 + timedelta(hours=49))
        broker.join("default", timeout=120_000)
    finally:
        broker.close()

    after = [watchdog_runs(name)[seen:] for name, seen in zip(WORKER_LOGS, moved)]
    assert all(after), f"each worker process should have run the watchdog after the promise passed: {after}"
    burst = [declared for name, seen in zip(WORKER_LOGS, started) for declared in watchdog_runs(name)[seen:]]
    assert sum(burst) == 1, "exactly one run, of all runs in both processes, declared the spoilage"
    wait_until(lambda: api.data(SHIPMENT, {"id": shipment["id"]}, tokens["carrier"])["shipment"]["status"] == "SPOILED",
               "the spoilage reaches the read model", timeout=30)
    system = build_system(Settings(database_url=api.database_url, env="test"), create_tables=False)
    try:
        records = stream_records(system.app, UUID(from_global_id(shipment["id"])[1]))
        spoilages = [r for r in records if r.type == "SpoilageDeclared"]
        assert [(r.actor, r.occurred_at) for r in spoilages] == [
            ("SYSTEM:promise-watchdog", datetime.fromisoformat(shipment["promisedBy"]).astimezone(timezone.utc))]
    finally:
        system.close()
