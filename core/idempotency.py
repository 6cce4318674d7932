"""Idempotency keys, kept in the database so they survive a restart and hold across API processes.

A key's first attempt takes the key with a *lease* (``lease_until``, wall-clock seconds): while the
lease runs, a retry with the same key waits for the answer, then hears "still in progress". When
the lease has run out with no answer, the holder is taken to be dead (killed between committing
and answering, say) and the next retry takes the key over: it first looks in the event store for
what the request committed (the IdempotentRequest record saved atomically with the command's
events, see ``core.domain.idempotent_request``) and answers with that; if nothing was committed it
runs the command again. Should the old holder be alive after all and commit later, the event store
refuses the second commit, so a key never commits twice whoever holds it.

The same caller and key with a different request is refused; a key is kept at least 24 hours
(RETENTION). The row's ``created_at`` is the key's *generation*: with the caller and the key it
names the request's record, so a key reused after it expired is a new request.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from farmgate.core.application import Clock, Farmgate, utc_now
from farmgate.core.database import ReadStore
from farmgate.core.domain.carrier import CarrierRegistry
from farmgate.core.domain.household import Household
from farmgate.core.domain.webhook_endpoint import WebhookEndpoint

RETENTION = timedelta(hours=48)
#: how long a first attempt holds its key before a retry may take over (FARMGATE_IDEMPOTENCY_LEASE_SECONDS)
DEFAULT_LEASE_SECONDS = 10.0

def request_fingerprint(operation: str, request: Any) -> str:
    body = json.dumps({"operation": operation, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def request_digest(caller: str, key: str, generation: str) -> str:
    """The name of one keyed request: SHA-256 of the caller, the key and the key's generation."""
    return hashlib.sha256("\n".join((caller, key, generation)).encode()).hexdigest()


@dataclass(frozen=True)
class CommittedRequest:
    """What a keyed request's command committed, read back from the event store: the streams it
    changed (type name, id) in the order it saved them, and the facts a payload names that are
    not stream ids. ``position`` is the log's head when read (its events are at or before it)."""

    streams: list[tuple[str, UUID]]
    order_number: str | None
    certification_id: UUID | None
    webhook_partner_id: UUID | None
    position: int
    #: the carrier a registerCarrier added (the registry's stream id is the registry's, not the carrier's)
    carrier_id: UUID | None = None


def committed_request(app: Farmgate, digest: str) -> CommittedRequest | None:
    """What the request named ``digest`` committed, or None if it committed nothing."""
    record = app.committed_request(digest)
    if record is None:
        return None
    streams = [(change["stream"], UUID(change["id"])) for change in record.changes]
    versions = {UUID(change["id"]): int(change["version"]) for change in record.changes}
    order_number = certification_id = partner_id = carrier_id = None
    for stream, aggregate_id in streams:
        if stream == "Order" and order_number is None:
            order_number = app.order_number(aggregate_id)
        elif stream == "Household" and certification_id is None:
            certification_id = next((e.certification_id for e in app.stored_events(aggregate_id)
                                     if isinstance(e, Household.CertificationAdded)
                                     and e.originator_version == versions[aggregate_id]), None)
        elif stream == "WebhookEndpoint" and partner_id is None:
            partner_id = app.load(WebhookEndpoint, aggregate_id).partner_id
        elif stream == "CarrierRegistry" and carrier_id is None:
            carrier_id = next((e.carrier_id for e in app.stored_events(aggregate_id)
                               if isinstance(e, CarrierRegistry.CarrierRegistered)
                               and e.originator_version == versions[aggregate_id]), None)
    return CommittedRequest(streams, order_number, certification_id, partner_id,
                            int(app.recorder.max_notification_id() or 0), carrier_id)


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: run it (``fresh``, holding the lease), replay ``response``,
    or refuse. ``taken_over``: a previous holder's lease ran out unanswered, so what it may have
    committed must be looked for before running again. ``digest`` names the request's record."""

    fresh: bool
    response: dict[str, Any] | None = None
    reused: bool = False
    in_progress: bool = False
    taken_over: bool = False
    digest: str = ""


class IdempotencyStore:
    """The keys' rows in the read store: claim (with a lease), complete, release, purge."""

    def __init__(self, store: ReadStore, clock: Clock = utc_now, lease_seconds: float = DEFAULT_LEASE_SECONDS):
        self.store = store
        self.clock = clock
        self.lease_seconds = lease_seconds

    def claim(self, caller: str, key: str, operation: str, request_hash: str, wait_seconds: float = 5.0) -> Claim:
        deadline = time.monotonic() + wait_seconds
        while True:
            created_at = self.clock().isoformat()
            with self.store.transaction() as cur:
                cur.execute(
                    "INSERT INTO idempotency_keys"
                    " (caller, idempotency_key, operation, request_hash, response, created_at, lease_until)"
                    " VALUES (%s, %s, %s, %s, NULL, %s, %s) ON CONFLICT (caller, idempotency_key) DO NOTHING",
                    (caller, key, operation, request_hash, created_at, time.time() + self.lease_seconds),
                )
                inserted = cur.rowcount == 1
            if inserted:
                return Claim(fresh=True, digest=request_digest(caller, key, created_at))
            row = self.store.query_one(
                "SELECT operation, request_hash, response, created_at, lease_until FROM idempotency_keys"
                " WHERE caller = %s AND idempotency_key = %s",
                (caller, key),
            )
            if row is None:  # purged meanwhile: take it as new
                continue
            if row["operation"] != operation or row["request_hash"] != request_hash:
                return Claim(fresh=False, reused=True)
            if row["response"] is not None:
                return Claim(fresh=False, response=json.loads(row["response"]))
            digest = request_digest(caller, key, row["created_at"])
            lease = row["lease_until"]
            if lease is None or float(lease) <= time.time():
                if self._take_over(caller, key, lease):
                    return Claim(fresh=True, taken_over=True, digest=digest)
                continue  # another retry took it first: see what it does
            if time.monotonic() >= deadline:
                return Claim(fresh=False, in_progress=True, digest=digest)
            time.sleep(0.02)  # polling the key's row: another process holds it

    def _take_over(self, caller: str, key: str, expired_lease: Any) -> bool:
        """Take an unanswered key whose lease ran out, unless another retry just did (compare-and-set)."""
        lease_clause = "lease_until IS NULL" if expired_lease is None else "lease_until = %s"
        params: list[Any] = [time.time() + self.lease_seconds, caller, key]
        if expired_lease is not None:
            params.append(expired_lease)
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE idempotency_keys SET lease_until = %s WHERE caller = %s AND idempotency_key = %s"
                f" AND response IS NULL AND {lease_clause}",
                params,
            )
            return cur.rowcount == 1

    def complete(self, caller: str, key: str, response: dict[str, Any]) -> None:
        """Keep the answer (the first one, should two attempts both get here)."""
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE idempotency_keys SET response = %s, lease_until = NULL"
                " WHERE caller = %s AND idempotency_key = %s AND response IS NULL",
                (json.dumps(response), caller, key),
            )

    def release(self, caller: str, key: str) -> None:
        """The attempt failed internally: end its lease, so a retry takes over at once (and looks
        for anything it committed before failing). The row stays: its generation names the request."""
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE idempotency_keys SET lease_until = 0 WHERE caller = %s AND idempotency_key = %s"
                " AND response IS NULL",
                (caller, key),
            )

    def purge_expired(self) -> int:
        cutoff = (self.clock() - RETENTION).isoformat()
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM idempotency_keys WHERE created_at < %s", (cutoff,))
            return cur.rowcount
