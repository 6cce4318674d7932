"""The event store's PostgreSQL recorder, writing a save in four statements instead of six.

The eventsourcing library's ``PostgresApplicationRecorder`` records a save as one pipelined
transaction: ``BEGIN``, ``SET LOCAL lock_timeout``, ``LOCK TABLE … IN EXCLUSIVE MODE``, ``NOTIFY``,
the ``INSERT … RETURNING notification_id``, ``COMMIT``. This subclass keeps that transaction and its
guarantees (the table lock that makes commit order the notification order, the version check of
the primary key, the notification to listeners at commit) and sends two statements fewer:

- the lock timeout is the session's, set once per connection (``lock_timeout_option``, the
  libpq ``options`` the pool's connections open with) instead of ``SET LOCAL`` in every save;
- ``NOTIFY`` is ``pg_notify`` on the same channel, with the same empty payload, called by the
  statement that inserts (a function scan, run once, joined to the inserted rows).

Selected through the library's own setting ``APPLICATION_RECORDER_TOPIC`` (``RECORDER_TOPIC``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

#: the eventsourcing topic of the recorder below, for ``APPLICATION_RECORDER_TOPIC``
RECORDER_TOPIC = "farmgate.core.postgres_events:FewerStatementsRecorder"


def lock_timeout_option(options: str, lock_timeout_seconds: int) -> str:
    """libpq ``options`` (``-c name=value`` words) with the session's lock_timeout added (seconds;
    0 adds nothing: no timeout, as the library's ``SET LOCAL … '0s'``)."""
    if not lock_timeout_seconds:
        return options
    return f"{options} -c lock_timeout={int(lock_timeout_seconds)}s".strip()


class FewerStatementsRecorder(PostgresApplicationRecorder):
    """``PostgresApplicationRecorder`` without the per-save ``SET LOCAL`` and ``NOTIFY`` statements
    (see the module docstring). Needs the pool's connections opened with ``lock_timeout_option``."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        # The library's list is [SET LOCAL lock_timeout, LOCK TABLE]: keep the lock.
        self.lock_table_statements = [
            s for s in self.lock_table_statements if "lock_timeout" not in s.as_string()
        ]
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        event_type = SQL("{0}.{1}").format(Identifier(self.datastore.schema),
                                           Identifier(self.stored_event_type_name))
        self.insert_events_statement = SQL(
            "WITH inserted AS ("
            "INSERT INTO {table} AS t (originator_id, originator_version, topic, state)"
            " SELECT originator_id, originator_version, topic, state FROM unnest(%s::{event_type}[])"
            " RETURNING notification_id)"
            " SELECT inserted.notification_id FROM inserted CROSS JOIN pg_notify({channel}, '')"
            " ORDER BY inserted.notification_id"
        ).format(table=table, event_type=event_type, channel=Literal(self.channel_name))

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        """Nothing: the insert statement notifies (``pg_notify``)."""

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        """The notification ids the insert returned (its status is SELECT, not INSERT)."""
        return [row["notification_id"] for row in curs.fetchall()]
