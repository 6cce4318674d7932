"""CompensationClaim: a buyer's or household's claim for money after spoilage, loss, damage or
lateness; assessed by dispute staff with a liability split, decided, and paid per liable party.

Lifecycle: OPEN → ASSESSED → APPROVED → PAID, or → REJECTED; OPEN/ASSESSED → WITHDRAWN.
Each liable party owes its share of the payout; the shares are the payout split by basis points in
whole minor units (Money.allocate), so they always add up to it exactly. A compensation payment is a
fact: it is recorded whatever the claim's state (refused only when malformed, not positive, in another
currency, from an unknown party, or a reference already recorded, compared by
``text.code_key``: case, full-width forms and outer spaces ignored). One beyond the payer's share, or
on a claim not approved, is flagged for dispute staff (``FlaggedForReview`` with cause
``OVERPAID:<reference>``); the claim is PAID once every liable party has paid its share.

What a claim commits (``committed``) counts against its claimant's limit on the order: the amount
claimed while OPEN, the recommended payout once ASSESSED, the payout once APPROVED or PAID, nothing
once REJECTED or WITHDRAWN. The order keeps those running totals and checks the limit
(``Order.note_claim``), in the same save as every change here that moves them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition
from farmgate.core.domain.money import Money
from farmgate.core.domain.canonical_text import canonical_text
from farmgate.core.domain.text import code_key, optional_text, required_code, required_text

KINDS = ("SPOILED", "LATE_DELIVERY", "DAMAGED", "LOST", "NOT_AS_DESCRIBED")
CLAIMANTS = ("BUYER", "HOUSEHOLD")
PARTIES = ("HOUSEHOLD", "CARRIER", "MARKETPLACE", "BUYER")
WHOLE = 10_000  # basis points
DEFAULT_RESPONSE_TIME = timedelta(hours=72)
#: a FlaggedForReview cause starting with this names a compensation payment beyond what was owed
OVERPAID_CAUSE = "OVERPAID:"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_URI = re.compile(r"^(https|s3|ipfs|gs)://\S{3,2000}$")


def checked_evidence(sha256: str, uri: str, description: str | None, field: list[str]) -> dict[str, Any]:
    """One piece of evidence: its SHA-256 (hex, lower case), where it is kept, what it shows."""
    digest = sha256.strip().lower()
    if not _SHA256.match(digest):
        raise InvalidInput("sha256 must be 64 hexadecimal characters", field + ["sha256"])
    uri = canonical_text(uri, field + ["uri"])
    if not _URI.match(uri):
        raise InvalidInput("uri must be an https://, s3://, gs:// or ipfs:// address", field + ["uri"])
    return {"sha256": digest, "uri": uri,
            "description": optional_text(description, field + ["description"], 1000, multiline=True)}


def liability_split(payout: Money, liability: list[dict[str, Any]]) -> dict[str, Money]:
    """Each liable party's share of the payout, exactly, summing to the payout."""
    parts = payout.allocate([int(s["basis_points"]) for s in liability])
    return {s["party"]: part for s, part in zip(liability, parts)}


