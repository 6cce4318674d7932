"""`exportOrderEvents`: every new event of one export order, read from the stored log (so an event
recorded by any API or worker process reaches every subscriber), for whoever may read the order."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.event_tail import EventTail, stream_of
from farmgate.core.history import record_of
from farmgate.graphql.audit import EventRecord
from farmgate.graphql.errors import CodedError
from farmgate.graphql.exports.scoped import visible_export_order_row
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.inputs import given
from farmgate.graphql.live_feed import follow_log
from farmgate.graphql.permissions import allow
from farmgate.graphql.scope import sees_consignee


def _recorded_after(app: Any, order_id: UUID, version: int) -> list[Any]:
    return [app.mapper.to_domain_event(stored) for stored in app.recorder.select_events(order_id, gt=version)]


@strawberry.type
class ExportSubscription:
    @strawberry.subscription(
        description="Every new event of the export order (EXPORT_PARTNER: own orders only). Ends"
        " UNAUTHENTICATED when the token expires.",
        extensions=allow("MARKETPLACE", "DISPUTE_STAFF", "EXPORT_PARTNER"),
    )
    async def export_order_events(
        self,
        info: strawberry.Info,
        export_order_id: strawberry.ID,
        after_version: Annotated[
            int | None,
            strawberry.argument(description="Resume: first the order's recorded events after this version, then new ones."),
        ] = strawberry.UNSET,
    ) -> AsyncGenerator[EventRecord, None]:
        ctx = info.context
        app = ctx.system.app
        tail = EventTail(app, recent=ctx.system.recent_log)
        # The head before anything is read: nothing recorded after subscribing is missed.
        position = await run_in_threadpool(tail.head)
        row = await visible_export_order_row(ctx, uuid_of(export_order_id, "ExportOrder"))
        if row is None:
            raise CodedError("No export order with this id", "NOT_FOUND")
        order_id, reveal = UUID(row["id"]), sees_consignee(ctx.principal, row)
        last_version = given(after_version)
        if last_version is not None:
            for event in await run_in_threadpool(_recorded_after, app, order_id, last_version):
                ctx.require_principal()
                last_version = event.originator_version
                yield EventRecord.of(record_of(event), reveal)
        async for tailed in follow_log(ctx, tail, position, lambda n: stream_of(n) == order_id):
            event = tailed.event
            # Events already replayed above also follow the head: each is sent once.
            if last_version is None or event.originator_version > last_version:
                last_version = event.originator_version
                yield EventRecord.of(record_of(event, tailed.position), reveal)
