"""Rebuilding a read model beside the live one, and switching to it in one transaction: no outage.

While a rebuild replays the event log into new (shadow) tables, the live projector keeps the live
tables current and every reader keeps reading them. Once the shadow has caught up with the head, one
transaction finishes the last events while holding the live projector back, puts the shadow tables
in place of the live ones and sets the projection's tracking position: a reader sees the whole old
read model or the whole new one, never a partial one.

Where the shadow tables live, so the projection's handlers and DDL (which name tables by their module
constants) write them unchanged, on the rebuild's own connection (``ReadStore.own_connection``):

* PostgreSQL: a schema of their own, ``farmgate_rebuild_<tracking name>``, first on the connection's
  search_path (then the live path, so tables the projection only reads or keeps as state — webhook
  deliveries — are the live ones, as in a rebuild in place). Only the projection's tables and their
  indexes are made there; its other DDL (``catalog.FOLD_FUNCTION``) stays in the live schema, where
  every process made it at boot, so nothing ever refers to an object of the shadow schema. The
  switch locks the tracking row (``FOR UPDATE``, which the projector takes before every batch), then
  drops the live tables and moves the shadow ones in (``ALTER TABLE … SET SCHEMA``, indexes
  included). A session advisory lock keeps two rebuilds of one projection apart.
* SQLite: TEMP tables of the same names, which the connection finds before the main database's;
  at the switch, within the write lock (``BEGIN IMMEDIATE``, which holds the projector and every
  writer back), once no event is newer than the shadow's, the live tables are dropped and made again
  and the rows copied in from the TEMP ones. (The last events are applied just before, outside the
  lock: see ``ShadowRebuild.switch``.) On the in-memory read store (``memory://``) the rebuild holds
  the store's one connection throughout, so readers wait for it instead.

A crash leaves the live tables untouched: TEMP tables go with their connection, and a shadow schema
left behind is dropped when the next rebuild of that projection starts. A projection that stops at
an event it cannot apply during the rebuild is abandoned there — its live tables stay as they are —
and the stall is returned, not recorded (the live projection has not stopped).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from farmgate.core.application import utc_now
from farmgate.core.database import Cursor, OwnConnection
from farmgate.core.log_batch import LogBatch
from farmgate.core.log_listener import PROGRESS_CHANNEL
from farmgate.core.projections.base import Projection
from farmgate.core.projections.runner import PipelineFailed, Projector, apply_events
from farmgate.core.projections.stalls import EventFailed, Stall, describe

log = structlog.get_logger("farmgate.rebuild")

#: a DDL statement's verb and object: CREATE [OR REPLACE] [UNIQUE] TABLE|INDEX|FUNCTION …
_CREATE = re.compile(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?(\w+)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)"
                     r"(?:\s+ON\s+(\w+))?", re.IGNORECASE)
#: prefix of a SQLite TEMP table while its rows are copied into the live one
_SET_ASIDE = "farmgate_rebuilt_"


class RebuildBusy(Exception):
    """Another rebuild of the same projection is running (PostgreSQL)."""


@dataclass(frozen=True)
class RebuildOutcome:
    """What became of a rebuild: switched in at ``position``, or stopped by ``stall`` (live kept)."""

    tracking_name: str
    position: int
    stall: Stall | None

    @property
    def switched(self) -> bool:
        return self.stall is None


class _ShadowDDL(Cursor):
    """``projection.create`` aimed at the shadow: tables (TEMP on SQLite) and their indexes only;
    other objects (functions) are the live schema's. A table the projection does not declare in
    ``tables`` is refused: it would not be switched in."""

    def __init__(self, inner: Cursor, tables: Sequence[str]) -> None:
        super().__init__(inner._raw, inner.dialect)  # the same cursor, filtered
        self.tables = set(tables)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        created = _CREATE.match(sql)
        if created is not None:
            kind, name, on = created.group(1).upper(), created.group(2), created.group(3)
            if kind not in ("TABLE", "INDEX"):
                return self  # made in the live schema at boot; the shadow's tables use it from there
            if (on if kind == "INDEX" else name) not in self.tables:
                raise ValueError(f"{name}: not one of the projection's tables, so it would not be switched in")
            if kind == "TABLE" and self.dialect == "sqlite":
                sql = re.sub(r"CREATE\s+TABLE", "CREATE TEMP TABLE", sql, count=1, flags=re.IGNORECASE)
        return super().execute(sql, params)


class ShadowRebuild:
    """One rebuild of ``projection`` on ``connection`` (the caller's own), driven step by step:
    ``start`` (shadow tables made, empty), ``step`` (one batch of the log into them) until it
    returns 0, then ``switch``; ``abandon`` drops the shadow. ``position``: the last event the
    shadow holds; ``stall``: the event it stopped at, if it did."""

    def __init__(self, projector: Projector, projection: Projection, connection: OwnConnection,
                 batch_size: int | None = None) -> None:
        self.projector = projector
        self.projection = projection
        self.connection = connection
        self.dialect = connection.dialect
        self.batch_size = batch_size or projector.batch_size
        self.position = 0
        self.stall: Stall | None = None
        self.schema = f"farmgate_rebuild_{projection.tracking_name}"
        self._live_schema = "public"
        self._handlers = projection.handlers()
        self._owned = False  # whether this rebuild holds the shadow (not refused as a second one)

    # -- steps -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Make the shadow tables, empty (a leftover shadow of a crashed rebuild is dropped first).
        Raises ``RebuildBusy`` when another rebuild of this projection holds it (PostgreSQL)."""
        if self.dialect == "postgres":
            with self.connection.transaction() as cur:
                locked = cur.execute("SELECT pg_try_advisory_lock(hashtext(%s)) AS locked",
                                     (f"farmgate_rebuild:{self.projection.tracking_name}",)).fetchone()
                if not locked or not locked["locked"]:
                    raise RebuildBusy(f"another rebuild of {self.projection.tracking_name} is running")
                self._owned = True
                row = cur.execute("SELECT current_schema() AS live, current_setting('search_path') AS path").fetchone()
                assert row is not None
                self._live_schema = str(row["live"])
                cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
                cur.execute(f'CREATE SCHEMA "{self.schema}"')
                cur.execute(f'SET search_path TO "{self.schema}", {row["path"]}')  # the session's, not LOCAL
        else:
            self._owned = True
            with self.connection.transaction() as cur:
                for table in self.projection.tables:
                    cur.execute(f"DROP TABLE IF EXISTS temp.{table}")
        with self.connection.transaction() as cur:
            self.projection.create(_ShadowDDL(cur, self.projection.tables))
        self.position = 0
        self.stall = None

    def step(self) -> int:
        """Apply the next batch of the log to the shadow tables in a transaction of its own; how many
        events it held (0: caught up with the head, or stopped at an event — see ``stall``). The
        batch is read before the transaction begins (see ``switch`` on SQLite)."""
        if self.stall is not None:
            return 0
        batch = LogBatch.read(self.projector.app, self.position, self.batch_size, sealed=True)
        if not batch.since(self.position):
            return 0
        try:
            if self.dialect == "postgres":
                try:
                    with self.connection.transaction() as cur:
                        return self._apply(cur, batch, pipelined=True)
                except PipelineFailed:
                    pass  # rolled back: applied again one statement at a time, which names the event
            with self.connection.transaction() as cur:
                return self._apply(cur, batch)
        except EventFailed as failure:
            self._stopped(failure)
            return 0

    def switch(self) -> bool:
        """Finish the last events and put the shadow tables in place of the live ones, with the
        tracking position, in one transaction that holds the live projector back. False (nothing
        changed, the live tables kept) when the rebuild stopped at an event it cannot apply.

        On a SQLite file the log is in the same database, read through the pool, whose one writer
        (the projector's, waiting for the write lock this transaction holds) a read must not wait
        behind: the last events are applied outside, and the switch only begins, within the write
        lock, once no event is newer than the shadow's (else it lets go and catches up again)."""
        name = self.projection.tracking_name
        same_file = self.dialect == "sqlite" and hasattr(self.projector.app.recorder,
                                                          "select_max_notification_id_statement")
        try:
            while True:
                if same_file:
                    while self.step():
                        pass
                if self.stall is not None:
                    return False
                with self.connection.transaction() as cur:
                    cur.execute("INSERT INTO projection_tracking (name, position, updated_at) VALUES (%s, 0, %s)"
                                " ON CONFLICT (name) DO NOTHING", (name, utc_now().isoformat()))
                    cur.execute("SELECT position FROM projection_tracking WHERE name = %s"
                                + self.projector.store.lock_clause(), (name,)).fetchall()
                    if same_file:
                        if self._head(cur) > self.position:
                            continue  # recorded meanwhile: this transaction has changed nothing
                    else:
                        while self._apply_next(cur):
                            pass
                    if self.dialect == "postgres":
                        self._swap_postgres(cur)
                    else:
                        self._swap_sqlite(cur)
                    cur.execute("UPDATE projection_tracking SET position = %s, updated_at = %s WHERE name = %s",
                                (self.position, utc_now().isoformat(), name))
                    self.projector.stalls.clear_passed(cur, name, self.position)
                    if self.dialect == "postgres":
                        cur.execute(f"NOTIFY {PROGRESS_CHANNEL}")
                break
        except EventFailed as failure:
            self._stopped(failure)
            return False
        self.projector.backoff.succeeded(name)
        self.projector.signals.progressed.fire()
        log.info("projection_rebuilt", projection=name, position=self.position)
        return True

    def drop_left_over(self) -> None:
        """PostgreSQL: drop the shadow schema a rebuild of this projection left (its connection lost
        mid-query), once its session has ended (waits up to 10 s for its lock; raises psycopg's
        error beyond). Refuses nothing else: the schema is this projection's own."""
        with self.connection.transaction() as cur:
            cur.execute("SET LOCAL statement_timeout = '10s'")
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                        (f"farmgate_rebuild:{self.projection.tracking_name}",))
            cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def abandon(self) -> None:
        """Drop the shadow tables (none when ``start`` was refused: they are another rebuild's); the
        live ones are untouched."""
        if not self._owned:
            return
        with self.connection.transaction() as cur:
            if self.dialect == "postgres":
                cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            else:
                for table in self.projection.tables:
                    cur.execute(f"DROP TABLE IF EXISTS temp.{table}")
                    cur.execute(f"DROP TABLE IF EXISTS temp.{_SET_ASIDE}{table}")

    # -- inside ----------------------------------------------------------------------------------

    def _apply_next(self, cur: Cursor) -> int:
        return self._apply(cur, LogBatch.read(self.projector.app, self.position, self.batch_size, sealed=True))

    def _apply(self, cur: Cursor, batch: LogBatch, *, pipelined: bool = False) -> int:
        notifications = batch.since(self.position)
        if not notifications:
            return 0
        apply_events(cur, self._handlers, notifications, batch, pipelined=pipelined)
        self.position = notifications[-1].id
        return len(notifications)

    def _head(self, cur: Cursor) -> int:
        """The log's newest position, read in ``cur``'s transaction (SQLite: the log's own file)."""
        recorder: Any = self.projector.app.recorder  # eventsourcing's SQLite application recorder
        row = cur.execute(recorder.select_max_notification_id_statement).fetchone()
        return int(next(iter(row.values())) or 0) if row else 0

    def _stopped(self, failure: EventFailed) -> None:
        now = utc_now().isoformat()
        self.stall = Stall(self.projection.tracking_name, failure.position, failure.event_type,
                           describe(failure.error), now, now, 1)
        log.error("projection_rebuild_stalled", projection=self.projection.tracking_name, position=failure.position,
                  event_type=failure.event_type, error=self.stall.error,
                  exc_info=(type(failure.error), failure.error, failure.error.__traceback__))

    def _swap_postgres(self, cur: Cursor) -> None:
        for table in self.projection.tables:
            cur.execute(f'DROP TABLE IF EXISTS "{self._live_schema}".{table}')
            cur.execute(f'ALTER TABLE "{self.schema}".{table} SET SCHEMA "{self._live_schema}"')
        cur.execute(f'DROP SCHEMA "{self.schema}" CASCADE')

    def _swap_sqlite(self, cur: Cursor) -> None:
        tables = self.projection.tables
        for table in tables:  # set aside, so the projection's own DDL below names the live tables
            cur.execute(f"ALTER TABLE temp.{table} RENAME TO {_SET_ASIDE}{table}")
        self.projection.drop(cur)
        self.projection.create(cur)
        for table in tables:
            columns = ", ".join(r["name"] for r in
                                cur.execute(f"PRAGMA temp.table_info({_SET_ASIDE}{table})").fetchall())
            cur.execute(f"DELETE FROM main.{table}")  # rows create() wrote (the built-in carriers)
            cur.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM temp.{_SET_ASIDE}{table}")
            cur.execute(f"DROP TABLE temp.{_SET_ASIDE}{table}")


