"""Two processes writing one SQLite file at once both succeed: a write transaction begins IMMEDIATE
(core/sqlite_writes.py), so a writer waits for the other's on the busy timeout instead of failing
with "database is locked" when the other commits between its first read and its first write.

Each process runs what failed intermittently in full runs (a second System opened on the live
file: the case-file tamper step, the export test's thousand households): read-then-write
transactions on the read store, and event-store saves.

The two processes go in lockstep: a barrier starts every round in both at once, so in each round both
open a read-then-write transaction at the same moment, however busy the machine is (free-running
processes could each run all their rounds while the other waits for a core, and never meet). So the
outcome is exact: in round n the table holds 2n rows, the first writer to commit reads 2n and the
other, which waited for it, reads 2n + 1; a deferred BEGIN would let both read 2n and fail the
second write."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path
from typing import Any

from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings

ROUNDS = 60
TABLE = "concurrent_writes_probe"
#: seconds a process waits at the barrier for the other: generous, the other may be still starting
#: (spawn, imports) on a loaded machine; a process that fails breaks the barrier, so nobody waits it out
MEET_TIMEOUT = 300


def _write(database_url: str, name: str, rounds: Any, results: Any) -> None:
    """One process: ROUNDS rounds, each begun with the other at the barrier, of one read-then-write
    transaction and one event save."""
    done, error = 0, None
    try:
        system = build_system(Settings(database_url=database_url, env="test"), create_tables=False)
        try:
            for n in range(ROUNDS):
                rounds.wait(timeout=MEET_TIMEOUT)
                with system.store.transaction() as cur:
                    # Read first (a deferred BEGIN would take a read snapshot here), then write.
                    seen = cur.execute(f"SELECT COUNT(*) AS n FROM {TABLE}").fetchone()
                    cur.execute(f"INSERT INTO {TABLE} (writer, n, seen) VALUES (%s, %s, %s)", (name, n, seen["n"]))
                system.app.register_export_partner(name=f"Importer {name} {n}", country="CZ")
                done += 1
        finally:
            system.close()
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        error = traceback.format_exc()[-2000:]
        rounds.abort()  # the other process stops waiting for this one
    results.put((name, done, error))


def test_two_processes_writing_one_sqlite_file_at_once_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/farmgate.db"
    system = build_system(Settings(database_url=url, env="test"))  # the tables, made once, as the server does
    with system.store.transaction() as cur:
        cur.execute(f"CREATE TABLE {TABLE} (writer TEXT NOT NULL, n INTEGER NOT NULL, seen INTEGER NOT NULL)")
    context = multiprocessing.get_context("spawn")
    rounds, results = context.Barrier(2), context.Queue()
    writers = [context.Process(target=_write, args=(url, name, rounds, results)) for name in ("a", "b")]
    for process in writers:
        process.start()
    try:
        reported = [results.get(timeout=2 * MEET_TIMEOUT) for _ in writers]
    finally:
        for process in writers:
            process.join(timeout=MEET_TIMEOUT)
            if process.is_alive():
                process.kill()
    assert sorted(reported) == [("a", ROUNDS, None), ("b", ROUNDS, None)]
    rows = system.store.query(f"SELECT writer, n, seen FROM {TABLE} ORDER BY n, writer")
    seen = {(r["writer"], r["n"]): r["seen"] for r in rows}
    assert len(rows) == 2 * ROUNDS
    # Every round, both transactions ran at once and took turns: one read what both had written
    # before the round, the other that and the first one's row, so neither wrote on a stale read.
    assert [sorted((seen["a", n], seen["b", n])) for n in range(ROUNDS)] == [[2 * n, 2 * n + 1] for n in range(ROUNDS)]
    partners = system.store.query("SELECT COUNT(*) AS n FROM stored_events WHERE topic LIKE %s",
                                  ("%:ExportPartner.Registered",))
    assert partners[0]["n"] == 2 * ROUNDS
    system.close()
