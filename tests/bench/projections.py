"""Projection lag under sustained 8-client writes, and a full rebuild's speed, on PostgreSQL.

Lag: 8 threads place orders (spread listings) for the run's window while a `farmgate projector`
process — as in production — applies them. Every 100 ms a sampler notes the log's head and the time,
then waits until every projection has applied that position; the lag is the time it waited.
Rebuild: afterwards every projection is reset and caught up from the first event; events/s is the
log's length over the time it took to rebuild all read models.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.bench import scale
from tests.bench.orders import listings, placing
from tests.bench.pg import BROKER_URL, percentiles, scratch_database, throughput
from tests.bench.serving import peak_rss_mib
from tests.e2e.server import SECRET

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_EVERY_SECONDS = 0.1
WRITERS = 8


def run(report: Callable[..., None]) -> None:
    """Lag p50/p99 (ms) under 8 writer threads, events written, and rebuild events/s."""
    seconds = scale.current().seconds
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"))
        env = {**os.environ, "FARMGATE_DATABASE_URL": url, "FARMGATE_BROKER_URL": BROKER_URL,
               "FARMGATE_JWT_SECRET": SECRET, "FARMGATE_ENV": "test", "FARMGATE_LOG_LEVEL": "WARNING"}
        projector = subprocess.Popen([sys.executable, "-m", "farmgate.deploy", "projector"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        projector_rss = 0.0
        try:
            spread = listings(system)
            # the projector process has booted and applied the set-up before the writes start
            deadline = time.perf_counter() + 120
            while min(system.projector.positions().values()) < system.projector.head():
                if time.perf_counter() > deadline or projector.poll() is not None:
                    raise RuntimeError("the farmgate projector process did not catch up with the set-up in 120 s")
                time.sleep(0.05)  # polling the tracking table, with a deadline
            place, _, conflicts = placing(system, lambda n: spread[n % len(spread)], first=50_000_000)
            lags_ms: list[float] = []
            behind: list[int] = []
            writing = threading.Event()
            writing.set()

            def sample() -> None:
                while writing.is_set():
                    head, noted = system.projector.head(), time.perf_counter()
                    deadline = noted + 30
                    while min(system.projector.positions().values()) < head and time.perf_counter() < deadline:
                        time.sleep(0.002)  # polling the tracking table: the measurement itself
                    if time.perf_counter() >= deadline:
                        behind.append(head)
                    lags_ms.append((time.perf_counter() - noted) * 1000)
                    time.sleep(SAMPLE_EVERY_SECONDS)  # the sampling interval

            sampler = threading.Thread(target=sample)
            sampler.start()
            written_before = system.projector.head()
            orders = throughput(place, WRITERS, seconds)
            writing.clear()
            sampler.join()
            written = system.projector.head() - written_before
            projector_rss = peak_rss_mib(projector.pid)
        finally:
            projector.terminate()
            projector.wait(timeout=30)
        p50, p99 = percentiles(lags_ms) if lags_ms else (0.0, 0.0)
        report(f"projection lag under {WRITERS}-thread placeOrder writes: orders written", orders, "orders/s")
        report(f"projection lag under {WRITERS}-thread writes: events written", written / seconds, "events/s")
        report(f"projection lag under {WRITERS}-thread writes: p50", p50, "ms")
        report(f"projection lag under {WRITERS}-thread writes: p99", p99, "ms", goal=250)
        report(f"projection lag: samples still behind after 30 s", len(behind), "samples")
        report("projection lag: CONFLICT after retries", len(conflicts), "orders")
        report("peak RSS, farmgate projector process", projector_rss, "MiB")

        events = system.projector.head()
        for projection in system.projector.projections:
            system.projector.reset(projection)
        started = time.perf_counter()
        system.projector.catch_up()
        took = time.perf_counter() - started
        report(f"full rebuild of {len(system.projector.projections)} read models: events in the log", events, "events")
        report("full rebuild: events per second (log length / time)", events / took, "events/s", goal=20_000)
        system.close()
