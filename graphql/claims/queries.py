"""Claim queries: one claim, and the list in the caller's scope."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.graphql.claims.scoped import claim_by_global_id
from farmgate.graphql.claims.types import ClaimStatus, CompensationClaim, CompensationClaimConnection, CompensationClaimEdge
from farmgate.graphql.field_selection import selects
from farmgate.graphql.inputs import given
from farmgate.graphql.pagination import connection, window
from farmgate.graphql.permissions import allow, authenticated
from farmgate.graphql.scope import claim_list_filter


@strawberry.type
class ClaimQuery:
    @strawberry.field(extensions=authenticated())
    async def claim(self, info: strawberry.Info, id: strawberry.ID) -> CompensationClaim | None:
        return await claim_by_global_id(info.context, id)

    @strawberry.field(extensions=allow("MARKETPLACE", "HOUSEHOLD", "DISPUTE_STAFF"))
    async def claims(
        self,
        info: strawberry.Info,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        status: ClaimStatus | None = strawberry.UNSET,
    ) -> CompensationClaimConnection:
        ctx = info.context
        page = window("claims", first, after)
        after_position = page.after_position()
        scope = claim_list_filter(ctx.require_principal())
        wanted, count = given(status), selects(info, "totalCount")
        rows, total = ([], 0) if scope is None else await run_in_threadpool(
            lambda: ctx.system.claims.page(after_position=after_position, limit=page.limit + 1,
                                           status=wanted.value if wanted else None, count=count, **scope))
        return connection(page, rows, total, connection=CompensationClaimConnection, edge=CompensationClaimEdge,
                          node=CompensationClaim)
