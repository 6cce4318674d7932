"""`farmgate migrate`: a database made before migrations existed is adopted without losing a row, a
database that is behind is refused in production, and migrating twice changes nothing; on SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from farmgate.core.schema_migrations import SchemaBehind, migrate, migrations, pending
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "FARMGATE_ENV": "production",
    "FARMGATE_JWT_SECRET": "s" * 40,
    "FARMGATE_PII_PEPPER": "p" * 40,
    "FARMGATE_AUDIT_SIGNING_KEY": "a7" * 32,
    "FARMGATE_DATA_KEY": "k" * 40,
    "FARMGATE_JWT_ISSUERS": '[{"issuer": "https://id.postmart.example", "jwks": "/nowhere.json", "roles": ["MARKETPLACE"]}]',
}

#: the tables that hold state exactly as main created them at boot before migrations existed (frozen
#: here: the previous version of the schema), one row each as the application wrote them
PREVIOUS_VERSION = [
    ("CREATE TABLE IF NOT EXISTS projection_tracking ("
     " name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
     "INSERT INTO projection_tracking VALUES ('orders_v3', 42, '2021-06-01T00:00:00+00:00')"),
    ("CREATE TABLE IF NOT EXISTS projection_stalls ("
     " name TEXT PRIMARY KEY, position BIGINT NOT NULL, event_type TEXT NOT NULL, error TEXT NOT NULL,"
     " since TEXT NOT NULL, last_attempt TEXT NOT NULL, attempts INTEGER NOT NULL)",
     "INSERT INTO projection_stalls VALUES ('orders_v3', 43, 'Order.Paid', 'boom', 't0', 't1', 3)"),
    ("""CREATE TABLE IF NOT EXISTS idempotency_keys (
        caller TEXT NOT NULL, idempotency_key TEXT NOT NULL, operation TEXT NOT NULL, request_hash TEXT NOT NULL,
        response TEXT, created_at TEXT NOT NULL, lease_until DOUBLE PRECISION, PRIMARY KEY (caller, idempotency_key))""",
     "INSERT INTO idempotency_keys VALUES ('MARKETPLACE:postmart', 'k-1', 'placeOrder', 'h', '{}', 't0', NULL)"),
    ("""CREATE TABLE IF NOT EXISTS audit_anchors (
        sequence BIGINT PRIMARY KEY, anchor TEXT NOT NULL, anchor_hash TEXT NOT NULL, signature TEXT NOT NULL,
        after_position BIGINT NOT NULL, last_position BIGINT NOT NULL, sealed_at TEXT NOT NULL)""",
     "INSERT INTO audit_anchors VALUES (1, '{}', 'ab', 'sig', 0, 10, 't0')"),
    ("""CREATE TABLE IF NOT EXISTS audit_anchor_leaves (
        position BIGINT PRIMARY KEY, anchor_sequence BIGINT NOT NULL, aggregate_id TEXT NOT NULL,
        version BIGINT NOT NULL, leaf TEXT NOT NULL, leaf_index BIGINT NOT NULL, proof TEXT NOT NULL)""",
     "INSERT INTO audit_anchor_leaves VALUES (1, 1, 'a', 1, 'leaf', 0, '[]')"),
    ("""CREATE TABLE IF NOT EXISTS household_imports (
        id TEXT PRIMARY KEY, actor TEXT NOT NULL, province TEXT, file_name TEXT NOT NULL, file_sha256 TEXT NOT NULL,
        file_bytes BIGINT NOT NULL, dry_run INTEGER NOT NULL, status TEXT NOT NULL, rows_total INTEGER NOT NULL,
        records_read INTEGER NOT NULL DEFAULT 0, imported INTEGER NOT NULL DEFAULT 0,
        already_registered INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0, lease_token TEXT, lease_until DOUBLE PRECISION,
        request_id TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT)""",
     "INSERT INTO household_imports (id, actor, file_name, file_sha256, file_bytes, dry_run, status, rows_total,"
     " request_id, created_at) VALUES ('j-1', 'ADMIN:x', 'a.csv', 'ff', 10, 0, 'PENDING', 2, 'r', 't0')"),
    ("""CREATE TABLE IF NOT EXISTS household_import_chunks (
        import_id TEXT NOT NULL, seq INTEGER NOT NULL, content TEXT NOT NULL, PRIMARY KEY (import_id, seq))""",
     "INSERT INTO household_import_chunks VALUES ('j-1', 0, 'a,b')"),
    ("""CREATE TABLE IF NOT EXISTS household_import_errors (
        import_id TEXT NOT NULL, row_number INTEGER NOT NULL, column_name TEXT NOT NULL, code TEXT NOT NULL,
        message TEXT NOT NULL, PRIMARY KEY (import_id, row_number))""",
     "INSERT INTO household_import_errors VALUES ('j-1', 2, 'phone', 'INVALID', 'bad')"),
    ("""CREATE TABLE IF NOT EXISTS household_import_seen (
        import_id TEXT NOT NULL, household_id TEXT NOT NULL, row_number INTEGER NOT NULL,
        PRIMARY KEY (import_id, household_id))""",
     "INSERT INTO household_import_seen VALUES ('j-1', 'h-1', 1)"),
    ("""CREATE TABLE IF NOT EXISTS webhook_deliveries_v2 (
        id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL, event_id TEXT NOT NULL, partner_id TEXT, marketplace TEXT,
        created_by TEXT, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, export_order_id TEXT, order_id TEXT,
        aggregate_id TEXT NOT NULL, aggregate_version INTEGER NOT NULL, event_type TEXT NOT NULL,
        topic TEXT NOT NULL, position BIGINT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
        last_error TEXT, next_attempt_at TEXT NOT NULL, queued_until TEXT, lease_until TEXT, lease_token TEXT,
        delivered_at TEXT, created_at TEXT NOT NULL, UNIQUE (endpoint_id, event_id))""",
     "INSERT INTO webhook_deliveries_v2 (id, endpoint_id, event_id, subject_kind, subject_id, aggregate_id,"
     " aggregate_version, event_type, topic, position, status, attempts, next_attempt_at, created_at)"
     " VALUES ('d-1', 'e-1', 'a:1', 'ORDER', 's', 'a', 1, 'Order.Placed', 'order.placed', 7, 'PENDING', 0, 't0', 't0')"),
    ("""CREATE TABLE IF NOT EXISTS webhook_backfills_v1 (
        endpoint_id TEXT NOT NULL, until_position BIGINT NOT NULL, after_position BIGINT NOT NULL,
        next_after BIGINT NOT NULL, done INTEGER NOT NULL, PRIMARY KEY (endpoint_id, until_position))""",
     "INSERT INTO webhook_backfills_v1 VALUES ('e-1', 100, 0, 50, 0)"),
]
STATE_TABLES = [create.split("EXISTS ", 1)[1].split(" ", 1)[0] for create, _ in PREVIOUS_VERSION]


@contextmanager
def connected(url: str) -> Iterator[Any]:
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(url[len("sqlite:///"):])
    else:
        conn = psycopg.connect(url)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def make_previous_version(url: str) -> None:
    with connected(url) as conn:
        for create, insert in PREVIOUS_VERSION:
            conn.execute(create)
            conn.execute(insert)


def rows_of(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with connected(url) as conn:
        return {table: sorted(tuple(row) for row in conn.execute(f"SELECT * FROM {table}").fetchall())
                for table in STATE_TABLES}


def schema_of(url: str) -> list[tuple[Any, ...]]:
    """Every table, column and index (yoyo's own included), to compare before and after."""
    with connected(url) as conn:
        if url.startswith("sqlite"):
            return sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
        return sorted(conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
        ).fetchall()) + sorted(conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
                               .fetchall())


