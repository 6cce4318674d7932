"""The claim-response watchdog: undecided claims past their respondBy are recorded as SLA breaches."""

from __future__ import annotations

import dramatiq
import structlog

from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.workers")


@dramatiq.actor(actor_name="claim_deadlines", max_retries=3)
def claim_deadlines() -> None:
    system = current_system()
    now = system.app.clock()
    noted = system.app.note_missed_claim_deadlines(system.claims.overdue(now), now)
    if noted:
        log.info("claim_deadlines_missed", claims=len(noted))
