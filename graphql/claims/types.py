"""Compensation claim types: evidence, the assessment with its liability split, the decision,
the payments per liable party."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from farmgate.graphql.ids import to_global_id
from farmgate.graphql.types import Money, Node, PageInfo

if TYPE_CHECKING:
    from farmgate.graphql.orders.types import Order


@strawberry.enum
class ClaimKind(Enum):
    SPOILED = "SPOILED"
    LATE_DELIVERY = "LATE_DELIVERY"
    DAMAGED = "DAMAGED"
    LOST = "LOST"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"


@strawberry.enum
class ClaimStatus(Enum):
    OPEN = "OPEN"
    ASSESSED = "ASSESSED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PAID = "PAID"
    WITHDRAWN = "WITHDRAWN"


@strawberry.enum
class ClaimParty(Enum):
    BUYER = "BUYER"
    HOUSEHOLD = "HOUSEHOLD"


@strawberry.enum
class LiabilityParty(Enum):
    HOUSEHOLD = "HOUSEHOLD"
    CARRIER = "CARRIER"
    MARKETPLACE = "MARKETPLACE"
    BUYER = "BUYER"


@strawberry.enum
class ClaimOutcome(Enum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


def money(data: dict[str, Any]) -> Money:
    return Money(amount=str(data["amount"]), currency=str(data["currency"]))


def when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@strawberry.type
class Evidence:
    sha256: str = strawberry.field(description="Hex SHA-256 of the evidence file (photo, receipt, sensor log).")
    uri: str
    description: str | None
    added_by: str
    added_at: datetime


@strawberry.type
class LiabilityShare:
    party: LiabilityParty
    basis_points: int = strawberry.field(
        description="Share of the payout in basis points; the shares of one assessment sum to 10000."
    )


@strawberry.type
class ClaimAssessment:
    assessor: str
    findings: str
    liability: list[LiabilityShare]
    recommended_payout: Money
    assessed_at: datetime


@strawberry.type
class ClaimDecision:
    outcome: ClaimOutcome
    payout: Money | None
    reason: str
    decided_by: str
    decided_at: datetime


@strawberry.type
class CompensationPayment:
    payer: LiabilityParty
    amount: Money
    reference: str
    paid_at: datetime


@strawberry.type(description="Something recorded after the claim was filed that puts its grounds in doubt (an"
                 " addition to the contract).")
class ClaimFlag:
    reason: str
    cause: str = strawberry.field(description="The event that raised it, as '<aggregate id>:<version>'.")
    flagged_at: datetime


@strawberry.type
class CompensationClaim(Node):
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("CompensationClaim", self.row["id"]))

    @strawberry.field
    async def order(
        self, info: strawberry.Info
    ) -> Annotated[Order, strawberry.lazy("farmgate.graphql.orders.types")]:
        from farmgate.graphql.orders.scoped import order_by_id

        order = await order_by_id(info.context, UUID(self.row["order_id"]), through_shipment=True)
        if order is None:  # the claim was visible, so its order is: a broken invariant, not a user error
            raise LookupError("claim without a visible order")
        return order

    @strawberry.field
    def kind(self) -> ClaimKind:
        return ClaimKind(self.row["kind"])

    @strawberry.field
    def status(self) -> ClaimStatus:
        return ClaimStatus(self.row["status"])

    @strawberry.field
    def claimant(self) -> ClaimParty:
        return ClaimParty(self.row["claimant"])

    @strawberry.field
    def amount_claimed(self) -> Money:
        return Money(amount=self.row["amount"], currency=self.row["currency"])

    @strawberry.field
    def description(self) -> str:
        return self.row["description"]

    @strawberry.field
    def evidence(self) -> list[Evidence]:
        return [Evidence(sha256=e["sha256"], uri=e["uri"], description=e.get("description"),
                         added_by=e["added_by"], added_at=when(e["added_at"])) for e in self.row["evidence"] or []]

    @strawberry.field
    def filed_at(self) -> datetime:
        return when(self.row["filed_at"])

    @strawberry.field(description="Deadline for a decision; past it the claim is reported as an SLA breach.")
    def respond_by(self) -> datetime:
        return when(self.row["respond_by"])

    @strawberry.field
    def assessment(self) -> ClaimAssessment | None:
        a = self.row["assessment"]
        if not a:
            return None
        return ClaimAssessment(
            assessor=a["assessor"], findings=a["findings"],
            liability=[LiabilityShare(party=LiabilityParty(s["party"]), basis_points=s["basis_points"])
                       for s in a["liability"]],
            recommended_payout=money(a["recommended_payout"]), assessed_at=when(a["assessed_at"]),
        )

    @strawberry.field
    def decision(self) -> ClaimDecision | None:
        d = self.row["decision"]
        if not d:
            return None
        return ClaimDecision(outcome=ClaimOutcome(d["outcome"]), payout=money(d["payout"]) if d["payout"] else None,
                             reason=d["reason"], decided_by=d["decided_by"], decided_at=when(d["decided_at"]))

    @strawberry.field(description="Flags for dispute staff, e.g. the spoilage claimed for was withdrawn by a delivery"
                      " reported late (beyond the contract).")
    def flags(self) -> list[ClaimFlag]:
        return [ClaimFlag(reason=f["reason"], cause=f["cause"], flagged_at=when(f["flagged_at"]))
                for f in self.row.get("flags") or []]

    @strawberry.field
    def payments(self) -> list[CompensationPayment]:
        return [CompensationPayment(payer=LiabilityParty(p["payer"]), amount=money(p["amount"]),
                                    reference=p["reference"], paid_at=when(p["paid_at"]))
                for p in self.row["payments"] or []]


@strawberry.type
class CompensationClaimEdge:
    cursor: str
    node: CompensationClaim


@strawberry.type
class CompensationClaimConnection:
    edges: list[CompensationClaimEdge]
    page_info: PageInfo
    total_count: int
