"""`orderEvents`: every new event of an order's case (the order, its shipments, its claims), read
from the stored log so an event recorded by any process reaches every subscriber."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.event_tail import EventTail, event_name_of, stream_of
from farmgate.core.history import record_of
from farmgate.graphql.audit import EventRecord
from farmgate.graphql.claims.scoped import claim_rows_of_order
from farmgate.graphql.errors import CodedError
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.live_feed import follow_log
from farmgate.graphql.orders.scoped import visible_order_row
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import case_file_visible, sees_buyer

#: events that bring a new stream into an order's case
JOINS_CASE = ("Shipment.Dispatched", "CompensationClaim.Filed")


@strawberry.type
class CaseSubscription:
    @strawberry.subscription(
        description="Every new event of the order, its shipments and claims, as it is recorded; with"
        " afterPosition, first the older ones after that position (a client that reconnects passes the"
        " last position it received and loses nothing). Ends UNAUTHENTICATED when the token expires.",
        extensions=allow("MARKETPLACE", "HOUSEHOLD", "DISPUTE_STAFF"),
    )
    async def order_events(
        self, info: strawberry.Info, order_id: strawberry.ID, after_position: int | None = None
    ) -> AsyncGenerator[EventRecord, None]:
        ctx = info.context
        tail = EventTail(ctx.system.app, recent=ctx.system.recent_log)
        if after_position is not None and after_position < 0:
            raise CodedError("afterPosition must be 0 or more", "BAD_USER_INPUT")
        # Taken before the scope check, so nothing recorded meanwhile is missed.
        position = after_position if after_position is not None else await run_in_threadpool(tail.head)
        row = await visible_order_row(ctx, uuid_of(order_id, "Order"))
        if row is None or not case_file_visible(ctx.principal, row):
            raise CodedError("No order with this id", "NOT_FOUND")
        order = UUID(row["id"])
        streams = {order, *(UUID(r["id"]) for r in await claim_rows_of_order(ctx, order))}
        if row.get("shipment_id"):
            streams.add(UUID(row["shipment_id"]))
        reveal = sees_buyer(ctx.principal, row)
        def wanted(notification: Any) -> bool:
            return stream_of(notification) in streams or event_name_of(notification) in JOINS_CASE

        async for item in follow_log(ctx, tail, position, wanted):
            event = item.event
            if type(event).__qualname__ in JOINS_CASE and getattr(event, "order_id", None) == order:
                streams.add(event.originator_id)
            if event.originator_id in streams:
                yield EventRecord.of(record_of(event, item.position), reveal)
