"""Which read-model tables each projection version made, and when it first caught up with the head
of the event log: ``farmgate projections prune`` (core.projections.old_versions) drops an older
version's tables once the current version has caught up. One row per (projection name, version);
``tables`` is the space-separated table names. ``IF NOT EXISTS``, the same SQL on SQLite and
PostgreSQL; no existing row changes."""

from yoyo import step  # type: ignore[import-untyped]  # yoyo ships no type hints

__depends__ = {"0003_personal_data_keys"}

steps = [
    step("CREATE TABLE IF NOT EXISTS projection_versions ("
         " name TEXT NOT NULL, version INTEGER NOT NULL, tables TEXT NOT NULL, created_at TEXT NOT NULL,"
         " caught_up_at TEXT, PRIMARY KEY (name, version))"),
]
