"""The projector: applies new events to each read model with its tracking position in the same
transaction, so each event is applied exactly once and a crashed projector resumes where it stopped.

Several projector processes may run: a projection's tracking row is locked (PostgreSQL) or the
database's single writer lock held (SQLite) while a batch is applied, and a batch whose starting
position was already taken by another process is discarded and re-read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from farmgate.core.application import Farmgate, utc_now
from farmgate.core.database import Cursor, ReadStore
from farmgate.core.personal_mapper import tokens_only
from farmgate.core.projections.base import Projection, event_name
from farmgate.core.projections.stalls import Backoff, EventFailed, Stall, StallRecords

log = structlog.get_logger("farmgate.projector")

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    " name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL)"
)


@dataclass
class Lag:
    projection: str
    position: int
    head: int

    @property
    def events(self) -> int:
        return max(0, self.head - self.position)


class Projector:
    def __init__(
        self,
        app: Farmgate,
        store: ReadStore,
        projections: Sequence[Projection],
        batch_size: int = 500,
        throttle_seconds: float = 0.0,
    ):
        self.app = app
        self.throttle_seconds = throttle_seconds
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self.stalls = StallRecords(store)
        self.backoff = Backoff()
        self._progress = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- schema ----------------------------------------------------------------------------------

    def create_tables(self) -> None:
        with self.store.transaction() as cur:
            cur.execute(TRACKING_DDL)
            self.stalls.create_table(cur)
            for projection in self.projections:
                projection.create(cur)
                cur.execute(
                    "INSERT INTO projection_tracking (name, position, updated_at) VALUES (%s, 0, %s)"
                    " ON CONFLICT (name) DO NOTHING",
                    (projection.tracking_name, utc_now().isoformat()),
                )

    def reset(self, projection: Projection) -> None:
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
        return self._run(projection)[0]

    def _run(self, projection: Projection) -> tuple[int, bool]:
        """(events applied, whether it stopped at an event it cannot apply)."""
        start = self.position(projection)
        notifications = self.app.recorder.select_notifications(start=start + 1, limit=self.batch_size)
        if not notifications:
            return 0, False
        try:
            return self._apply(projection, start, notifications), False
        except EventFailed as failure:
            before = [n for n in notifications if n.id < failure.position]
            applied = self._apply(projection, start, before) if before else 0
            stall = self.stalls.record(projection.tracking_name, failure, utc_now())
            log.error("projection_stalled", projection=projection.tracking_name, position=failure.position,
                      event_type=failure.event_type, error=stall.error, attempts=stall.attempts,
                      exc_info=(type(failure.error), failure.error, failure.error.__traceback__))
            self._notify_progress()
            return applied, True

    def _apply(self, projection: Projection, start: int, notifications: Sequence[Any]) -> int:
        handlers = projection.handlers()
        with self.store.transaction() as cur:
            row = cur.execute(
                "SELECT position FROM projection_tracking WHERE name = %s" + self.store.lock_clause(),
                (projection.tracking_name,),
            ).fetchone()
            if row is None or int(row["position"]) != start:
                return 0  # another projector moved it on; re-read from its position next time
            for notification in notifications:
                event_type = notification.topic.rpartition(":")[2] or notification.topic
                try:
                    with tokens_only():  # read models keep the sealed tokens, never opened values
                        event = self.app.mapper.to_domain_event(notification)
                    event_type = event_name(event)
                    handler = handlers.get(event_type)
                    if handler is not None:
                        handler(cur, event, notification.id)
                except Exception as error:  # noqa: BLE001 - kept as the projection's stall, with its event
                    raise EventFailed(notification.id, event_type, error) from error
            self._advance(cur, projection, notifications[-1].id)
            self.stalls.clear_passed(cur, projection.tracking_name, notifications[-1].id)
        log.debug("projection_batch_applied", projection=projection.tracking_name, position=notifications[-1].id,
                  events=len(notifications))
        return len(notifications)

    def _advance(self, cur: Cursor, projection: Projection, position: int) -> None:
        cur.execute(
            "UPDATE projection_tracking SET position = %s, updated_at = %s WHERE name = %s",
            (position, utc_now().isoformat(), projection.tracking_name),
        )

    def _notify_progress(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def run_once(self) -> int:
        """One pass over every projection not waiting out a backoff; a failure of one (a stall, the
        database gone) holds back that one only, and is logged once per backoff period."""
        applied = 0
        for projection in self.projections:
            name = projection.tracking_name
            if not self.backoff.ready(name):
                continue
            try:
                done, stalled = self._run(projection)
            except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
                delay = self.backoff.failed(name)
                log.exception("projector_batch_failed", projection=name, retry_in_seconds=delay)
                continue
            if stalled:
                self.backoff.failed(name)
            else:
                self.backoff.succeeded(name)
            applied += done
        if applied:
            self._notify_progress()
        return applied

    def catch_up(self, on_progress: Callable[[Projection, int, int], None] | None = None) -> None:
        """Apply every recorded event to every projection (tests, CLI); a stalled one stays stalled."""
        head = self.head()
        for projection in self.projections:
            while self.position(projection) < head and self.run_projection_once(projection):
                if on_progress:
                    on_progress(projection, self.position(projection), head)

    # -- read-your-writes ------------------------------------------------------------------------

    def wait_for(self, position: int, timeout: float) -> list[str]:
        """Wait (bounded) until every projection has applied the event at ``position``; the names
        of those that have not (empty: all caught up). A projection stalled at or before
        ``position`` will not get there by waiting, so it is not waited for."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        while True:
            states = self._positions_and_stalls()
            behind = [name for name, (at, _) in states.items() if at < position]
            if not behind:
                return []
            stuck = {name for name in behind if states[name][1] is not None and states[name][1] <= position}
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stuck == set(behind):
                log.warning("projection_wait_timed_out", position=position, behind=behind)
                return behind
            with self._progress:
                self._progress.wait(min(remaining, 0.02))

    # -- in-process loop -------------------------------------------------------------------------

    def start(self, poll_interval: float = 0.05) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(poll_interval,), name="projector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self, poll_interval: float) -> None:
        log.info("projector_started", projections=[p.tracking_name for p in self.projections])
        while not self._stop.is_set():
            if self.run_once():
                if self.throttle_seconds:
                    self._stop.wait(self.throttle_seconds)
                continue
            self._wake.wait(poll_interval)
            self._wake.clear()
