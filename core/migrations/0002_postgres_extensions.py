"""PostgreSQL's extensions the catalog search needs (unaccent, pg_trgm), created by whoever runs
``farmgate migrate`` (a managed database's application role usually may not ``CREATE EXTENSION``).
Nothing on SQLite: the step is recorded there all the same, so both backends count the same versions."""

from typing import Any

from yoyo import step

__depends__ = {"0001_state_tables"}


def create_extensions(conn: Any) -> None:
    if not type(conn).__module__.startswith("psycopg"):
        return
    cursor = conn.cursor()
    cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")


steps = [step(create_extensions)]
