"""Following the event log for a subscription: read the stored log from a position, yield what the
subscriber wants, sleep until the next event is recorded, and stop the moment the token lapses.

A subscription sleeps on its process's ``recorded`` signal (``core.log_signals``): woken by the
PostgreSQL listener's notification, by this process's own writes, and otherwise looks every
``POLL_SECONDS`` (SQLite, where another process's writes are not notified) or every safety poll
(PostgreSQL). An idle subscription on PostgreSQL costs no query until something is recorded.

The token is checked before each event is pushed and whenever the subscription wakes; it wakes at
the token's expiry too, so a subscription opened with a short-lived token ends (UNAUTHENTICATED)
when the token expires instead of streaming on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from farmgate.core.event_tail import EventTail, TailedEvent
from farmgate.core.log_signals import LogSignals
from farmgate.graphql.context import Context

#: how often an idle subscription looks at the log again where no notification wakes it, seconds
POLL_SECONDS = 0.2


async def follow_log(ctx: Context, tail: EventTail, position: int,
                     wanted: Callable[[Any], bool]) -> AsyncGenerator[TailedEvent, None]:
    """The events after ``position`` that are ``wanted(notification)``, then each new one as it is
    recorded, for as long as the caller's token is valid (raises UNAUTHENTICATED when it lapses)."""
    signals: LogSignals = ctx.system.signals
    while True:
        ctx.require_principal()
        seen = signals.recorded.count
        batch = await run_in_threadpool(tail.after, position, wanted)
        position = batch.position
        for item in batch.events:
            ctx.require_principal()
            yield item
        if batch.read < tail.batch_size:
            await signals.recorded.wait_async(seen, _idle_wait(ctx, signals.poll_seconds(POLL_SECONDS)))


def _idle_wait(ctx: Context, longest: float) -> float:
    """How long to sleep for new events: ``longest``, or until just after the token expires."""
    expires_at = getattr(ctx.principal, "expires_at", None)
    if expires_at is None:
        return longest
    return max(0.0, min(longest, expires_at - time.time() + 0.01))
