"""Process steps: flows that may lag (a shipment spoiled → its order spoiled; a claim approved →
its order refunded) run as policies that follow the event log and issue commands.

A policy's position is tracked like a projection's, but its commands save to the event store, so
delivery is at-least-once: every policy command must be idempotent by the causing event's id
(``causation_id``), which it records on the events it causes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import structlog

from farmgate.core.application import Farmgate, utc_now
from farmgate.core.database import ReadStore
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.projections.base import event_name
from farmgate.core.projections.runner import TRACKING_DDL

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
    def __init__(self, app: Farmgate, store: ReadStore, policies: Sequence[Policy], batch_size: int = 100):
        self.app = app
        self.store = store
        self.policies = list(policies)
        self.batch_size = batch_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def create_tables(self) -> None:
        with self.store.transaction() as cur:
            cur.execute(TRACKING_DDL)
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
        start = self.position(policy)
        notifications = self.app.recorder.select_notifications(start=start + 1, limit=self.batch_size)
        handlers = policy.handlers()
        done = start
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            handler = handlers.get(event_name(event))
            if handler is not None:
                provenance = Provenance(
                    actor=f"SYSTEM:{policy.name}",
                    correlation_id=getattr(event, "correlation_id", None) or "system",
                    causation_id=causation_of(event),
                )
                with recording(provenance):
                    handler(self.app, event)
            done = notification.id
            # Advance after each handled event: a crash repeats at most one (idempotent) step.
            with self.store.transaction() as cur:
                cur.execute(
                    "UPDATE projection_tracking SET position = %s, updated_at = %s WHERE name = %s AND position < %s",
                    (done, utc_now().isoformat(), policy.tracking_name, done),
                )
        return len(notifications)

    def run_once(self) -> int:
        return sum(self.run_policy_once(p) for p in self.policies)

    def catch_up(self) -> None:
        while self.run_once():
            pass

    def start(self, poll_interval: float = 0.1) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    if self.run_once():
                        continue
                except Exception:  # logged and retried: the step is idempotent
                    log.exception("policy_step_failed")
                    time.sleep(poll_interval)
                self._stop.wait(poll_interval)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="policies", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
