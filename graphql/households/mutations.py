"""Household mutations: register, verify, link a payment account, add a certification."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry

from farmgate.core.domain.canonical_text import ascii_digits
from farmgate.core.domain.errors import NotFound
from farmgate.graphql.commands import Outcome, execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.households.loaders import household_by_id, household_row
from farmgate.graphql.households.types import (
    Certification,
    CertificationScheme,
    Household,
    PaymentAccountKind,
)
from farmgate.graphql.ids import to_global_id, uuid_of
from farmgate.graphql.inputs import aware, given, plain
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import manages_household, registers_in, told_existing_household
from farmgate.graphql.types import AddressInput, GeoPointInput, UserError, UserErrorCode
from farmgate.graphql.written import CertificationWritten, HouseholdWritten


@strawberry.input
class RegisterHouseholdInput:
    name: str
    national_id: str = strawberry.field(
        description="Citizen identity card number (CCCD, 12 digits). Personal data: never returned, never logged."
    )
    phone: str = strawberry.field(
        description="Vietnamese mobile number, e.g. 0912345678 or +84912345678. A mobile, not a landline: the"
        " household's e-wallet and the marketplaces' SMS reach it."
    )
    address: AddressInput
    location: GeoPointInput | None = strawberry.UNSET


@strawberry.type(description="A household named by its id and standard code only: no personal data.")
class HouseholdReference:
    id: strawberry.ID
    code: str = strawberry.field(description="The standard household code, the same on every marketplace.")


@strawberry.type
class RegisterHouseholdPayload(HouseholdWritten):
    household: Household | None
    user_errors: list[UserError]
    existing_household: HouseholdReference | None = strawberry.field(
        default=None,
        description="On ALREADY_EXISTS: the household already registered with this national ID, to link to the"
        " shared record. Only for a caller that may register it (MARKETPLACE, the PROVINCE_OFFICER of its"
        " province, ADMIN); null for anyone else (beyond the contract).",
    )


@strawberry.input
class VerifyHouseholdInput:
    household_id: strawberry.ID
    method: str = strawberry.field(
        description="How identity was checked, e.g. 'commune post office', 'province officer visit'."
    )


@strawberry.type
class VerifyHouseholdPayload(HouseholdWritten):
    household: Household | None
    user_errors: list[UserError]


@strawberry.input
class LinkPaymentAccountInput:
    household_id: strawberry.ID
    kind: PaymentAccountKind
    provider: str
    reference: str


@strawberry.type
class LinkPaymentAccountPayload(HouseholdWritten):
    household: Household | None
    user_errors: list[UserError]


@strawberry.input
class AddCertificationInput:
    household_id: strawberry.ID
    scheme: CertificationScheme
    number: str
    issuer: str
    valid_until: datetime


@strawberry.type
class AddCertificationPayload(HouseholdWritten, CertificationWritten):
    household: Household | None
    certification: Certification | None
    user_errors: list[UserError]


async def _household_in_scope(ctx: Context, global_id: str, may: str) -> UUID:
    """The household a mutation acts on, if the caller may act on it; else NOT_FOUND (as if absent)."""
    field = ["input", "householdId"]
    household_id = uuid_of(global_id, "Household")
    row = None if household_id is None else await household_row(ctx, household_id)
    principal = ctx.require_principal()
    if row is None or household_id is None:
        raise NotFound("No household with this id", field)
    if not manages_household(principal, row, itself_too=may == "self"):
        raise NotFound("No household with this id", field)
    return household_id


async def _scoped(ctx: Context, global_id: str, may: str = "officer") -> UUID | Outcome:
    try:
        return await _household_in_scope(ctx, global_id, may)
    except NotFound as error:
        return Outcome(user_errors=[UserError.of(error)])


@strawberry.type
class HouseholdMutation:
    @strawberry.mutation(extensions=allow("MARKETPLACE", "PROVINCE_OFFICER"))
    async def register_household(
        self, info: strawberry.Info, input: RegisterHouseholdInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RegisterHouseholdPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        request: dict[str, Any] = plain(input)
        # Compared as the domain will store the codes: an officer of "20" may type it "２０".
        if not registers_in(principal, {k: ascii_digits(v.strip()) if isinstance(v, str) else v
                                        for k, v in request["address"].items()}):
            raise forbidden("A province officer registers households of their own province only")
        location = given(input.location)

        def command() -> dict[str, Any]:
            household_id = ctx.system.app.register_household(
                name=input.name,
                national_id=input.national_id,
                phone=input.phone,
                address={k: v for k, v in request["address"].items() if v is not None},
                location=None if location is None else {"latitude": location.latitude, "longitude": location.longitude},
                channel=principal.marketplace if principal.is_("MARKETPLACE") else None,
            )
            return {"householdId": str(household_id)}

        outcome = await execute(ctx, "registerHousehold", request, given(idempotency_key), command)
        return RegisterHouseholdPayload(
            household=await _payload_household(ctx, outcome), user_errors=outcome.user_errors,
            existing_household=await _existing_household(ctx, outcome, input.national_id), outcome=outcome,
        )

    @strawberry.mutation(extensions=allow("PROVINCE_OFFICER"))
    async def verify_household(
        self, info: strawberry.Info, input: VerifyHouseholdInput, idempotency_key: str | None = strawberry.UNSET
    ) -> VerifyHouseholdPayload:
        ctx: Context = info.context
        target = await _scoped(ctx, input.household_id)
        if isinstance(target, Outcome):
            return VerifyHouseholdPayload(household=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            return {"householdId": str(ctx.system.app.verify_household(target, input.method))}

        outcome = await execute(ctx, "verifyHousehold", plain(input), given(idempotency_key), command)
        return VerifyHouseholdPayload(household=await _payload_household(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("HOUSEHOLD", "PROVINCE_OFFICER"))
    async def link_payment_account(
        self, info: strawberry.Info, input: LinkPaymentAccountInput, idempotency_key: str | None = strawberry.UNSET
    ) -> LinkPaymentAccountPayload:
        ctx: Context = info.context
        target = await _scoped(ctx, input.household_id, may="self")
        if isinstance(target, Outcome):
            return LinkPaymentAccountPayload(household=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            ctx.system.app.link_payment_account(target, input.kind.value, input.provider, input.reference)
            return {"householdId": str(target)}

        outcome = await execute(ctx, "linkPaymentAccount", plain(input), given(idempotency_key), command)
        return LinkPaymentAccountPayload(
            household=await _payload_household(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome
        )

    @strawberry.mutation(extensions=allow("PROVINCE_OFFICER"))
    async def add_certification(
        self, info: strawberry.Info, input: AddCertificationInput, idempotency_key: str | None = strawberry.UNSET
    ) -> AddCertificationPayload:
        ctx: Context = info.context
        target = await _scoped(ctx, input.household_id)
        if isinstance(target, Outcome):
            return AddCertificationPayload(household=None, certification=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            valid_until = aware(input.valid_until, ["input", "validUntil"])
            _, certification_id = ctx.system.app.add_certification(
                target, input.scheme.value, input.number, input.issuer, valid_until
            )
            return {"householdId": str(target), "certificationId": str(certification_id)}

        outcome = await execute(ctx, "addCertification", plain(input), given(idempotency_key), command)
        household = await _payload_household(ctx, outcome)
        certification = None
        if household is not None and outcome.get("certificationId"):
            wanted = to_global_id("Certification", outcome.get("certificationId"))
            certification = next((c for c in household.certifications() if c.id == wanted), None)
        return AddCertificationPayload(household=household, certification=certification, user_errors=outcome.user_errors, outcome=outcome)


async def _existing_household(ctx: Context, outcome: Outcome, national_id: str) -> HouseholdReference | None:
    """The household a refused registration collides with, if the caller may be told (``told_existing_household``).
    Found again from the national ID rather than kept with the outcome, so an idempotent replay tells it too."""
    if not any(e.code == UserErrorCode.ALREADY_EXISTS and e.field == ["input", "nationalId"]
               for e in outcome.user_errors):
        return None
    row = await household_row(ctx, ctx.system.app.household_id_of_national_id(national_id))
    if row is None or not told_existing_household(ctx.require_principal(), row):
        return None
    return HouseholdReference(id=strawberry.ID(to_global_id("Household", row["id"])), code=row["code"])


async def _payload_household(ctx: Context, outcome: Outcome) -> Household | None:
    value = outcome.get("householdId")
    if value is None:
        return None
    # A fresh read: the request's loader may hold the row from before the write.
    ctx.loaders.pop("household_rows", None)
    return await household_by_id(ctx, UUID(value))
