"""Export mutations: register a partner (ADMIN), create an order and allocate its lots (the creating
marketplace), record documents and milestones (export side: the creating marketplace; import side:
the partner). An order out of the caller's scope is NOT_FOUND, as if it did not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry

from farmgate.core.domain.errors import NotFound
from farmgate.core.domain.export_order import MAX_LOT_KG, MAX_ORDER_KG, document_side, milestone_side
from farmgate.graphql.commands import Outcome, execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.exports.loaders import forget_export_order
from farmgate.graphql.exports.scoped import export_order_by_id, export_partner_by_id, visible_export_order_row
from farmgate.graphql.exports.types import ExportDocumentKind, ExportMilestoneKind, ExportOrder, ExportPartner, Incoterm
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.inputs import aware, given, plain
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import EXPORT_SIDE, may_record_on_export_order
from farmgate.graphql.types import MoneyInput, UserError, UserErrorCode
from farmgate.graphql.written import ExportOrderWritten, ExportPartnerWritten

ORDER_FIELD = ["input", "exportOrderId"]


@strawberry.input
class RegisterExportPartnerInput:
    name: str
    country: str


@strawberry.type
class RegisterExportPartnerPayload(ExportPartnerWritten):
    partner: ExportPartner | None
    user_errors: list[UserError]


@strawberry.input
class CreateExportOrderInput:
    partner_id: strawberry.ID
    reference: str
    product: str
    hs_code: str
    destination_country: str
    consignee: str
    incoterm: Incoterm
    quantity_kg: int = strawberry.field(
        description=f"Kilograms, a whole number from 1 to {MAX_ORDER_KG:,} (one air consignment; the largest"
        " freighters lift 130-150 tonnes); more is refused (INVALID)."
    )
    unit_price: MoneyInput
    harvest_to_door_hours: int
    campaign_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The campaign its lots count towards as export kilograms (e.g. Bắc Giang lychee 2021). Beyond the"
        " contract.",
    )


@strawberry.type
class CreateExportOrderPayload(ExportOrderWritten):
    export_order: ExportOrder | None
    user_errors: list[UserError]


@strawberry.input
class AllocateExportLotInput:
    export_order_id: strawberry.ID
    household_id: strawberry.ID
    quantity_kg: int = strawberry.field(
        description=f"Kilograms of this household's lot, a whole number from 1 to {MAX_LOT_KG:,} and no more than"
        " the order has left to allocate (LIMIT_EXCEEDED); a household may contribute several lots."
    )


@strawberry.type
class AllocateExportLotPayload(ExportOrderWritten):
    export_order: ExportOrder | None
    user_errors: list[UserError]


@strawberry.input
class RecordExportDocumentInput:
    export_order_id: strawberry.ID
    kind: ExportDocumentKind
    number: str
    issuer: str
    issued_at: datetime
    sha256: str | None = strawberry.UNSET


@strawberry.type
class RecordExportDocumentPayload(ExportOrderWritten):
    export_order: ExportOrder | None
    user_errors: list[UserError]


@strawberry.input
class RecordExportMilestoneInput:
    export_order_id: strawberry.ID
    kind: ExportMilestoneKind
    occurred_at: datetime
    location: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET


@strawberry.type
class RecordExportMilestonePayload(ExportOrderWritten):
    export_order: ExportOrder | None
    user_errors: list[UserError]


@strawberry.input
class CancelExportOrderInput:
    export_order_id: strawberry.ID
    reason: str


@strawberry.type
class CancelExportOrderPayload(ExportOrderWritten):
    export_order: ExportOrder | None
    user_errors: list[UserError]


_SIDE_REFUSED = {
    "MARKETPLACE": "A marketplace records the export side of the orders it created; the partner records the import side",
    "EXPORT_PARTNER": "An export partner records import-side milestones (ARRIVED onwards) and IMPORT_DECLARATION only",
}


async def _order_to_act_on(ctx: Context, global_id: str, side: str) -> UUID | Outcome:
    """The order a mutation acts on: NOT_FOUND out of scope; FORBIDDEN for the other side's records."""
    principal = ctx.require_principal()
    row = await visible_export_order_row(ctx, uuid_of(global_id, "ExportOrder"))
    if row is None:
        return Outcome.refused(UserErrorCode.NOT_FOUND, "No export order with this id", ORDER_FIELD)
    if not may_record_on_export_order(principal, row, side):
        raise forbidden(_SIDE_REFUSED.get(principal.role, "Your role may not do this"))
    return UUID(row["id"])


async def _payload_order(ctx: Context, outcome: Outcome) -> ExportOrder | None:
    value = outcome.get("exportOrderId")
    if value is None:
        return None
    forget_export_order(ctx)  # a fresh read: the request's loaders may hold rows from before the write
    return await export_order_by_id(ctx, UUID(value))


