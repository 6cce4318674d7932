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
from farmgate.core.projections.base import Projection, event_name

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
        self._progress = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- schema ----------------------------------------------------------------------------------

    def create_tables(self) -> None:
        with self.store.transaction() as cur:
            cur.execute(TRACKING_DDL)
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

    # -- positions -------------------------------------------------------------------------------

    def position(self, projection: Projection) -> int:
        row = self.store.query_one(
            "SELECT position FROM projection_tracking WHERE name = %s", (projection.tracking_name,)
        )
        return int(row["position"]) if row else 0

    def positions(self) -> dict[str, int]:
        """Every projection's position, in one query (keyed by tracking name)."""
        names = [p.tracking_name for p in self.projections]
        rows = self.store.query(
            f"SELECT name, position FROM projection_tracking WHERE name IN ({', '.join(['%s'] * len(names))})", names
        )
        found = {row["name"]: int(row["position"]) for row in rows}
        return {name: found.get(name, 0) for name in names}

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def lags(self) -> list[Lag]:
        head, positions = self.head(), self.positions()
        return [Lag(p.name, positions[p.tracking_name], head) for p in self.projections]

    # -- applying --------------------------------------------------------------------------------

    def run_projection_once(self, projection: Projection) -> int:
        """Apply the next batch of events to one projection; return how many were read."""
        start = self.position(projection)
        notifications = self.app.recorder.select_notifications(start=start + 1, limit=self.batch_size)
        if not notifications:
            return 0
        handlers = projection.handlers()
        with self.store.transaction() as cur:
            row = cur.execute(
                "SELECT position FROM projection_tracking WHERE name = %s" + self.store.lock_clause(),
                (projection.tracking_name,),
            ).fetchone()
            if row is None or int(row["position"]) != start:
                return 0  # another projector moved it on; re-read from its position next time
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                handler = handlers.get(event_name(event))
                if handler is not None:
                    handler(cur, event, notification.id)
            self._advance(cur, projection, notifications[-1].id)
        log.debug("projection_batch_applied", projection=projection.tracking_name, position=notifications[-1].id,
                  events=len(notifications))
        return len(notifications)

    def _advance(self, cur: Cursor, projection: Projection, position: int) -> None:
        cur.execute(
            "UPDATE projection_tracking SET position = %s, updated_at = %s WHERE name = %s",
            (position, utc_now().isoformat(), projection.tracking_name),
        )

    def run_once(self) -> int:
        applied = sum(self.run_projection_once(p) for p in self.projections)
        if applied:
            with self._progress:
                self._progress.notify_all()
        return applied

    def catch_up(self, on_progress: Callable[[Projection, int, int], None] | None = None) -> None:
        head = self.head()
        for projection in self.projections:
            while self.position(projection) < head and self.run_projection_once(projection):
                if on_progress:
                    on_progress(projection, self.position(projection), head)

    # -- read-your-writes ------------------------------------------------------------------------

    def wait_for(self, position: int, timeout: float) -> bool:
        """Wait (bounded) until every projection has applied the event at ``position``."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        while True:
            if min(self.positions().values(), default=position) >= position:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("projection_wait_timed_out", position=position)
                return False
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
            try:
                if self.run_once():
                    if self.throttle_seconds:
                        self._stop.wait(self.throttle_seconds)
                    continue
            except Exception:  # keep projecting after a transient fault; it is logged, not lost
                log.exception("projector_batch_failed")
                time.sleep(poll_interval)
            self._wake.wait(poll_interval)
            self._wake.clear()

    def describe(self) -> dict[str, Any]:
        return {lag.projection: {"position": lag.position, "lag": lag.events} for lag in self.lags()}
