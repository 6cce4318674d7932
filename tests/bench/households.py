"""Household registration throughput on PostgreSQL, against the raw insert ceiling."""

from __future__ import annotations

import cProfile
import itertools
import threading
from collections.abc import Callable

from farmgate.core.domain.errors import Conflict
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.bench import scale
from tests.bench.pg import in_this_thread, raw_insert_ceiling, scratch_database, throughput


def run(report: Callable[..., None]) -> None:
    """registerHousehold per second at 1 and 8 client threads, each next to the raw insert ceiling
    measured just before it; households refused as CONFLICT after the application's retries."""
    seconds = scale.current().seconds
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"))
        counter = itertools.count(1)
        lock = threading.Lock()
        conflicts: list[int] = []

        def register(_: int) -> None:
            with lock:
                n = next(counter)
            try:
                system.app.register_household(
                name=f"Hộ số {n}", national_id=f"020{n:09d}", phone=f"09{n % 100_000_000:08d}",
                    address={"scheme": 2021, "province_code": ["20", "24", "66", "77"][n % 4]},
                )
            except Conflict:
                conflicts.append(n)

        for clients in (1, 8):
            raw = raw_insert_ceiling(url, clients, seconds)
            ops = throughput(register, clients, seconds)
            report(f"raw PostgreSQL INSERT+COMMIT, {clients} client(s)", raw, "tx/s")
            report(f"registerHousehold (3 events, 2 aggregates), {clients} thread(s)", ops, "households/s",
                   ceiling=raw)
            report(f"registrations refused as CONFLICT after retries, {clients} client(s)", len(conflicts), "")
            conflicts.clear()
        system.close()


def profiled(seconds: float, profiler: cProfile.Profile) -> None:
    """The workload ``PROFILE=1`` profiles for this module: registerHousehold, 1 thread (only the
    registrations run under ``profiler``)."""
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"))
        counter = itertools.count(1)
        try:
            profiler.runcall(in_this_thread, lambda _: system.app.register_household(
                name="Hộ hồ sơ", national_id=f"021{(n := next(counter)):09d}", phone=f"0966{n:06d}",
                address={"scheme": 2021, "province_code": "20"}), seconds)
        finally:
            system.close()
