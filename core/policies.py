"""Process steps: flows that may lag (a shipment spoiled → its order spoiled; a claim approved →
its order refunded) run as policies that follow the event log and issue commands.

A policy's position is tracked like a projection's, but its commands save to the event store, so
delivery is at-least-once: every policy command must be idempotent by the causing event's id
(``causation_id``), which it records on the events it causes.

The runner reads one batch of the log for every policy at about the same position and decodes
each event once, only if some policy handles its type (``core.log_batch``). A policy's position is
committed once per batch (or up to the event it stopped at), not once per event: a crash repeats
at most one batch of idempotent steps. The loop sleeps until events are recorded
(``core.log_signals``), like the projector's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import structlog

from farmgate.core.application import Farmgate, utc_now
from farmgate.core.database import ReadStore
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.log_batch import LogBatch
from farmgate.core.log_signals import LogSignals
from farmgate.core.projections.stalls import Backoff, EventFailed, StallRecords

log = structlog.get_logger("farmgate.policies")

Handler = Callable[[Farmgate, Any], None]


def causation_of(event: Any) -> str:
    """The stable id of an event, as later events name their cause."""
    return f"{event.originator_id}:{event.originator_version}"


class Policy:
    name: ClassVar[str]

    def handlers(self) -> dict[str, Handler]:
        raise NotImplementedError

    @property
    def tracking_name(self) -> str:
        return f"policy:{self.name}"


class PolicyRunner:
    """Runs every process step over the log. A step that fails on an event stops that policy at
    that event (a stall, kept and shown like a projection's) and is tried again once per backoff
    period; the other policies go on."""

    def __init__(self, app: Farmgate, store: ReadStore, policies: Sequence[Policy], batch_size: int = 100,
                 signals: LogSignals | None = None):
        self.app = app
        self.signals = signals or LogSignals()
        self.store = store
        self.policies = list(policies)
        self.batch_size = batch_size
        self.stalls = StallRecords(store)
        self.backoff = Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def create_tables(self) -> None:
        with self.store.transaction() as cur:
            for policy in self.policies:
                cur.execute(
                    "INSERT INTO projection_tracking (name, position, updated_at) VALUES (%s, 0, %s)"
                    " ON CONFLICT (name) DO NOTHING",
                    (policy.tracking_name, utc_now().isoformat()),
                )

    def position(self, policy: Policy) -> int:
        row = self.store.query_one("SELECT position FROM projection_tracking WHERE name = %s", (policy.tracking_name,))
        return int(row["position"]) if row else 0

    def positions(self) -> dict[str, int]:
        """Every policy's position, in one query (keyed by tracking name)."""
        names = [p.tracking_name for p in self.policies]
        rows = self.store.query(
            f"SELECT name, position FROM projection_tracking WHERE name IN ({', '.join(['%s'] * len(names))})", names
        )
        found = {r["name"]: int(r["position"]) for r in rows}
        return {name: found.get(name, 0) for name in names}

    def run_policy_once(self, policy: Policy) -> int:
        """Run the policy over the next events; how many it got through. A failing step records
        the stall at its event and stops there (the event is tried again on the next call)."""
        start = self.position(policy)
        return self._follow(policy, start, LogBatch.read(self.app, start, self.batch_size))

    def _follow(self, policy: Policy, start: int, batch: LogBatch) -> int:
        """Run ``policy`` over ``batch``'s events after ``start``, then commit its position once (up
        to the event it stopped at, if a step failed: EventFailed is raised after that commit)."""
        handlers = policy.handlers()
        done, reached = 0, start
        try:
            for notification in batch.since(start):
                self._step(policy, handlers, notification, batch)
                done, reached = done + 1, notification.id
        except EventFailed as failure:
            self._advance(policy, reached)
            stall = self.stalls.record(policy.tracking_name, failure, utc_now())
            log.error("policy_stalled", policy=policy.tracking_name, position=failure.position,
                      event_type=failure.event_type, error=stall.error, attempts=stall.attempts,
                      exc_info=(type(failure.error), failure.error, failure.error.__traceback__))
            raise
        self._advance(policy, reached)
        return done

    def _advance(self, policy: Policy, position: int) -> None:
        """Commit ``policy``'s position (never backwards: another runner may be further on)."""
        if position <= 0:
            return
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE projection_tracking SET position = %s, updated_at = %s WHERE name = %s AND position < %s",
                (position, utc_now().isoformat(), policy.tracking_name, position),
            )
            self.stalls.clear_passed(cur, policy.tracking_name, position)

    def _step(self, policy: Policy, handlers: dict[str, Handler], notification: Any, batch: LogBatch) -> None:
        event_type = batch.event_name(notification)
        handler = handlers.get(event_type)
        if handler is None:
            return  # not decoded: this policy does nothing on it
        try:
            event = batch.event(notification)
            provenance = Provenance(
                actor=f"SYSTEM:{policy.name}",
                correlation_id=getattr(event, "correlation_id", None) or "system",
                causation_id=causation_of(event),
            )
            with recording(provenance):
                handler(self.app, event)
        except Exception as error:  # noqa: BLE001 - kept as the policy's stall, with its event
            raise EventFailed(notification.id, event_type, error) from error

    def run_once(self) -> int:
        """One pass over every policy not waiting out a backoff; one failing holds back only itself.
        Policies at about the same position share one batch, read and decoded once."""
        ready = [p for p in self.policies if self.backoff.ready(p.tracking_name)]
        if not ready:
            return 0
        try:
            known = self.positions()
        except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
            self._failed(ready)
            return 0
        positions = {p.tracking_name: known[p.tracking_name] for p in ready}
        pending = sorted(ready, key=lambda p: positions[p.tracking_name])
        done = 0
        while pending:
            try:
                batch = LogBatch.read(self.app, positions[pending[0].tracking_name], self.batch_size)
            except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
                self._failed(pending)
                break
            for policy in [p for p in pending if batch.covers(positions[p.tracking_name])]:
                name = policy.tracking_name
                try:
                    done += self._follow(policy, positions[name], batch)
                except EventFailed:
                    self.backoff.failed(name)
                except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
                    self._failed([policy])
                else:
                    self.backoff.succeeded(name)
            if len(batch) < self.batch_size:
                break  # the batch reached the head
            pending = [p for p in pending if positions[p.tracking_name] >= batch.last]
        return done

    def _failed(self, policies: Sequence[Policy]) -> None:
        for policy in policies:
            delay = self.backoff.failed(policy.tracking_name)
            log.exception("policy_step_failed", policy=policy.tracking_name, retry_in_seconds=delay)

    def catch_up(self) -> None:
        """Run every policy until none has more to do (tests, CLI); a stalled one stays at its event."""
        progressed = True
        while progressed:
            progressed = False
            for policy in self.policies:
                try:
                    progressed = bool(self.run_policy_once(policy)) or progressed
                except EventFailed:
                    continue

    def start(self, poll_interval: float = 0.1) -> None:
        """Run the loop in a thread: a pass whenever events are recorded, and at the latest every
        ``poll_interval`` seconds (SQLite) or every safety poll (PostgreSQL, with a listener)."""

        def loop() -> None:
            while not self._stop.is_set():
                seen = self.signals.recorded.count
                if self.run_once():
                    continue
                self.signals.recorded.wait(seen, self.backoff.until_due(self.signals.poll_seconds(poll_interval)))

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="policies", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.signals.recorded.fire()  # wake the loop so it sees the stop
        if self._thread is not None:
            self._thread.join(timeout=10)
