"""The delivery-promise watchdog: perishable shipments past their promise and not delivered are
declared spoiled, as SYSTEM:promise-watchdog (the core records them so, correlated by the moment).

Idempotent and safe to run twice at one moment: the read model only proposes candidates; the core
checks each again, and a lost version race reloads and skips (``OrderCommands.declare_overdue_spoilage``).
"""

from __future__ import annotations

import dramatiq
import structlog

from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.workers")


@dramatiq.actor(actor_name="promise_watchdog", max_retries=0, time_limit=300_000)
def promise_watchdog() -> None:
    # No broker retries: the next periodic run is the retry, and finds what this one left.
    system = current_system()
    now = system.app.clock()
    declared = system.app.declare_overdue_spoilage(system.orders.overdue_shipments(now), now)
    log.info("promise_watchdog_ran", declared=len(declared))
