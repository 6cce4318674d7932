"""The projector: applies new events to each read model with its tracking position in the same
transaction, so each event is applied exactly once and a crashed projector resumes where it stopped.

Several projector processes may run: a projection's tracking row is locked (PostgreSQL) or the
database's single writer lock held (SQLite) while a batch is applied, and a batch whose starting
position was already taken by another process is discarded and re-read.

A pass reads one batch of the log for every projection at or near the same position and decodes
each event once for all of them (``core.log_batch``); each projection still applies its part in a
transaction of its own, so one that fails stops alone. Between passes the loop sleeps until events
are recorded (``core.log_signals``: PostgreSQL's NOTIFY, or this process's own writes), looking
anyway every poll interval on SQLite and every safety poll on PostgreSQL. After each batch it
applied, the projector notifies ``farmgate_projection_progress`` (PostgreSQL, delivered on commit)
and this process's ``progressed`` signal, which read-your-writes waits sleep on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from farmgate.core import tracing
from farmgate.core.application import Farmgate, utc_now
from farmgate.core.database import Cursor, ReadStore
from farmgate.core.log_batch import LogBatch
from farmgate.core.log_listener import PROGRESS_CHANNEL
from farmgate.core.log_signals import LogSignals
from farmgate.core.projections.base import Projection
from farmgate.core.projections.stalls import Backoff, EventFailed, Stall, StallRecords

log = structlog.get_logger("farmgate.projector")

#: span attributes of a projection batch: the projection, the position it started after, the last
#: notification id of the batch, how many events the batch held and how many were applied
PROJECTION = "farmgate.projection"
BATCH_AFTER = "farmgate.batch.after"
BATCH_LAST = "farmgate.batch.last"
BATCH_EVENTS = "farmgate.batch.events"
BATCH_APPLIED = "farmgate.batch.applied"


#: while a projection's version has not been recorded as caught up, the idle loop looks this often
CAUGHT_UP_LOOK_SECONDS = 1.0


def mark_caught_up(cur: Cursor, projection: Projection, at: str) -> None:
    """Record that ``projection``'s current version has reached the head (the first time only; the
    version's row is made if its process did not create tables)."""
    cur.execute(
        "INSERT INTO projection_versions (name, version, tables, created_at, caught_up_at) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (name, version) DO UPDATE SET caught_up_at = %s WHERE projection_versions.caught_up_at IS NULL",
        (projection.name, projection.version, " ".join(projection.tables), at, at, at),
    )


@dataclass
class Lag:
    projection: str
    position: int
    head: int

    @property
    def events(self) -> int:
        return max(0, self.head - self.position)


class PipelineFailed(Exception):
    """A pipelined batch failed (``apply_events`` with ``pipelined``): the error surfaced where it
    cannot be pinned to its event. The caller's transaction is rolled back; apply the batch again
    without the pipeline to find the event (``EventFailed``)."""


def apply_events(cur: Cursor, handlers: dict[str, Callable[[Cursor, Any, int], None]], notifications: Sequence[Any],
                 batch: LogBatch, *, pipelined: bool = False) -> set[str]:
    """Apply ``notifications`` (of ``batch``) with ``handlers`` in ``cur``'s transaction; the request
    ids (correlation ids) of the events they took. Raises ``EventFailed`` at the first event a
    handler (or its decoding) fails on.

    ``pipelined``: the handlers' statements are sent without waiting for each answer
    (``Cursor.pipelined``, PostgreSQL); then any failure raises ``PipelineFailed`` instead, and the
    transaction must be rolled back and the batch applied again unpipelined."""
    if not pipelined:
        return _apply_each(cur, handlers, notifications, batch)
    try:
        with cur.pipelined():
            return _apply_each(cur, handlers, notifications, batch)
    except Exception as error:  # noqa: BLE001 - pinned to its event by the unpipelined retry
        raise PipelineFailed(str(error)) from error


def _apply_each(cur: Cursor, handlers: dict[str, Callable[[Cursor, Any, int], None]], notifications: Sequence[Any],
                batch: LogBatch) -> set[str]:
    request_ids: set[str] = set()
    for notification in notifications:
        event_type = batch.event_name(notification)
        handler = handlers.get(event_type)
        if handler is None:
            continue  # not decoded: no handler of this projection needs it
        try:
            # the batch is sealed: read models keep the sealed tokens, never opened values
            event = batch.event(notification)
            handler(cur, event, notification.id)
        except Exception as error:  # noqa: BLE001 - kept as the projection's stall, with its event
            raise EventFailed(notification.id, event_type, error) from error
        correlation_id = getattr(event, "correlation_id", None)
        if correlation_id:
            request_ids.add(str(correlation_id))
    return request_ids


