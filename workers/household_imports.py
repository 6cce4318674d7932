"""Bulk household imports: a periodic sweep queues every open job no runner holds (new ones, and
those whose worker died: their lease lapsed), and the import actor runs one job to its end, resuming
after its last checkpoint (``core.household_import_run``). The database is the queue of record, so
the API needs no broker to start a job, and a lost message or a killed worker delays a job, never
loses it."""

from __future__ import annotations

import threading
from uuid import UUID

import dramatiq
import structlog

from farmgate.core.household_import_run import LeaseLost, run_import
from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.workers")

#: jobs this process is running: a job queued twice is not run by two of its threads, even when a
#: slow checkpoint let its lease lapse (another process may still take it over, and one of the two
#: then stops at its next checkpoint)
_running: set[str] = set()
_running_lock = threading.Lock()


@dramatiq.actor(actor_name="resume_household_imports", max_retries=0)
def resume_household_imports() -> None:
    # No broker retries: the next tick is the retry. A job queued twice runs once (its lease).
    imports = current_system().imports
    for job_id in imports.claimable():
        import_households.send(str(job_id))
    imports.discard_abandoned_uploads()


@dramatiq.actor(actor_name="import_households", max_retries=0, time_limit=24 * 3600 * 1000)
def import_households(job_id: str) -> None:
    with _running_lock:
        if job_id in _running:
            return
        _running.add(job_id)
    try:
        system = current_system()
        token = system.imports.take(UUID(job_id))
        if token is None:
            return  # another runner holds it, or it is done
        job = run_import(system.app, system.imports, UUID(job_id), token)
    except LeaseLost:
        log.warning("household_import_lease_lost", job=job_id)
        return
    finally:
        with _running_lock:
            _running.discard(job_id)
    log.info("household_import_done", job=job_id, rows=job.rows_done)
