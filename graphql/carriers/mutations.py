"""`registerCarrier`: ADMIN adds a carrier and its known spellings."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry

from farmgate.graphql.carriers.types import Carrier, carrier_by_id
from farmgate.graphql.commands import execute
from farmgate.graphql.context import Context
from farmgate.graphql.inputs import given, plain
from farmgate.graphql.permissions import allow
from farmgate.graphql.types import UserError
from farmgate.graphql.written import CarrierWritten


@strawberry.input
class RegisterCarrierInput:
    name: str = strawberry.field(description="The name its shipments will show (at most 100 characters).")
    aliases: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Its other spellings (at most 20). No spelling may already name a known carrier "
                    "(ALREADY_EXISTS, naming that carrier); case, accents, spaces and punctuation do not count.")


@strawberry.type
class RegisterCarrierPayload(CarrierWritten):
    carrier: Carrier | None
    user_errors: list[UserError]


@strawberry.type
class CarrierMutation:
    @strawberry.mutation(extensions=allow(), description="ADMIN: add a carrier to the reference data.")
    async def register_carrier(
        self, info: strawberry.Info, input: RegisterCarrierInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RegisterCarrierPayload:
        ctx: Context = info.context

        def command() -> dict[str, Any]:
            carrier_id = ctx.system.app.register_carrier(name=input.name, aliases=given(input.aliases) or [])
            return {"carrierId": str(carrier_id)}

        outcome = await execute(ctx, "registerCarrier", plain(input), given(idempotency_key), command)
        carrier_id = outcome.get("carrierId")
        carrier = None if carrier_id is None else await carrier_by_id(ctx, UUID(carrier_id))
        return RegisterCarrierPayload(carrier=carrier, user_errors=outcome.user_errors, outcome=outcome)
