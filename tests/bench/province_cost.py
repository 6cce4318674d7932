"""What a province costs: storage, events, CPU per household and per order, scaled to one province
and to 63 (``tests/bench/capacity.py`` holds the arithmetic).

Phases, in one scratch database, each measured on its own, 1 client thread:
1. the empty schema's size;
2. ``dataset.generate`` (the province mix) for the scale's households, then every read model caught
   up: storage per household is what grew, less the generated orders at the per-order cost of 3;
3. more orders on the generated listings, each through a lifecycle shaped like the generator's
   (placed; half paid; 80% confirmed; half dispatched with 1–4 checkpoints): placeOrder alone, then
   the rest of the lifecycle, then the projector catching up — storage, events and CPU per order;
4. registerHousehold alone: households/s and CPU per registration (onboarding time).

CPU: this process's ``time.process_time`` (the API's share: the application services and the
driver) and, when the server runs on this machine, the utime + stime of the database's backends
from ``/proc/<pid>/stat`` (PostgreSQL's share, without its background writer, WAL writer,
checkpointer and autovacuum). Without ``/proc`` access the PostgreSQL figure is the wall time of the
phase, an upper bound. pg_stat_statements would split it per statement, but needs
``shared_preload_libraries`` (a server restart), which a bench should not ask of a shared server.
Storage: ``pg_total_relation_size`` of every table (heap, indexes, TOAST), by kind: event store
(tables with ``originator_version``), tracking, read models and other state.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import psycopg
import psycopg.sql

from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.bench import scale
from tests.bench.capacity import Plan, UnitCosts, extrapolate
from tests.bench.dataset import CITIES, CLAIMED, CONFIRMED, DISPATCHED, generate
from tests.bench.pg import raw_insert_ceiling, scratch_database

Report = Callable[..., None]

#: per scale: households the generator writes, extra orders measured through their lifecycle,
#: households registered alone; smoke is sized so page granularity (8 kB) stays a few per cent
SIZES = {"tiny": (8, 10, 5), "smoke": (200, 300, 60), "province": (0, 5_000, 1_000)}
#: the tables that grew most per order, reported one by one
TOP_TABLES = 6
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SIZES_SQL = """
SELECT c.relname, pg_relation_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid),
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'originator_version'
               AND NOT a.attisdropped)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'"""
KINDS = ("event store", "tracking", "read models and other state")


def kind_of(table: str, has_versions: bool) -> str:
    """Which of ``KINDS`` a table belongs to."""
    if has_versions:
        return "event store"
    return "tracking" if "tracking" in table else KINDS[2]


def sizes(conn: psycopg.Connection) -> dict[str, dict[str, int]]:
    """Bytes allocated now, by kind (``KINDS``) and part: ``heap``, ``indexes``, ``toast`` (TOAST with
    its index, free-space and visibility maps), ``total``."""
    out = {k: {"heap": 0, "indexes": 0, "toast": 0, "total": 0} for k in KINDS}
    for table, heap, indexes, total, has_versions in conn.execute(SIZES_SQL).fetchall():
        part = out[kind_of(table, has_versions)]
        part["heap"] += heap
        part["indexes"] += indexes
        part["toast"] += total - heap - indexes
        part["total"] += total
    return out


def table_totals(conn: psycopg.Connection) -> dict[str, int]:
    """Bytes allocated now by each table (``pg_total_relation_size``), by table name."""
    return {table: total for table, _, _, total, _ in conn.execute(SIZES_SQL).fetchall()}


def state_bytes(conn: psycopg.Connection) -> dict[str, float]:
    """Mean bytes of a stored event's ``state`` (the serialised, compressed or encrypted event), by
    event-store table that has rows."""
    out: dict[str, float] = {}
    for (table,) in conn.execute("""SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                                    WHERE c.relkind IN ('r', 'p') AND a.attname = 'state' AND EXISTS (
                                      SELECT 1 FROM pg_attribute v WHERE v.attrelid = c.oid
                                      AND v.attname = 'originator_version')""").fetchall():
        row = conn.execute(psycopg.sql.SQL("SELECT avg(octet_length(state)) FROM {}").format(
            psycopg.sql.Identifier(table))).fetchone()
        if row and row[0] is not None:
            out[table] = float(row[0])
    return out


def total(measured: dict[str, dict[str, int]]) -> int:
    return sum(part["total"] for part in measured.values())


