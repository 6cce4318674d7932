"""Order queries: an order by id or number, the list in the caller's scope, a shipment by id."""

from __future__ import annotations

from uuid import UUID

import strawberry

from farmgate.graphql.context import Context
from farmgate.graphql.errors import CodedError
from farmgate.graphql.field_selection import selects
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.inputs import given, text_argument
from farmgate.graphql.orders.enums import OrderStatus
from farmgate.graphql.orders.loaders import order_rows_page
from farmgate.graphql.orders.scoped import order_by_global_id, shipment_by_global_id
from farmgate.graphql.orders.scoped import order_by_number as visible_order_by_number
from farmgate.graphql.orders.types import Order, OrderConnection, Shipment, order_connection
from farmgate.graphql.pagination import window
from farmgate.graphql.permissions import allow, authenticated
from farmgate.graphql.scope import order_list_filter

READERS = ("MARKETPLACE", "HOUSEHOLD", "DISPUTE_STAFF")  # and ADMIN; carriers read shipments


def _filter_id(global_id: str | None, type_name: str, argument: str) -> UUID | None:
    if global_id is None:
        return None
    value = uuid_of(global_id, type_name)
    if value is None:
        raise CodedError(f"{argument} is not a {type_name} id", "BAD_USER_INPUT")
    return value


@strawberry.type
class OrderQuery:
    @strawberry.field(extensions=authenticated())
    async def order(self, info: strawberry.Info, id: strawberry.ID) -> Order | None:
        return await order_by_global_id(info.context, id)

    @strawberry.field(extensions=authenticated())
    async def order_by_number(self, info: strawberry.Info, number: str) -> Order | None:
        return await visible_order_by_number(info.context, text_argument(number, "number", code=True) or "")

    @strawberry.field(extensions=allow(*READERS))
    async def orders(
        self,
        info: strawberry.Info,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        status: OrderStatus | None = strawberry.UNSET,
        storefront_id: strawberry.ID | None = strawberry.UNSET,
        household_id: strawberry.ID | None = strawberry.UNSET,
    ) -> OrderConnection:
        ctx: Context = info.context
        page = window("orders", first, after)
        scope = order_list_filter(ctx.require_principal())
        if scope is None:
            return order_connection(page, [], 0)
        wanted = given(status)
        rows, total = await order_rows_page(
            ctx, page, status=wanted.value if wanted else None,
            storefront_id=_filter_id(given(storefront_id), "Storefront", "storefrontId"),
            household_id=_filter_id(given(household_id), "Household", "householdId"),
            count=selects(info, "totalCount"), **scope,
        )
        return order_connection(page, rows, total)

    @strawberry.field(extensions=authenticated())
    async def shipment(self, info: strawberry.Info, id: strawberry.ID) -> Shipment | None:
        return await shipment_by_global_id(info.context, id)