@strawberry.type
class ExportMutation:
    @strawberry.mutation(extensions=allow())
    async def register_export_partner(
        self, info: strawberry.Info, input: RegisterExportPartnerInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RegisterExportPartnerPayload:
        ctx: Context = info.context

        def command() -> dict[str, Any]:
            return {"partnerId": str(ctx.system.app.register_export_partner(name=input.name, country=input.country))}

        outcome = await execute(ctx, "registerExportPartner", plain(input), given(idempotency_key), command)
        partner = None
        if outcome.get("partnerId"):
            ctx.loaders.pop("export_partner_rows", None)
            partner = await export_partner_by_id(ctx, UUID(outcome.get("partnerId")))
        return RegisterExportPartnerPayload(partner=partner, user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE"))
    async def create_export_order(
        self, info: strawberry.Info, input: CreateExportOrderInput, idempotency_key: str | None = strawberry.UNSET
    ) -> CreateExportOrderPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        partner = await export_partner_by_id(ctx, uuid_of(input.partner_id, "ExportPartner"))
        if partner is None:
            refused = Outcome.refused(UserErrorCode.NOT_FOUND, "No export partner with this id", ["input", "partnerId"])
            return CreateExportOrderPayload(export_order=None, user_errors=refused.user_errors)

        def command() -> dict[str, Any]:
            campaign_id = None
            if given(input.campaign_id) is not None:
                campaign_id = uuid_of(input.campaign_id, "Campaign")
                if campaign_id is None:
                    raise NotFound("No campaign with this id", ["input", "campaignId"])
            order_id = ctx.system.app.create_export_order(
                partner_id=UUID(partner.row["id"]),
                reference=input.reference,
                product=input.product,
                hs_code=input.hs_code,
                destination_country=input.destination_country,
                consignee=input.consignee,
                incoterm=input.incoterm.value,
                quantity_kg=input.quantity_kg,
                unit_price=input.unit_price.amount,
                currency=input.unit_price.currency,
                harvest_to_door_hours=input.harvest_to_door_hours,
                created_by=principal.marketplace if principal.is_("MARKETPLACE") else None,
                campaign_id=campaign_id,
            )
            return {"exportOrderId": str(order_id)}

        outcome = await execute(ctx, "createExportOrder", plain(input), given(idempotency_key), command)
        return CreateExportOrderPayload(export_order=await _payload_order(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE"))
    async def allocate_export_lot(
        self, info: strawberry.Info, input: AllocateExportLotInput, idempotency_key: str | None = strawberry.UNSET
    ) -> AllocateExportLotPayload:
        ctx: Context = info.context
        target = await _order_to_act_on(ctx, input.export_order_id, EXPORT_SIDE)
        if isinstance(target, Outcome):
            return AllocateExportLotPayload(export_order=None, user_errors=target.user_errors)
        household_id = uuid_of(input.household_id, "Household")
        if household_id is None:
            refused = Outcome.refused(UserErrorCode.NOT_FOUND, "No household with this id", ["input", "householdId"])
            return AllocateExportLotPayload(export_order=None, user_errors=refused.user_errors)

        def command() -> dict[str, Any]:
            ctx.system.app.allocate_export_lot(target, household_id, input.quantity_kg)
            return {"exportOrderId": str(target)}

        outcome = await execute(ctx, "allocateExportLot", plain(input), given(idempotency_key), command)
        return AllocateExportLotPayload(export_order=await _payload_order(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE", "EXPORT_PARTNER"))
    async def record_export_document(
        self, info: strawberry.Info, input: RecordExportDocumentInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RecordExportDocumentPayload:
        ctx: Context = info.context
        target = await _order_to_act_on(ctx, input.export_order_id, document_side(input.kind.value))
        if isinstance(target, Outcome):
            return RecordExportDocumentPayload(export_order=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            ctx.system.app.record_export_document(
                target, kind=input.kind.value, number=input.number, issuer=input.issuer,
                issued_at=aware(input.issued_at, ["input", "issuedAt"]), sha256=given(input.sha256),
            )
            return {"exportOrderId": str(target)}

        outcome = await execute(ctx, "recordExportDocument", plain(input), given(idempotency_key), command)
        return RecordExportDocumentPayload(export_order=await _payload_order(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE"),
                         description="Cancel an OPEN export order (its creating marketplace; an addition to the contract).")
    async def cancel_export_order(
        self, info: strawberry.Info, input: CancelExportOrderInput, idempotency_key: str | None = strawberry.UNSET
    ) -> CancelExportOrderPayload:
        ctx: Context = info.context
        target = await _order_to_act_on(ctx, input.export_order_id, "EXPORT")
        if isinstance(target, Outcome):
            return CancelExportOrderPayload(export_order=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            ctx.system.app.cancel_export_order(target, input.reason)
            return {"exportOrderId": str(target)}

        outcome = await execute(ctx, "cancelExportOrder", plain(input), given(idempotency_key), command)
        return CancelExportOrderPayload(export_order=await _payload_order(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE", "EXPORT_PARTNER"))
    async def record_export_milestone(
        self, info: strawberry.Info, input: RecordExportMilestoneInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RecordExportMilestonePayload:
        ctx: Context = info.context
        target = await _order_to_act_on(ctx, input.export_order_id, milestone_side(input.kind.value))
        if isinstance(target, Outcome):
            return RecordExportMilestonePayload(export_order=None, user_errors=target.user_errors)

        def command() -> dict[str, Any]:
            ctx.system.app.record_export_milestone(
                target, kind=input.kind.value, occurred_at=aware(input.occurred_at, ["input", "occurredAt"]),
                location=given(input.location), note=given(input.note),
            )
            return {"exportOrderId": str(target)}

        outcome = await execute(ctx, "recordExportMilestone", plain(input), given(idempotency_key), command)
        return RecordExportMilestonePayload(export_order=await _payload_order(ctx, outcome), user_errors=outcome.user_errors, outcome=outcome)
