"""Compensation claim use cases: file, add evidence, assess, decide, pay, withdraw, and the
response-deadline check a worker runs.

Every change that moves what a claim commits or what was paid on it is saved together with the
claim's order, which keeps the running totals per claimant and checks the limit
(``Order.note_claim``): the order's version check serialises concurrent claims on one order on every
backend, and a lost race is retried against the fresh totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from farmgate.core.domain.claim import DEFAULT_RESPONSE_TIME, CompensationClaim, checked_evidence
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import Order
from farmgate.core.domain.provenance import Provenance, current_provenance, recording

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate

SLA_ACTOR = "SYSTEM:claim-deadline"


def note_exposure(order: Order, claim: CompensationClaim, field: list[str]) -> None:
    """Tell the order what ``claim`` now commits and what was paid on it (see ``Order.note_claim``)."""
    order.note_claim(claim.id, claim.claimant, claim.kind, claim.status, claim.claimed, claim.committed,
                     claim.approved, claim.paid_total, field)


class ClaimCommands:
    #: how long dispute staff have to decide a claim (DESIGN: configurable, default 72 h)
    claim_response_time: timedelta = DEFAULT_RESPONSE_TIME

    def file_claim(
        self: Farmgate,
        *,
        order_id: UUID,
        kind: str,
        claimant: str,
        amount: str,
        currency: str,
        description: str,
        evidence: Sequence[dict[str, Any]] = (),
    ) -> UUID:
        claimed = Money.parse(amount, currency, ["input", "amountClaimed"])
        items = [checked_evidence(e["sha256"], e["uri"], e.get("description"), ["input", "evidence", str(i)])
                 for i, e in enumerate(evidence)]

        def command() -> UUID:
            order = self.load(Order, order_id, ["input", "orderId"])
            claim = CompensationClaim.file(
                order_id=order.id,
                marketplace=order.marketplace,
                household_id=order.household_id,
                kind=kind,
                claimant=claimant,
                amount_claimed=claimed,
                description=description,
                evidence=items,
                now=self.clock(),
                response_time=self.claim_response_time,
            )
            note_exposure(order, claim, ["input", "amountClaimed"])
            self.save(claim, order)
            return claim.id

        return self.retrying(command, "this order's claims")

    def _change_claim(self: Farmgate, claim_id: UUID, change: Any, field: list[str] | None = None) -> UUID:
        """Load, change, save a claim; with ``field`` (the input amount that may move the claim's
        exposure) its order is told and saved with it."""

        def command() -> UUID:
            claim = self.load(CompensationClaim, claim_id, ["input", "claimId"])
            change(claim)
            if field is None:
                self.save(claim)
                return claim.id
            order = self.load(Order, claim.order_id)
            note_exposure(order, claim, field)
            self.save(claim, order)
            return claim.id

        return self.retrying(command, "this claim")

    def add_claim_evidence(self: Farmgate, claim_id: UUID, sha256: str, uri: str, description: str | None) -> UUID:
        item = checked_evidence(sha256, uri, description, ["input", "evidence"])
        return self._change_claim(claim_id, lambda c: c.add_evidence(item))

    def assess_claim(
        self: Farmgate, claim_id: UUID, findings: str, liability: list[dict[str, Any]], payout_amount: str,
        payout_currency: str,
    ) -> UUID:
        payout = Money.parse(payout_amount, payout_currency, ["input", "recommendedPayout"])
        return self._change_claim(claim_id, lambda c: c.assess(findings, liability, payout),
                                  ["input", "recommendedPayout"])

    def decide_claim(
        self: Farmgate, claim_id: UUID, outcome: str, payout: tuple[str, str] | None, reason: str
    ) -> UUID:
        money = None if payout is None else Money.parse(payout[0], payout[1], ["input", "payout"])
        return self._change_claim(claim_id, lambda c: c.decide(outcome, money, reason), ["input", "payout"])

    def record_compensation_payment(
        self: Farmgate, claim_id: UUID, payer: str, amount: str, currency: str, reference: str
    ) -> UUID:
        money = Money.parse(amount, currency, ["input", "amount"])
        return self._change_claim(claim_id, lambda c: c.record_payment(payer, money, reference), ["input", "amount"])

    def withdraw_claim(self: Farmgate, claim_id: UUID, reason: str) -> UUID:
        return self._change_claim(claim_id, lambda c: c.withdraw(reason), ["input", "claimId"])

    def note_missed_claim_deadlines(self: Farmgate, claim_ids: Iterable[UUID], now: datetime | None = None) -> list[UUID]:
        """The claim-response watchdog: record each undecided claim past respond_by as breached, once."""
        moment = min(now or self.clock(), self.clock())
        correlation_id = current_provenance().correlation_id
        noted: list[UUID] = []

        def note(claim_id: UUID) -> bool:
            claim = self.load(CompensationClaim, claim_id)
            if not claim.note_missed_deadline(moment):
                return False
            self.save(claim)
            return True

        with recording(Provenance(actor=SLA_ACTOR, correlation_id=correlation_id)):
            for claim_id in claim_ids:
                if self.retrying(lambda claim_id=claim_id: note(claim_id), "this claim"):
                    noted.append(claim_id)
        return noted

    def flag_claims_for_review(self: Farmgate, order_id: UUID, kinds: Sequence[str], reason: str, cause: str) -> int:
        """A process step: flag the order's undecided or unpaid claims of ``kinds`` for dispute staff,
        once per cause. Returns how many were flagged."""
        order = self.load(Order, order_id)
        flagged = 0
        for claim_id, claim in order.claims.items():
            if claim["kind"] not in kinds:
                continue

            def command(claim_id: str = claim_id) -> bool:
                loaded = self.load(CompensationClaim, UUID(claim_id))
                if not loaded.flag_for_review(reason, cause):
                    return False
                self.save(loaded)
                return True

            flagged += int(self.retrying(command, "this claim"))
        return flagged
