"""Wake-ups for the followers of the event log: something was recorded, or a projection moved on.

One ``LogSignals`` per process. Whatever learns of a change fires a signal — the PostgreSQL
listener (``core.log_listener``) on the event store's ``NOTIFY``, or this process itself after it
saved events or applied a batch — and every consumer waiting on it (the projector's and the
process steps' loops, read-your-writes waits, live subscriptions) wakes at once. Consumers still
wait with a timeout: a short poll where nothing is notified (SQLite: another process's writes
reach this one only by reading the file), a slow safety poll on PostgreSQL, so a missed
notification only delays.

A signal is a counter, not a flag: a consumer notes ``count`` *before* it reads the log and then
waits for the count to move past it, so a change that lands between its read and its wait is
never slept through.
"""

from __future__ import annotations

import asyncio
import threading


class Signal:
    """A count of wake-ups of one kind, waitable from threads and from asyncio tasks."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0
        self._async_waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def count(self) -> int:
        """How many times it has fired; note it before reading, then ``wait(seen)``."""
        with self._changed:
            return self._count

    def fire(self) -> None:
        """Wake every waiter (thread-safe; from any thread)."""
        with self._changed:
            self._count += 1
            self._changed.notify_all()
            waiters = list(self._async_waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that event loop is closed: its waiter is gone with it
                pass

    def wait(self, seen: int, timeout: float) -> bool:
        """Block until the count differs from ``seen`` or ``timeout`` seconds pass; whether it fired."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count != seen, timeout)

    async def wait_async(self, seen: int, timeout: float) -> bool:
        """``wait`` for an asyncio task: the event loop is not blocked meanwhile."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._changed:
            if self._count != seen:
                return True
            self._async_waiters.add(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return self.count != seen
        finally:
            with self._changed:
                self._async_waiters.discard(entry)


class LogSignals:
    """The process's two wake-ups, and how long consumers wait when none comes.

    ``recorded``: events were recorded (by any process where notifications reach this one).
    ``progressed``: a projection applied a batch (read-your-writes waits on it).
    ``notified``: whether a listener delivers other processes' changes (PostgreSQL); consumers
    then wait ``safety_poll_seconds``, otherwise their own short poll interval.
    """

    def __init__(self, *, notified: bool = False, safety_poll_seconds: float = 10.0) -> None:
        self.recorded = Signal()
        self.progressed = Signal()
        self.notified = notified
        self.safety_poll_seconds = safety_poll_seconds

    def poll_seconds(self, unnotified: float) -> float:
        """How long to wait for a wake-up before looking anyway: ``unnotified`` (the consumer's own
        poll interval) where no listener runs, the slow safety poll where one does."""
        return self.safety_poll_seconds if self.notified else unnotified
