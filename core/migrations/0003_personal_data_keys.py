"""The personal-data key store (core.personal_keys, issue 13): each data subject's key wrapped by the
key-encryption key, buyers' subjects by their phone's digest, and the streams that hold a subject's
data. ``IF NOT EXISTS``: a database whose processes created these tables at boot is adopted as is.
Keys are BYTEA on PostgreSQL, BLOB on SQLite."""

from typing import Any

from yoyo import step

__depends__ = {"0002_postgres_extensions"}


def create_key_store(conn: Any) -> None:
    blob = "BYTEA" if type(conn).__module__.startswith("psycopg") else "BLOB"
    cursor = conn.cursor()
    cursor.execute(f"CREATE TABLE IF NOT EXISTS personal_data_keys (subject TEXT PRIMARY KEY, wrapped_key {blob},"
                   " kek_id TEXT, created_at TEXT NOT NULL, erased_at TEXT, erased_by TEXT, reason TEXT)")
    cursor.execute("CREATE TABLE IF NOT EXISTS personal_data_buyers (phone_digest TEXT PRIMARY KEY,"
                   " subject TEXT NOT NULL)")
    cursor.execute("CREATE INDEX IF NOT EXISTS personal_data_buyers_subject ON personal_data_buyers (subject)")
    cursor.execute("CREATE TABLE IF NOT EXISTS personal_data_streams (subject TEXT NOT NULL, stream_id TEXT NOT NULL,"
                   " PRIMARY KEY (subject, stream_id))")


steps = [step(create_key_store)]
