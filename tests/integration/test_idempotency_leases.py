"""Idempotency keys on each backend: the lease a first attempt holds, taking over a key whose holder
died, and the event store refusing a second commit of one request whoever holds its key."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from farmgate.core.domain.idempotent_request import RequestAlreadyCommitted
from farmgate.core.idempotency import IdempotencyStore, committed_request, request_digest
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.deploy.container import System
from tests.personal_data import PersonalData

CALLER = "MARKETPLACE:postmart-ops|marketplace=POSTMART"


def register(system: System, pd: PersonalData, digest: str | None, national_id: str) -> Any:
    with recording(Provenance(actor=CALLER, correlation_id="test")), system.app.idempotent(digest):
        return system.app.register_household(name="Hộ Lê Văn Khóa", national_id=national_id,
                                             phone=pd.phone(), address={"scheme": 2021, "province_code": "20"})


def test_a_key_is_leased_then_answered_then_replayed(system: System) -> None:
    store = IdempotencyStore(system.store, lease_seconds=30)
    first = store.claim(CALLER, "k-1", "placeOrder", "hash-a")
    assert first.fresh and not first.taken_over and first.digest
    # Check a retry while the lease runs waits for the answer, then hears "in progress".
    waiting = store.claim(CALLER, "k-1", "placeOrder", "hash-a", wait_seconds=0.1)
    assert waiting.in_progress and waiting.digest == first.digest
    assert store.claim(CALLER, "k-1", "placeOrder", "hash-b", wait_seconds=0.1).reused
    store.complete(CALLER, "k-1", {"values": {"orderId": "x"}, "userErrors": []})
    assert store.claim(CALLER, "k-1", "placeOrder", "hash-a").response == {"values": {"orderId": "x"}, "userErrors": []}
    # Check a second answer does not replace the first.
    store.complete(CALLER, "k-1", {"values": {"orderId": "y"}, "userErrors": []})
    assert store.claim(CALLER, "k-1", "placeOrder", "hash-a").response["values"] == {"orderId": "x"}


def test_a_key_whose_lease_ran_out_is_taken_over_by_one_retry_only(system: System) -> None:
    store = IdempotencyStore(system.store, lease_seconds=0.2)
    first = store.claim(CALLER, "k-2", "placeOrder", "hash")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and system.store.query_one(
            "SELECT lease_until FROM idempotency_keys WHERE idempotency_key = 'k-2'")["lease_until"] > time.time():
        time.sleep(0.05)  # polling the lease's end, with a deadline
    takers: list[Any] = []

    def retry() -> None:
        takers.append(store.claim(CALLER, "k-2", "placeOrder", "hash", wait_seconds=0.05))

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    taken = [c for c in takers if c.fresh]
    assert len(taken) == 1 and taken[0].taken_over and taken[0].digest == first.digest
    assert all(c.in_progress for c in takers if not c.fresh)


def test_a_failed_attempt_ends_its_lease_and_keeps_its_generation(system: System) -> None:
    store = IdempotencyStore(system.store, lease_seconds=60)
    first = store.claim(CALLER, "k-3", "placeOrder", "hash")
    store.release(CALLER, "k-3")
    again = store.claim(CALLER, "k-3", "placeOrder", "hash", wait_seconds=0.05)
    assert again.fresh and again.taken_over and again.digest == first.digest


def test_one_request_commits_once_whoever_believes_they_hold_its_key(system: System, personal_data) -> None:
    digest = request_digest(CALLER, "k-4", "2021-08-03T09:00:00+07:00")
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(("committed", register(system, personal_data, digest, personal_data.national_id())))
        except RequestAlreadyCommitted:
            outcomes.append(("refused", None))

    # Two holders (one whose lease ran out unnoticed), each with a different citizen: only one commits.
    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(kind for kind, _ in outcomes) == ["committed", "refused"]
    [household_id] = [value for kind, value in outcomes if kind == "committed"]
    committed = committed_request(system.app, digest)
    assert committed is not None and ("Household", household_id) in committed.streams
    # Check a third attempt, even of another citizen, is refused by the event store too.
    with pytest.raises(RequestAlreadyCommitted):
        register(system, personal_data, digest, personal_data.national_id())
    assert committed_request(system.app, request_digest(CALLER, "k-4", "another generation")) is None