def rebuild(projector: Projector, projection: Projection,
            on_progress: Callable[[int, int], None] | None = None) -> RebuildOutcome:
    """Rebuild ``projection`` beside its live tables and switch to the new ones (see the module
    doc); ``on_progress(position, head)`` after each batch. The shadow is dropped whatever happens
    but a switch. Raises ``RebuildBusy`` (PostgreSQL: another rebuild of it is running)."""
    left = False
    try:
        with projector.store.own_connection() as connection:
            shadow = ShadowRebuild(projector, projection, connection)
            switched = False
            try:
                shadow.start()
                while shadow.step():
                    if on_progress:
                        on_progress(shadow.position, projector.head())
                switched = shadow.switch()
            finally:
                if not switched:
                    try:
                        shadow.abandon()
                    except BaseException:  # interrupted mid-query: the connection is unusable
                        left = True
    finally:
        if left and shadow.dialect == "postgres":
            # the interruption left the rebuild's connection busy (now closed): drop the shadow
            # schema on a fresh one, so an interrupted rebuild leaves nothing behind
            try:
                with projector.store.own_connection() as fresh:
                    ShadowRebuild(projector, projection, fresh).drop_left_over()
            except Exception:  # the error that ended the rebuild is the one to raise
                log.warning("projection_rebuild_shadow_left", projection=projection.tracking_name,
                            schema=shadow.schema, hint="the next rebuild of this projection drops it")
    return RebuildOutcome(projection.tracking_name, shadow.position, shadow.stall)
