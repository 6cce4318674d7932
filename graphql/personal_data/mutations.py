"""`erasePersonalData`: ADMIN erases a household's or a buyer's personal data (crypto-shredding)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.graphql.commands import execute
from farmgate.graphql.context import Context
from farmgate.graphql.ids import from_global_id
from farmgate.graphql.inputs import plain
from farmgate.graphql.permissions import allow
from farmgate.graphql.types import UserError


def subject_id_parts(global_id: str) -> tuple[str | None, UUID | None]:
    """(type name, UUID) inside a Relay ID, (None, None) for anything that is not one."""
    parsed = from_global_id(global_id)
    if parsed is None:
        return None, None
    try:
        return parsed[0], UUID(parsed[1])
    except ValueError:
        return None, None


@strawberry.input(description="Which data subject to erase, and why.")
class ErasePersonalDataInput:
    subject_id: strawberry.ID = strawberry.field(
        description="A Household id erases that household; an Order id erases its buyer (in every order of the same"
                    " buyer); an ExportOrder id erases its consignee; a Shipment id erases who signed for it (its order's"
                    " buyer, or the signer alone for an order recorded before sealing).")
    reason: str = strawberry.field(description="The request this answers, e.g. a ticket reference (at most 500"
                                               " characters; no personal data: it is kept in the event log).")


@strawberry.type(description="What erasePersonalData did: when, and how many streams held the subject's data.")
class ErasePersonalDataPayload:
    erased_at: datetime | None = strawberry.field(
        description="When the subject was erased (the first time, for a subject erased before).")
    streams: int | None = strawberry.field(description="How many streams held personal data of the subject.")
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was erased: NOT_FOUND (no such household, order, export order or shipment),"
                    " INVALID (no reason, or the data was recorded in plain text before it was encrypted per"
                    " subject).")


@strawberry.type
class PersonalDataMutation:
    @strawberry.mutation(extensions=allow(),
                         description="ADMIN: destroy a data subject's key; the events stay, their personal fields read as erased.")
    async def erase_personal_data(
        self, info: strawberry.Info, input: ErasePersonalDataInput, idempotency_key: str | None = strawberry.UNSET
    ) -> ErasePersonalDataPayload:
        ctx: Context = info.context
        app = ctx.system.app

        def command() -> dict[str, Any]:
            subject = app.subject_of_global(*subject_id_parts(str(input.subject_id)))
            record = app.erase_personal_data(subject=subject, reason=input.reason)
            return {"erasureId": str(record.id)}

        key = None if idempotency_key is strawberry.UNSET else idempotency_key
        outcome = await execute(ctx, "erasePersonalData", plain(input), key, command)
        erasure_id = outcome.get("erasureId")
        if erasure_id is None:
            return ErasePersonalDataPayload(erased_at=None, streams=None, user_errors=outcome.user_errors)

        def summary() -> tuple[datetime, int]:
            from farmgate.core.domain.erasure import PersonalDataErasure

            record = app.load(PersonalDataErasure, UUID(erasure_id))
            return app.erased_at(record.id), record.streams

        erased_at, streams = await run_in_threadpool(summary)
        return ErasePersonalDataPayload(erased_at=erased_at, streams=streams, user_errors=outcome.user_errors)
