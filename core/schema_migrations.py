"""The schema's versions: the migrations of ``core/migrations`` applied with yoyo-migrations
(https://ollycope.com/software/yoyo/latest/), the same files on SQLite and PostgreSQL.

Each migration file is frozen once released: a change of schema is a new file (data files, not a
package: yoyo reads every ``*.py`` there by path). Read models are not migrated: they are versioned
tables rebuilt from the event log (``core/projections``).

yoyo records each applied migration in its own tables (``_yoyo_migration``, ``_yoyo_log``, …) in
the same database. ``farmgate migrate`` applies the pending ones; ``serve``, ``worker`` and
``projector`` refuse a database that is behind in production, and migrate it themselves elsewhere
(``ensure_current``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from yoyo import read_migrations
from yoyo.backends.base import DatabaseBackend
from yoyo.backends.core.sqlite3 import SQLiteBackend
from yoyo.connections import get_backend, get_backend_class, parse_uri
from yoyo.migrations import MigrationList

#: the migration files, applied in name order
MIGRATIONS_DIRECTORY = Path(__file__).with_name("migrations")
#: yoyo's record of applied migrations (its default name)
MIGRATION_TABLE = "_yoyo_migration"
#: seconds ``farmgate migrate`` waits for another process's migration to finish
LOCK_TIMEOUT_SECONDS = 60


class SchemaBehind(Exception):
    """The database lacks migrations this code needs: ``pending`` are their ids, oldest first."""

    def __init__(self, pending: list[str]):
        self.pending = pending
        super().__init__(
            f"the database schema is behind this version of farmgate ({len(pending)} migration(s) pending: "
            f"{', '.join(pending)}); run `farmgate migrate` first")


def migrations() -> MigrationList:
    """Every migration this code knows, in the order they apply."""
    return read_migrations(str(MIGRATIONS_DIRECTORY))


def yoyo_uri(database_url: str) -> str:
    """FARMGATE_DATABASE_URL in yoyo's form: PostgreSQL through psycopg 3 (``postgresql+psycopg``),
    query parameters (sslmode, …) kept; ``sqlite:///path`` unchanged. Raises ValueError on ``memory://``
    (its read models live in the process: see ``migrate_connection``)."""
    parts = urlsplit(database_url)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(scheme="postgresql+psycopg"))
    if parts.scheme == "sqlite":
        return database_url
    raise ValueError(f"no migrations for a {parts.scheme}:// database")


def _unconnected_backend(database_url: str) -> DatabaseBackend:
    """A backend that only reads: yoyo's ``get_backend`` writes (its lock table, a DDL probe)."""
    parsed = parse_uri(yoyo_uri(database_url))
    return get_backend_class(parsed.scheme.lower())(parsed, MIGRATION_TABLE)


def pending(database_url: str) -> list[str]:
    """The ids of the migrations not applied to the database yet, oldest first; reads only."""
    backend = _unconnected_backend(database_url)
    try:
        known = migrations()
        if MIGRATION_TABLE not in backend.list_tables():
            return [m.id for m in known]
        return [m.id for m in backend.to_apply(known)]
    finally:
        backend.connection.close()


def migrate(database_url: str) -> list[str]:
    """Apply every pending migration, each in its own transaction, under yoyo's lock (another
    process migrating at the same time is waited for). Returns the ids applied; [] when current.
    Raises yoyo's LockTimeout after LOCK_TIMEOUT_SECONDS, the driver's error on a failed step."""
    backend = get_backend(yoyo_uri(database_url), MIGRATION_TABLE)
    try:
        with backend.lock(timeout=LOCK_TIMEOUT_SECONDS):
            todo = backend.to_apply(migrations())
            backend.apply_migrations(todo)
            return [m.id for m in todo]
    finally:
        backend.connection.close()


class _SharedSQLiteBackend(SQLiteBackend):
    """yoyo on a connection the process already holds (``memory://``: read models in an in-memory
    SQLite database that no other connection can open)."""

    def __init__(self, connection: sqlite3.Connection):
        self._given = connection
        super().__init__(parse_uri("sqlite:///:memory:"), MIGRATION_TABLE)

    def connect(self, dburi: Any) -> sqlite3.Connection:
        return self._given

    def copy(self) -> _SharedSQLiteBackend:
        # yoyo runs each migration on a copy, then closes it: here the copy shares the one connection
        return _SharedSQLiteBackend(self._given)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        # SQLiteBackend.__exit__ without closing the connection (the read store's own)
        self.driver.converters = self._saved_converters
        self.driver.adapters = self._saved_adapters


def migrate_connection(connection: sqlite3.Connection) -> list[str]:
    """Apply every pending migration on an open SQLite connection (the in-memory read store);
    the connection stays open. Returns the ids applied."""
    backend = _SharedSQLiteBackend(connection)
    backend.init_database()
    todo = backend.to_apply(migrations())
    backend.apply_migrations(todo)
    return [m.id for m in todo]
