"""Audit anchors on SQLite and PostgreSQL: the log sealed by signed, chained anchors, and the two
tamperings the hash chain alone cannot see — an event edited with its stream's hashes recomputed by
the public algorithm, and a stream's newest sealed events deleted — caught by the case file. The
tampering edits the raw tables, as someone with write access to the database would."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from farmgate.core.audit_anchors import ANCHORS, LEAVES
from farmgate.core.case_file import open_case_file
from farmgate.core.domain.aggregate import event_data
from farmgate.core.domain.audit import GENESIS, chain_hash
from farmgate.core.history import verify
from farmgate.deploy.container import System
from tests.integration.test_claims_case_file import MovableClock, clock, clocked, incident, stored_id  # noqa: F401

__all__ = ["clock", "clocked"]


def rewrite_and_rechain(system: System, stream_id: UUID, version: int, change: Callable[[Any], None]) -> None:
    """Edit one stored event and recompute its stream's hashes from there on with the published
    algorithm (core.domain.audit.chain_hash), writing the rows back as the event store encodes them."""
    app = system.app
    table = app.recorder.events_table_name
    previous = GENESIS
    with system.store.transaction() as cur:
        for stored in app.recorder.select_events(stream_id):
            event = app.mapper.to_domain_event(stored)
            if event.originator_version < version:
                previous = event.hash
                continue
            if event.originator_version == version:
                change(event)
            stream, event_type = type(event).__qualname__.split(".")[-2:]
            digest = chain_hash(previous, stream=stream, aggregate_id=stream_id, version=event.originator_version,
                                event_type=event_type, occurred_at=event.occurred_at, recorded_at=event.timestamp,
                                data=event_data(event))
            object.__setattr__(event, "hash", digest)
            previous = digest
            cur.execute(f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = %s",
                        (app.mapper.to_stored_event(event).state, stored_id(cur.dialect, stream_id),
                         event.originator_version))


def case_of(system: System, ids: dict[str, Any]) -> Any:
    return open_case_file(system.app, ids["order"], [ids["claim"]])


def a_late_payment(system: System, ids: dict[str, Any], clock: MovableClock) -> None:
    """One more event of the case: a small refund, reported now."""
    system.app.record_refund(ids["order"], amount={"amount": "1000", "currency": "VND"}, reference="REFUND-LATE",
                             occurred_at=clock.now)


def versions_of(system: System, stream_id: UUID) -> list[int]:
    return [e.originator_version for e in system.app.recorder.select_events(stream_id)]


def test_sealing_covers_every_event_once_in_a_chain_of_signed_anchors(clocked: System, clock: MovableClock,
                                                                     personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    anchors, app = clocked.anchors, clocked.app
    case = case_of(clocked, ids)
    assert case.integrity.verified and case.integrity.anchored_at is None, "nothing sealed yet"
    head = app.recorder.max_notification_id()
    anchors.max_events = 7  # a backlog longer than one anchor is sealed by several in a row
    sealed = anchors.seal(app, clock.now)
    assert len(sealed) >= 2 and sealed[-1].anchor.last_position == head
    assert sum(s.anchor.event_count for s in sealed) == len(app.recorder.select_notifications(start=1, limit=10_000))
    for before, after in zip(sealed, sealed[1:]):
        assert after.anchor.previous == before.anchor.hash and after.anchor.after_position == before.anchor.last_position
    assert all(anchors.anchor_problem(s) is None for s in sealed)
    assert anchors.seal(app, clock.now) == [], "nothing new recorded: nothing to seal"
    # The case file names the newest anchor that covers its streams.
    case = case_of(clocked, ids)
    assert case.integrity.verified and case.integrity.reason is None
    newest = max((s for s in sealed), key=lambda s: s.anchor.sequence)
    covering = {int(r["anchor_sequence"]) for r in clocked.store.query(
        f"SELECT anchor_sequence FROM {LEAVES} WHERE aggregate_id IN (%s, %s, %s)",
        [str(ids["order"]), str(ids["shipment"]), str(ids["claim"])])}
    assert case.integrity.anchored_at is not None
    assert case.integrity.anchored_at.isoformat(timespec="microseconds") == anchors.by_sequence(
        max(covering)).anchor.sealed_at
    # A new event is sealed by the next anchor, chained to the last.
    a_late_payment(clocked, ids, clock)
    [later] = anchors.seal(app, clock.now)
    assert later.anchor.sequence == newest.anchor.sequence + 1 and later.anchor.previous == newest.anchor.hash
    assert later.anchor.event_count == app.recorder.max_notification_id() - newest.anchor.last_position
    assert case_of(clocked, ids).integrity.anchored_at.isoformat(timespec="microseconds") == later.anchor.sealed_at


def test_an_event_edited_and_rechained_by_the_public_algorithm_is_caught(clocked: System, clock: MovableClock,
                                                                         personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    clocked.anchors.seal(clocked.app, clock.now)
    claim = ids["claim"]
    paid = next(e for e in clocked.app.stored_events(claim) if type(e).__name__ == "CompensationPaid")
    assert paid.amount["amount"] == "200000"
    # The payout raised from 200,000 to 900,000 VND, and every later hash of the claim recomputed.
    rewrite_and_rechain(clocked, claim, paid.originator_version,
                        lambda e: object.__setattr__(e, "amount", {**e.amount, "amount": "900000"}))
    # Check the chain alone is fooled: that is what the anchor is for.
    assert verify(clocked.app, [claim]).verified
    integrity = case_of(clocked, ids).integrity
    assert not integrity.verified
    assert integrity.reason is not None and "altered after it was anchored" in integrity.reason
    assert f"event {paid.originator_version} of stream {claim}" in integrity.reason
    broken = integrity.first_broken
    assert broken is not None and (broken.aggregate_id, broken.version) == (claim, paid.originator_version)
    assert broken.data["amount"]["amount"] == "900000"


def test_deleting_a_streams_newest_anchored_events_is_caught(clocked: System, clock: MovableClock,
                                                            personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    clocked.anchors.seal(clocked.app, clock.now)
    claim = ids["claim"]
    versions = versions_of(clocked, claim)
    table = clocked.app.recorder.events_table_name
    with clocked.store.transaction() as cur:
        cur.execute(f"DELETE FROM {table} WHERE originator_id = %s AND originator_version > %s",
                    (stored_id(cur.dialect, claim), versions[-3]))
    # Check the chain alone is fooled: what is left still chains.
    assert verify(clocked.app, [claim]).verified
    integrity = case_of(clocked, ids).integrity
    assert not integrity.verified
    assert integrity.reason == (
        f"events {versions[-2]} to {versions[-1]} of stream {claim} were sealed by anchor #1 at"
        f" {clocked.anchors.by_sequence(1).anchor.sealed_at} and are missing from the log")


def test_events_recorded_after_the_last_anchor_are_not_held_against_the_case(clocked: System, clock: MovableClock,
                                                                             personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    [first] = clocked.anchors.seal(clocked.app, clock.now)
    a_late_payment(clocked, ids, clock)
    integrity = case_of(clocked, ids).integrity
    assert integrity.verified and integrity.anchored_at is not None
    assert integrity.anchored_at.isoformat(timespec="microseconds") == first.anchor.sealed_at


def test_an_altered_stored_anchor_is_not_trusted(clocked: System, clock: MovableClock, personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    [signed] = clocked.anchors.seal(clocked.app, clock.now)
    forged = {**signed.anchor.payload(), "merkle_root": "00" * 32}
    with clocked.store.transaction() as cur:
        cur.execute(f"UPDATE {ANCHORS} SET anchor = %s WHERE sequence = 1", (json.dumps(forged),))
    integrity = case_of(clocked, ids).integrity
    assert not integrity.verified and "does not verify with the audit public key" in integrity.reason


def test_altered_leaves_of_a_stored_anchor_are_not_trusted(clocked: System, clock: MovableClock,
                                                          personal_data) -> None:
    """Rewriting the leaves to match an edited event does not help: they no longer give the signed root."""
    ids = incident(clocked, clock, personal_data)
    clocked.anchors.seal(clocked.app, clock.now)
    with clocked.store.transaction() as cur:
        cur.execute(f"UPDATE {LEAVES} SET leaf = %s WHERE aggregate_id = %s AND version = 1",
                    ("11" * 32, str(ids["claim"])))
    integrity = case_of(clocked, ids).integrity
    assert not integrity.verified and "no longer give its signed Merkle root" in integrity.reason


@pytest.mark.parametrize("whole_case", [False, True])
def test_an_edited_event_whose_stored_leaves_were_deleted_is_caught(clocked: System, clock: MovableClock,
                                                                    personal_data, whole_case: bool) -> None:
    """Deleting the edited stream's leaves (or every leaf of the case) from the anchors table leaves
    nothing to compare the event with: the events the anchors covered must each have their leaf."""
    ids = incident(clocked, clock, personal_data)
    clocked.anchors.seal(clocked.app, clock.now)
    claim = ids["claim"]
    paid = next(e for e in clocked.app.stored_events(claim) if type(e).__name__ == "CompensationPaid")
    rewrite_and_rechain(clocked, claim, paid.originator_version,
                        lambda e: object.__setattr__(e, "amount", {**e.amount, "amount": "900000"}))
    streams = [str(ids["order"]), str(ids["shipment"]), str(claim)] if whole_case else [str(claim)]
    with clocked.store.transaction() as cur:
        cur.execute(f"DELETE FROM {LEAVES} WHERE aggregate_id IN ({', '.join(['%s'] * len(streams))})", streams)
    integrity = case_of(clocked, ids).integrity
    assert not integrity.verified
    assert integrity.reason is not None and "anchor #1" in integrity.reason and "no sealed leaf" in integrity.reason
    assert whole_case or f"event 1 of stream {claim}" in integrity.reason


def test_two_sealers_racing_store_each_anchor_once(clocked: System, clock: MovableClock, personal_data) -> None:
    import threading

    incident(clocked, clock, personal_data)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def seal() -> None:
        barrier.wait(timeout=10)
        results.append(len(clocked.anchors.seal(clocked.app, clock.now)))

    threads = [threading.Thread(target=seal) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stored = clocked.anchors.all()
    assert [s.anchor.sequence for s in stored] == list(range(1, len(stored) + 1))
    assert sum(s.anchor.event_count for s in stored) == len(
        clocked.app.recorder.select_notifications(start=1, limit=10_000))
    assert sum(results) == len(stored)


def test_the_worker_job_seals_what_was_recorded(clocked: System, clock: MovableClock, personal_data) -> None:
    from farmgate.workers import audit_anchors
    from farmgate.workers.runtime import bind_system

    incident(clocked, clock, personal_data)
    bind_system(clocked)
    audit_anchors.seal_audit_log()
    [anchor] = clocked.anchors.all()
    assert anchor.anchor.last_position == clocked.app.recorder.max_notification_id()
    audit_anchors.seal_audit_log()  # runs twice: nothing new, nothing sealed
    assert len(clocked.anchors.all()) == 1


def test_after_a_key_rotation_earlier_anchors_hold_by_the_previous_public_key(clocked: System, clock: MovableClock,
                                                                              personal_data) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from farmgate.core.audit_anchors import AuditAnchors
    from farmgate.core.audit_signing import AuditSigner

    ids = incident(clocked, clock, personal_data)
    old = clocked.anchors.signer
    clocked.anchors.seal(clocked.app, clock.now)
    rotated = AuditSigner(Ed25519PrivateKey.generate())
    # Without the previous key, the earlier anchors cannot be trusted.
    clocked.app.audit_anchors = AuditAnchors(clocked.store, rotated)
    integrity = case_of(clocked, ids).integrity
    assert not integrity.verified and "does not verify with the audit public key" in integrity.reason
    # With it (FARMGATE_AUDIT_PREVIOUS_PUBLIC_KEYS), they hold; new anchors name the new key.
    clocked.app.audit_anchors = AuditAnchors(clocked.store, rotated, previous_keys=[old.public_key])
    a_late_payment(clocked, ids, clock)
    [newer] = clocked.app.audit_anchors.seal(clocked.app, clock.now)
    assert newer.anchor.key_id == rotated.key_id != old.key_id
    integrity = case_of(clocked, ids).integrity
    assert integrity.verified and integrity.anchored_at.isoformat(timespec="microseconds") == newer.anchor.sealed_at


def test_an_edit_that_breaks_the_chain_gives_both_reasons(clocked: System, clock: MovableClock, personal_data) -> None:
    ids = incident(clocked, clock, personal_data)
    clocked.anchors.seal(clocked.app, clock.now)
    table = clocked.app.recorder.events_table_name
    with clocked.store.transaction() as cur:
        key = stored_id(cur.dialect, ids["shipment"])
        state = bytes(cur.execute(f"SELECT state FROM {table} WHERE originator_id = %s AND originator_version = 2",
                                  (key,)).fetchone()["state"])
        cur.execute(f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 2",
                    (state.replace(b'"AREA_RESTRICTED"', b'"WEATHER"'), key))
    integrity = case_of(clocked, ids).integrity
    assert not integrity.verified
    assert integrity.reason == (
        f"event 2 of stream {ids['shipment']} no longer matches its recorded hash chain; event 2 of stream"
        f" {ids['shipment']} is not what anchor #1 sealed at {clocked.anchors.by_sequence(1).anchor.sealed_at}:"
        " it was altered after it was anchored")
    assert (integrity.first_broken.aggregate_id, integrity.first_broken.version) == (ids["shipment"], 2)
