"""Two `farmgate worker` processes on one Redis queue run the delivery-promise watchdog at the same
moment, past the promise of one perishable shipment: exactly one spoilage is recorded, and each
process's own log shows it ran the watchdog then (so the race really was between two processes).

The test goes in steps that wait on conditions, not on time, so a loaded machine only makes it slower:
watchdog messages are queued in batches (each batch runs on both processes' threads at once, each
process taking its share) and each batch is waited out (the queue empty, every message acknowledged)
before the next step. First, while the promise holds, until both processes have run the watchdog; then,
with nothing in flight, the shared clock moves past the promise, so every later run reads the moved
clock; then batches are queued until both processes have run the watchdog several times since, and
all those runs, raced in both processes, declared one spoilage between them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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
from tests.e2e.test_promise_watchdog import T0
from tests.e2e.test_webhooks import wait_until
from tests.personal_data import LOG_DIR
from tests.process_logs import logged
from tests.services import emptied_redis_url, fresh_postgres_database, postgres_admin_url

NAME = "test_watchdog_processes"
WORKER_LOGS = (f"{NAME}-worker.log", f"{NAME}-worker-1.log")
#: watchdog messages queued at once: several per thread of the two processes (4 threads each), so both
#: are running the watchdog at the same moment
BATCH = 48
#: seconds to wait for a condition (processes started, a batch done): generous, for a loaded machine
PATIENCE = 300


def watchdog_runs(log_name: str) -> list[int]:
    """The ``declared`` count of each watchdog run the process logged."""
    return [int(entry["declared"]) for entry in logged(log_name, "promise_watchdog_ran")]


def run_batches_until(broker: RedisBroker, condition: Callable[[], bool], what: str) -> None:
    """Queue BATCH watchdog messages and wait until all are processed, again until ``condition`` holds
    after a batch; AssertionError when it does not within PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while True:
        for _ in range(BATCH):
            broker.enqueue(Message(queue_name="default", actor_name="promise_watchdog", args=(), kwargs={}, options={}))
        broker.join("default", timeout=PATIENCE * 1000)  # every message run and acknowledged, its run logged
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {PATIENCE} s waiting until {what}")


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Api, FileClock, str]]:
    clock = FileClock(tmp_path / "clock.txt")
    clock.set(T0)
    for name in WORKER_LOGS:
        (LOG_DIR / name).unlink(missing_ok=True)
    broker_url = emptied_redis_url()  # nothing left by earlier tests to hold the queue's join
    with fresh_postgres_database(postgres_admin_url()) as url, \
            running_api(url, broker_url=broker_url, name=NAME, workers=2,
                        # The workers' own scheduler queues the watchdog when it starts, then not for an hour:
                        # every later run is one this test queued.
                        extra_env={"FARMGATE_TEST_CLOCK_FILE": str(clock.path),
                                   "FARMGATE_PROMISE_WATCHDOG_SECONDS": "3600"}) as api:
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
               timeout=PATIENCE)
    # The watchdog finds its candidates in the read model: the shipment must be there, with its promise.
    wait_until(lambda: (api.data(SHIPMENT, {"id": shipment["id"]}, tokens["carrier"])["shipment"] or {}).get("promisedBy")
               == shipment["promisedBy"], "the shipment reaches the read model", timeout=PATIENCE)
    started = [len(watchdog_runs(name)) for name in WORKER_LOGS]

    broker = RedisBroker(url=broker_url)
    try:
        clock.set(T0 + timedelta(hours=47))
        run_batches_until(broker, lambda: all(len(watchdog_runs(name)) > seen for name, seen in zip(WORKER_LOGS, started)),
                          "both worker processes have run the watchdog before the promise passed")
        # Nothing in flight now (the last batch was waited out): every run from here on reads the moved clock.
        moved = [len(watchdog_runs(name)) for name in WORKER_LOGS]
        clock.set(T0 + timedelta(hours=49))
        run_batches_until(broker, lambda: all(len(watchdog_runs(name)) > seen + 3 for name, seen in zip(WORKER_LOGS, moved)),
                          "both worker processes have run the watchdog several times past the promise")
    finally:
        broker.close()

    before = [declared for name, seen, last in zip(WORKER_LOGS, started, moved) for declared in watchdog_runs(name)[seen:last]]
    assert before and sum(before) == 0, "no run declared anything while the promise held"
    after = [watchdog_runs(name)[seen:] for name, seen in zip(WORKER_LOGS, moved)]
    assert all(len(runs) > 3 for runs in after), f"each worker process ran the watchdog past the promise: {after}"
    assert sum(sum(runs) for runs in after) == 1, "exactly one run, of all runs in both processes, declared the spoilage"
    wait_until(lambda: api.data(SHIPMENT, {"id": shipment["id"]}, tokens["carrier"])["shipment"]["status"] == "SPOILED",
               "the spoilage reaches the read model", timeout=PATIENCE)
    system = build_system(Settings(database_url=api.database_url, env="test"), create_tables=False)
    try:
        records = stream_records(system.app, UUID(from_global_id(shipment["id"])[1]))
        spoilages = [r for r in records if r.type == "SpoilageDeclared"]
        assert [(r.actor, r.occurred_at) for r in spoilages] == [
            ("SYSTEM:promise-watchdog", datetime.fromisoformat(shipment["promisedBy"]).astimezone(timezone.utc))]
    finally:
        system.close()
