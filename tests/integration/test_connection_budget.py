"""FARMGATE_DATABASE_CONNECTIONS bounds a process's PostgreSQL connections, its LISTEN connection
included: an API process on a budget of 3 (projector, process steps and workers in the same process:
PostgreSQL with the in-memory broker), under more concurrent requests than its pool holds, never has
more than 3 connections open — counted by the server (pg_stat_activity, by the application_name the
process's URL gives every connection it opens) — and still answers every request."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg

from tests.e2e.receiver import wait_until
from tests.e2e.server import Api, running_api

BUDGET = 3
REQUESTS = 12
APPLICATION = "farmgate-budget-test"
CARRIERS = "{ carriers { id name } }"


def connections_of(watch: psycopg.Connection[Any]) -> list[tuple[str | None, str | None]]:
    """(wait_event_type, query) of every connection the process under test holds."""
    return [tuple(row) for row in watch.execute(
        "SELECT wait_event_type, query FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = %s", (APPLICATION,)).fetchall()]


def pool_metric(api: Api, name: str) -> float:
    for line in api.client.get(api.url + "/metrics").text.splitlines():
        if line.startswith(f"farmgate_db_pool_{name} "):
            return float(line.split()[1])
    raise AssertionError(f"farmgate_db_pool_{name} is not on /metrics")


def test_a_process_never_holds_more_connections_than_its_budget(postgres_url: str) -> None:
    url = f"{postgres_url}?application_name={APPLICATION}"
    # a request waits for a pooled connection up to the connect timeout: 30 s here, so a slow machine
    # does not turn the queued requests into errors while the test holds the lock
    with running_api(url, broker_url="memory://", name="budget",
                     extra_env={"FARMGATE_DATABASE_CONNECTIONS": str(BUDGET),
                                "FARMGATE_POSTGRES_CONNECT_TIMEOUT": "30"}) as api, \
            psycopg.connect(postgres_url, autocommit=True) as watch:
        assert pool_metric(api, "pool_max") == BUDGET - 1
        seen: list[int] = []
        stop = threading.Event()

        def count_until_stopped() -> None:
            with psycopg.connect(postgres_url, autocommit=True) as counter:
                while not stop.wait(0.002):  # counting as often as the server answers, until told to stop
                    seen.append(len(connections_of(counter)))

        sampler = threading.Thread(target=count_until_stopped, daemon=True)
        sampler.start()
        try:
            # Every reader of the carriers waits behind this lock, holding its pooled connection: the
            # requests beyond the pool's size queue for one, and none opens a connection of its own.
            with psycopg.connect(postgres_url) as gate:
                gate.execute("LOCK TABLE carriers_v1 IN ACCESS EXCLUSIVE MODE")
                with ThreadPoolExecutor(REQUESTS) as clients:
                    answers = [clients.submit(api.post, CARRIERS) for _ in range(REQUESTS)]

                    def saturated() -> tuple[list[tuple[str | None, str | None]], float] | None:
                        """(the process's connections, requests queued for one) once every pooled
                        connection waits on the lock and more requests queue — or it holds too many."""
                        held, waiting = connections_of(watch), pool_metric(api, "requests_waiting")
                        blocked = [c for c in held if c[0] == "Lock"]
                        return (held, waiting) if (len(blocked) >= BUDGET - 1 and waiting) or len(held) > BUDGET \
                            else None

                    try:
                        held, waiting = wait_until(saturated, "the pool full and requests queued for it", timeout=30)
                    finally:
                        gate.commit()  # the readers go on
                    bodies = [answer.result(timeout=60) for answer in answers]
        finally:
            stop.set()
            sampler.join(timeout=10)

    assert len(held) == BUDGET and [c[0] for c in held].count("Lock") == BUDGET - 1 and waiting >= 1, held
    assert all(not body.get("errors") and body["data"]["carriers"] for body in bodies), bodies
    assert seen and max(seen) <= BUDGET, f"at most {max(seen)} connections seen, over {len(seen)} counts"