class Projector:
    def __init__(
        self,
        app: Farmgate,
        store: ReadStore,
        projections: Sequence[Projection],
        batch_size: int = 500,
        throttle_seconds: float = 0.0,
        signals: LogSignals | None = None,
    ):
        self.app = app
        self.throttle_seconds = throttle_seconds
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self.stalls = StallRecords(store)
        self.backoff = Backoff()
        self.signals = signals or LogSignals()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: tracking names whose version's first catching up with the head is recorded (or was seen recorded)
        self._caught_up: set[str] = set()
        self._next_caught_up_look = 0.0

    # -- schema ----------------------------------------------------------------------------------

    def create_tables(self) -> None:
        """Each projection's missing tables and tracking row, and the record of which tables its
        version made (``projection_versions``: what ``farmgate projections prune`` drops once a later
        version has caught up)."""
        with self.store.transaction() as cur:
            for projection in self.projections:
                projection.create(cur)
                cur.execute(
                    "INSERT INTO projection_tracking (name, position, updated_at) VALUES (%s, 0, %s)"
                    " ON CONFLICT (name) DO NOTHING",
                    (projection.tracking_name, utc_now().isoformat()),
                )
                cur.execute(
                    "INSERT INTO projection_versions (name, version, tables, created_at) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (name, version) DO NOTHING",
                    (projection.name, projection.version, " ".join(projection.tables), utc_now().isoformat()),
                )

    def reset(self, projection: Projection) -> None:
        """Empty ``projection``'s tables in place and set it back to the start of the log: readers see
        an empty, then partial, read model until it has caught up (tests, benchmarks). Operators
        rebuild beside the live tables instead (``core.projections.rebuild``)."""
        with self.store.transaction() as cur:
            projection.drop(cur)
            projection.create(cur)
            cur.execute(
                "UPDATE projection_tracking SET position = 0, updated_at = %s WHERE name = %s",
                (utc_now().isoformat(), projection.tracking_name),
            )
            self.stalls.clear_passed(cur, projection.tracking_name, 2**63 - 1)
        self.backoff.succeeded(projection.tracking_name)

    # -- positions -------------------------------------------------------------------------------

    def position(self, projection: Projection) -> int:
        row = self.store.query_one(
            "SELECT position FROM projection_tracking WHERE name = %s", (projection.tracking_name,)
        )
        return int(row["position"]) if row else 0

    def positions(self) -> dict[str, int]:
        """Every projection's position, in one query (keyed by tracking name)."""
        return {name: position for name, (position, _) in self._positions_and_stalls().items()}

    def _positions_and_stalls(self) -> dict[str, tuple[int, int | None]]:
        """Tracking name -> (position, the position it is stalled at or None), in one query."""
        names = [p.tracking_name for p in self.projections]
        rows = self.store.query(
            "SELECT t.name AS name, t.position AS position, s.position AS stalled_at FROM projection_tracking t"
            " LEFT JOIN projection_stalls s ON s.name = t.name"
            f" WHERE t.name IN ({', '.join(['%s'] * len(names))})", names
        )
        found = {r["name"]: (int(r["position"]), None if r["stalled_at"] is None else int(r["stalled_at"]))
                 for r in rows}
        return {name: found.get(name, (0, None)) for name in names}

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def lags(self) -> list[Lag]:
        head, positions = self.head(), self.positions()
        return [Lag(p.name, positions[p.tracking_name], head) for p in self.projections]

    def stall_of(self, projection: Projection) -> Stall | None:
        return self.stalls.all().get(projection.tracking_name)

    # -- applying --------------------------------------------------------------------------------

    def run_projection_once(self, projection: Projection) -> int:
        """Apply the next batch of events to one projection; return how many were applied.

        A handler failing on an event applies the batch up to that event, records the stall there
        and returns; the event is tried again on the next call (the loop calls once per backoff)."""
        start = self.position(projection)
        return self._follow(projection, start, LogBatch.read(self.app, start, self.batch_size, sealed=True))[0]

    def _follow(self, projection: Projection, start: int, batch: LogBatch) -> tuple[int, bool]:
        """Apply ``batch``'s events after ``start`` to ``projection``: (events applied, whether it
        stopped at an event it cannot apply)."""
        notifications = batch.since(start)
        if not notifications:
            return 0, False
        try:
            return self._apply(projection, start, notifications, batch), False
        except EventFailed as failure:
            before = [n for n in notifications if n.id < failure.position]
            applied = self._apply(projection, start, before, batch) if before else 0
            stall = self.stalls.record(projection.tracking_name, failure, utc_now())
            log.error("projection_stalled", projection=projection.tracking_name, position=failure.position,
                      event_type=failure.event_type, error=stall.error, attempts=stall.attempts,
                      exc_info=(type(failure.error), failure.error, failure.error.__traceback__))
            self.signals.progressed.fire()  # a waiter for this projection stops waiting on it
            return applied, True

    def _apply(self, projection: Projection, start: int, notifications: Sequence[Any], batch: LogBatch) -> int:
        with tracing.span(f"projection batch {projection.tracking_name}",
                          **{PROJECTION: projection.tracking_name, BATCH_AFTER: start,
                             BATCH_LAST: notifications[-1].id, BATCH_EVENTS: len(notifications)}) as batch_span:
            applied, request_ids = self._apply_in_transaction(projection, start, notifications, batch)
            batch_span.set_attribute(BATCH_APPLIED, applied)
            if request_ids:
                batch_span.set_attribute(tracing.REQUEST_IDS, sorted(request_ids))
            return applied

    def _apply_in_transaction(self, projection: Projection, start: int, notifications: Sequence[Any],
                              batch: LogBatch) -> tuple[int, set[str]]:
        """(events applied, the request ids — correlation ids — of the events its handlers took).
        On PostgreSQL the handlers' statements are pipelined; a batch that fails so is rolled back
        and applied again one statement at a time, which pins the failure to its event."""
        if self.store.dialect == "postgres":
            try:
                return self._transaction(projection, start, notifications, batch, pipelined=True)
            except PipelineFailed:
                pass
        return self._transaction(projection, start, notifications, batch, pipelined=False)

    def _transaction(self, projection: Projection, start: int, notifications: Sequence[Any],
                     batch: LogBatch, *, pipelined: bool) -> tuple[int, set[str]]:
        handlers = projection.handlers()
        request_ids: set[str] = set()
        with self.store.transaction() as cur:
            row = cur.execute(
                "SELECT position FROM projection_tracking WHERE name = %s" + self.store.lock_clause(),
                (projection.tracking_name,),
            ).fetchone()
            if row is None or int(row["position"]) != start:
                return 0, request_ids  # another projector moved it on; re-read from its position next time
            request_ids = apply_events(cur, handlers, notifications, batch, pipelined=pipelined)
            self._advance(cur, projection, notifications[-1].id)
            self.stalls.clear_passed(cur, projection.tracking_name, notifications[-1].id)
            if self.store.dialect == "postgres":
                cur.execute(f"NOTIFY {PROGRESS_CHANNEL}")  # delivered to every listener on commit
        self.signals.progressed.fire()
        log.debug("projection_batch_applied", projection=projection.tracking_name, position=notifications[-1].id,
                  events=len(notifications))
        return len(notifications), request_ids

    def _advance(self, cur: Cursor, projection: Projection, position: int) -> None:
        cur.execute(
            "UPDATE projection_tracking SET position = %s, updated_at = %s WHERE name = %s",
            (position, utc_now().isoformat(), projection.tracking_name),
        )

    def run_once(self) -> int:
        """One pass over every projection not waiting out a backoff; a failure of one (a stall, the
        database gone) holds back that one only, and is logged once per backoff period.

        One query reads every position; projections at about the same position share one batch
        read (and decoded) once; one far behind (a rebuild) gets batches of its own, so it does
        not hold the others back."""
        ready = [p for p in self.projections if self.backoff.ready(p.tracking_name)]
        if not ready:
            return 0
        try:
            states = self._positions_and_stalls()
        except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
            self._failed(ready, "projector_batch_failed")
            return 0
        positions = {p.tracking_name: states[p.tracking_name][0] for p in ready}
        pending = sorted(ready, key=lambda p: positions[p.tracking_name])
        applied = 0
        while pending:
            start = positions[pending[0].tracking_name]
            try:
                batch = LogBatch.read(self.app, start, self.batch_size, sealed=True)
            except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
                self._failed(pending, "projector_batch_failed")
                break
            for projection in [p for p in pending if batch.covers(positions[p.tracking_name])]:
                applied += self._follow_guarded(projection, positions[projection.tracking_name], batch)
            if len(batch) < self.batch_size:
                break  # the batch reached the head: every projection past it is at the head too
            pending = [p for p in pending if positions[p.tracking_name] >= batch.last]
        return applied

    def _follow_guarded(self, projection: Projection, start: int, batch: LogBatch) -> int:
        name = projection.tracking_name
        try:
            done, stalled = self._follow(projection, start, batch)
        except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
            self._failed([projection], "projector_batch_failed")
            return 0
        if stalled:
            self.backoff.failed(name)
        else:
            self.backoff.succeeded(name)
        return done

    def _failed(self, projections: Sequence[Projection], what: str) -> None:
        for projection in projections:
            delay = self.backoff.failed(projection.tracking_name)
            log.exception(what, projection=projection.tracking_name, retry_in_seconds=delay)

    def catch_up(self, on_progress: Callable[[Projection, int, int], None] | None = None) -> None:
        """Apply every recorded event to every projection (tests, CLI); a stalled one stays stalled."""
        head = self.head()
        for projection in self.projections:
            while self.position(projection) < head and self.run_projection_once(projection):
                if on_progress:
                    on_progress(projection, self.position(projection), head)
        self.note_caught_up()

    # -- versions --------------------------------------------------------------------------------

    def note_caught_up(self) -> list[str]:
        """Record, in ``projection_versions.caught_up_at``, when each projection's current version
        first reached the head of the log (from then on an older version's tables may be dropped:
        ``core.projections.old_versions``). Once a version is recorded this process stops looking at
        it: no query at all once every one is. Returns the tracking names recorded by this call."""
        todo = [p for p in self.projections if p.tracking_name not in self._caught_up]
        if not todo:
            return []
        head, positions = self.head(), self.positions()
        reached = [p for p in todo if positions[p.tracking_name] >= head]
        if reached:
            at = utc_now().isoformat()
            with self.store.transaction() as cur:
                for projection in reached:
                    mark_caught_up(cur, projection, at)
            self._caught_up.update(p.tracking_name for p in reached)
        return [p.tracking_name for p in reached]

    def _note_caught_up_at_most_every(self, seconds: float) -> None:
        """``note_caught_up`` from the idle loop, at most once per ``seconds`` while a version is not
        recorded (a stalled projection does not reach the head: no extra queries on every poll)."""
        if len(self._caught_up) == len(self.projections) or time.monotonic() < self._next_caught_up_look:
            return
        self._next_caught_up_look = time.monotonic() + seconds
        try:
            self.note_caught_up()
        except Exception:  # noqa: BLE001 - the database: looked at again on a later idle pass
            log.warning("projection_caught_up_not_recorded", exc_info=True)

    # -- read-your-writes ------------------------------------------------------------------------

    def wait_for(self, position: int, timeout: float) -> list[str]:
        """Wait (bounded) until every projection has applied the event at ``position``; the names
        of those that have not (empty: all caught up). A projection stalled at or before
        ``position`` will not get there by waiting, so it is not waited for.

        Sleeps on the ``progressed`` signal (a projector of this process, or any process's NOTIFY on
        PostgreSQL); where no listener runs, it also looks every 20 ms for another process's."""
        deadline = time.monotonic() + timeout
        poll = self.signals.poll_seconds(0.02)
        while True:
            seen = self.signals.progressed.count
            states = self._positions_and_stalls()
            behind = [name for name, (at, _) in states.items() if at < position]
            if not behind:
                return []
            stuck = {name for name in behind if states[name][1] is not None and states[name][1] <= position}
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stuck == set(behind):
                log.warning("projection_wait_timed_out", position=position, behind=behind)
                return behind
            self.signals.progressed.wait(seen, min(remaining, poll))

    # -- in-process loop -------------------------------------------------------------------------

    def start(self, poll_interval: float = 0.05) -> None:
        """Run the loop in a thread: a pass whenever events are recorded, and at the latest every
        ``poll_interval`` seconds (SQLite) or every safety poll (PostgreSQL, with a listener)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(poll_interval,), name="projector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.signals.recorded.fire()  # wake the loop so it sees the stop
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self, poll_interval: float) -> None:
        log.info("projector_started", projections=[p.tracking_name for p in self.projections])
        while not self._stop.is_set():
            seen = self.signals.recorded.count
            if self.run_once():
                if self.throttle_seconds:
                    self._stop.wait(self.throttle_seconds)
                continue
            self._note_caught_up_at_most_every(CAUGHT_UP_LOOK_SECONDS)
            self.signals.recorded.wait(seen, self.backoff.until_due(self.signals.poll_seconds(poll_interval)))
