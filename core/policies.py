"""Process steps: flows that may lag (a shipment spoiled → its order spoiled; a claim approved →
its order refunded) run as policies that follow the event log and issue commands.

A policy's position is tracked like a projection's, but its commands save to the event store, so
delivery is at-least-once: every policy command must be idempotent by the causing event's id
(``causation_id``), which it records on the events it causes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import structlog

from farmgate.core.application import Farmgate, utc_now
from farmgate.core.database import ReadStore
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.projections.base import event_name
from farmgate.core.projections.runner import TRACKING_DDL
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

    def __init__(self, app: Farmgate, store: ReadStore, policies: Sequence[Policy], batch_size: int = 100):
        self.app = app
        self.store = store
        self.policies = list(policies)
        self.batch_size = batch_size
        self.stalls = StallRecords(store)
        self.backoff = Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def create_tables(self) -> None:
        with self.store.transaction() as cur:
            cur.execute(TRACKING_DDL)
            self.stalls.create_table(cur)
            for policy in self.policies:
                cur.execute(
                    "INSERT INTO projection_tracking (name, position, updated_at) VALUES (%s, 0, %s)"
                    " ON CONFLICT (name) DO NOTHING",
                    (policy.tracking_name, utc_now().isoformat()),
                )

    def position(self, policy: Policy) -> int:
        row = self.store.query_one("SELECT position FROM projection_tracking WHERE name = %s", (policy.tracking_name,))
        return int(row["position"]) if row else 0

    def run_policy_once(self, policy: Policy) -> int:
        """Run the policy over the next events; how many it got through. A failing step records
        the stall at its event and stops there (the event is tried again on the next call)."""
        start = self.position(policy)
        notifications = self.app.recorder.select_notifications(start=start + 1, limit=self.batch_size)
        handlers = policy.handlers()
        done = 0
        for notification in notifications:
            try:
                self._step(policy, handlers, notification)
            except EventFailed as failure:
                stall = self.stalls.record(policy.tracking_name, failure, utc_now())
                log.error("policy_stalled", policy=policy.tracking_name, position=failure.position,
                          event_type=failure.event_type, error=stall.error, attempts=stall.attempts,
                          exc_info=(type(failure.error), failure.error, failure.error.__traceback__))
                raise
            done += 1
            # Advance after each handled event: a crash repeats at most one (idempotent) step.
            with self.store.transaction() as cur:
                cur.execute(
                    "UPDATE projection_tracking SET position = %s, updated_at = %s WHERE name = %s AND position < %s",
                    (notification.id, utc_now().isoformat(), policy.tracking_name, notification.id),
                )
                self.stalls.clear_passed(cur, policy.tracking_name, notification.id)
        return done

    def _step(self, policy: Policy, handlers: dict[str, Handler], notification: Any) -> None:
        event_type = notification.topic.rpartition(":")[2] or notification.topic
        try:
            event = self.app.mapper.to_domain_event(notification)
            event_type = event_name(event)
            handler = handlers.get(event_type)
            if handler is None:
                return
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
        """One pass over every policy not waiting out a backoff; one failing holds back only itself."""
        done = 0
        for policy in self.policies:
            name = policy.tracking_name
            if not self.backoff.ready(name):
                continue
            try:
                done += self.run_policy_once(policy)
            except EventFailed:
                self.backoff.failed(name)
            except Exception:  # noqa: BLE001 - the database, not an event: try again after a backoff
                delay = self.backoff.failed(name)
                log.exception("policy_step_failed", policy=name, retry_in_seconds=delay)
            else:
                self.backoff.succeeded(name)
        return done

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
        def loop() -> None:
            while not self._stop.is_set():
                if self.run_once():
                    continue
                self._stop.wait(poll_interval)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="policies", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
