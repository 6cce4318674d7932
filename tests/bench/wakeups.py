"""What followers of the log cost when nothing happens, and how far behind they are when much does:
polling (the loops looking every 50/100 ms, as before issue 15, and as SQLite still does) against
PostgreSQL's LISTEN/NOTIFY wake-ups (what a `farmgate projector` process runs now).

Idle: committed transactions per second in the database of one process running every projection
and process step, plus open subscriptions, measured from ``pg_stat_database``. Under load: the time
from a write's commit to every projection having applied it (read-your-writes as another process
sees it), while writers keep registering households.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from farmgate.core.event_tail import EventTail
from farmgate.core.log_signals import LogSignals
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql import live_feed
from farmgate.graphql.auth import Principal
from farmgate.graphql.context import Context
from tests.bench.pg import commits_over, percentiles, scratch_database

IDLE_SECONDS = 10.0
#: an idle backend reports its statistics within 10 s (PostgreSQL 15+): start-up reads land before the window
SETTLE_SECONDS = 11.0
SUBSCRIPTIONS = 50
LOAD_SECONDS = 6.0


@contextmanager
def follower(url: str, notified: bool) -> Iterator[System]:
    """A process's worth of followers (projector, process steps), woken by notifications or polling."""
    system = build_system(Settings(database_url=url, env="test"), create_tables=False)
    if not notified:  # as before: no listener, every loop polls
        assert system.listener is not None
        system.listener.stop()
        system.listener = None
        system.recent_log = None  # each subscription reads the log itself, as before
        polling = LogSignals(notified=False)
        system.signals = system.projector.signals = system.policies.signals = polling
        system.app.on_recorded = polling.recorded.fire
    system.projector.start()
    system.policies.start()
    try:
        yield system
    finally:
        system.close()


@contextmanager
def idle_subscriptions(system: System, count: int) -> Iterator[None]:
    """``count`` open subscriptions following the log in an event loop of their own."""
    loop = asyncio.new_event_loop()
    ctx = Context(system=system, request_id="bench", principal=Principal(role="ADMIN", subject="bench"))
    tail = EventTail(system.app, recent=system.recent_log)

    async def follow() -> None:
        async for _ in live_feed.follow_log(ctx, tail, tail.head(), lambda n: False):
            pass

    tasks = [loop.create_task(follow()) for _ in range(count)]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        for task in tasks:
            loop.call_soon_threadsafe(task.cancel)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def idle_rate(url: str, notified: bool, subscriptions: int) -> float:
    with follower(url, notified) as system, idle_subscriptions(system, subscriptions):
        commits_over(url, SETTLE_SECONDS)  # the first passes (and their statistics) out of the way
        return commits_over(url, IDLE_SECONDS) / IDLE_SECONDS


def lag_under_load(url: str, notified: bool, writers: int = 4) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, writes/s): a write's commit → every projection applied it, seen by another system."""
    counter = itertools.count(1)
    samples: list[float] = []
    lock = threading.Lock()
    with follower(url, notified) as projecting:
        writer = build_system(Settings(database_url=url, env="test"), create_tables=False)
        stop = time.perf_counter() + LOAD_SECONDS

        def write() -> None:
            while time.perf_counter() < stop:
                with lock:
                    n = next(counter)
                writer.app.register_household(name=f"Hộ số {n}", national_id=f"024{n:09d}",
                                              phone=f"09{n % 100_000_000:08d}", address={"scheme": 2021, "province_code": "24"})
                saved, position = time.perf_counter(), writer.app.last_saved_position()
                assert projecting.projector.wait_for(position, 30) == []
                with lock:
                    samples.append((time.perf_counter() - saved) * 1000)

        threads = [threading.Thread(target=write) for _ in range(writers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        writer.close()
    p50, p99 = percentiles(samples)
    return p50, p99, len(samples) / elapsed


def run(report: Callable[[str, float, str], None]) -> None:
    for notified, how in ((False, "polling (before)"), (True, "LISTEN/NOTIFY (after)")):
        with scratch_database() as url:
            build_system(Settings(database_url=url, env="test")).close()  # tables; its statistics flushed on exit
            report(f"idle projector process, {how}", idle_rate(url, notified, 0), "tx/s")
            report(f"idle projector process + {SUBSCRIPTIONS} subscriptions, {how}",
                   idle_rate(url, notified, SUBSCRIPTIONS), "tx/s")
            p50, p99, rate = lag_under_load(url, notified)
            report(f"write -> projected in every read model p50, {how}", p50, "ms")
            report(f"write -> projected in every read model p99, {how}", p99, "ms")
            report(f"writes/s meanwhile (4 writers waiting for their projection), {how}", rate, "writes/s")
