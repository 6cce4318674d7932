"""Following the event log for a subscription: poll the stored log from a position, yield what the
subscriber wants, and stop the moment the subscriber's token lapses.

The token is checked before each event is pushed and on every idle poll, so a subscription opened
with a short-lived token ends (UNAUTHENTICATED) when the token expires instead of streaming on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from farmgate.core.event_tail import EventTail, TailedEvent
from farmgate.graphql.context import Context

#: how often an idle subscription looks at the log again, seconds
POLL_SECONDS = 0.2


async def follow_log(ctx: Context, tail: EventTail, position: int,
                     wanted: Callable[[Any], bool]) -> AsyncGenerator[TailedEvent, None]:
    """The events after ``position`` that are ``wanted(notification)``, then each new one as it is
    recorded, for as long as the caller's token is valid (raises UNAUTHENTICATED when it lapses)."""
    while True:
        ctx.require_principal()
        batch = await run_in_threadpool(tail.after, position, wanted)
        position = batch.position
        for item in batch.events:
            ctx.require_principal()
            yield item
        if batch.read < tail.batch_size:
            await asyncio.sleep(POLL_SECONDS)
