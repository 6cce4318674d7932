"""placeOrder throughput on PostgreSQL, against the raw insert ceiling measured in the same run.

An order is one atomic save of the order, its year's number sequence and the listing it reserves
from (4–5 events, 3 aggregates). Two shapes of load, each with 1 and 8 client threads of one
process, and with 8 client processes (as 8 API processes would be):
- hot: every buyer wants the same listing (the lychee of the day), so every save races on it;
- spread: buyers spread over 64 listings of 8 storefronts — they still share the number sequence.
"""

from __future__ import annotations

import cProfile
import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from uuid import UUID

from farmgate.core.domain.errors import Conflict
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.bench import scale
from tests.bench.pg import in_this_thread, percentiles, raw_insert_ceiling, scratch_database, throughput
from tests.integration.test_contention import CLIENT_PROCESS_ENV

STOREFRONTS = 8
LISTINGS_PER_STOREFRONT = 8
STOCK = 1_000_000  # never sells out: the races measured are version races, not OUT_OF_STOCK
HANOI = {"scheme": 2021, "province_code": "01"}

Report = Callable[..., None]


def listings(system: System) -> list[UUID]:
    app = system.app
    made = []
    for n in range(STOREFRONTS):
        household = app.register_household(name=f"Hộ số {n}", national_id=f"024{n:09d}", phone=f"09{n:08d}",
                                           address={"scheme": 2021, "province_code": "24"})
        storefront = app.open_storefront(household_id=household, marketplace=("POSTMART", "VOSO")[n % 2],
                                         name=f"Vườn vải {n}", location={"latitude": 21.38, "longitude": 106.58},
                                         opening_hours=[])
        for m in range(LISTINGS_PER_STOREFRONT):
            made.append(app.publish_listing(
                storefront_id=storefront, title=f"Vải thiều loại {m}", description=None, category="FRUIT",
                unit="kg", unit_price={"amount": "35000", "currency": "VND"}, stock_quantity=STOCK,
                shelf_life_hours=48,
            ))
    return made


def placing(
    system: System, pick: Callable[[int], UUID], first: int = 1, keyed: bool = False
) -> tuple[Callable[[int], None], list[float], list[int]]:
    """A place-an-order operation for ``throughput``, with the latencies and conflicts it saw.
    ``keyed``: as a request with an idempotency key (its record saved with the order)."""
    counter = itertools.count(first)
    lock = threading.Lock()
    latencies_ms: list[float] = []
    conflicts: list[int] = []

    def place(_: int) -> None:
        with lock:
            n = next(counter)
        started = time.perf_counter()
        try:
            with system.app.idempotent(f"bench-{n}-{first}" if keyed else None):
                system.app.place_order(
                    lines=[{"listing_id": pick(n), "quantity": 1}],
                    buyer={"name": f"Người mua {n}", "phone": f"03{n % 100_000_000:08d}", "address": HANOI},
                    payment_method="CASH_ON_DELIVERY",
                )
        except Conflict:
            with lock:
                conflicts.append(n)
            return
        with lock:
            latencies_ms.append((time.perf_counter() - started) * 1000)

    return place, latencies_ms, conflicts


def summarise(report: Report, name: str, latencies_ms: list[float], conflicts: int, seconds: float,
              ceiling: float) -> float:
    p50, p99 = percentiles(latencies_ms) if latencies_ms else (0.0, 0.0)
    accepted = len(latencies_ms) / seconds
    report(f"{name}: accepted", accepted, "orders/s", ceiling=ceiling)
    report(f"{name}: p50", p50, "ms")
    report(f"{name}: p99", p99, "ms")
    report(f"{name}: CONFLICT after retries", conflicts, "orders")
    return accepted


def measure(system: System, report: Report, label: str, pick: Callable[[int], UUID], clients: int,
            ceiling: float, keyed: bool = False) -> float:
    place, latencies_ms, conflicts = placing(system, pick, first=clients * 1_000_000 + keyed, keyed=keyed)
    name = f"placeOrder{' with an idempotency key' if keyed else ''}, {label} listing, {clients} thread(s)"
    seconds = scale.current().seconds
    throughput(place, clients, seconds)
    return summarise(report, name, latencies_ms, len(conflicts), seconds, ceiling)


def process_client(url: str, listing_ids: list[str], client: int, ready: object, results: object,
                   seconds: float) -> None:
    """One client process with its own system, placing orders on ``listing_ids`` in turn."""
    os.environ.update(CLIENT_PROCESS_ENV)
    try:
        system = build_system(Settings(database_url=url, env="test"), create_tables=False)
    except BaseException:
        ready.abort()  # type: ignore[attr-defined]  # the others stop waiting at once
        results.put(None)  # type: ignore[attr-defined]
        raise
    try:
        ids = [UUID(i) for i in listing_ids]
        warm_up, _, _ = placing(system, lambda n: ids[n % len(ids)], first=client * 10_000_000 + 9_000_000)
        warm_up(0)  # the first order loads the address tables and fills caches: outside the window
        place, latencies_ms, conflicts = placing(system, lambda n: ids[n % len(ids)], first=client * 10_000_000)
        ready.wait(120)  # type: ignore[attr-defined]
        throughput(place, 1, seconds)
        results.put((latencies_ms, len(conflicts)))  # type: ignore[attr-defined]
    except BaseException:
        results.put(None)  # type: ignore[attr-defined]
        raise
    finally:
        system.close()


def measure_processes(url: str, report: Report, label: str, listing_ids: list[UUID], clients: int,
                      ceiling: float) -> float:
    seconds = scale.current().seconds
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(clients), context.Queue()
    processes = [
        context.Process(target=process_client, args=(url, [str(i) for i in listing_ids], n, ready, results, seconds))
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    gathered = [answer for answer in answers if answer is not None]
    if len(gathered) < clients:
        report(f"placeOrder, {label} listing, {clients} processes: clients that failed (see stderr)",
               clients - len(gathered), "")
    latencies_ms = [ms for run, _ in gathered for ms in run]
    conflicts = sum(c for _, c in gathered)
    return summarise(report, f"placeOrder, {label} listing, {clients} processes", latencies_ms, conflicts, seconds,
                     ceiling)


def run(report: Report) -> None:
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"))
        try:
            spread = listings(system)
            hot = spread[0]
            raw = {}
            for clients in (1, 8):
                raw[clients] = raw_insert_ceiling(url, clients, scale.current().seconds)
                report(f"raw PostgreSQL INSERT+COMMIT, {clients} client(s)", raw[clients], "tx/s")
                for label, pick in (("hot", lambda n: hot), ("spread", lambda n: spread[n % len(spread)])):
                    measure(system, report, label, pick, clients, raw[clients])
                # A keyed order also saves its IdempotentRequest record, in the same transaction.
                measure(system, report, "spread", lambda n: spread[n % len(spread)], clients, raw[clients], keyed=True)
            # As 8 API processes would: the in-process queue for the number sequence no longer helps.
            for label, chosen in (("hot", [hot]), ("spread", spread)):
                measure_processes(url, report, label, chosen, 8, raw[8])
        finally:
            system.close()


def profiled(seconds: float, profiler: cProfile.Profile) -> None:
    """The workload ``PROFILE=1`` profiles for this module: placeOrder on spread listings, 1 thread
    (only the orders run under ``profiler``, not the set-up)."""
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"))
        try:
            spread = listings(system)
            place, _, _ = placing(system, lambda n: spread[n % len(spread)], first=90_000_000)
            profiler.runcall(in_this_thread, place, seconds)
        finally:
            system.close()
