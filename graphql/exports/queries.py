"""Export queries: a partner, an order, and the list of orders in the caller's scope."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.graphql.exports.scoped import export_order_by_global_id, export_partner_by_global_id
from farmgate.graphql.exports.types import (
    ExportOrder,
    ExportOrderConnection,
    ExportOrderEdge,
    ExportOrderStatus,
    ExportPartner,
)
from farmgate.graphql.field_selection import selects
from farmgate.graphql.inputs import given
from farmgate.graphql.pagination import connection, window
from farmgate.graphql.permissions import allow, authenticated
from farmgate.graphql.scope import export_order_list_filter


@strawberry.type
class ExportQuery:
    @strawberry.field(extensions=authenticated())
    async def export_partner(self, info: strawberry.Info, id: strawberry.ID) -> ExportPartner | None:
        return await export_partner_by_global_id(info.context, id)

    @strawberry.field(extensions=authenticated())
    async def export_order(self, info: strawberry.Info, id: strawberry.ID) -> ExportOrder | None:
        return await export_order_by_global_id(info.context, id)

    @strawberry.field(extensions=allow("MARKETPLACE", "DISPUTE_STAFF", "EXPORT_PARTNER"))
    async def export_orders(
        self,
        info: strawberry.Info,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        status: ExportOrderStatus | None = strawberry.UNSET,
    ) -> ExportOrderConnection:
        ctx = info.context
        page = window("exportOrders", first, after)
        scope = export_order_list_filter(ctx.require_principal())
        if scope is None:
            return ExportOrderConnection(edges=[], page_info=page.page_info([], False), total_count=0)
        wanted, count = given(status), selects(info, "totalCount")
        rows, total = await run_in_threadpool(
            lambda: ctx.system.exports.page(
                after_position=page.after_position(),
                limit=page.limit + 1,
                status=wanted.value if wanted else None,
                count=count,
                **scope,
            )
        )
        return connection(page, rows, total, connection=ExportOrderConnection, edge=ExportOrderEdge, node=ExportOrder)