class CompensationClaim(FarmAggregate):
    class Filed(FarmAggregate.Created):
        order_id: UUID
        #: the order's marketplace and household, so who may see the claim needs no lookup
        marketplace: str
        household_id: UUID
        kind: str
        claimant: str
        amount_claimed: dict[str, str]
        description: str
        respond_by: datetime

    class EvidenceAdded(FarmAggregate.Event):
        evidence: dict[str, Any]

        def apply(self, claim: CompensationClaim) -> None:
            claim.evidence.append({**self.evidence, "added_by": self.actor, "added_at": self.occurred_at})

    class Assessed(FarmAggregate.Event):
        findings: str
        liability: list[dict[str, Any]]
        recommended_payout: dict[str, str]

        def apply(self, claim: CompensationClaim) -> None:
            claim.status = "ASSESSED"
            claim.assessment = {"assessor": self.actor, "findings": self.findings, "liability": self.liability,
                                "recommended_payout": self.recommended_payout, "assessed_at": self.occurred_at}

    class Decided(FarmAggregate.Event):
        outcome: str
        payout: dict[str, str] | None
        reason: str

        def apply(self, claim: CompensationClaim) -> None:
            claim.status = self.outcome
            claim.decision = {"outcome": self.outcome, "payout": self.payout, "reason": self.reason,
                              "decided_by": self.actor, "decided_at": self.occurred_at}

    class CompensationPaid(FarmAggregate.Event):
        payer: str
        amount: dict[str, str]
        reference: str
        settled: bool

        def apply(self, claim: CompensationClaim) -> None:
            claim.payments.append({"payer": self.payer, "amount": self.amount, "reference": self.reference,
                                   "paid_at": self.occurred_at})
            if self.settled:
                claim.status = "PAID"

    class Withdrawn(FarmAggregate.Event):
        reason: str

        def apply(self, claim: CompensationClaim) -> None:
            claim.status = "WITHDRAWN"

    class FlaggedForReview(FarmAggregate.Event):
        """Something recorded after the claim was filed puts its grounds in doubt (e.g. the spoilage it
        claims for was withdrawn by a delivery reported late): dispute staff must look again."""

        reason: str
        cause: str

        def apply(self, claim: CompensationClaim) -> None:
            claim.flags.append({"reason": self.reason, "cause": self.cause, "flagged_at": self.occurred_at})

    class ResponseDeadlineMissed(FarmAggregate.Event):
        """A worker saw the claim still undecided after respond_by: an SLA breach on record."""

        respond_by: datetime

        def apply(self, claim: CompensationClaim) -> None:
            claim.breached_at = self.occurred_at

    def __init__(self, order_id: UUID, marketplace: str, household_id: UUID, kind: str, claimant: str,
                 amount_claimed: dict[str, str], description: str, respond_by: datetime) -> None:
        self.order_id = order_id
        self.marketplace = marketplace
        self.household_id = household_id
        self.kind = kind
        self.claimant = claimant
        self.amount_claimed = amount_claimed
        self.description = description
        self.evidence: list[dict[str, Any]] = []
        self.respond_by = respond_by
        self.status = "OPEN"
        self.assessment: dict[str, Any] | None = None
        self.decision: dict[str, Any] | None = None
        self.payments: list[dict[str, Any]] = []
        self.breached_at: datetime | None = None
        self.flags: list[dict[str, Any]] = []

    @classmethod
    def file(
        cls,
        *,
        order_id: UUID,
        marketplace: str,
        household_id: UUID,
        kind: str,
        claimant: str,
        amount_claimed: Money,
        description: str,
        evidence: list[dict[str, Any]],
        now: datetime,
        response_time: timedelta = DEFAULT_RESPONSE_TIME,
    ) -> CompensationClaim:
        if kind not in KINDS:
            raise InvalidInput(f"Unknown claim kind {kind}", ["input", "kind"])
        if claimant not in CLAIMANTS:
            raise InvalidInput(f"Unknown claimant {claimant}", ["input", "claimant"])
        field = ["input", "amountClaimed"]
        if not amount_claimed.is_positive:
            raise InvalidInput("amountClaimed must be more than zero", field + ["amount"])
        claim = cls._start(
            cls.Filed,
            uuid4(),
            order_id=order_id,
            marketplace=marketplace,
            household_id=household_id,
            kind=kind,
            claimant=claimant,
            amount_claimed=amount_claimed.to_primitive(),
            description=required_text(description, ["input", "description"], 4000, multiline=True),
            respond_by=now + response_time,
        )
        for item in evidence:
            claim._record(claim.EvidenceAdded, evidence=item)
        return claim

    # -- reading -----------------------------------------------------------------------------------

    @property
    def claimed(self) -> Money:
        return Money.from_primitive(self.amount_claimed)

    @property
    def payout(self) -> Money | None:
        if self.decision and self.decision["payout"]:
            return Money.from_primitive(self.decision["payout"])
        return None

    @property
    def committed(self) -> Money:
        """What the claim counts against its claimant's limit now (see the module docstring)."""
        zero = Money.zero(self.claimed.currency)
        if self.status == "OPEN":
            return self.claimed
        if self.status == "ASSESSED" and self.assessment is not None:
            return Money.from_primitive(self.assessment["recommended_payout"])
        if self.status in ("APPROVED", "PAID"):
            return self.payout or zero
        return zero

    @property
    def approved(self) -> Money:
        payout = self.payout
        return payout if payout is not None and self.status in ("APPROVED", "PAID") else Money.zero(self.claimed.currency)

    def paid_by(self, party: str) -> Money:
        total = Money.zero(self.claimed.currency)
        for payment in self.payments:
            if payment["payer"] == party:
                total = total + Money.from_primitive(payment["amount"])
        return total

    @property
    def paid_total(self) -> Money:
        total = Money.zero(self.claimed.currency)
        for payment in self.payments:
            total = total + Money.from_primitive(payment["amount"])
        return total

    def shares(self) -> dict[str, Money]:
        payout = self.payout
        if payout is None or self.assessment is None:
            return {}
        return liability_split(payout, self.assessment["liability"])

    # -- commands ------------------------------------------------------------------------------------

    def _require(self, statuses: tuple[str, ...], what: str) -> None:
        if self.status not in statuses:
            raise InvalidTransition(f"A {self.status} claim cannot be {what}", ["input", "claimId"])

    def add_evidence(self, evidence: dict[str, Any]) -> None:
        self._require(("OPEN", "ASSESSED"), "given more evidence")
        if any(e["sha256"] == evidence["sha256"] for e in self.evidence):
            raise InvalidInput("This evidence is already on the claim", ["input", "evidence", "sha256"],
                               code="ALREADY_EXISTS")
        self._record(self.EvidenceAdded, evidence=evidence)

    def assess(self, findings: str, liability: list[dict[str, Any]], recommended_payout: Money) -> None:
        self._require(("OPEN", "ASSESSED"), "assessed")
        field = ["input", "liability"]
        if not liability:
            raise InvalidInput("liability must name at least one party", field)
        parties = [s["party"] for s in liability]
        for i, share in enumerate(liability):
            if share["party"] not in PARTIES:
                raise InvalidInput(f"Unknown party {share['party']}", field + [str(i), "party"])
            if not 0 <= share["basis_points"] <= WHOLE:
                raise InvalidInput("basisPoints must be between 0 and 10000", field + [str(i), "basisPoints"])
        if len(set(parties)) != len(parties):
            raise InvalidInput("Each party appears once in the liability split", field)
        if sum(s["basis_points"] for s in liability) != WHOLE:
            raise InvalidInput("The liability shares must sum to exactly 10000 basis points", field)
        payout_field = ["input", "recommendedPayout"]
        if recommended_payout.currency != self.claimed.currency:
            raise InvalidInput(f"The claim is in {self.claimed.currency}", payout_field + ["currency"])
        if recommended_payout.amount < 0 or recommended_payout > self.claimed:
            raise InvalidInput("recommendedPayout must be between zero and the amount claimed", payout_field + ["amount"])
        self._record(
            self.Assessed,
            findings=required_text(findings, ["input", "findings"], 4000, multiline=True),
            liability=[{"party": s["party"], "basis_points": int(s["basis_points"])} for s in liability],
            recommended_payout=recommended_payout.to_primitive(),
        )

    def decide(self, outcome: str, payout: Money | None, reason: str) -> None:
        self._require(("ASSESSED",), "decided before it is assessed" if self.status == "OPEN" else "decided")
        reason = required_text(reason, ["input", "reason"], 4000, multiline=True)
        if outcome == "APPROVED":
            field = ["input", "payout"]
            if payout is None:
                raise InvalidInput("An approved claim needs a payout", field)
            if payout.currency != self.claimed.currency:
                raise InvalidInput(f"The claim is in {self.claimed.currency}", field + ["currency"])
            if not payout.is_positive or payout > self.claimed:
                raise InvalidInput("payout must be more than zero and not above the amount claimed", field + ["amount"])
            self._record(self.Decided, outcome=outcome, payout=payout.to_primitive(), reason=reason)
        elif outcome == "REJECTED":
            if payout is not None:
                raise InvalidInput("A rejected claim has no payout", ["input", "payout"])
            self._record(self.Decided, outcome=outcome, payout=None, reason=reason)
        else:
            raise InvalidInput(f"Unknown outcome {outcome}", ["input", "outcome"])

    def record_payment(self, payer: str, amount: Money, reference: str, occurred_at: datetime | None = None) -> None:
        """A compensation payment that was made: recorded whatever the claim's state (see the module
        docstring). Beyond the payer's unpaid share (on a claim not APPROVED or PAID, that share is
        nothing) it is flagged OVERPAID for dispute staff. The same reference again is AlreadyExists."""
        field = ["input", "amount"]
        if payer not in PARTIES:
            raise InvalidInput(f"Unknown party {payer}", ["input", "payer"])
        if amount.currency != self.claimed.currency:
            raise InvalidInput(f"The payout is in {self.claimed.currency}", field + ["currency"])
        if not amount.is_positive:
            raise InvalidInput("amount must be more than zero", field + ["amount"])
        reference = required_code(reference, ["input", "reference"], 200)
        if any(code_key(p["reference"]) == code_key(reference) for p in self.payments):
            raise AlreadyExists("A payment with this reference is already recorded", ["input", "reference"])
        decided = self.status in ("APPROVED", "PAID")
        shares = self.shares() if decided else {}
        share = shares.get(payer, Money.zero(amount.currency))
        owed = share - self.paid_by(payer)
        owed = owed if owed.is_positive else Money.zero(owed.currency)
        settled = self.status == "APPROVED" and all(
            part <= self.paid_by(party) + (amount if party == payer else Money.zero(amount.currency))
            for party, part in shares.items())
        self._record(self.CompensationPaid, occurred_at=occurred_at, payer=payer, amount=amount.to_primitive(),
                     reference=reference, settled=settled)
        if amount > owed:
            why = (f"{payer} owed {owed} of its share; {amount} was paid ({reference}): {amount - owed} overpaid"
                   if decided else f"{payer} paid {amount} ({reference}) on a {self.status} claim, owed nothing yet")
            self._record(self.FlaggedForReview, reason=why, cause=f"{OVERPAID_CAUSE}{reference}")

    def flag_for_review(self, reason: str, cause: str) -> bool:
        """Flag an undecided or unpaid claim for dispute staff, once per cause. True if recorded."""
        if self.status not in ("OPEN", "ASSESSED", "APPROVED") or any(f["cause"] == cause for f in self.flags):
            return False
        self._record(self.FlaggedForReview, reason=reason, cause=cause)
        return True

    def withdraw(self, reason: str) -> None:
        self._require(("OPEN", "ASSESSED"), "withdrawn")
        self._record(self.Withdrawn, reason=required_text(reason, ["input", "reason"], 4000, multiline=True))

    def note_missed_deadline(self, now: datetime) -> bool:
        """Record the SLA breach once, if the claim is still undecided past respond_by."""
        if self.breached_at is not None or self.status not in ("OPEN", "ASSESSED") or now <= self.respond_by:
            return False
        self._record(self.ResponseDeadlineMissed, respond_by=self.respond_by)
        return True
