"""Stalls: a follower of the event log (a projection, a process step) that cannot apply an event.

A handler that fails on an event stops that follower *at that event*, and only that follower: the
stall (its name, the event's position and type, what went wrong, since when, how many attempts)
is kept in ``projection_stalls`` so every process — the CLI's ``projections status``, every API
process's ``/metrics`` and ``/projections`` — sees it. The follower tries the event again once per
backoff period (logging once per attempt, not once per poll), and when the event goes through
(a fix deployed, the data repaired) the stall is cleared in the same transaction and it goes on.

What went wrong is kept as the exception's type and, for database errors, the server's primary
message, which by PostgreSQL's and SQLite's conventions names no data values: a stall must not put
personal data where operators look.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from farmgate.core.database import Cursor, ReadStore

#: first retry after this many seconds, doubling per failed attempt up to MAX_BACKOFF_SECONDS
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class Stall:
    """Where and why a follower stopped: ``position`` is the event it could not apply."""

    name: str
    position: int
    event_type: str
    error: str
    since: str
    last_attempt: str
    attempts: int

    def as_dict(self) -> dict[str, object]:
        return {"position": self.position, "eventType": self.event_type, "error": self.error, "since": self.since,
                "lastAttempt": self.last_attempt, "attempts": self.attempts}


class EventFailed(Exception):
    """A handler (or the decoding of its event) failed on the event at ``position``."""

    def __init__(self, position: int, event_type: str, error: BaseException):
        super().__init__(f"{event_type} at {position}: {describe(error)}")
        self.position = position
        self.event_type = event_type
        self.error = error


def describe(error: BaseException) -> str:
    """The error as a stall keeps it: its type, and a database's own message (no data values)."""
    name = type(error).__name__
    cause: BaseException | None = error
    while cause is not None:
        diag = getattr(cause, "diag", None)
        primary = getattr(diag, "message_primary", None) if diag is not None else None
        if primary:
            return f"{name}: {primary}"
        if isinstance(cause, sqlite3.Error) or type(cause).__module__.startswith("psycopg"):
            # psycopg's own (client-side) messages and SQLite's name columns and rules, not values.
            first_line = str(cause).splitlines()[0][:200] if str(cause) else ""
            return f"{name}: {first_line}" if first_line else name
        cause = cause.__cause__
    return name


class StallRecords:
    """The stalls of every follower, in the read store (shared by all processes)."""

    def __init__(self, store: ReadStore):
        self.store = store

    def record(self, name: str, failure: EventFailed, now: datetime) -> Stall:
        """Keep (or update) ``name``'s stall at the failing event; its own transaction."""
        at = now.isoformat()
        with self.store.transaction() as cur:
            row = cur.execute(
                "SELECT position, since, attempts FROM projection_stalls WHERE name = %s" + self.store.lock_clause(),
                (name,),
            ).fetchone()
            same = row is not None and int(row["position"]) == failure.position
            since = row["since"] if same and row else at
            attempts = int(row["attempts"]) + 1 if same and row else 1
            cur.execute("DELETE FROM projection_stalls WHERE name = %s", (name,))
            cur.execute(
                "INSERT INTO projection_stalls (name, position, event_type, error, since, last_attempt, attempts)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (name, failure.position, failure.event_type, describe(failure.error), since, at, attempts),
            )
        return Stall(name, failure.position, failure.event_type, describe(failure.error), since, at, attempts)

    @staticmethod
    def clear_passed(cur: Cursor, name: str, position: int) -> None:
        """Forget ``name``'s stall once it has applied ``position`` (in the transaction that did)."""
        cur.execute("DELETE FROM projection_stalls WHERE name = %s AND position <= %s", (name, position))

    def all(self) -> dict[str, Stall]:
        rows = self.store.query(
            "SELECT name, position, event_type, error, since, last_attempt, attempts FROM projection_stalls"
        )
        return {r["name"]: Stall(r["name"], int(r["position"]), r["event_type"], r["error"], r["since"],
                                 r["last_attempt"], int(r["attempts"])) for r in rows}


class Backoff:
    """When each follower may try again after failing: FIRST_BACKOFF_SECONDS, doubling, capped.

    In-process and thread-safe; a fresh process (a fix deployed) tries at once."""

    def __init__(self, first: float = FIRST_BACKOFF_SECONDS, cap: float = MAX_BACKOFF_SECONDS):
        self.first = first
        self.cap = cap
        self._lock = threading.Lock()
        self._next: dict[str, tuple[float, float]] = {}  # name -> (monotonic time, current delay)

    def ready(self, name: str) -> bool:
        with self._lock:
            due = self._next.get(name)
        return due is None or time.monotonic() >= due[0]

    def failed(self, name: str) -> float:
        """Note a failed attempt; the delay until the next one."""
        with self._lock:
            delay = self.first if name not in self._next else min(self._next[name][1] * 2, self.cap)
            self._next[name] = (time.monotonic() + delay, delay)
            return delay

    def until_due(self, longest: float) -> float:
        """Seconds until the next follower waiting out its backoff may try again, at most
        ``longest`` (a loop sleeping for new events wakes for that retry too)."""
        with self._lock:
            dues = [due for due, _ in self._next.values()]
        if not dues:
            return longest
        return max(0.0, min(longest, min(dues) - time.monotonic()))

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._next.pop(name, None)
