"""Shipment aggregates on POPO: dispatch, the transition table, late reports, failures, the promise."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import product
from typing import Any
from uuid import uuid4

import pytest

from farmgate.core.domain.carrier import CarrierRegistry
from farmgate.core.domain.errors import InvalidInput, InvalidTransition
from farmgate.core.domain.shipment import (
    DELIVERY_FAILURE_REASONS, FINAL, SHIPMENT_STATUSES, TRANSITIONS, Shipment,
)

DISPATCHED_AT = datetime(2021, 8, 3, 1, 0, tzinfo=timezone.utc)
PROMISED_BY = DISPATCHED_AT + timedelta(hours=48)


def at(hours: float) -> datetime:
    return DISPATCHED_AT + timedelta(hours=hours)


def dispatch(**overrides: Any) -> Shipment:
    args: dict[str, Any] = dict(
        order_id=uuid4(), order_number="FG-2021-000042", marketplace="VOSO", storefront_id=uuid4(),
        household_id=uuid4(), carrier="Viettel Post", tracking_number="VTP-2021-0042", harvested_at=at(-6),
        promised_by=PROMISED_BY, perishable=True, now=DISPATCHED_AT,
    )
    args.update(overrides)
    args["carrier"] = CarrierRegistry.start().resolve(args["carrier"])  # as dispatch_order finds it
    return Shipment.dispatch(**args)


def move(shipment: Shipment, status: str, occurred_at: datetime, now: datetime) -> None:
    """Record a fact of ``status`` with the command that records it."""
    if status == "ATTEMPT_FAILED":
        shipment.record_delivery_failure("RECIPIENT_UNREACHABLE", occurred_at, now)
    elif status == "DELIVERED":
        shipment.confirm_delivery(occurred_at, now, received_by="Chị Mai")
    elif status == "SPOILED":
        shipment.declare_spoilage(occurred_at, now, "Na đã hỏng")
    else:
        shipment.record_checkpoint(status, occurred_at, now, location="Bưu cục Cầu Giấy")


def names(shipment: Shipment) -> list[str]:
    return [type(e).__name__ for e in shipment.collect_events()]


def test_a_dispatched_shipment_has_its_info_received_and_keeps_what_the_readers_need() -> None:
    shipment = dispatch(carrier="  VNPost ", tracking_number=" EB123456789VN ")
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == ("INFO_RECEIVED", "VNPost", "EB123456789VN")
    assert (shipment.dispatched_at, shipment.harvested_at, shipment.promised_by) == (DISPATCHED_AT, at(-6), PROMISED_BY)
    assert names(shipment) == ["Dispatched"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tracking_number": "EB 1"}, ["input", "trackingNumber"]),
        ({"tracking_number": "x" * 41}, ["input", "trackingNumber"]),
        ({"carrier": "  "}, ["input", "carrier"]),
        ({"harvested_at": at(1)}, ["input", "harvestedAt"]),
        ({"harvested_at": datetime(2021, 8, 2, 5, 0)}, ["input", "harvestedAt"]),
    ],
)
def test_bad_dispatch_input_is_refused_with_its_field(overrides, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        dispatch(**overrides)
    assert refused.value.field == field


def reach(status: str) -> Shipment:
    shipment = dispatch()
    if status != "INFO_RECEIVED":
        move(shipment, status, at(1), at(1))
    assert shipment.status == status
    shipment.collect_events()
    return shipment


@pytest.mark.parametrize(("before", "after"), list(product(SHIPMENT_STATUSES, SHIPMENT_STATUSES)))
def test_every_move_is_allowed_exactly_when_the_transition_table_says_so(before: str, after: str) -> None:
    shipment = reach(before)
    if after in TRANSITIONS[before]:
        move(shipment, after, at(2), at(3))
        assert shipment.status == after and len(shipment.collect_events()) == 1
    elif before in FINAL:
        # The issue changes this: a fact after the way ended is recorded as a contradiction, moving nothing.
        move(shipment, after, at(2), at(3))
        [event] = shipment.collect_events()
        assert type(event).__name__ == "ContradictionRecorded" and event.fact == after
        assert shipment.status == before
    else:
        with pytest.raises(InvalidTransition):
            move(shipment, after, at(2), at(3))
        # Check a refused fact recorded nothing and moved nothing.
        assert shipment.status == before and shipment.collect_events() == []


def test_the_table_keeps_the_final_statuses_final_and_info_received_first() -> None:
    assert all(TRANSITIONS[status] == frozenset() for status in FINAL)
    assert all("INFO_RECEIVED" not in TRANSITIONS[s] for s in SHIPMENT_STATUSES if s != "INFO_RECEIVED")
    assert set(TRANSITIONS) == set(SHIPMENT_STATUSES)


def test_after_the_way_ends_facts_are_kept_as_history_or_as_contradictions_never_dropped() -> None:
    # The issue changes this: nothing reported is refused any more; what it means is recorded.
    from farmgate.core.domain.provenance import Provenance, recording

    with recording(Provenance(actor="DISPUTE_STAFF:minh", correlation_id="req-spoil")):
        spoiled = reach("SPOILED")  # declared by a person: a delivery contradicts it
    spoiled.confirm_delivery(at(0.5), at(3))
    [contradiction] = spoiled.collect_events()
    assert type(contradiction).__name__ == "ContradictionRecorded"
    assert (contradiction.fact, contradiction.contradicts_type, contradiction.status) == (
        "DELIVERED", "SpoilageDeclared", "SPOILED")
    assert contradiction.details == {"received_by": None} and spoiled.status == "SPOILED"
    delivered = reach("DELIVERED")
    for late in ("IN_TRANSIT", "ATTEMPT_FAILED"):
        move(delivered, late, at(0.5), at(3))  # before the delivery: history
    for late in ("SPOILED", "RETURNED_TO_SENDER", "DELIVERED", "IN_TRANSIT"):
        move(delivered, late, at(2), at(3))  # after it: contradictions
    kinds = [(type(e).__name__, e.status) for e in delivered.collect_events()]
    assert kinds == [("CheckpointRecorded", "DELIVERED"), ("DeliveryFailed", "DELIVERED")] + [
        ("ContradictionRecorded", "DELIVERED")] * 4
    assert delivered.status == "DELIVERED" and delivered.delivered_at == at(1)


def test_a_delivery_that_happened_before_an_automatic_spoilage_withdraws_it_naming_its_cause() -> None:
    from farmgate.core.domain.provenance import Provenance, recording

    shipment = dispatch()
    with recording(Provenance(actor="SYSTEM:promise-watchdog", correlation_id="watchdog")):
        shipment.declare_spoilage(PROMISED_BY, PROMISED_BY + timedelta(minutes=5), "Not delivered by the promise")
    with recording(Provenance(actor="CARRIER:vnpost-bot", correlation_id="req-late")):
        shipment.confirm_delivery(PROMISED_BY - timedelta(hours=1), PROMISED_BY + timedelta(hours=3), "Chị Mai")
    events = shipment.collect_events()[1:]
    assert [type(e).__name__ for e in events] == ["SpoilageDeclared", "Delivered", "SpoilageWithdrawn"]
    withdrawn = events[-1]
    assert (withdrawn.withdrawn_version, withdrawn.cause_version, withdrawn.status) == (2, 3, "DELIVERED")
    assert "CARRIER:vnpost-bot" in withdrawn.cause and withdrawn.actor == "CARRIER:vnpost-bot"
    assert (shipment.status, shipment.delivered_at, shipment.spoiled_at) == (
        "DELIVERED", PROMISED_BY - timedelta(hours=1), None)
    # A delivery after the promise does not withdraw it: it contradicts it.
    late = dispatch()
    with recording(Provenance(actor="SYSTEM:promise-watchdog", correlation_id="watchdog")):
        late.declare_spoilage(PROMISED_BY, PROMISED_BY, "Not delivered by the promise")
    late.confirm_delivery(PROMISED_BY + timedelta(hours=1), PROMISED_BY + timedelta(hours=3))
    assert [type(e).__name__ for e in late.collect_events()][-1] == "ContradictionRecorded"
    assert late.status == "SPOILED"


def test_a_late_report_is_kept_where_it_happened_and_moves_nothing() -> None:
    shipment = dispatch()
    shipment.record_checkpoint("OUT_FOR_DELIVERY", at(20), at(20))
    # The carrier reports, hours late, the hub scan that came before it.
    shipment.record_checkpoint("IN_TRANSIT", at(12), at(26), location="Kho Bắc Ninh", raw_status="Đã đến kho")
    shipment.record_checkpoint("INFO_RECEIVED", at(0.5), at(26))
    assert shipment.status == "OUT_FOR_DELIVERY"
    events = shipment.collect_events()[1:]
    assert [(e.checkpoint_status, e.status) for e in events] == [
        ("OUT_FOR_DELIVERY", "OUT_FOR_DELIVERY"), ("IN_TRANSIT", "OUT_FOR_DELIVERY"),
        ("INFO_RECEIVED", "OUT_FOR_DELIVERY"),
    ]
    # Check world time and the carrier's own words are kept apart from when it was recorded.
    assert events[1].occurred_at == at(12) and events[1].raw_status == "Đã đến kho"
    assert events[1].occurred_at < events[1].timestamp
    # A newer INFO_RECEIVED would go backwards, and is refused.
    with pytest.raises(InvalidTransition):
        shipment.record_checkpoint("INFO_RECEIVED", at(21), at(26))


def test_a_late_failure_report_is_history_but_a_late_delivery_still_ends_the_way() -> None:
    shipment = dispatch()
    shipment.record_checkpoint("OUT_FOR_DELIVERY", at(30), at(30))
    shipment.record_delivery_failure("AREA_RESTRICTED", at(28), at(31), note="Phong tỏa theo Chỉ thị 16")
    assert (shipment.status, shipment.failure_count) == ("OUT_FOR_DELIVERY", 1)
    shipment.confirm_delivery(at(29), at(32))
    assert (shipment.status, shipment.delivered_at) == ("DELIVERED", at(29))


@pytest.mark.parametrize(
    ("status", "names_the"),
    [("ATTEMPT_FAILED", "recordDeliveryFailure"), ("DELIVERED", "confirmDelivery"), ("SPOILED", "declareSpoilage"),
     ("LOST", "one of")],
)
def test_a_checkpoint_cannot_record_what_another_command_records(status, names_the) -> None:
    shipment = dispatch()
    with pytest.raises(InvalidInput) as refused:
        shipment.record_checkpoint(status, at(1), at(1))
    assert refused.value.field == ["input", "status"] and names_the in refused.value.message


def test_a_returned_to_sender_checkpoint_returns_the_shipment() -> None:
    shipment = dispatch()
    shipment.record_checkpoint("RETURNED_TO_SENDER", at(50), at(51), location="Bưu cục Chi Lăng", note="Hoàn hàng",
                               raw_status="Chuyển hoàn")
    assert shipment.status == "RETURNED_TO_SENDER"
    returned = shipment.collect_events()[-1]
    assert (type(returned).__name__, returned.raw_status, returned.location) == (
        "ReturnedToSender", "Chuyển hoàn", "Bưu cục Chi Lăng")


@pytest.mark.parametrize(
    ("occurred_at", "now"),
    [(at(2), at(1)), (datetime(2021, 8, 3, 9, 0), at(10))],
)
def test_a_fact_is_never_in_the_future_and_always_has_an_offset(occurred_at, now) -> None:
    for status in ("IN_TRANSIT", "ATTEMPT_FAILED", "DELIVERED", "SPOILED", "RETURNED_TO_SENDER"):
        with pytest.raises(InvalidInput) as refused:
            move(dispatch(), status, occurred_at, now)
        assert refused.value.field == ["input", "occurredAt"]


def test_a_delivery_failure_needs_a_known_reason_and_spoilage_a_note() -> None:
    shipment = dispatch()
    with pytest.raises(InvalidInput) as reason:
        shipment.record_delivery_failure("LOCKDOWN", at(1), at(1))
    assert reason.value.field == ["input", "reason"]
    for known in DELIVERY_FAILURE_REASONS:
        shipment.record_delivery_failure(known, at(1), at(1))
    assert shipment.failure_count == len(DELIVERY_FAILURE_REASONS)
    with pytest.raises(InvalidInput) as note:
        shipment.declare_spoilage(at(2), at(2), "  ")
    assert note.value.field == ["input", "note"]


def test_only_a_perishable_shipment_on_its_way_past_its_promise_is_overdue() -> None:
    assert not dispatch().is_overdue(PROMISED_BY)
    assert dispatch().is_overdue(PROMISED_BY + timedelta(seconds=1))
    assert not dispatch(perishable=False).is_overdue(at(100))
    assert reach("ATTEMPT_FAILED").is_overdue(at(100))
    assert not reach("DELIVERED").is_overdue(at(100))
    assert not reach("RETURNED_TO_SENDER").is_overdue(at(100))


def test_a_scan_before_the_dispatch_is_refused_beyond_the_clock_skew() -> None:
    # The issue changes this: a shipment's facts cannot happen before its dispatch (world-time policy);
    # within the clock skew a scan is taken, and it is news.
    shipment = dispatch()
    with pytest.raises(InvalidInput) as early:
        shipment.record_checkpoint("IN_TRANSIT", at(-1), at(1))
    assert early.value.field == ["input", "occurredAt"]
    with pytest.raises(InvalidInput):
        shipment.record_delivery_failure("AREA_RESTRICTED", datetime(1, 1, 1, tzinfo=timezone.utc), at(1))
    shipment.record_checkpoint("IN_TRANSIT", at(-0.05), at(1))
    assert shipment.status == "IN_TRANSIT"
