"""Idempotency keys, kept in the database so they survive a restart and hold across API processes.

A key is claimed before the mutation runs (so two concurrent requests with one key cannot both
act), then completed with the response. The same caller and key with a different request is
refused; a key is kept at least 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from farmgate.core.application import Clock, utc_now
from farmgate.core.database import ReadStore

RETENTION = timedelta(hours=48)

DDL = """CREATE TABLE IF NOT EXISTS idempotency_keys (
    caller TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
)"""


def request_fingerprint(operation: str, request: Any) -> str:
    body = json.dumps({"operation": operation, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: run it (``fresh``), replay ``response``, or refuse."""

    fresh: bool
    response: dict[str, Any] | None = None
    reused: bool = False
    in_progress: bool = False


class IdempotencyStore:
    def __init__(self, store: ReadStore, clock: Clock = utc_now):
        self.store = store
        self.clock = clock

    def create_table(self) -> None:
        with self.store.transaction() as cur:
            cur.execute(DDL)

    def claim(self, caller: str, key: str, operation: str, request_hash: str, wait_seconds: float = 5.0) -> Claim:
        inserted = False
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT INTO idempotency_keys (caller, idempotency_key, operation, request_hash, response, created_at)"
                " VALUES (%s, %s, %s, %s, NULL, %s) ON CONFLICT (caller, idempotency_key) DO NOTHING",
                (caller, key, operation, request_hash, self.clock().isoformat()),
            )
            inserted = cur.rowcount == 1
        if inserted:
            return Claim(fresh=True)
        deadline = time.monotonic() + wait_seconds
        while True:
            row = self.store.query_one(
                "SELECT operation, request_hash, response FROM idempotency_keys"
                " WHERE caller = %s AND idempotency_key = %s",
                (caller, key),
            )
            if row is None:  # the first attempt failed and released the key: take it now
                return self.claim(caller, key, operation, request_hash, wait_seconds)
            if row["operation"] != operation or row["request_hash"] != request_hash:
                return Claim(fresh=False, reused=True)
            if row["response"] is not None:
                return Claim(fresh=False, response=json.loads(row["response"]))
            if time.monotonic() >= deadline:
                return Claim(fresh=False, in_progress=True)
            time.sleep(0.02)  # polling the key's row: another process holds it

    def complete(self, caller: str, key: str, response: dict[str, Any]) -> None:
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE idempotency_keys SET response = %s WHERE caller = %s AND idempotency_key = %s",
                (json.dumps(response), caller, key),
            )

    def release(self, caller: str, key: str) -> None:
        """The mutation failed internally: forget the claim so a retry can run."""
        with self.store.transaction() as cur:
            cur.execute(
                "DELETE FROM idempotency_keys WHERE caller = %s AND idempotency_key = %s AND response IS NULL",
                (caller, key),
            )

    def purge_expired(self) -> int:
        cutoff = (self.clock() - RETENTION).isoformat()
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM idempotency_keys WHERE created_at < %s", (cutoff,))
            return cur.rowcount
