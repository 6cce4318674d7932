"""Benchmark plumbing: a scratch PostgreSQL database, latency percentiles, the raw insert ceiling."""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from tests.services import fresh_postgres_database

#: the server the bench measures; each module creates its own database there and drops it afterwards
ADMIN_URL = (os.environ.get("FARMGATE_BENCH_DATABASE_URL") or os.environ.get("FARMGATE_TEST_POSTGRES_URL")
             or "postgresql://postgres@127.0.0.1:5432/postgres")
#: the broker the bench's `farmgate` processes are given (only so they run as in production, not embedded)
BROKER_URL = os.environ.get("FARMGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def scratch_database() -> Iterator[str]:
    with fresh_postgres_database(ADMIN_URL) as url:
        yield url


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50, p99


def throughput(work: Callable[[int], None], clients: int, seconds: float) -> float:
    """Operations per second of ``work(client_number)`` run in a loop by ``clients`` threads."""
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    def loop(n: int) -> None:
        while time.perf_counter() < stop:
            work(n)
            counts[n] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


#: the shape of eventsourcing's PostgreSQL stored-events table (notification id, aggregate id and
#: version as the primary key, topic, serialised state)
RAW_TABLE = """CREATE TABLE IF NOT EXISTS bench_raw_events (
    notification_id BIGSERIAL, originator_id UUID NOT NULL, originator_version BIGINT NOT NULL,
    topic TEXT NOT NULL, state BYTEA NOT NULL, PRIMARY KEY (originator_id, originator_version))"""
RAW_INSERT = ("INSERT INTO bench_raw_events (originator_id, originator_version, topic, state) "
              "VALUES (%s, 1, 'farmgate.core.domain.order:Order.Placed', %s)")
RAW_STATE = b"x" * 400  # about the size of a serialised OrderPlaced


def in_this_thread(work: Callable[[int], None], seconds: float) -> int:
    """Call ``work(0)`` in a loop in the calling thread for ``seconds`` (what a profiler of this
    thread sees); the number of calls."""
    stop, calls = time.perf_counter() + seconds, 0
    while time.perf_counter() < stop:
        work(0)
        calls += 1
    return calls


def raw_insert_ceiling(url: str, clients: int, seconds: float = 3.0) -> float:
    """Single-row INSERT + COMMIT per operation into an event-store-shaped table, one connection per
    client thread (what pgbench measures): the ceiling for one-event writes, in tx/s."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(RAW_TABLE)
    connections = [psycopg.connect(url, autocommit=True) for _ in range(clients)]
    try:
        return throughput(lambda n: connections[n].execute(RAW_INSERT, (uuid.uuid4(), RAW_STATE)), clients, seconds)
    finally:
        for c in connections:
            c.close()


def committed_transactions(url: str) -> int:
    """The database's ``pg_stat_database.xact_commit`` as the statistics now say (a fresh snapshot).

    Backends report their counts at most once a second, and an idle one within 10 s (PostgreSQL 15+),
    so a window should start after its processes' start-up work was flushed (a backend that exits
    flushes at once)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return int(row[0]) if row else 0


def commits_over(url: str, seconds: float) -> int:
    """Transactions committed in the database over the next ``seconds`` (measuring costs 2 of them)."""
    before = committed_transactions(url)
    time.sleep(seconds)  # a measuring window, not synchronisation
    return committed_transactions(url) - before - 1
