"""The event store's PostgreSQL recorder, recording a save in one statement instead of six.

The eventsourcing library's ``PostgresApplicationRecorder`` records a save as one pipelined
transaction: ``BEGIN``, ``SET LOCAL lock_timeout``, ``LOCK TABLE … IN EXCLUSIVE MODE``, ``NOTIFY``,
``INSERT … RETURNING notification_id``, ``COMMIT``. Its own ``enable_db_functions`` option does it
in one call of a function, but that function takes no table lock, so a follower of the log could
pass over a notification id that commits after a higher one (exactly-once projections need commit
order to be notification order). This subclass calls a function of its own that does all five
things, in the same order, inside the one statement's transaction:

    SET LOCAL lock_timeout; LOCK TABLE … IN EXCLUSIVE MODE; NOTIFY; INSERT … RETURNING notification_id

Same guarantees: the table lock, the primary key's version check (a lost race is a unique violation,
IntegrityError, and nothing of the save is kept), the notification at commit. The function is
created with the events table, by the library's ``create_table`` (``sql_create_statements``), as the
library creates its own. Saves with tracking records (not made by farmgate) go the library's way.

Selected through the library's own setting ``APPLICATION_RECORDER_TOPIC`` (``RECORDER_TOPIC``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

#: the eventsourcing topic of the recorder below, for ``APPLICATION_RECORDER_TOPIC``
RECORDER_TOPIC = "farmgate.core.postgres_events:OneStatementRecorder"


class OneStatementRecorder(PostgresApplicationRecorder):
    """``PostgresApplicationRecorder`` whose ``insert_events`` is one statement (module docstring)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_function_name = f"{self.events_table_name}_insert"
        self.check_identifier_length(self.insert_function_name)
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        function = SQL("{0}.{1}").format(schema, Identifier(self.insert_function_name))
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {function}(events {schema}.{event}[]) RETURNS SETOF bigint"
            " LANGUAGE plpgsql AS $BODY$ BEGIN"
            " SET LOCAL lock_timeout = '{lock_timeout}s';"
            " LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;"
            " NOTIFY {channel};"
            " RETURN QUERY INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)"
            " SELECT originator_id, originator_version, topic, state FROM unnest(events)"
            " RETURNING notification_id;"
            " END; $BODY$"
        ).format(function=function, schema=schema, table=table, event=Identifier(self.stored_event_type_name),
                 lock_timeout=int(self.datastore.lock_timeout), channel=Identifier(self.channel_name)))
        self.insert_by_function_statement = SQL("SELECT * FROM {0}(%s)").format(function)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Record the events in one statement (autocommit: the statement is the transaction) and
        return their notification ids, in order. IntegrityError if a version is taken."""
        if kwargs.get("tracking") is not None or not stored_events:
            recorded: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return recorded
        events = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
                  for e in stored_events]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.insert_by_function_statement, (events,), prepare=True)
            return [int(row[self.insert_function_name]) for row in curs.fetchall()]
