"""`carriers`: every known carrier, for anyone (reference data, like `provinces`)."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.graphql.carriers.types import Carrier


@strawberry.type
class CarrierQuery:
    @strawberry.field(description="Every carrier farmgate knows: the built-in ones first, then ADMIN's in the "
                                  "order they were registered. Public reference data.")
    async def carriers(self, info: strawberry.Info) -> list[Carrier]:
        rows = await run_in_threadpool(info.context.system.carriers.all)
        return [Carrier(row=row) for row in rows]
