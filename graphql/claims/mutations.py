"""Claim mutations: file, add evidence, assess, decide, record a compensation payment, withdraw."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry

from farmgate.core.domain.errors import NotFound
from farmgate.graphql.claims.scoped import claim_by_id, forget_claims, visible_claim
from farmgate.graphql.claims.types import ClaimKind, ClaimOutcome, ClaimParty, CompensationClaim, LiabilityParty
from farmgate.graphql.commands import Outcome, execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.inputs import given, plain
from farmgate.graphql.orders.scoped import visible_order_row
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import carries, files_claim_as
from farmgate.graphql.types import MoneyInput, UserError
from farmgate.graphql.written import ClaimWritten


@strawberry.input
class EvidenceInput:
    sha256: str
    uri: str
    description: str | None = strawberry.UNSET


@strawberry.input
class LiabilityShareInput:
    party: LiabilityParty
    basis_points: int


@strawberry.input
class FileClaimInput:
    order_id: strawberry.ID
    kind: ClaimKind
    claimant: ClaimParty
    amount_claimed: MoneyInput
    description: str
    evidence: list[EvidenceInput] | None = strawberry.UNSET


@strawberry.input
class AddClaimEvidenceInput:
    claim_id: strawberry.ID
    evidence: EvidenceInput


@strawberry.input
class AssessClaimInput:
    claim_id: strawberry.ID
    findings: str
    liability: list[LiabilityShareInput]
    recommended_payout: MoneyInput


@strawberry.input
class DecideClaimInput:
    claim_id: strawberry.ID
    outcome: ClaimOutcome
    reason: str
    payout: MoneyInput | None = strawberry.UNSET


@strawberry.input
class RecordCompensationPaymentInput:
    claim_id: strawberry.ID
    payer: LiabilityParty
    amount: MoneyInput
    reference: str


@strawberry.input
class WithdrawClaimInput:
    claim_id: strawberry.ID
    reason: str


@strawberry.type
class FileClaimPayload(ClaimWritten):
    claim: CompensationClaim | None
    user_errors: list[UserError]


@strawberry.type
class AddClaimEvidencePayload(ClaimWritten):
    claim: CompensationClaim | None
    user_errors: list[UserError]


@strawberry.type
class AssessClaimPayload(ClaimWritten):
    claim: CompensationClaim | None
    user_errors: list[UserError]


@strawberry.type
class DecideClaimPayload(ClaimWritten):
    claim: CompensationClaim | None
    user_errors: list[UserError]


@strawberry.type
class RecordCompensationPaymentPayload(ClaimWritten):
    claim: CompensationClaim | None
    user_errors: list[UserError]


@strawberry.type
class WithdrawClaimPayload(ClaimWritten):
    claim: CompensationClaim | None
    user_errors: list[UserError]


def _not_found(what: str, field: str) -> Outcome:
    return Outcome(user_errors=[UserError.of(NotFound(f"No {what} with this id", ["input", field]))])


async def _payload_claim(ctx: Context, outcome: Outcome) -> CompensationClaim | None:
    value = outcome.get("claimId")
    if value is None:
        return None
    forget_claims(ctx)
    return await claim_by_id(ctx, UUID(value))


async def _claim_in_scope(ctx: Context, global_id: str, may_add_evidence: bool = False) -> UUID | Outcome:
    found = await visible_claim(ctx, uuid_of(global_id, "CompensationClaim"))
    if found is None:
        return _not_found("claim", "claimId")
    claim_row, order_row = found
    principal = ctx.require_principal()
    if principal.is_("CARRIER") and not (may_add_evidence and carries(principal, order_row)):
        return _not_found("claim", "claimId")
    return UUID(claim_row["id"])


def _evidence(items: Any) -> list[dict[str, Any]]:
    return [{"sha256": e["sha256"], "uri": e["uri"], "description": e.get("description")} for e in items or []]


@strawberry.type
class ClaimMutation:
    @strawberry.mutation(extensions=allow("MARKETPLACE", "HOUSEHOLD"))
    async def file_claim(
        self, info: strawberry.Info, input: FileClaimInput, idempotency_key: str | None = strawberry.UNSET
    ) -> FileClaimPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        order_row = await visible_order_row(ctx, uuid_of(input.order_id, "Order"))
        if order_row is None:
            return FileClaimPayload(claim=None, user_errors=_not_found("order", "orderId").user_errors)
        if not files_claim_as(principal, order_row, input.claimant.value):
            raise forbidden("A household files claims as HOUSEHOLD, about its own orders")
        request = plain(input)

        def command() -> dict[str, Any]:
            claim_id = ctx.system.app.file_claim(
                order_id=UUID(order_row["id"]), kind=input.kind.value, claimant=input.claimant.value,
                amount=input.amount_claimed.amount, currency=input.amount_claimed.currency,
                description=input.description, evidence=_evidence(request["evidence"]),
            )
            return {"claimId": str(claim_id)}

        outcome = await execute(ctx, "fileClaim", request, given(idempotency_key), command)
        return FileClaimPayload(claim=await _payload_claim(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE", "HOUSEHOLD", "CARRIER", "DISPUTE_STAFF"))
    async def add_claim_evidence(
        self, info: strawberry.Info, input: AddClaimEvidenceInput, idempotency_key: str | None = strawberry.UNSET
    ) -> AddClaimEvidencePayload:
        ctx: Context = info.context
        target = await _claim_in_scope(ctx, input.claim_id, may_add_evidence=True)
        if isinstance(target, Outcome):
            return AddClaimEvidencePayload(claim=None, user_errors=target.user_errors)
        evidence = plain(input.evidence)

        def command() -> dict[str, Any]:
            ctx.system.app.add_claim_evidence(target, evidence["sha256"], evidence["uri"], evidence.get("description"))
            return {"claimId": str(target)}

        outcome = await execute(ctx, "addClaimEvidence", plain(input), given(idempotency_key), command)
        return AddClaimEvidencePayload(claim=await _payload_claim(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("DISPUTE_STAFF"))
    async def assess_claim(
        self, info: strawberry.Info, input: AssessClaimInput, idempotency_key: str | None = strawberry.UNSET
    ) -> AssessClaimPayload:
        ctx: Context = info.context
        target = await _claim_in_scope(ctx, input.claim_id)
        if isinstance(target, Outcome):
            return AssessClaimPayload(claim=None, user_errors=target.user_errors)
        liability = [{"party": s.party.value, "basis_points": s.basis_points} for s in input.liability]

        def command() -> dict[str, Any]:
            ctx.system.app.assess_claim(target, input.findings, liability, input.recommended_payout.amount,
                                        input.recommended_payout.currency)
            return {"claimId": str(target)}

        outcome = await execute(ctx, "assessClaim", plain(input), given(idempotency_key), command)
        return AssessClaimPayload(claim=await _payload_claim(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("DISPUTE_STAFF"))
    async def decide_claim(
        self, info: strawberry.Info, input: DecideClaimInput, idempotency_key: str | None = strawberry.UNSET
    ) -> DecideClaimPayload:
        ctx: Context = info.context
        target = await _claim_in_scope(ctx, input.claim_id)
        if isinstance(target, Outcome):
            return DecideClaimPayload(claim=None, user_errors=target.user_errors)
        payout = given(input.payout)

        def command() -> dict[str, Any]:
            ctx.system.app.decide_claim(target, input.outcome.value,
                                        None if payout is None else (payout.amount, payout.currency), input.reason)
            return {"claimId": str(target)}

        outcome = await execute(ctx, "decideClaim", plain(input), given(idempotency_key), command)
        return DecideClaimPayload(claim=await _payload_claim(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("DISPUTE_STAFF"))
    async def record_compensation_payment(
        self, info: strawberry.Info, input: RecordCompensationPaymentInput,
        idempotency_key: str | None = strawberry.UNSET,
    ) -> RecordCompensationPaymentPayload:
        ctx: Context = info.context
        target = await _claim_in_scope(ctx, input.claim_id)
        if isinstance(target, Outcome):
            return RecordCompensationPaymentPayload(claim=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            ctx.system.app.record_compensation_payment(target, input.payer.value, input.amount.amount,
                                                       input.amount.currency, input.reference)
            return {"claimId": str(target)}

        outcome = await execute(ctx, "recordCompensationPayment", plain(input), given(idempotency_key), command)
        return RecordCompensationPaymentPayload(claim=await _payload_claim(ctx, outcome),
                                                user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE", "HOUSEHOLD", "DISPUTE_STAFF"),
                         description="Withdraw an undecided claim (an addition to the contract).")
    async def withdraw_claim(
        self, info: strawberry.Info, input: WithdrawClaimInput, idempotency_key: str | None = strawberry.UNSET
    ) -> WithdrawClaimPayload:
        ctx: Context = info.context
        target = await _claim_in_scope(ctx, input.claim_id)
        if isinstance(target, Outcome):
            return WithdrawClaimPayload(claim=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            ctx.system.app.withdraw_claim(target, input.reason)
            return {"claimId": str(target)}

        outcome = await execute(ctx, "withdrawClaim", plain(input), given(idempotency_key), command)
        return WithdrawClaimPayload(claim=await _payload_claim(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)