def farmgate(*args: str, url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env, "FARMGATE_DATABASE_URL": url, "FARMGATE_LOG_FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "farmgate.deploy", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_a_database_at_the_previous_version_is_upgraded_without_losing_a_row(backend_url: str) -> None:
    make_previous_version(backend_url)
    before = rows_of(backend_url)
    assert all(before.values()), before
    assert pending(backend_url) == [m.id for m in migrations()]

    applied = migrate(backend_url)

    assert applied == ["0001_state_tables", "0002_postgres_extensions", "0003_personal_data_keys",
                       "0004_projection_versions"]
    assert pending(backend_url) == []
    assert rows_of(backend_url) == before
    # and the application boots on it (development: nothing left to apply) and still sees the rows
    system = build_system(Settings(database_url=backend_url, env="test"))
    try:
        assert system.store.query("SELECT position FROM projection_tracking WHERE name = 'orders_v3'") == [
            {"position": 42}]
    finally:
        system.close()


def test_an_idempotency_table_from_before_leases_gains_its_lease_column(backend_url: str) -> None:
    with connected(backend_url) as conn:
        conn.execute("CREATE TABLE idempotency_keys (caller TEXT NOT NULL, idempotency_key TEXT NOT NULL,"
                     " operation TEXT NOT NULL, request_hash TEXT NOT NULL, response TEXT, created_at TEXT NOT NULL,"
                     " PRIMARY KEY (caller, idempotency_key))")
        conn.execute("INSERT INTO idempotency_keys VALUES ('c', 'k', 'op', 'h', NULL, 't0')")
    migrate(backend_url)
    with connected(backend_url) as conn:
        assert [tuple(r) for r in conn.execute("SELECT caller, lease_until FROM idempotency_keys").fetchall()] == [
            ("c", None)]


def test_migrate_twice_is_a_no_op(backend_url: str) -> None:
    first = farmgate("migrate", url=backend_url, env={"FARMGATE_ENV": "test"})
    assert first.returncode == 0, first.stderr
    assert "applied 0001_state_tables" in first.stderr
    schema = schema_of(backend_url)

    second = farmgate("migrate", url=backend_url, env={"FARMGATE_ENV": "test"})

    assert second.returncode == 0, second.stderr
    assert "0 migration(s) applied; the database is current" in second.stderr
    assert migrate(backend_url) == []
    assert schema_of(backend_url) == schema


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"], ["projector"]])
def test_production_refuses_to_start_on_a_database_that_is_behind(backend_url: str, command: list[str]) -> None:
    make_previous_version(backend_url)
    before = rows_of(backend_url)

    refused = farmgate(*command, url=backend_url, env=PRODUCTION)

    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "farmgate migrate" in refused.stderr and "0001_state_tables" in refused.stderr
    assert "Traceback" not in refused.stderr
    # refused means changed nothing: still behind, rows as they were
    assert pending(backend_url) == ["0001_state_tables", "0002_postgres_extensions", "0003_personal_data_keys",
                                    "0004_projection_versions"]
    assert rows_of(backend_url) == before


def test_production_refuses_a_database_one_migration_behind_until_migrate_runs(backend_url: str) -> None:
    from yoyo.connections import get_backend

    from farmgate.core.schema_migrations import MIGRATION_TABLE, yoyo_uri

    backend = get_backend(yoyo_uri(backend_url), MIGRATION_TABLE)
    try:
        backend.apply_migrations(backend.to_apply(migrations()).filter(lambda m: m.id == "0001_state_tables"))
    finally:
        backend.connection.close()
    production = Settings.from_env({**PRODUCTION, "FARMGATE_DATABASE_URL": backend_url})
    with pytest.raises(SchemaBehind) as behind:
        build_system(production)
    assert behind.value.pending == ["0002_postgres_extensions", "0003_personal_data_keys", "0004_projection_versions"]

    done = farmgate("migrate", url=backend_url, env=PRODUCTION)

    assert done.returncode == 0, done.stderr
    assert pending(backend_url) == []
    build_system(production).close()


def test_a_database_at_the_previous_migration_gains_the_projection_versions_without_losing_a_row(
        backend_url: str) -> None:
    from yoyo.connections import get_backend

    from farmgate.core.schema_migrations import MIGRATION_TABLE, yoyo_uri

    backend = get_backend(yoyo_uri(backend_url), MIGRATION_TABLE)
    try:
        backend.apply_migrations(backend.to_apply(migrations()).filter(lambda m: m.id != "0004_projection_versions"))
    finally:
        backend.connection.close()
    make_previous_version(backend_url)  # the tables exist: one row each, as the application wrote them
    before = rows_of(backend_url)
    assert pending(backend_url) == ["0004_projection_versions"]

    assert migrate(backend_url) == ["0004_projection_versions"]

    assert pending(backend_url) == [] and rows_of(backend_url) == before
    with connected(backend_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM projection_versions").fetchone()[0] == 0
