"""Two processes writing one SQLite file at once both succeed: a write transaction begins IMMEDIATE
(core/sqlite_writes.py), so a writer waits for the other's on the busy timeout instead of failing
with "database is locked" when the other commits between its first read and its first write.

Each process runs what failed intermittently in full runs (a second System opened on the live
file: the case-file tamper step, the export test's thousand households): read-then-write
transactions on the read store, and event-store saves."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path
from typing import Any

from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings

ROUNDS = 60
TABLE = "concurrent_writes_probe"


def _write(database_url: str, name: str, start: Any, results: Any) -> None:
    """One process: wait for the other, then ROUNDS read-then-write transactions and event saves."""
    system = build_system(Settings(database_url=database_url, env="test"), create_tables=False)
    done, error = 0, None
    try:
        start.wait(timeout=60)
        for n in range(ROUNDS):
            with system.store.transaction() as cur:
                # Read first (a deferred BEGIN would take a read snapshot here), then write.
                seen = cur.execute(f"SELECT COUNT(*) AS n FROM {TABLE}").fetchone()
                cur.execute(f"INSERT INTO {TABLE} (writer, n, seen) VALUES (%s, %s, %s)", (name, n, seen["n"]))
            system.app.register_export_partner(name=f"Importer {name} {n}", country="CZ")
            done += 1
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        error = traceback.format_exc()[-2000:]
    finally:
        system.close()
    results.put((name, done, error))


def test_two_processes_writing_one_sqlite_file_at_once_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/farmgate.db"
    system = build_system(Settings(database_url=url, env="test"))  # the tables, made once, as the server does
    with system.store.transaction() as cur:
        cur.execute(f"CREATE TABLE {TABLE} (writer TEXT NOT NULL, n INTEGER NOT NULL, seen INTEGER NOT NULL)")
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    writers = [context.Process(target=_write, args=(url, name, start, results)) for name in ("a", "b")]
    for process in writers:
        process.start()
    reported = [results.get(timeout=180) for _ in writers]
    for process in writers:
        process.join(timeout=60)
    assert sorted(reported) == [("a", ROUNDS, None), ("b", ROUNDS, None)]
    rows = system.store.query(f"SELECT writer, COUNT(*) AS n FROM {TABLE} GROUP BY writer ORDER BY writer")
    assert [(r["writer"], r["n"]) for r in rows] == [("a", ROUNDS), ("b", ROUNDS)]
    # The writers interleaved (else the test proved nothing): each saw some of the other's rows mid-run.
    interleaved = system.store.query(f"SELECT COUNT(*) AS n FROM {TABLE} WHERE seen > n AND seen < n + {ROUNDS}")
    assert interleaved[0]["n"] > 0
    partners = system.store.query("SELECT COUNT(*) AS n FROM stored_events WHERE topic LIKE %s",
                                  ("%:ExportPartner.Registered",))
    assert partners[0]["n"] == 2 * ROUNDS
    system.close()