class Backends:
    """CPU seconds the database's client backends (not autovacuum or other workers) used, read from
    ``/proc`` (None when the server's processes are not visible here: another machine or container)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def ticks(self) -> dict[int, int] | None:
        pids = [r[0] for r in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'")]
        own = self.conn.execute("SELECT pg_backend_pid()").fetchone()
        out: dict[int, int] = {}
        for pid in pids + ([own[0]] if own else []):
            try:
                proc = Path(f"/proc/{pid}")
                if proc.joinpath("comm").read_text().strip() != "postgres":
                    return None
                fields = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                if pid == (own[0] if own else None):
                    return None  # even our own backend is invisible: the server is not on this machine
                continue  # a backend that ended since the query
            out[pid] = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
        return out if own and own[0] in out else None

    def used(self, before: dict[int, int] | None, after: dict[int, int] | None) -> float | None:
        """CPU seconds between two ``ticks`` (a backend that started in between counts in full)."""
        if before is None or after is None:
            return None
        own = self.conn.execute("SELECT pg_backend_pid()").fetchone()
        skip = own[0] if own else -1  # the monitor's own backend is not the workload's
        return sum(t - before.get(p, 0) for p, t in after.items() if p != skip) / CLOCK_TICKS


@dataclass
class Spent:
    """What a phase took: wall seconds, this process's CPU seconds, the backends' CPU seconds."""

    wall: float = 0.0
    cpu: float = 0.0
    db: float | None = None

    @property
    def db_bound(self) -> float:
        """The backends' CPU seconds, or the wall time (an upper bound) without ``/proc``."""
        return self.wall if self.db is None else self.db


@contextmanager
def spending(backends: Backends) -> Iterator[Spent]:
    spent = Spent()
    db, wall, cpu = backends.ticks(), time.perf_counter(), time.process_time()
    yield spent
    spent.wall, spent.cpu = time.perf_counter() - wall, time.process_time() - cpu
    spent.db = backends.used(db, backends.ticks())


def events(system: System) -> int:
    return system.projector.head()


def place(system: System, rng: random.Random, listing: UUID, n: int) -> tuple[UUID, int]:
    quantity = rng.randint(1, 10)
    order = system.app.place_order(
        lines=[{"listing_id": listing, "quantity": quantity}],
        buyer={"name": f"Người mua chi phí {n}", "phone": f"03{(500_000 + n) % 100_000_000:08d}",
               "address": {"scheme": 2021, "province_code": rng.choice(CITIES)}},
        payment_method="E_WALLET" if n % 2 else "CASH_ON_DELIVERY")
    return order, quantity


def rest_of_lifecycle(system: System, rng: random.Random, order: UUID, quantity: int, n: int) -> int:
    """Pay (odd ``n``), confirm, dispatch, checkpoints and claim, as often as the generator does;
    the commands it ran."""
    app, commands = system.app, 0
    if n % 2:
        app.record_payment(order, amount={"amount": str(35_000 * quantity), "currency": "VND"},
                           reference=f"CP-{n}", occurred_at=datetime.now(UTC))
        commands += 1
    if rng.random() > CONFIRMED:
        return commands
    app.confirm_order(order)
    commands += 1
    if rng.random() > DISPATCHED / CONFIRMED:
        return commands
    shipment = app.dispatch_order(order, carrier="VNPost", tracking_number=f"CP{n:09d}VN")
    commands += 1
    for k in range(rng.randint(1, 4)):
        app.record_checkpoint(shipment, status="IN_TRANSIT", occurred_at=datetime.now(UTC),
                              location=f"bưu cục {k}")
        commands += 1
    if n % 2 and rng.random() < 2 * CLAIMED / DISPATCHED:
        app.file_claim(order_id=order, kind="LATE_DELIVERY", claimant="BUYER", amount="35000", currency="VND",
                       description="giao muộn", evidence=[{"sha256": f"{n:064x}", "uri": f"https://e.example/c{n}"}])
        commands += 1
    return commands


