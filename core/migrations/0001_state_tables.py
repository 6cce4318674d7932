"""The tables that hold state, as every process created them at boot before migrations existed.

``IF NOT EXISTS`` throughout: a database created that way is adopted as being at this version with
its rows untouched. The same SQL on SQLite and PostgreSQL."""

from typing import Any

from yoyo import step

__depends__: set[str] = set()

def _lease_column(conn: Any) -> None:
    """idempotency_keys made before leases existed gain lease_until (their rows count as expired leases)."""
    cursor = conn.cursor()
    if type(conn).__module__.startswith("psycopg"):
        cursor.execute("ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS lease_until DOUBLE PRECISION")
        return
    cursor.execute("PRAGMA table_info(idempotency_keys)")
    if not any(row[1] == "lease_until" for row in cursor.fetchall()):
        cursor.execute("ALTER TABLE idempotency_keys ADD COLUMN lease_until DOUBLE PRECISION")


steps = [
    # where each projection and process step has got to in the event log, and the ones stopped at an event
    step("CREATE TABLE IF NOT EXISTS projection_tracking ("
         " name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL)"),
    step("CREATE TABLE IF NOT EXISTS projection_stalls ("
         " name TEXT PRIMARY KEY, position BIGINT NOT NULL, event_type TEXT NOT NULL, error TEXT NOT NULL,"
         " since TEXT NOT NULL, last_attempt TEXT NOT NULL, attempts INTEGER NOT NULL)"),
    # Idempotency-Key: the response of each keyed request
    step("""CREATE TABLE IF NOT EXISTS idempotency_keys (
        caller TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        operation TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT,
        created_at TEXT NOT NULL,
        lease_until DOUBLE PRECISION,
        PRIMARY KEY (caller, idempotency_key)
    )"""),
    step(lambda conn: _lease_column(conn)),
    # the signed audit anchors and the Merkle leaf of each sealed event
    step("""CREATE TABLE IF NOT EXISTS audit_anchors (
        sequence BIGINT PRIMARY KEY,
        anchor TEXT NOT NULL,
        anchor_hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        after_position BIGINT NOT NULL,
        last_position BIGINT NOT NULL,
        sealed_at TEXT NOT NULL
    )"""),
    step("""CREATE TABLE IF NOT EXISTS audit_anchor_leaves (
        position BIGINT PRIMARY KEY,
        anchor_sequence BIGINT NOT NULL,
        aggregate_id TEXT NOT NULL,
        version BIGINT NOT NULL,
        leaf TEXT NOT NULL,
        leaf_index BIGINT NOT NULL,
        proof TEXT NOT NULL
    )"""),
    step("CREATE INDEX IF NOT EXISTS audit_anchor_leaves_stream ON audit_anchor_leaves (aggregate_id, version)"),
    step("CREATE INDEX IF NOT EXISTS audit_anchor_leaves_anchor ON audit_anchor_leaves (anchor_sequence, position)"),
    # household import jobs: the file in chunks, the rows refused, the households seen
    step("""CREATE TABLE IF NOT EXISTS household_imports (
        id TEXT PRIMARY KEY,
        actor TEXT NOT NULL,
        province TEXT,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        file_bytes BIGINT NOT NULL,
        dry_run INTEGER NOT NULL,
        status TEXT NOT NULL,
        rows_total INTEGER NOT NULL,
        records_read INTEGER NOT NULL DEFAULT 0,
        imported INTEGER NOT NULL DEFAULT 0,
        already_registered INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_token TEXT,
        lease_until DOUBLE PRECISION,
        request_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    )"""),
    step("CREATE INDEX IF NOT EXISTS household_imports_open ON household_imports (status, lease_until)"),
    step("""CREATE TABLE IF NOT EXISTS household_import_chunks (
        import_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        content TEXT NOT NULL,
        PRIMARY KEY (import_id, seq)
    )"""),
    step("""CREATE TABLE IF NOT EXISTS household_import_errors (
        import_id TEXT NOT NULL,
        row_number INTEGER NOT NULL,
        column_name TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (import_id, row_number)
    )"""),
    step("""CREATE TABLE IF NOT EXISTS household_import_seen (
        import_id TEXT NOT NULL,
        household_id TEXT NOT NULL,
        row_number INTEGER NOT NULL,
        PRIMARY KEY (import_id, household_id)
    )"""),
    # the webhook outbox: each delivery (Standard Webhooks) and each endpoint's backfill of the past
    step("""CREATE TABLE IF NOT EXISTS webhook_deliveries_v2 (
        id TEXT PRIMARY KEY,
        endpoint_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        partner_id TEXT,
        marketplace TEXT,
        created_by TEXT,
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        export_order_id TEXT,
        order_id TEXT,
        aggregate_id TEXT NOT NULL,
        aggregate_version INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        topic TEXT NOT NULL,
        position BIGINT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        next_attempt_at TEXT NOT NULL,
        queued_until TEXT,
        lease_until TEXT,
        lease_token TEXT,
        delivered_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (endpoint_id, event_id)
    )"""),
    step("""CREATE TABLE IF NOT EXISTS webhook_backfills_v1 (
        endpoint_id TEXT NOT NULL,
        until_position BIGINT NOT NULL,
        after_position BIGINT NOT NULL,
        next_after BIGINT NOT NULL,
        done INTEGER NOT NULL,
        PRIMARY KEY (endpoint_id, until_position)
    )"""),
    step("CREATE INDEX IF NOT EXISTS webhook_deliveries_v2_due ON webhook_deliveries_v2 (status, next_attempt_at)"),
    step("CREATE INDEX IF NOT EXISTS webhook_deliveries_v2_subject"
         " ON webhook_deliveries_v2 (endpoint_id, subject_id, position)"),
    step("CREATE INDEX IF NOT EXISTS webhook_deliveries_v2_partner ON webhook_deliveries_v2 (partner_id, position)"),
    step("CREATE INDEX IF NOT EXISTS webhook_deliveries_v2_created_by"
         " ON webhook_deliveries_v2 (created_by, position)"),
    step("CREATE INDEX IF NOT EXISTS webhook_deliveries_v2_position ON webhook_deliveries_v2 (position)"),
]
