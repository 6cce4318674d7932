"""SQL statements and round trips per ``placeOrder`` and per ``registerHousehold`` on PostgreSQL.

Counted from libpq's own protocol trace (``PQtrace``, through psycopg's ``pgconn.trace``) on every
connection the system opens, so BEGIN/COMMIT, pool checks and prepared-statement traffic all count:
- a *statement* is a simple ``Query`` message or an extended-protocol ``Execute`` (BEGIN and COMMIT
  included; they are also counted apart, as *transaction control*);
- a *round trip* is a turn of the conversation: the client sends, then the server answers — in the
  trace, a server line right after a client line (a pipeline of several statements is one turn).
Counting assumes one connection is in use at a time (one thread).
These have no ceiling measured in the run; the rows carry the issue's goal instead (≤ 6 statements
per placeOrder).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.bench import scale
from tests.bench.orders import HANOI, listings
from tests.bench.pg import scratch_database

STATEMENT_MESSAGES = {"Query", "Execute"}
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def traced_connections(path: Path) -> Iterator[None]:
    """Every psycopg connection opened inside the block writes libpq's protocol trace to ``path``."""
    original = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]
    handle = path.open("w")

    def connect(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        conn = original(cls, *args, **kwargs)
        conn.pgconn.trace(handle.fileno())
        conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        return conn

    psycopg.Connection.connect = classmethod(connect)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        psycopg.Connection.connect = classmethod(original)  # type: ignore[method-assign,assignment]
        handle.close()


def conversation(trace: str) -> Counter[str]:
    """Counts from a libpq trace (lines ``F|B <length> <Type> <contents>``): client messages by
    type, ``round trips`` (server lines right after client lines) and ``transaction control``
    (BEGIN/COMMIT/ROLLBACK sent as a Query or parsed)."""
    counts: Counter[str] = Counter()
    previous = ""
    for line in trace.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or fields[0] not in ("F", "B"):
            continue
        if fields[0] == "F":
            kind = fields[2].split(" ")[0]
            counts[kind] += 1
            if kind in ("Query", "Parse") and len(fields) > 3:
                sql = fields[3].split('"')[-2] if kind == "Query" else fields[3].split('"')[3]
                if sql.strip().upper().startswith(TRANSACTION_CONTROL):
                    counts["transaction control"] += 1
        elif previous == "F":
            counts["round trips"] += 1
        previous = fields[0]
    return counts


def count(path: Path, work: Callable[[int], None], times: int) -> tuple[float, float, float]:
    """Statements, of them transaction control, and round trips per call of ``work``, from the
    trace written while it ran."""
    before = path.stat().st_size
    for n in range(times):
        work(n)
    with path.open(errors="replace") as handle:
        handle.seek(before)
        counts = conversation(handle.read())
    statements = sum(counts[m] for m in STATEMENT_MESSAGES)
    return statements / times, counts["transaction control"] / times, counts["round trips"] / times


def run(report: Callable[..., None]) -> None:
    """Count statements and round trips of placeOrder (spread listings, with and without an
    idempotency key) and registerHousehold, on one thread after a warm-up."""
    times = max(5, scale.current().samples // 4)
    with scratch_database() as url, tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "libpq.trace"
        with traced_connections(path):
            system = build_system(Settings(database_url=url, env="test"))
            try:
                spread = listings(system)
                app = system.app

                def place(n: int, key: str | None = None) -> None:
                    with app.idempotent(key):
                        app.place_order(lines=[{"listing_id": spread[n % len(spread)], "quantity": 1}],
                                        buyer={"name": f"Người mua {n}", "phone": f"03{n:08d}", "address": HANOI},
                                        payment_method="CASH_ON_DELIVERY")

                def register(n: int) -> None:
                    app.register_household(name=f"Hộ đếm {n}", national_id=f"031{n:09d}", phone=f"0988{n:06d}",
                                           address={"scheme": 2021, "province_code": "20"})

                count(path, place, 3)  # warm-up: caches, prepared statements
                for name, work in (("placeOrder (spread listings)", place),
                                   ("placeOrder with an idempotency key", lambda n: place(n + 10_000, f"stmt-{n}")),
                                   ("registerHousehold", register)):
                    statements, control, trips = count(path, work, times)
                    report(f"{name}: SQL statements per call", statements, "statements",
                           goal=6 if name.startswith("placeOrder") else None)
                    report(f"{name}: of them BEGIN/COMMIT/ROLLBACK", control, "statements")
                    report(f"{name}: round trips per call", trips, "round trips")
            finally:
                system.close()
