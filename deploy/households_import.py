"""`farmgate import-households FILE.csv`: the API's bulk onboarding, run in this process with a
progress bar. The same job, the same rules (``core.household_import_run``): rows outside the
officer's province refused, the officer recorded as actor and the job as correlation, a re-run adds
nothing, ``--dry-run`` records nothing. Failures are printed by row number and column, never with
the personal data in them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from farmgate.core.household_import_run import run_import
from farmgate.core.household_imports import ImportJob
from farmgate.deploy.container import System


@dataclass(frozen=True)
class ImportOutcome:
    """The finished job, or why the file was refused before any row was tried."""

    job: ImportJob | None
    refused: str | None = None


def import_file(system: System, path: Path, *, actor: str, province: str | None, dry_run: bool,
                console: Console) -> ImportOutcome:
    """Stage ``path`` as a job of ``actor`` (rows limited to ``province``, a SCHEME:CODE claim) and run
    it here, showing progress on ``console``; print each row error and the counts."""
    from farmgate.core.domain.errors import DomainError

    try:
        with path.open("rb") as handle:
            job = system.imports.stage(handle, file_name=path.name, actor=actor, province=province, dry_run=dry_run,
                                       request_id="cli", max_bytes=system.settings.max_upload_bytes)
    except DomainError as error:
        console.print(f"[red]{path.name}: {error.message}[/red]")
        return ImportOutcome(None, error.message)
    token = system.imports.take(job.id)
    if token is None:  # a worker sharing this database took it first: it runs there
        console.print(f"job {job.id} is being run by a worker; follow it with householdImport(id:)")
        return ImportOutcome(job)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    verb = "checking" if dry_run else "importing"
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"{verb} {path.name}", total=job.rows_total)
        finished = run_import(system.app, system.imports, job.id, token,
                              on_progress=lambda _, done: progress.update(task, completed=done))
    for error in system.imports.errors(job.id):
        console.print(f"row {error.row}: {error.column}: {error.code}: {error.message}", soft_wrap=True)
    would = "would import" if dry_run else "imported"
    console.print(f"job {finished.id}: {would} {finished.imported}, already registered {finished.already_registered},"
                  f" failed {finished.failed}" + (" (dry run: nothing recorded)" if dry_run else ""))
    if not dry_run and not system.settings.database_url.startswith("postgres"):
        # Embedded: nothing else may be running to project them. On PostgreSQL the projector does.
        system.catch_up()
    return ImportOutcome(finished)
