"""The process's one PostgreSQL listener: LISTEN on the event store's and the projections' channels
and fire ``LogSignals`` for every consumer of this process.

The eventsourcing library's PostgreSQL recorder runs ``NOTIFY <events table>`` in every transaction
that inserts events (``PostgresApplicationRecorder._notify_channel``); the projector runs
``NOTIFY farmgate_projection_progress`` in every transaction that applies a batch. PostgreSQL
delivers a notification when, and only if, its transaction commits
(https://www.postgresql.org/docs/current/sql-notify.html), so a woken consumer finds the change.

The listener holds one connection of its own (outside the pool), in autocommit. If the connection
drops, it reconnects with a backoff and fires both signals once it listens again: whatever was
notified meanwhile is then read by the consumers. Nothing is lost either way — consumers also look
at the log every ``LogSignals.safety_poll_seconds``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import structlog

from farmgate.core.log_signals import LogSignals

log = structlog.get_logger("farmgate.log_listener")

#: the channel the projector notifies after each batch it applied (read-your-writes waits on it)
PROGRESS_CHANNEL = "farmgate_projection_progress"

#: how often the listening thread looks up from the socket to see whether it must stop, seconds
_STOP_CHECK_SECONDS = 1.0
_RECONNECT_FIRST_SECONDS = 0.5
_RECONNECT_MAX_SECONDS = 30.0


class PostgresLogListener:
    """LISTEN on ``events_channel`` and ``PROGRESS_CHANNEL``; fire ``signals.recorded`` /
    ``signals.progressed`` on each notification. ``connect_kwargs`` are psycopg's ``connect``
    keyword arguments (the pool's: host, dbname, user, sslmode…)."""

    def __init__(self, connect_kwargs: Mapping[str, Any], events_channel: str, signals: LogSignals):
        self.connect_kwargs = {k: v for k, v in connect_kwargs.items() if k != "row_factory"}
        self.channels = {events_channel: signals.recorded, PROGRESS_CHANNEL: signals.progressed}
        self.signals = signals
        self.listening = threading.Event()
        self.connections = 0  # how many times it has started listening (reconnects included)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="log-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=_STOP_CHECK_SECONDS * 5)

    def _run(self) -> None:
        delay = _RECONNECT_FIRST_SECONDS
        while not self._stop.is_set():
            try:
                self._listen()
                delay = _RECONNECT_FIRST_SECONDS
            except Exception:  # noqa: BLE001 - the database went away: consumers fall back on their safety poll
                self.listening.clear()
                log.warning("log_listener_disconnected", retry_in_seconds=delay, exc_info=True)
                self._stop.wait(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)

    def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        kwargs = {"application_name": "farmgate-listener", **self.connect_kwargs, "autocommit": True}
        with psycopg.connect(**kwargs) as conn:
            for channel in self.channels:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.connections += 1
            self.listening.set()
            # Anything recorded while not listening: let every consumer look once.
            for signal in self.channels.values():
                signal.fire()
            log.info("log_listener_listening", channels=sorted(self.channels))
            while not self._stop.is_set():
                # Yields each notification as it arrives; returns after the timeout to look at _stop.
                for notification in conn.notifies(timeout=_STOP_CHECK_SECONDS):
                    signal = self.channels.get(notification.channel)
                    if signal is not None:
                        signal.fire()
