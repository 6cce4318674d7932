"""The export harvest-to-door watch: records each watched order's SLA state where it changed."""

from __future__ import annotations

import uuid

import dramatiq
import structlog

from farmgate.core.domain.provenance import Provenance, recording
from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.workers")

ACTOR = "SYSTEM:export-sla"


@dramatiq.actor(actor_name="refresh_export_sla", max_retries=0, time_limit=300_000)
def refresh_export_sla() -> None:
    # Idempotent: a second run at one moment records nothing; two schedulers' ticks do no harm.
    system = current_system()
    with recording(Provenance(actor=ACTOR, correlation_id=f"export-sla-{uuid.uuid4().hex}")):
        changed = system.app.refresh_export_sla(system.app.clock(), system.exports.sla_watchlist())
    log.info("export_sla_refreshed", changed=len(changed))
