"""SQLite write transactions that begin IMMEDIATE, so a writer waits for another process's writer
instead of failing.

The eventsourcing library's SQLite datastore starts every transaction with a plain ``BEGIN``
(deferred): the transaction takes no lock until its first statement, and a read first takes a read
snapshot. When such a transaction then writes while another process has committed since its
snapshot (WAL mode), SQLite cannot upgrade it and answers ``database is locked`` (SQLITE_BUSY) at
once, without waiting on the busy timeout (https://www.sqlite.org/lang_transaction.html, "Read
transactions" and BEGIN IMMEDIATE; https://www.sqlite.org/wal.html, "Sometimes Queries Return
SQLITE_BUSY In WAL Mode"). ``BEGIN IMMEDIATE`` takes the write lock at the start, and waiting for it
honours the busy timeout (``SQLITE_LOCK_TIMEOUT``, seconds), so two processes writing one file take
turns.

Every write farmgate makes on SQLite goes through this datastore: the event store's recorders and
the read store (``core.database.ReadStore``) share it. Read-only transactions stay deferred, so
readers never wait for writers (WAL). Selected with ``PERSISTENCE_MODULE`` = ``FACTORY_TOPIC``
(``deploy.settings.persistence_env``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTransaction,
)

#: the eventsourcing topic of the factory below, for ``PERSISTENCE_MODULE``
FACTORY_TOPIC = "farmgate.core.sqlite_writes:ImmediateWritesFactory"


class ImmediateWriteTransaction(SQLiteTransaction):
    """A transaction that begins IMMEDIATE when it will commit (writes), deferred when it will not."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE" if self.commit else "BEGIN")
        return cursor


class ImmediateWriteConnection(SQLiteConnection):
    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with ImmediateWriteTransaction(self, commit=commit) as curs, curs:
            yield curs


class ImmediateWritePool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        made = super()._create_connection()
        return ImmediateWriteConnection(sqlite_conn=made._sqlite_conn, max_age=self.max_age)


class ImmediateWriteDatastore(SQLiteDatastore):
    """``SQLiteDatastore`` whose write transactions begin IMMEDIATE; same arguments."""

    def __init__(self, db_name: str, *, lock_timeout: int | None = None, **options: Any):
        super().__init__(db_name, lock_timeout=lock_timeout, **options)
        pool = self.pool  # made by the base class, no connection opened yet: replaced with its settings
        self.pool = ImmediateWritePool(
            db_name=db_name, lock_timeout=lock_timeout, pool_size=pool.pool_size, max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout, max_age=pool.max_age, pre_ping=pool.pre_ping,
        )


class ImmediateWritesFactory(SQLiteFactory):
    """The eventsourcing SQLite infrastructure, on an ``ImmediateWriteDatastore``."""

    def __init__(self, env: Any):
        super().__init__(env)
        made = self.datastore
        self.datastore = ImmediateWriteDatastore(
            made.pool.db_name, lock_timeout=made.pool.lock_timeout, single_row_tracking=made.single_row_tracking,
            originator_id_type=made.originator_id_type,
        )
