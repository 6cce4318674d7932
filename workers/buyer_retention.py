"""The buyer-retention job: erases buyers' personal data once its retention period has run out
(``core.retention``; ``FARMGATE_BUYER_RETENTION_DAYS``). Idempotent: a second run erases nothing new."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import structlog

from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.workers")


@dramatiq.actor(actor_name="buyer_retention", max_retries=3, time_limit=3_600_000)
def buyer_retention() -> None:
    system = current_system()
    erased = system.app.erase_expired_buyers(timedelta(days=system.settings.buyer_retention_days))
    if erased:
        log.info("buyers_erased_after_retention", buyers=len(erased))