def run(report: Report) -> None:
    """Measure the unit costs at the scale's sizes, report them, then the extrapolation."""
    chosen = scale.current()
    households, orders, registrations = SIZES.get(chosen.name, SIZES["smoke"])
    households = households or chosen.households
    rng = random.Random(15)
    with scratch_database() as url, psycopg.connect(url, autocommit=True) as monitor:
        backends = Backends(monitor)
        system = build_system(Settings(database_url=url, env="test"))
        try:
            empty = sizes(monitor)
            with spending(backends) as generating:
                made = generate(system, households)
                system.catch_up()
            generated, tables_generated = sizes(monitor), table_totals(monitor)
            generated_events = events(system)
            report(f"generated {households:,} households, {len(made.orders):,} orders (1 thread, with catch-up)",
                   generating.wall, "s")

            # orders through their lifecycle, each part measured on its own
            listings = made.listings
            started_at = events(system)
            placed: list[tuple[UUID, int]] = []
            with spending(backends) as placing:
                for n in range(orders):
                    placed.append(place(system, rng, listings[n % len(listings)], n))
            placed_events = events(system) - started_at
            commands = orders
            with spending(backends) as living:
                for n, (order, quantity) in enumerate(placed):
                    commands += rest_of_lifecycle(system, rng, order, quantity, n)
            lifecycle_events = events(system) - started_at
            with spending(backends) as projecting:
                system.catch_up()
            ordered, ordered_events = sizes(monitor), events(system)
            tables_ordered, states = table_totals(monitor), state_bytes(monitor)
            order_bytes = (total(ordered) - total(generated)) / orders
            household_bytes = (total(generated) - total(empty) - len(made.orders) * order_bytes) / households

            # registrations alone
            with spending(backends) as registering:
                for n in range(registrations):
                    system.app.register_household(
                        name=f"Hộ chi phí {n}", national_id=f"077{n:09d}", phone=f"09{70_000_000 + n:08d}",
                        address={"scheme": 2021, "province_code": "77"})
        finally:
            system.close()
        raw_1 = raw_insert_ceiling(url, 1, chosen.seconds)
        raw_8 = raw_insert_ceiling(url, 8, chosen.seconds)

    db_source = "PostgreSQL backends' CPU (/proc)" if placing.db is not None else \
        "PostgreSQL: no /proc access, wall time as the bound"
    report(f"storage measured from: {households:,} households, {orders:,} extra orders; {db_source}", 1, "")
    for kind in KINDS:
        for part in ("heap", "indexes", "toast"):
            grew = ordered[kind][part] - generated[kind][part]
            report(f"storage per order lifecycle: {kind}, {part}", grew / orders, "bytes/order")
    report("storage per order lifecycle, everything", order_bytes, "bytes/order")
    grown = sorted(tables_ordered, key=lambda t: tables_generated.get(t, 0) - tables_ordered[t])[:TOP_TABLES]
    for table in grown:
        report(f"storage per order lifecycle: table {table}",
               (tables_ordered[table] - tables_generated.get(table, 0)) / orders, "bytes/order")
    report("storage per household (storefront share, listings; no orders)", household_bytes, "bytes/household")
    for table, mean in states.items():
        report(f"stored event state, mean size ({table})", mean, "bytes/event")
    everything = total(ordered) - total(empty)
    report("storage per event recorded (all tables / events in the log)", everything / ordered_events, "bytes/event")
    report("events per placeOrder", placed_events / orders, "events/order")
    report("events per order lifecycle", lifecycle_events / orders, "events/order")
    report("write commands per order lifecycle", commands / orders, "commands/order")
    report("events per generated household (its mix)", generated_events / households, "events/household")

    report("placeOrder, 1 thread", orders / placing.wall, "orders/s")
    report("placeOrder wall time", placing.wall / orders * 1000, "ms/order")
    report("placeOrder CPU, API process", placing.cpu / orders * 1000, "ms/order")
    report("placeOrder CPU, PostgreSQL", placing.db_bound / orders * 1000, "ms/order")
    report("rest of the lifecycle wall time", living.wall / orders * 1000, "ms/order")
    report("order lifecycle CPU, API process", (placing.cpu + living.cpu) / orders * 1000, "ms/order")
    report("order lifecycle CPU, PostgreSQL", (placing.db_bound + living.db_bound) / orders * 1000, "ms/order")
    report("projector catching up, 1 thread", lifecycle_events / projecting.wall, "events/s")
    report("projector CPU", projecting.cpu / lifecycle_events * 1000, "ms/event")
    report("projector's PostgreSQL CPU", projecting.db_bound / lifecycle_events * 1000, "ms/event")
    report("registerHousehold, 1 thread", registrations / registering.wall, "households/s")
    report("registerHousehold CPU, API process",
           registering.cpu / registrations * 1000, "ms/household")
    report("registerHousehold CPU, PostgreSQL", registering.db_bound / registrations * 1000, "ms/household")
    plan = Plan()
    report(f"registering one province ({plan.households:,} households) at the 1-thread rate",
           plan.households / (registrations / registering.wall) / 3600, "hours")
    report("raw PostgreSQL INSERT+COMMIT, 1 client", raw_1, "tx/s")
    report("raw PostgreSQL INSERT+COMMIT, 8 clients", raw_8, "tx/s")

    costs = UnitCosts(
        household_bytes=household_bytes, order_bytes=order_bytes, events_per_order=lifecycle_events / orders,
        commands_per_order=commands / orders, api_cpu_s=(placing.cpu + living.cpu) / orders,
        db_cpu_s=(placing.db_bound + living.db_bound) / orders,
        projector_cpu_s_per_event=projecting.cpu / lifecycle_events,
        db_cpu_s_per_projected_event=projecting.db_bound / lifecycle_events)
    for need in extrapolate(costs, plan):
        ceiling = raw_8 if need.unit == "tx/s" else None
        report(need.name, need.value, need.unit, ceiling=ceiling)
