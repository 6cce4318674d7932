"""Compensation claims on POPO: filing limits, assessment, decision, payments per liable party."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farmgate.core.domain.claim import CompensationClaim, checked_evidence, liability_split
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition
from farmgate.core.domain.money import Money

NOW = datetime(2021, 8, 5, 10, 0, tzinfo=timezone.utc)
EVIDENCE = checked_evidence("a" * 64, "https://evidence.example/photo-1.jpg", "spoiled fruit", ["input", "evidence"])


def vnd(amount: int) -> Money:
    return Money(Decimal(amount), "VND")


def a_claim(claimed: int = 300_000) -> CompensationClaim:
    return CompensationClaim.file(order_id=uuid4(), marketplace="POSTMART", household_id=uuid4(), kind="SPOILED",
                                  claimant="BUYER", amount_claimed=vnd(claimed), description="Na đến Hà Nội bị hỏng",
                                  evidence=[EVIDENCE], now=NOW)


def test_a_claim_is_filed_with_its_evidence_and_a_response_deadline() -> None:
    claim = a_claim()
    assert claim.status == "OPEN" and claim.respond_by == NOW + timedelta(hours=72)
    assert [e["sha256"] for e in claim.evidence] == ["a" * 64]
    assert [type(e).__name__ for e in claim.pending_events] == ["Filed", "EvidenceAdded"]


def test_claiming_nothing_is_refused_and_what_a_claim_commits_follows_its_status() -> None:
    # How much may be claimed is the order's running total per claimant (tests/unit/test_claim_limits.py).
    with pytest.raises(InvalidInput) as nothing:
        a_claim(claimed=0)
    assert nothing.value.field == ["input", "amountClaimed", "amount"]
    claim = a_claim(claimed=300_000)
    assert claim.committed == vnd(300_000)
    claim.assess("x", [{"party": "CARRIER", "basis_points": 10_000}], vnd(250_000))
    assert claim.committed == vnd(250_000) and claim.approved == vnd(0)
    claim.decide("APPROVED", vnd(280_000), "y")
    assert claim.committed == claim.approved == vnd(280_000)
    rejected = a_claim()
    rejected.assess("x", [{"party": "CARRIER", "basis_points": 10_000}], vnd(1))
    rejected.decide("REJECTED", None, "no")
    assert rejected.committed == vnd(0)


def test_evidence_must_be_a_sha256_and_a_real_address() -> None:
    with pytest.raises(InvalidInput) as digest:
        checked_evidence("xyz", "https://a.example/x", None, ["input", "evidence"])
    assert digest.value.field == ["input", "evidence", "sha256"]
    with pytest.raises(InvalidInput) as uri:
        checked_evidence("b" * 64, "file:///etc/passwd", None, ["input", "evidence"])
    assert uri.value.field == ["input", "evidence", "uri"]


def test_liability_must_sum_to_exactly_ten_thousand_basis_points() -> None:
    claim = a_claim()
    for shares in ([{"party": "CARRIER", "basis_points": 6000}, {"party": "HOUSEHOLD", "basis_points": 3000}],
                   [{"party": "CARRIER", "basis_points": 6000}, {"party": "CARRIER", "basis_points": 4000}],
                   [{"party": "BANK", "basis_points": 10000}], []):
        with pytest.raises(InvalidInput):
            claim.assess("late", shares, vnd(300_000))
    with pytest.raises(InvalidInput):  # above what was claimed
        claim.assess("late", [{"party": "CARRIER", "basis_points": 10000}], vnd(300_001))
    assert claim.status == "OPEN"


def test_the_seed_incident_split_payout_is_paid_per_party_and_then_settled() -> None:
    claim = a_claim()
    with pytest.raises(InvalidTransition):
        claim.decide("APPROVED", vnd(300_000), "not yet assessed")
    claim.assess("Area restricted under Directive 16; carrier held the parcel past the promise",
                 [{"party": "CARRIER", "basis_points": 6000}, {"party": "MARKETPLACE", "basis_points": 2500},
                  {"party": "HOUSEHOLD", "basis_points": 1500}], vnd(300_000))
    with pytest.raises(InvalidInput):
        claim.decide("APPROVED", vnd(300_001), "more than claimed")
    claim.decide("APPROVED", vnd(300_000), "Shared liability")
    assert claim.shares() == {"CARRIER": vnd(180_000), "MARKETPLACE": vnd(75_000), "HOUSEHOLD": vnd(45_000)}
    claim.record_payment("CARRIER", vnd(100_000), "VTP-1")
    claim.record_payment("CARRIER", vnd(80_000), "VTP-2")
    claim.record_payment("MARKETPLACE", vnd(75_000), "PM-1")
    assert claim.status == "APPROVED" and claim.flags == []
    with pytest.raises(AlreadyExists):  # the same payment reported twice is one payment
        claim.record_payment("MARKETPLACE", vnd(75_000), "PM-1")
    claim.record_payment("HOUSEHOLD", vnd(45_000), "HH-1")
    assert claim.status == "PAID" and claim.paid_total == vnd(300_000) and claim.flags == []
    # A payment after the claim is settled is a fact: recorded, the claim stays PAID, flagged.
    claim.record_payment("HOUSEHOLD", vnd(1), "HH-2")
    assert claim.status == "PAID" and claim.paid_total == vnd(300_001)
    assert [f["cause"] for f in claim.flags] == ["OVERPAID:HH-2"]
    assert claim.flags[0]["reason"] == "HOUSEHOLD owed 0 VND of its share; 1 VND was paid (HH-2): 1 VND overpaid"


def test_a_compensation_payment_on_an_undecided_claim_is_recorded_and_flagged() -> None:
    claim = a_claim()
    claim.record_payment("CARRIER", vnd(5_000), "VTP-EARLY")
    assert (claim.status, claim.paid_total) == ("OPEN", vnd(5_000))
    assert [(f["cause"], f["reason"]) for f in claim.flags] == [
        ("OVERPAID:VTP-EARLY", "CARRIER paid 5000 VND (VTP-EARLY) on a OPEN claim, owed nothing yet")]


def test_rejection_withdrawal_and_the_missed_deadline() -> None:
    claim = a_claim()
    assert not claim.note_missed_deadline(NOW + timedelta(hours=71))
    assert claim.note_missed_deadline(NOW + timedelta(hours=73))
    assert not claim.note_missed_deadline(NOW + timedelta(hours=74))  # once only
    claim.assess("no fault found", [{"party": "BUYER", "basis_points": 10000}], vnd(0))
    with pytest.raises(InvalidInput):
        claim.decide("REJECTED", vnd(1), "no payout on rejection")
    claim.decide("REJECTED", None, "Delivered in time; photos show another product")
    with pytest.raises(InvalidTransition):
        claim.withdraw("too late")
    other = a_claim()
    other.withdraw("settled privately")
    assert other.status == "WITHDRAWN"


shares_strategy = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4).filter(
    lambda ws: sum(ws) > 0
)


@given(payout=st.integers(min_value=1, max_value=10**12), weights=shares_strategy)
def test_liability_splits_never_create_or_lose_a_dong(payout: int, weights: list[int]) -> None:
    # Scale the weights to basis points summing to exactly 10000, the way staff enter them.
    total = sum(weights)
    points = [w * 10_000 // total for w in weights]
    points[0] += 10_000 - sum(points)
    parties = ["HOUSEHOLD", "CARRIER", "MARKETPLACE", "BUYER"][: len(points)]
    split = liability_split(vnd(payout), [{"party": p, "basis_points": b} for p, b in zip(parties, points)])
    assert sum((m.minor for m in split.values()), 0) == payout
    assert all(m.minor >= 0 for m in split.values())


@settings(max_examples=60)
@given(payout=st.integers(min_value=1, max_value=5_000_000), carrier_points=st.integers(min_value=1, max_value=9_999),
       instalments=st.lists(st.integers(min_value=1, max_value=2_000_000), min_size=1, max_size=8))
def test_payments_beyond_a_share_are_flagged_and_settle_once_every_share_is_paid(
    payout: int, carrier_points: int, instalments: list[int]
) -> None:
    claim = a_claim(claimed=5_000_000)
    claim.assess("split", [{"party": "CARRIER", "basis_points": carrier_points},
                           {"party": "HOUSEHOLD", "basis_points": 10_000 - carrier_points}], vnd(payout))
    claim.decide("APPROVED", vnd(payout), "approved")
    shares = claim.shares()
    for n, amount in enumerate(instalments):
        party = "CARRIER" if n % 2 == 0 else "HOUSEHOLD"
        outstanding = shares[party] - claim.paid_by(party)
        if claim.status == "PAID":
            break
        flags = len(claim.flags)
        claim.record_payment(party, vnd(amount), f"r{n}")
        assert len(claim.flags) == flags + (1 if vnd(amount) > outstanding else 0)
        settled = all(claim.paid_by(p) >= shares[p] for p in shares)
        assert claim.status == ("PAID" if settled else "APPROVED")
    over = vnd(0)
    for p in ("CARRIER", "HOUSEHOLD"):
        extra = claim.paid_by(p) - shares[p]
        over += extra if extra.is_positive else vnd(0)
    for p in ("CARRIER", "HOUSEHOLD"):
        rest = shares[p] - claim.paid_by(p)
        if rest.is_positive:
            claim.record_payment(p, rest, f"final-{p}")
    assert claim.status == "PAID" and claim.paid_total == vnd(payout) + over


def a_claim_in(status: str) -> CompensationClaim:
    """A claim brought to ``status`` by the commands a case goes through."""
    claim = a_claim(claimed=300_000)
    if status == "WITHDRAWN":
        claim.withdraw("sorted out with the seller")
    if status in ("ASSESSED", "APPROVED", "REJECTED", "PAID"):
        claim.assess("x", [{"party": "CARRIER", "basis_points": 10_000}], vnd(250_000))
    if status in ("APPROVED", "PAID"):
        claim.decide("APPROVED", vnd(250_000), "y")
    if status == "REJECTED":
        claim.decide("REJECTED", None, "no")
    if status == "PAID":
        claim.record_payment("CARRIER", vnd(250_000), "VCB-0001")
    assert claim.status == status
    return claim


# Written from the rule (claim.py, flag_for_review): a claim is flagged while it is undecided, or approved
# and unpaid; not once it is rejected, paid or withdrawn (nothing is left for dispute staff to do about it).
FLAGGABLE = {"OPEN": True, "ASSESSED": True, "APPROVED": True, "REJECTED": False, "PAID": False, "WITHDRAWN": False}


@pytest.mark.parametrize(("status", "flagged"), FLAGGABLE.items())
def test_a_claim_is_flagged_for_review_only_while_something_is_left_to_decide_or_pay(status: str, flagged: bool) -> None:
    claim = a_claim_in(status)
    before = len(claim.pending_events)
    assert claim.flag_for_review("the spoilage was withdrawn", "spoilage-withdrawn") is flagged
    if flagged:
        assert [type(e).__name__ for e in claim.pending_events[before:]] == ["FlaggedForReview"]
        assert [(f["reason"], f["cause"]) for f in claim.flags] == [("the spoilage was withdrawn", "spoilage-withdrawn")]
    else:
        assert len(claim.pending_events) == before and claim.flags == []


def test_a_claim_is_flagged_once_per_cause() -> None:
    claim = a_claim()
    assert claim.flag_for_review("late delivery report", "spoilage-withdrawn") is True
    assert claim.flag_for_review("late delivery report, again", "spoilage-withdrawn") is False
    assert claim.flag_for_review("the order was refunded", "order-refunded") is True
    assert [(f["reason"], f["cause"]) for f in claim.flags] == [
        ("late delivery report", "spoilage-withdrawn"), ("the order was refunded", "order-refunded")]
    assert [type(e).__name__ for e in claim.pending_events].count("FlaggedForReview") == 2


def test_evidence_is_kept_as_its_digest_address_and_a_description_of_several_lines() -> None:
    field = ["input", "evidence", "0"]
    evidence = checked_evidence(" " + "AB" * 32 + " ", "https://evidence.example/p.jpg", "Quả bị dập\nvà thâm", field)
    assert evidence == {"sha256": "ab" * 32, "uri": "https://evidence.example/p.jpg",
                        "description": "Quả bị dập\nvà thâm"}
    with pytest.raises(InvalidInput) as control:
        checked_evidence("a" * 64, "https://evidence.example/\x00p.jpg", None, field)
    assert control.value.field == [*field, "uri"]
