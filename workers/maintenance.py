"""Housekeeping jobs: forgetting idempotency keys past their retention."""

from __future__ import annotations

import dramatiq
import structlog

from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.workers")


@dramatiq.actor(actor_name="purge_idempotency_keys", max_retries=3)
def purge_idempotency_keys() -> None:
    removed = current_system().idempotency.purge_expired()
    log.info("idempotency_keys_purged", removed=removed)
