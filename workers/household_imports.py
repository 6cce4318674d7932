"""Bulk household imports: a periodic sweep queues every open job no runner holds (new ones, and
those whose worker died: their lease lapsed), and the import actor runs one job to its end, resuming
after its last checkpoint (``core.household_import_run``). The database is the queue of record, so
the API needs no broker to start a job, and a lost message or a killed worker delays a job, never
loses it."""

from __future__ import annotations

from uuid import UUID

import dramatiq
import structlog

from farmgate.core.household_import_run import LeaseLost, run_import
from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.workers")


@dramatiq.actor(actor_name="resume_household_imports", max_retries=0)
def resume_household_imports() -> None:
    # No broker retries: the next tick is the retry. A job queued twice runs once (its lease).
    for job_id in current_system().imports.claimable():
        import_households.send(str(job_id))


@dramatiq.actor(actor_name="import_households", max_retries=0, time_limit=24 * 3600 * 1000)
def import_households(job_id: str) -> None:
    system = current_system()
    token = system.imports.take(UUID(job_id))
    if token is None:
        return  # another runner holds it, or it is done
    try:
        job = run_import(system.app, system.imports, UUID(job_id), token)
    except LeaseLost:
        log.warning("household_import_lease_lost", job=job_id)
        return
    system.catch_up()
    log.info("household_import_done", job=job_id, rows=job.rows_done)
