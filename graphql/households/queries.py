"""Household queries: by id, by the shared code, and the filtered list."""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.graphql.area_arguments import PROVINCE_FILTER, province_filter
from farmgate.graphql.field_selection import selects
from farmgate.graphql.households.loaders import household_by_global_id
from farmgate.graphql.households.types import Household, HouseholdConnection, HouseholdEdge, HouseholdStatus
from farmgate.graphql.inputs import given, text_argument
from farmgate.graphql.pagination import connection, window
from farmgate.graphql.permissions import allow, authenticated
from farmgate.graphql.scope import household_list_filter, household_visible
from farmgate.graphql.types import PageInfo


@strawberry.type
class HouseholdQuery:
    @strawberry.field(extensions=authenticated())
    async def household(self, info: strawberry.Info, id: strawberry.ID) -> Household | None:
        return await household_by_global_id(info.context, id)

    @strawberry.field(extensions=allow("MARKETPLACE", "HOUSEHOLD", "PROVINCE_OFFICER", "DISPUTE_STAFF"))
    async def household_by_code(self, info: strawberry.Info, code: str) -> Household | None:
        ctx = info.context
        row = await run_in_threadpool(ctx.system.households.by_code, text_argument(code, "code", code=True))
        if row is None or not household_visible(ctx.principal, row, by_code=True):
            return None
        return Household(row=row)

    @strawberry.field(extensions=allow("MARKETPLACE", "HOUSEHOLD", "PROVINCE_OFFICER", "DISPUTE_STAFF"))
    async def households(
        self,
        info: strawberry.Info,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        province_code: Annotated[str | None, strawberry.argument(description=PROVINCE_FILTER)] = strawberry.UNSET,
        status: HouseholdStatus | None = strawberry.UNSET,
        search: str | None = strawberry.UNSET,
    ) -> HouseholdConnection:
        ctx = info.context
        page = window("households", first, after)
        province = province_filter(province_code)  # a malformed code is the client's error, whatever it may see
        scope = household_list_filter(ctx.require_principal())
        empty = HouseholdConnection(edges=[], page_info=PageInfo(has_next_page=False, has_previous_page=False,
                                                                 start_cursor=None, end_cursor=None), total_count=0)
        if scope is None:
            return empty
        filters = {**scope, "province": province}
        status_value, count = given(status), selects(info, "totalCount")
        rows, total = await run_in_threadpool(
            lambda: ctx.system.households.page(
                after_position=page.after_position(),
                limit=page.limit + 1,
                status=status_value.value if status_value else None,
                search=text_argument(search, "search"),
                count=count,
                **filters,
            )
        )
        return connection(page, rows, total, connection=HouseholdConnection, edge=HouseholdEdge, node=Household)
