"""Running a household import job: the stored file is read as a stream, row by row, and each row is
registered (or, in a dry run, checked) with the uploader as actor and the job as correlation.

The same rules as ``registerHousehold``: a row is checked as its input is; a row outside the
uploader's province (``ProvinceArea``, either scheme) is refused as FORBIDDEN on province_code. A
row whose national ID is already registered adds nothing and is counted as already registered —
so importing a file twice adds nothing the second time. A national ID named by an earlier row of
the same file is that row's error (ALREADY_EXISTS, naming the row).

Progress is checkpointed every ``CHECKPOINT_ROWS`` rows or ``CHECKPOINT_SECONDS``; a run that dies
is resumed after its last checkpoint by whichever runner takes the lapsed lease. The rows redone
then were perhaps registered by the dead run: a household registered under this job's correlation
and named by no earlier row counts as imported, exactly once.
"""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from farmgate.core.application import Farmgate
from farmgate.core.domain.errors import AlreadyExists, DomainError
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.household_import_rows import RowError, column_of, prepare_row
from farmgate.core.households import PreparedRegistration
from farmgate.core.household_imports import HouseholdImports, ImportJob, Progress

log = structlog.get_logger("farmgate.imports")

CHECKPOINT_ROWS = 200
CHECKPOINT_SECONDS = 1.0


@dataclass
class _Outcome:
    kind: str  # "imported", "already_registered" or "failed"
    error: RowError | None = None


class LeaseLost(Exception):
    """Another runner took the job (this one was presumed dead): stop without writing anything."""


def run_import(
    app: Farmgate,
    imports: HouseholdImports,
    job_id: uuid.UUID,
    token: str,
    on_progress: Callable[[ImportJob, int], None] | None = None,
) -> ImportJob:
    """Run (or resume) the job whose lease ``token`` holds, to its end; return it as finished.
    ``on_progress(job, rows_done)`` is called after each checkpoint. LeaseLost if another runner
    took the lease meanwhile."""
    job = imports.get(job_id)
    if job is None:
        raise LookupError(f"no household import {job_id}")
    area = None if job.province is None else ProvinceArea.parse(job.province)
    progress = Progress(job.records_read, job.imported, job.already_registered, job.failed)
    errors: list[RowError] = []
    seen: list[tuple[str, int]] = []
    batch_seen: dict[uuid.UUID, int] = {}
    resumed_from = job.records_read
    if resumed_from:
        log.info("household_import_resumed", job=str(job_id), records_read=resumed_from)

    pending: list[tuple[int, PreparedRegistration]] = []

    def count(outcome: _Outcome) -> None:
        if outcome.kind == "imported":
            progress.imported += 1
        elif outcome.kind == "already_registered":
            progress.already_registered += 1
        else:
            progress.failed += 1
        if outcome.error is not None:
            errors.append(outcome.error)

    def checkpoint() -> None:
        for outcome in _register(app, imports, job, pending):
            count(outcome)
        pending.clear()
        seen.extend((str(h), r) for h, r in batch_seen.items())
        if not imports.checkpoint(job_id, token, progress, errors, seen):
            raise LeaseLost(str(job_id))
        errors.clear()
        seen.clear()
        batch_seen.clear()
        if on_progress is not None:
            on_progress(job, progress.imported + progress.already_registered + progress.failed)

    reader = csv.reader(imports.lines(job_id))
    header = next(reader)
    last_checkpoint, since = time.monotonic(), 0
    with recording(Provenance(actor=job.actor, correlation_id=job.correlation_id)):
        for records, values in enumerate(reader, start=1):
            if records <= resumed_from:
                continue
            progress.records_read = records
            if not any(cell.strip() for cell in values):
                continue
            row = records + 1  # the header is row 1
            checked = _check_row(app, imports, job, area, header, values, row, batch_seen)
            if isinstance(checked, _Outcome):
                count(checked)
            else:
                pending.append((row, checked))
            since += 1
            if since >= CHECKPOINT_ROWS or time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS:
                checkpoint()
                last_checkpoint, since = time.monotonic(), 0
        checkpoint()
    if not imports.finish(job_id, token):
        raise LeaseLost(str(job_id))
    finished = imports.get(job_id)
    assert finished is not None
    log.info("household_import_finished", job=str(job_id), dry_run=job.dry_run, imported=finished.imported,
             already_registered=finished.already_registered, failed=finished.failed)
    return finished


def _check_row(app: Farmgate, imports: HouseholdImports, job: ImportJob, area: ProvinceArea | None,
               header: list[str], values: list[str], row: int,
               batch_seen: dict[uuid.UUID, int]) -> _Outcome | PreparedRegistration:
    """The row's outcome, or (to be registered) its checked registration."""
    def failed(column: str, code: str, message: str) -> _Outcome:
        return _Outcome("failed", RowError(row, column, code, message))

    try:
        prepared = prepare_row(app, header, values)
    except DomainError as error:
        return failed(column_of(error), error.code, error.message)
    place = prepared.address
    if area is not None and not area.covers(place.scheme, place.province_code, place.ward_code):
        return failed("province_code", "FORBIDDEN",
                      f"The row is outside your province ({area.claim}): a province officer imports its own"
                      " province's households only")
    household_id = prepared.household_id
    earlier = batch_seen.get(household_id)
    if earlier is None and job.dry_run:
        earlier = imports.first_row_naming(job.id, household_id)
    if earlier is not None and earlier != row:
        return _repeated(row, earlier)
    batch_seen[household_id] = row
    if job.dry_run:
        return _Outcome("already_registered" if app.exists(household_id) else "imported")
    return prepared


def _register(app: Farmgate, imports: HouseholdImports, job: ImportJob,
              pending: list[tuple[int, PreparedRegistration]]) -> list[_Outcome]:
    """Register the checked rows: those not yet registered in one atomic save per province (one
    transaction for the lot), falling back to one by one if that save loses a race."""
    outcomes: list[_Outcome] = []
    fresh: list[tuple[int, PreparedRegistration]] = []
    for row, prepared in pending:
        if app.exists(prepared.household_id):
            outcomes.append(_already(app, imports, job, row, prepared.household_id))
        else:
            fresh.append((row, prepared))
    if fresh and app.register_prepared_batch([prepared for _, prepared in fresh]):
        return outcomes + [_Outcome("imported") for _ in fresh]
    for row, prepared in fresh:
        try:
            app.register_prepared(prepared)
        except AlreadyExists:
            outcomes.append(_already(app, imports, job, row, prepared.household_id))
        except DomainError as error:
            outcomes.append(_Outcome("failed", RowError(row, column_of(error), error.code, error.message)))
        else:
            outcomes.append(_Outcome("imported"))
    return outcomes


def _already(app: Farmgate, imports: HouseholdImports, job: ImportJob, row: int, household_id: uuid.UUID) -> _Outcome:
    """A row whose household is registered: before this job (adds nothing), by an earlier row of it
    (this row repeats that one), or by this row in a run that died before its checkpoint (imported)."""
    if app.registered_by(household_id) != job.correlation_id:
        return _Outcome("already_registered")
    earlier = imports.first_row_naming(job.id, household_id)
    if earlier is not None and earlier != row:
        return _repeated(row, earlier)
    return _Outcome("imported")


def _repeated(row: int, earlier: int) -> _Outcome:
    return _Outcome("failed", RowError(row, "national_id", "ALREADY_EXISTS", f"The same national ID as row {earlier}"))
