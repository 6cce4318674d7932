"""Following the event log from a position: what live feeds (subscriptions, webhooks) read.

It reads the stored log itself, not an in-process bus, so a subscriber on one API process sees
events recorded by any other process. Only the notifications a follower wants are decoded.

Where the process is told of every write (PostgreSQL's notifications, ``core.log_signals``), the
followers near the head share one reader (``RecentLog``): each wake-up reads the new notifications
once for all of them, and each event is decoded once, however many subscriptions are open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from farmgate.core.log_signals import LogSignals
from farmgate.core.personal_mapper import tokens_only


@dataclass(frozen=True)
class TailedEvent:
    position: int
    event: Any


@dataclass(frozen=True)
class TailBatch:
    #: the position to follow on from (the last notification read, wanted or not)
    position: int
    #: how many notifications were read; fewer than a batch means the follower is at the head
    read: int
    events: list[TailedEvent] = field(default_factory=list)


def stream_of(notification: Any) -> UUID:
    value = notification.originator_id
    return value if isinstance(value, UUID) else UUID(str(value))


def event_name_of(notification: Any) -> str:
    """'Shipment.Dispatched' from the notification's topic, without decoding it."""
    return str(notification.topic).rsplit(":", 1)[-1]


class RecentLog:
    """The newest notifications of the log, read once per change for every follower of the process.

    It holds every notification with a position in ``(start, end]`` (positions may have gaps: a
    rolled-back insert leaves one) and reads on from ``end`` only when ``signals.recorded`` fired
    since its last read, or the safety poll passed. Only for a process whose signals are notified
    of every write (``LogSignals.notified``); ``keep`` bounds what it holds.
    """

    def __init__(self, app: Any, signals: LogSignals, keep: int = 2000, batch_size: int = 500):
        self.app = app
        self.signals = signals
        self.keep = keep
        self.batch_size = batch_size
        self.reads = 0  # queries it made on the log (for tests and metrics)
        self._lock = threading.Lock()
        self._recent: list[Any] = []
        self._events: dict[int, Any] = {}
        #: decodings in flight: a follower asking for one waits for it instead of decoding again
        self._decoding: dict[int, Future[Any]] = {}
        self._start: int | None = None
        self._end = 0
        self._read_at: tuple[int, float] = (-1, 0.0)  # the signal's count before the last read, and when

    def after(self, position: int, limit: int) -> list[Any] | None:
        """At most ``limit`` notifications after ``position``, oldest first; None when ``position`` is
        older than what is held (the caller reads the log itself)."""
        with self._lock:
            if self._start is None:
                self._start = self._end = int(self.app.recorder.max_notification_id() or 0)
                self.reads += 1
            if position < self._start:
                return None
            self._catch_up()
            return [n for n in self._recent if n.id > position][:limit]

    def _catch_up(self) -> None:
        seen, read_at = self._read_at
        if seen == self.signals.recorded.count and time.monotonic() - read_at < self.signals.safety_poll_seconds:
            return
        while True:
            count = self.signals.recorded.count
            notifications = self.app.recorder.select_notifications(start=self._end + 1, limit=self.batch_size)
            self.reads += 1
            self._recent.extend(notifications)
            if notifications:
                self._end = notifications[-1].id
            if len(notifications) < self.batch_size:
                self._read_at = (count, time.monotonic())
                break
        if len(self._recent) > self.keep:
            dropped, self._recent = self._recent[:-self.keep], self._recent[-self.keep:]
            self._start = dropped[-1].id
            for n in dropped:
                self._events.pop(n.id, None)

    def event(self, notification: Any) -> Any:
        """The notification's domain event, decoded once for every follower: followers asking while it
        is being decoded wait for that decoding; raises what decoding raised. What is held keeps
        personal fields sealed (``tokens_only``); each follower gets them opened at the time it asks,
        so after an erasure they read erased, not what was opened before."""
        return self._opened(self._decoded(notification))

    def _opened(self, event: Any) -> Any:
        opened = getattr(self.app.mapper, "opened", None)
        return event if opened is None else opened(event)

    def _decoded(self, notification: Any) -> Any:
        with self._lock:
            cached = self._events.get(notification.id)
            if cached is not None:
                return cached
            pending = self._decoding.get(notification.id)
            decoding = pending is None
            if pending is None:
                pending = self._decoding[notification.id] = Future()
        if not decoding:
            return pending.result()
        try:
            with tokens_only():
                event = self.app.mapper.to_domain_event(notification)
        except BaseException as error:
            with self._lock:
                self._decoding.pop(notification.id, None)
            pending.set_exception(error)
            raise
        with self._lock:
            if self._start is not None and notification.id > self._start:
                self._events[notification.id] = event
            self._decoding.pop(notification.id, None)
        pending.set_result(event)
        return event


class EventTail:
    """Reads the log after a position for one follower; through ``recent`` (shared by the process's
    followers) when given and the position is recent enough, else with a query of its own."""

    def __init__(self, app: Any, batch_size: int = 500, recent: RecentLog | None = None):
        self.app = app
        self.batch_size = batch_size
        self.recent = recent

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def after(self, position: int, wanted: Callable[[Any], bool] | None = None) -> TailBatch:
        """Events recorded after ``position``, oldest first, at most one batch; only those
        ``wanted(notification)`` are decoded and returned."""
        shared = self.recent.after(position, self.batch_size) if self.recent is not None else None
        if shared is not None and self.recent is not None:
            notifications, decode = shared, self.recent.event
        else:
            notifications = self.app.recorder.select_notifications(start=position + 1, limit=self.batch_size)
            decode = self.app.mapper.to_domain_event
        events = [TailedEvent(n.id, decode(n)) for n in notifications if wanted is None or wanted(n)]
        return TailBatch(notifications[-1].id if notifications else position, len(notifications), events)
