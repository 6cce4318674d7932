"""The read store: SQL over the same database (and connection pool) as the event store.

Projections, the idempotency table and other read models write here. SQL is written once with
``%s`` placeholders and portable types; on SQLite the placeholders become ``?``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from farmgate.core.sqlite_writes import ImmediateWriteDatastore


class Cursor:
    """A thin cursor that returns rows as dicts on both dialects."""

    def __init__(self, raw: Any, dialect: str):
        self._raw = raw
        self.dialect = dialect
        self._pipeline: Any = None  # psycopg's Pipeline while ``pipelined`` is open

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        """Within the block, on PostgreSQL, statements are sent without waiting for each one's answer
        (psycopg's pipeline mode): a batch of projection writes costs about one round trip instead of
        one per statement. Reading a result (``fetchone``/``fetchall``/``rowcount``) waits for the
        answers sent so far. A statement's error surfaces at the next wait or when the block ends,
        so it cannot be pinned to the statement that caused it (``core.projections.runner`` applies
        such a batch again, one statement at a time). On SQLite nothing changes."""
        if self.dialect != "postgres":
            yield
            return
        with self._raw.connection.pipeline() as pipeline:
            self._pipeline = pipeline
            try:
                yield
            finally:
                self._pipeline = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if self.dialect == "sqlite":
            sql = sql.replace("%s", "?")
            self._raw.execute(sql, tuple(params))
        else:
            self._raw.execute(sql, tuple(params), prepare=False)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.dialect == "sqlite":
            self._raw.executemany(sql.replace("%s", "?"), [tuple(r) for r in rows])
        else:
            self._raw.executemany(sql, [tuple(r) for r in rows])

    def _sqlite_dicts(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        names = [d[0] for d in self._raw.sqlite_cursor.description or ()]
        return [dict(zip(names, row)) for row in rows]

    def fetchall(self) -> list[dict[str, Any]]:
        rows = self._raw.fetchall()
        return self._sqlite_dicts(rows) if self.dialect == "sqlite" else list(rows)

    def fetchone(self) -> dict[str, Any] | None:
        row = self._raw.fetchone()
        if row is None:
            return None
        return self._sqlite_dicts([row])[0] if self.dialect == "sqlite" else row

    @property
    def rowcount(self) -> int:
        if self._pipeline is not None:
            self._pipeline.sync()  # the count is the server's answer: wait for it
        raw = self._raw.sqlite_cursor if self.dialect == "sqlite" else self._raw
        return int(raw.rowcount)


class OwnConnection:
    """One connection held by its user (``ReadStore.own_connection``), its transactions as ``Cursor``s."""

    def __init__(self, raw: Any, dialect: str):
        self.raw = raw  # psycopg.Connection (autocommit, dict rows) or sqlite3.Connection (autocommit)
        self.dialect = dialect

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Cursor]:
        """One transaction: committed on leaving (rolled back when ``commit`` is False or on an
        error). On SQLite a writing one begins IMMEDIATE, as every farmgate write does."""
        if self.dialect == "postgres":
            with self.raw.transaction(force_rollback=not commit), self.raw.cursor() as raw:
                yield Cursor(raw, "postgres")
            return
        from eventsourcing.sqlite import SQLiteCursor

        raw = self.raw.cursor()
        raw.execute("BEGIN IMMEDIATE" if commit else "BEGIN")
        try:
            yield Cursor(SQLiteCursor(raw), "sqlite")
        except BaseException:
            raw.close()  # its statement reset first: a pending one would hold its table (DROP: "locked")
            self.raw.rollback()
            raise
        raw.close()
        if commit:
            self.raw.commit()
        else:
            self.raw.rollback()


class ReadStore:
    """The read models' SQL, in the event store's database and connection pool: on SQLite its write
    transactions begin IMMEDIATE (``core.sqlite_writes``), so they wait for another process's."""

    def __init__(self, app: Application[Any]):
        datastore = getattr(app.factory, "datastore", None)
        if isinstance(datastore, PostgresDatastore):
            self.dialect = "postgres"
            self._datastore: Any = datastore
        elif isinstance(datastore, SQLiteDatastore):
            self.dialect = "sqlite"
            self._datastore = datastore
        else:
            # Events in memory: read models in an in-memory SQLite database of their own.
            self.dialect = "sqlite"
            self._datastore = ImmediateWriteDatastore(":memory:")

    @contextmanager
    def sqlite_connection(self) -> Iterator[Any]:
        """The writer's own ``sqlite3.Connection``, held exclusively, no transaction open (SQLite only:
        the in-memory read store's migrations, which no other connection can reach)."""
        if self.dialect != "sqlite":
            raise ValueError("sqlite_connection: the read store is not on SQLite")
        with self._datastore.get_connection(commit=True) as connection:
            yield connection._sqlite_conn

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Cursor]:
        with self._datastore.transaction(commit=commit) as raw:
            yield Cursor(raw, self.dialect)

    @contextmanager
    def own_connection(self) -> Iterator[OwnConnection]:
        """A connection of the caller's own, outside the pool, for work whose session state must
        never reach another user of the pool (a rebuild's shadow tables, ``core.projections.rebuild``):
        psycopg's on PostgreSQL, sqlite3's on a SQLite file, closed on leaving. On the in-memory read
        store (``memory://``), which no second connection can reach, the pool's writer connection held
        exclusively: every other reader and writer of the read store waits meanwhile."""
        if self.dialect == "postgres":
            import psycopg
            from psycopg.rows import dict_row

            pg = psycopg.connect(**self.connect_kwargs(), row_factory=dict_row, autocommit=True)
            try:
                yield OwnConnection(pg, "postgres")
            finally:
                pg.close()
        elif self._datastore.pool.is_sqlite_memory_mode:
            with self.sqlite_connection() as held:
                yield OwnConnection(held, "sqlite")
        else:
            import sqlite3

            pool = self._datastore.pool
            lite = sqlite3.connect(pool.db_name, uri=True, isolation_level=None, check_same_thread=False,
                                   timeout=pool.lock_timeout or 5)
            try:
                yield OwnConnection(lite, "sqlite")
            finally:
                lite.close()

    @contextmanager
    def statement(self) -> Iterator[Cursor]:
        """A cursor for ONE statement, which is its own transaction. On PostgreSQL, on a pooled
        connection in autocommit (no BEGIN, no ROLLBACK/COMMIT: a third of the round trips of a
        ``transaction``, and a rolled-back transaction would make psycopg drop the connection's
        prepared statements with ``DEALLOCATE ALL``); on SQLite, a ``transaction`` (committed)."""
        if self.dialect != "postgres":
            with self.transaction() as cur:
                yield cur
            return
        with self._datastore.get_connection() as conn, conn.cursor() as raw:
            yield Cursor(raw, self.dialect)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of one SELECT (one statement: see ``statement``)."""
        if self.dialect != "postgres":
            with self.transaction(commit=False) as cur:
                return cur.execute(sql, params).fetchall()
        with self.statement() as cur:
            return cur.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of one SELECT, or None (one statement: see ``statement``)."""
        if self.dialect != "postgres":
            with self.transaction(commit=False) as cur:
                return cur.execute(sql, params).fetchone()
        with self.statement() as cur:
            return cur.execute(sql, params).fetchone()

    def page_by_position(
        self,
        table: str,
        *,
        after_position: int,
        limit: int,
        equals: Sequence[tuple[str, Any]] = (),
        clauses: Sequence[tuple[str, Any]] = (),
        count: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Rows after a log position, oldest first, and how many match in all (None, and no
        ``COUNT(*)`` statement, when ``count`` is False: a page nobody asked the total of).

        ``equals``: (column, value) pairs, skipped where the value is None; ``clauses``: (SQL with one
        %s, value) or (SQL with several, tuple of values) pairs. Ordering by the position a row was
        created at keeps cursors stable while new rows arrive: they land after every cursor already
        handed out.
        """
        where, params = ["1 = 1"], []
        for column, value in equals:
            if value is not None:
                where.append(f"{column} = %s")
                params.append(str(value))
        for sql, value in clauses:
            where.append(sql)
            if isinstance(value, tuple):
                params.extend(value)
            else:
                params.append(value)
        clause = " AND ".join(where)
        with self.transaction(commit=False) as cur:
            total = None
            if count:
                total = cur.execute(f"SELECT COUNT(*) AS n FROM {table} WHERE {clause}", params).fetchone()
            rows = cur.execute(
                f"SELECT * FROM {table} WHERE {clause} AND position > %s ORDER BY position LIMIT %s",
                [*params, after_position, limit],
            ).fetchall()
        if not count:
            return rows, None
        return rows, int(total["n"]) if total else 0

    def lock_clause(self) -> str:
        """Row lock for a read-then-write in one transaction (SQLite's writer lock already serialises)."""
        return " FOR UPDATE" if self.dialect == "postgres" else ""

    def connect_kwargs(self) -> dict[str, Any]:
        """psycopg ``connect`` keyword arguments of the pool's connections (PostgreSQL only), for a
        connection of one's own outside the pool (a health check, the LISTEN connection)."""
        return {k: v for k, v in self._datastore.pool.kwargs.items() if k != "row_factory"}

    def pool_stats(self) -> dict[str, int] | None:
        """The connection pool's counters and sizes (psycopg-pool's ``ConnectionPool.get_stats``:
        pool_min, pool_max, pool_size, pool_available, requests_waiting, and the cumulative
        requests_*, connections_*, usage_ms, returns_bad; a counter still at 0 may be absent).
        Read from memory, no query. None on SQLite, which has no pool."""
        if self.dialect != "postgres":
            return None
        return dict(self._datastore.pool.get_stats())

    def ping(self, timeout: float = 1.0) -> bool:
        """Whether the database answers ``SELECT 1``. On PostgreSQL over a connection of its own
        (not the pool, which waits and retries), with short connect and statement timeouts: a
        health check must answer about the database, not wait for it."""
        if self.dialect != "postgres":
            return self.query_one("SELECT 1 AS ok") is not None
        import psycopg

        kwargs = self.connect_kwargs()
        # libpq's (and psycopg's) connect timeout is whole seconds, at least 2: the caller bounds the wait.
        with psycopg.connect(**kwargs, connect_timeout=max(2, math.ceil(timeout)),
                             options=f"-c statement_timeout={int(timeout * 1000)}") as conn:
            return conn.execute("SELECT 1").fetchone() is not None
