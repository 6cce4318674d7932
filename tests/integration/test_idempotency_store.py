"""The idempotency store on its own, on SQLite and PostgreSQL, by its public behaviour: the first use
of a key under concurrency, a key in progress, a release after an error (the lease ends and a retry
takes over the same request), replay and reuse, expiry, and a lease that lapsed taken over by one
retry. How a taken-over request finds what it committed: tests/integration/test_idempotency_leases.py."""

from __future__ import annotations

import threading
from datetime import timedelta

from farmgate.core.idempotency import Claim, IdempotencyStore
from farmgate.deploy.container import System
# The movable clock and a system built on it, shared with the claims tests.
from tests.integration.test_claims_case_file import T0, MovableClock, clock, clocked  # noqa: F401

CALLER, OTHER_CALLER, KEY = "MARKETPLACE:postmart-ops|marketplace=POSTMART", "MARKETPLACE:voso-ops|marketplace=VOSO", "k-1"
RESPONSE = {"values": {"orderId": "42"}, "userErrors": []}


def test_of_many_concurrent_first_uses_one_runs_and_the_others_get_its_response(clocked: System) -> None:
    store = clocked.idempotency
    racers = 8
    barrier = threading.Barrier(racers)
    claims: list[Claim] = []
    lock = threading.Lock()

    def use() -> None:
        barrier.wait(timeout=10)
        claim = store.claim(CALLER, KEY, "placeOrder", "hash-a", wait_seconds=30)
        if claim.fresh:
            store.complete(CALLER, KEY, RESPONSE)  # the one that runs answers the others
        with lock:
            claims.append(claim)

    threads = [threading.Thread(target=use) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(claims) == racers
    assert [c.fresh for c in claims].count(True) == 1
    assert all(c.response == RESPONSE for c in claims if not c.fresh)


def test_a_key_still_in_progress_is_reported_so_once_the_wait_is_over(clocked: System) -> None:
    store = clocked.idempotency  # the settings' lease (10 s): the holder is alive
    first = store.claim(CALLER, KEY, "placeOrder", "hash-a")
    assert first.fresh and not first.taken_over
    waiting = store.claim(CALLER, KEY, "placeOrder", "hash-a", wait_seconds=0)
    assert (waiting.fresh, waiting.in_progress, waiting.response) == (False, True, None)
    assert waiting.digest == first.digest, "the same request, named alike"


def test_a_released_key_runs_again_and_a_completed_one_is_not_released(clocked: System) -> None:
    store = clocked.idempotency
    first = store.claim(CALLER, KEY, "placeOrder", "hash-a")
    store.release(CALLER, KEY)  # the mutation failed internally: its lease ends now, not in 10 s
    retry = store.claim(CALLER, KEY, "placeOrder", "hash-a", wait_seconds=0)
    assert retry.fresh, "a retry after an error runs"
    # ...as a take-over of the same request (it looks for what the failed attempt may have committed)
    assert retry.taken_over and retry.digest == first.digest
    store.complete(CALLER, KEY, RESPONSE)
    store.release(CALLER, KEY)  # too late: the answer stands
    replay = store.claim(CALLER, KEY, "placeOrder", "hash-a")
    assert (replay.fresh, replay.response) == (False, RESPONSE)


def test_the_same_key_with_another_request_or_operation_is_reuse_and_callers_are_apart(clocked: System) -> None:
    store = clocked.idempotency
    assert store.claim(CALLER, KEY, "placeOrder", "hash-a").fresh
    store.complete(CALLER, KEY, RESPONSE)
    assert store.claim(CALLER, KEY, "placeOrder", "hash-b").reused
    assert store.claim(CALLER, KEY, "cancelOrder", "hash-a").reused
    assert store.claim(OTHER_CALLER, KEY, "placeOrder", "hash-a").fresh, "another caller's key is its own"


def test_a_key_is_kept_a_day_and_more_then_forgotten(clocked: System, clock: MovableClock) -> None:
    store: IdempotencyStore = clocked.idempotency
    assert store.claim(CALLER, KEY, "placeOrder", "hash-a").fresh
    store.complete(CALLER, KEY, RESPONSE)
    clock.now = T0 + timedelta(hours=24)
    assert store.purge_expired() == 0
    assert store.claim(CALLER, KEY, "placeOrder", "hash-a").response == RESPONSE, "kept at least 24 hours"
    clock.now = T0 + timedelta(days=30)
    assert store.purge_expired() == 1
    assert store.claim(CALLER, KEY, "placeOrder", "hash-b").fresh, "once forgotten, the key is new again"


def test_a_lapsed_lease_is_taken_over_keeping_the_request_and_an_answered_key_never_is(
        clocked: System, clock: MovableClock) -> None:
    # A lease of no length has lapsed as soon as it is taken: its holder is as good as dead. (One
    # retry only among many racing ones: tests/integration/test_idempotency_leases.py.)
    store = IdempotencyStore(clocked.store, clock, lease_seconds=0)
    first = store.claim(CALLER, KEY, "placeOrder", "hash-a")
    retry = store.claim(CALLER, KEY, "placeOrder", "hash-a", wait_seconds=0)
    assert (retry.fresh, retry.taken_over, retry.digest) == (True, True, first.digest)
    assert store.claim(CALLER, KEY, "placeOrder", "hash-b", wait_seconds=0).reused, "still the same request's key"
    store.complete(CALLER, KEY, RESPONSE)
    again = store.claim(CALLER, KEY, "placeOrder", "hash-a", wait_seconds=0)
    assert (again.fresh, again.taken_over, again.response) == (False, False, RESPONSE)
