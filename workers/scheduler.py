"""The periodic scheduler: lives in the worker process (not cron) and enqueues each job on its
interval. Jobs are idempotent, so two schedulers enqueueing the same tick do no harm."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import dramatiq
import structlog

log = structlog.get_logger("farmgate.scheduler")


@dataclass(frozen=True)
class Periodic:
    actor_name: str
    every_seconds: float


class Scheduler:
    def __init__(self, broker: dramatiq.Broker, jobs: list[Periodic], clock: Callable[[], float] | None = None):
        import time

        self.broker = broker
        self.jobs = jobs
        self.clock = clock or time.monotonic
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._due = {job.actor_name: 0.0 for job in jobs}

    def tick(self) -> list[str]:
        """Enqueue every job that is due now; return their names."""
        now = self.clock()
        sent = []
        for job in self.jobs:
            if now >= self._due[job.actor_name]:
                self.broker.get_actor(job.actor_name).send()
                self._due[job.actor_name] = now + job.every_seconds
                sent.append(job.actor_name)
        return sent

    def start(self, resolution: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:
                    log.exception("scheduler_tick_failed")
                self._stop.wait(resolution)

        self._thread = threading.Thread(target=loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
