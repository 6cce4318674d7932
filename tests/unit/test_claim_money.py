"""Claim money as a state machine (hypothesis) over the real use cases in memory: across any sequence
of claims, assessments, decisions, compensation payments, order payments, refunds and cancels on one
order, no claimant's claims commit more than its limit when they rise or are assessed or approved
(a refund recorded before the decision counts), and no đồng is created or lost:
the order's running totals equal the sums of the facts recorded, refunds never exceed what was paid,
and what liable parties paid on a claim never exceeds its payout."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from farmgate.core.domain.claim import CompensationClaim
from farmgate.core.domain.errors import DomainError, LimitExceeded
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import Order
from tests.unit.test_order_lifecycle import Farm

TOTAL = Decimal(45000) * 4
AMOUNTS = st.sampled_from([1, 1000, 45000, 90000, 135000, 179999, 180000, 180001, 400000])


class ClaimMoney(RuleBasedStateMachine):
    claims = Bundle("claims")

    def __init__(self) -> None:
        super().__init__()
        self.farm = Farm()
        self.order_id = self.farm.place({"na": 4})
        self.references = itertools.count(1)

    def teardown(self) -> None:
        self.farm.system.close()

    def order(self) -> Order:
        return self.farm.app.load(Order, self.order_id)

    def attempt(self, command: Any) -> Any:
        """Run a command; a refusal is a DomainError that recorded nothing."""
        head = self.farm.head()
        try:
            return command()
        except DomainError:
            assert self.farm.head() == head
            return None

    def _committed_rises_within_limit(self, claimant: str, command: Any, claim_id: Any = None) -> Any:
        """Run a claim command: a rise of the claimant's commitments, and an assessment or approval
        (even of a claim filed before a refund shrank the limit), leaves them within the limit."""
        before = self.order()
        status_before = self._claim(claim_id).status if claim_id is not None else None
        result = self.attempt(command)
        after = self.order()
        if after.committed_total(claimant) > before.committed_total(claimant):
            assert after.committed_total(claimant) <= after.claim_limit(claimant)
        if claim_id is not None:
            status = self._claim(claim_id).status
            if status != status_before and status in ("ASSESSED", "APPROVED"):
                assert after.committed_total(claimant) <= after.claim_limit(claimant), status
        return result

    @rule(target=claims, claimant=st.sampled_from(["BUYER", "HOUSEHOLD"]), amount=AMOUNTS)
    def file(self, claimant: str, amount: int) -> Any:
        claim_id = self._committed_rises_within_limit(claimant, lambda: self.farm.app.file_claim(
            order_id=self.order_id, kind="SPOILED", claimant=claimant, amount=str(amount), currency="VND",
            description="Na hỏng"))
        return claim_id or "refused"

    def _claim(self, claim_id: Any) -> CompensationClaim | None:
        return None if claim_id == "refused" else self.farm.app.load(CompensationClaim, claim_id)

    @rule(claim_id=claims, share=st.integers(0, 10))
    def assess(self, claim_id: Any, share: int) -> None:
        claim = self._claim(claim_id)
        if claim is None:
            return
        payout = claim.claimed.amount * share // 10
        self._committed_rises_within_limit(claim.claimant, lambda: self.farm.app.assess_claim(
            claim_id, "findings", [{"party": "CARRIER", "basis_points": 6000}, {"party": "MARKETPLACE",
                                                                               "basis_points": 4000}],
            str(payout), "VND"), claim_id)

    @rule(claim_id=claims, share=st.integers(0, 11), approve=st.booleans())
    def decide(self, claim_id: Any, share: int, approve: bool) -> None:
        claim = self._claim(claim_id)
        if claim is None:
            return
        payout = (str(claim.claimed.amount * share // 10), "VND") if approve else None
        self._committed_rises_within_limit(claim.claimant, lambda: self.farm.app.decide_claim(
            claim_id, "APPROVED" if approve else "REJECTED", payout, "decision"), claim_id)
        self.farm.system.catch_up()  # the refund process step

    @rule(claim_id=claims, payer=st.sampled_from(["CARRIER", "MARKETPLACE"]), amount=AMOUNTS)
    def pay_compensation(self, claim_id: Any, payer: str, amount: int) -> None:
        if self._claim(claim_id) is not None:
            self.attempt(lambda: self.farm.app.record_compensation_payment(claim_id, payer, str(amount), "VND",
                                                                           f"C-{next(self.references)}"))

    @rule(claim_id=claims)
    def withdraw(self, claim_id: Any) -> None:
        if self._claim(claim_id) is not None:
            self.attempt(lambda: self.farm.app.withdraw_claim(claim_id, "changed my mind"))

    @rule(amount=AMOUNTS)
    def buyer_pays(self, amount: int) -> None:
        self.attempt(lambda: self.farm.app.record_payment(
            self.order_id, amount={"amount": str(amount), "currency": "VND"}, reference=f"P-{next(self.references)}",
            occurred_at=self.farm.clock.now))

    @rule(amount=AMOUNTS)
    def money_goes_back(self, amount: int) -> None:
        self.attempt(lambda: self.farm.app.record_refund(
            self.order_id, amount={"amount": str(amount), "currency": "VND"}, reference=f"R-{next(self.references)}",
            occurred_at=self.farm.clock.now))

    @rule()
    def cancel(self) -> None:
        self.attempt(lambda: self.farm.app.cancel_order(self.order_id, "hết hàng"))

    @invariant()
    def no_dong_is_created_or_lost(self) -> None:
        order = self.order()
        events = list(self.farm.app.stored_events(self.order_id))

        def summed(kind: str, field: str = "amount") -> Decimal:
            return sum((Decimal(e.__dict__[field]["amount"]) for e in events if type(e).__name__ == kind), Decimal(0))

        paid, refunded_directly, through_claims = summed("PaymentRecorded"), summed("RefundRecorded"), summed("Refunded")
        assert order.amount_paid.amount == paid and order.refunded_directly.amount == refunded_directly
        assert order.refunded.amount == refunded_directly + through_claims
        # More returned than paid is a fact recorded, and flagged.
        assert ("OVER_REFUNDED" in order.flags) == (order.refunded.amount > paid)
        kept = Decimal(0) if order.status == "CANCELLED" else TOTAL
        assert order.refund_due.amount == max(Decimal(0), paid - order.refunded.amount - kept)
        # Claims: each one's commitment, approval and payments on the order are the claim's own.
        for claim_id, noted in order.claims.items():
            claim = self.farm.app.load(CompensationClaim, UUID(claim_id))
            assert Money.from_primitive(noted["committed"]) == claim.committed
            assert Money.from_primitive(noted["paid"]) == claim.paid_total
            payout = claim.payout or Money.zero("VND")
            # Paid beyond what was owed is recorded and flagged, once per payment, never refused.
            overpayments = [f for f in claim.flags if f["cause"].startswith("OVERPAID:")]
            if claim.paid_total > payout:
                assert overpayments
            if claim.status == "PAID":
                assert claim.paid_total >= payout
            assert sum((s.amount for s in claim.shares().values()), Decimal(0)) == (
                payout.amount if claim.assessment and claim.payout else 0)
        # A BUYER claim refunds its order at most once, and never more than its payout.
        refunds = [e for e in events if type(e).__name__ == "Refunded"]
        assert len({e.claim_id for e in refunds}) == len(refunds)
        for e in refunds:
            claim = self.farm.app.load(CompensationClaim, e.claim_id)
            assert claim.claimant == "BUYER" and Decimal(e.amount["amount"]) <= claim.payout.amount

    @invariant()
    def no_claimant_is_approved_beyond_its_limit(self) -> None:
        order = self.order()
        for claimant in ("BUYER", "HOUSEHOLD"):
            approved = order.exposure(claimant)["approved"]
            # Only a refund recorded after the approval can shrink the BUYER limit below it: flagged, not hidden.
            if approved > order.claim_limit(claimant):
                assert claimant == "BUYER" and order.refunded_directly.is_positive


TestClaimMoney = ClaimMoney.TestCase
TestClaimMoney.settings = settings(max_examples=80, stateful_step_count=30, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_a_claim_filed_before_a_direct_refund_cannot_then_be_approved_past_the_shrunk_limit() -> None:
    """The buyer paid the whole order, claimed it all back, and was refunded it all outside the claim:
    assessing or approving the claim for any payout would pay the buyer twice."""
    farm = Farm()
    try:
        order_id = farm.place({"na": 4})
        farm.app.record_payment(order_id, amount={"amount": str(TOTAL), "currency": "VND"}, reference="P-1",
                                occurred_at=farm.clock.now)
        claim_id = farm.app.file_claim(order_id=order_id, kind="SPOILED", claimant="BUYER", amount=str(TOTAL),
                                       currency="VND", description="Na hỏng")
        farm.app.record_refund(order_id, amount={"amount": str(TOTAL), "currency": "VND"}, reference="R-1",
                               occurred_at=farm.clock.now)
        liability = [{"party": "CARRIER", "basis_points": 10000}]
        head = farm.head()
        with pytest.raises(LimitExceeded) as refused:
            farm.app.assess_claim(claim_id, "findings", liability, str(TOTAL), "VND")
        assert refused.value.field == ["input", "recommendedPayout", "amount"] and "0 VND is left" in refused.value.message
        assert farm.head() == head
        # A payout of nothing fits: the claim can still be assessed so, then only rejected.
        farm.app.assess_claim(claim_id, "findings", liability, "0", "VND")
        with pytest.raises(LimitExceeded):
            farm.app.decide_claim(claim_id, "APPROVED", ("1", "VND"), "decision")
        farm.app.decide_claim(claim_id, "REJECTED", None, "refunded outside the claim")
        assert farm.app.load(CompensationClaim, claim_id).status == "REJECTED"
    finally:
        farm.system.close()
