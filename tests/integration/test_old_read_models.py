"""Old read-model versions are dropped once the current version has replaced them, and not before:
a database holding version 1 tables (made by hand here, with rows) of projections whose code is at
version 2 loses them — tables, tracking rows, stalls — once version 2 has caught up with the log; the
current rows, the tables that hold state and unrelated tables stay. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from farmgate.core.database import Cursor
from farmgate.core.projections.base import Projection
from farmgate.core.projections.claims import ClaimsView
from farmgate.core.projections.households import HouseholdDirectory
from farmgate.core.projections.old_versions import existing_tables, prune
from farmgate.core.projections.orders import OrdersAndShipments
from farmgate.core.projections.runner import Projector
from farmgate.deploy.container import System
from tests.personal_data import PersonalData

ROOT = Path(__file__).resolve().parents[2]
#: tables no projection owns, as an operator or another tool might keep beside farmgate's
UNRELATED = {"farm_notes_v1": "note", "webhook_deliveries_v1": "delivery"}


def make_old_versions(system: System) -> None:
    """Version 1 of the household directory and of the claims view as an earlier release left them
    (before projection_versions existed): tables with rows, tracking rows, a stall; and unrelated tables."""
    assert HouseholdDirectory.version > 1 and ClaimsView.version > 1 and OrdersAndShipments.version > 2
    with system.store.transaction() as cur:
        cur.execute("CREATE TABLE household_directory_v1 (id TEXT PRIMARY KEY, name TEXT NOT NULL)")
        cur.executemany("INSERT INTO household_directory_v1 VALUES (%s, %s)", [("h-1", "Hộ 1"), ("h-2", "Hộ 2")])
        cur.execute("CREATE INDEX household_directory_v1_name ON household_directory_v1 (name)")
        cur.execute("CREATE TABLE claims_v1 (id TEXT PRIMARY KEY, status TEXT NOT NULL)")
        cur.execute("INSERT INTO claims_v1 VALUES ('c-1', 'OPEN')")
        # a table of the orders' version 2 whose tracking row is gone: known by its name alone
        cur.execute("CREATE TABLE order_lines_v2 (order_id TEXT NOT NULL, line INTEGER NOT NULL)")
        cur.execute("INSERT INTO order_lines_v2 VALUES ('o-1', 1)")
        for name, position in (("household_directory_v1", 3), ("claims_v1", 2)):
            cur.execute("INSERT INTO projection_tracking (name, position, updated_at) VALUES (%s, %s, 't0')",
                        (name, position))
        cur.execute("INSERT INTO projection_stalls (name, position, event_type, error, since, last_attempt, attempts)"
                    " VALUES ('household_directory_v1', 4, 'Household.Registered', 'KeyError', 't0', 't1', 2)")
        for table, value in UNRELATED.items():
            cur.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY)")
            cur.execute(f"INSERT INTO {table} VALUES (%s)", (value,))


def tables(system: System) -> set[str]:
    with system.store.transaction(commit=False) as cur:
        return existing_tables(cur)


def tracking_names(system: System) -> set[str]:
    return {r["name"] for r in system.store.query("SELECT name FROM projection_tracking")}


def count(system: System, table: str) -> int:
    row = system.store.query_one(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


def register(system: System, pd: PersonalData, n: int) -> None:
    system.app.register_household(name=f"Hộ số {n}", national_id=pd.national_id(), phone=pd.phone(),
                                  address={"scheme": 2021, "province_code": "24"})


def caught_up_at(system: System, name: str, version: int) -> str | None:
    row = system.store.query_one("SELECT caught_up_at FROM projection_versions WHERE name = %s AND version = %s",
                                 (name, version))
    return None if row is None else row["caught_up_at"]


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def assert_old_versions_gone_and_the_rest_intact(system: System, households: int) -> None:
    left = tables(system)
    assert not {"household_directory_v1", "claims_v1", "order_lines_v2"} & left
    assert not {"household_directory_v1", "claims_v1"} & tracking_names(system)
    assert system.store.query("SELECT name FROM projection_stalls") == []
    assert system.store.query("SELECT version FROM projection_versions WHERE name IN ('household_directory', 'claims')"
                              " ORDER BY version") == [{"version": 2}, {"version": 2}]
    # every current table is there, with its rows; unrelated and state tables untouched
    assert {t for p in system.projector.projections for t in p.tables} <= left
    assert count(system, "household_directory_v2") == households
    assert {table: [r["id"] for r in system.store.query(f"SELECT id FROM {table}")] for table in UNRELATED} == {
        table: [value] for table, value in UNRELATED.items()}
    assert {"projection_tracking", "projection_stalls", "projection_versions", "idempotency_keys",
            "webhook_deliveries_v2", "webhook_backfills_v1", "personal_data_keys", "household_imports"} <= left


def test_old_versions_are_dropped_once_the_running_projector_has_caught_up(system: System,
                                                                          personal_data: PersonalData) -> None:
    make_old_versions(system)
    for n in range(2):
        register(system, personal_data, n)

    system.projector.start()
    try:
        # the projector records by itself when the current version first reaches the head
        wait_until(lambda: caught_up_at(system, "household_directory", 2) and caught_up_at(system, "claims", 2),
                   30, "the projector to record household_directory v2 and claims v2 as caught up")
    finally:
        system.projector.stop()
    done = prune(system.store, system.projector.projections, system.projector.head())

    assert sorted((old.name, old.version, tuple(old.tables)) for old in done.dropped) == [
        ("claims", 1, ("claims_v1",)), ("household_directory", 1, ("household_directory_v1",)),
        ("orders_and_shipments", 2, ("order_lines_v2",))]
    assert done.kept == [] and done.failed == []
    assert_old_versions_gone_and_the_rest_intact(system, households=2)


def test_old_versions_stay_while_the_current_version_has_not_caught_up(system: System,
                                                                       personal_data: PersonalData) -> None:
    make_old_versions(system)
    register(system, personal_data, 0)  # recorded, not projected: every current version is behind

    done = prune(system.store, system.projector.projections, system.projector.head())

    assert done.dropped == [] and done.failed == []
    head = system.projector.head()
    assert sorted((old.name, old.version, old.position, old.head) for old in done.kept) == [
        ("claims", 1, 0, head), ("household_directory", 1, 0, head), ("orders_and_shipments", 2, 0, head)]
    assert {"household_directory_v1", "claims_v1", "order_lines_v2"} <= tables(system)
    assert count(system, "household_directory_v1") == 2 and count(system, "claims_v1") == 1
    assert {"household_directory_v1", "claims_v1"} <= tracking_names(system)
    assert caught_up_at(system, "household_directory", 2) is None

    # caught up once, then behind again (new events): having reached the head once is enough
    system.catch_up()
    register(system, personal_data, 1)
    assert system.projector.position(system.projector.projections[0]) < system.projector.head()

    done = prune(system.store, system.projector.projections, system.projector.head())

    assert sorted(old.tracking_name for old in done.dropped) == [
        "claims_v1", "household_directory_v1", "orders_and_shipments_v2"]
    assert done.kept == []
    system.catch_up()
    assert_old_versions_gone_and_the_rest_intact(system, households=2)


class Notes(Projection):
    """A projection of the test's own whose version 2 renamed its table (no naming convention
    links the two: only the record of what version 1 made)."""

    name = "test_notes"
    version = 1
    tables = ("notes_by_farm",)

    def ddl(self, dialect: str) -> list[str]:
        return [f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY)" for table in self.tables]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {}


class NotesV2(Notes):
    version = 2
    tables = ("test_notes_v2",)


def test_the_tables_a_version_recorded_are_dropped_but_never_state_or_current_tables(system: System) -> None:
    Projector(system.app, system.store, [Notes()]).create_tables()
    with system.store.transaction() as cur:
        cur.execute("INSERT INTO notes_by_farm VALUES ('n-1')")
        # a record that (wrongly) names tables that hold state and a current projection's table
        cur.execute("UPDATE projection_versions SET tables = tables || ' idempotency_keys webhook_deliveries_v2"
                    " orders_v3 personal_data_keys' WHERE name = 'test_notes' AND version = 1")
    current = Projector(system.app, system.store, [NotesV2()])
    current.create_tables()
    behind = prune(system.store, [*system.projector.projections, NotesV2()], system.projector.head())
    assert [old.tables for old in behind.dropped] == [["notes_by_farm"]]  # head 0: v2 is at the head already

    assert tables(system) >= {"test_notes_v2", "idempotency_keys", "webhook_deliveries_v2", "orders_v3",
                              "personal_data_keys"}
    assert "notes_by_farm" not in tables(system)
    assert "test_notes_v1" not in tracking_names(system) and "test_notes_v2" in tracking_names(system)


def farmgate(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "FARMGATE_ENV": "test", "FARMGATE_DATABASE_URL": url, "FARMGATE_LOG_FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "farmgate.deploy", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_farmgate_projections_prune(system: System, personal_data: PersonalData, backend_url: str) -> None:
    make_old_versions(system)
    register(system, personal_data, 0)

    behind = farmgate("projections", "prune", url=backend_url)

    assert behind.returncode == 1, behind.stderr
    assert "kept household_directory v1 (household_directory_v1): v2 has not caught up yet" in behind.stderr
    assert {"household_directory_v1", "claims_v1"} <= tables(system)

    system.catch_up()
    dry = farmgate("projections", "prune", "--dry-run", url=backend_url)

    assert dry.returncode == 0, dry.stderr
    assert "would drop household_directory v1 (household_directory_v1)" in dry.stderr
    assert {"household_directory_v1", "claims_v1"} <= tables(system)

    done = farmgate("projections", "prune", url=backend_url)

    assert done.returncode == 0, done.stderr
    assert "dropped claims v1 (claims_v1)" in done.stderr
    assert "dropped household_directory v1 (household_directory_v1)" in done.stderr
    assert "dropped orders_and_shipments v2 (order_lines_v2)" in done.stderr
    assert_old_versions_gone_and_the_rest_intact(system, households=1)

    again = farmgate("projections", "prune", url=backend_url)
    assert again.returncode == 0 and "no old read-model versions to drop" in again.stderr, again.stderr
