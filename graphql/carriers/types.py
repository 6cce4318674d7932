"""The Carrier node: a carrier as reference data, public like the province list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.graphql.context import Context
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.scope import carrier_global_id
from farmgate.graphql.types import Node


@strawberry.type(description="A carrier that hands orders' produce to buyers: reference data. VNPost (Vietnam Post, "
                             "Bưu điện Việt Nam) and Viettel Post are built in; ADMIN adds others (registerCarrier).")
class Carrier(Node):
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(carrier_global_id(self.row["id"]))

    @strawberry.field(description="The name shipments show, e.g. 'VNPost'.")
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field(description="Its other known spellings. Any of them, or the name, names this carrier in "
                                  "dispatchOrder and in a CARRIER token's carrier claim, compared without case, "
                                  "accents, spaces or punctuation ('Vietnam Post', 'VN Post', 'vnpost').")
    def aliases(self) -> list[str]:
        return list(self.row["aliases"])

    @strawberry.field(description="Built into farmgate (true) or added by ADMIN (false).")
    def built_in(self) -> bool:
        return bool(self.row["built_in"])


async def carrier_by_id(ctx: Context, carrier_id: UUID | None) -> Carrier | None:
    if carrier_id is None:
        return None
    rows = await run_in_threadpool(ctx.system.carriers.by_ids, [carrier_id])
    row = rows.get(carrier_id)
    return None if row is None else Carrier(row=row)


async def carrier_by_global_id(ctx: Context, global_id: str) -> Carrier | None:
    return await carrier_by_id(ctx, uuid_of(global_id, "Carrier"))
