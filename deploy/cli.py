"""The `farmgate` command (also `python -m farmgate.deploy`)."""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from farmgate.deploy.settings import Settings, SettingsError

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="farmgate: the commerce core for farming households")
projections_cli = typer.Typer(no_args_is_help=True, help="Read models: their status, and rebuilding them from the event log")
cli.add_typer(projections_cli, name="projections")
audit_cli = typer.Typer(no_args_is_help=True, help="The audit anchors: export them, verify the log against them")
anchors_cli = typer.Typer(no_args_is_help=True, help="The signed audit anchors stored in the database")
audit_cli.add_typer(anchors_cli, name="anchors")
cli.add_typer(audit_cli, name="audit")
keys_cli = typer.Typer(no_args_is_help=True, help="Personal-data keys: rewrap them after FARMGATE_DATA_KEY changed")
cli.add_typer(keys_cli, name="keys")
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        err.print(f"[red]farmgate: {error}[/red]")
        raise typer.Exit(2) from None


def _refuse_behind(run: Callable[[], None]) -> None:
    """Run a process; a database whose schema is behind is refused with the way out (exit code 2)."""
    from farmgate.core.schema_migrations import SchemaBehind

    try:
        run()
    except SchemaBehind as behind:
        err.print(f"[red]farmgate: {behind}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None


@cli.command()
def migrate() -> None:
    """Apply the pending migrations of the tables that hold state and of PostgreSQL's extensions
    (yoyo-migrations, core/migrations); nothing when the database is current. Run it before starting
    a new version: in production, serve, worker and projector refuse a database that is behind."""
    from farmgate.core.schema_migrations import migrate as apply, pending
    from farmgate.deploy.container import schema_lock

    settings = _settings()
    if settings.database_url.startswith("memory"):
        err.print("farmgate migrate: memory:// keeps nothing; its tables are made at every start")
        return
    with schema_lock(settings):
        applied = apply(settings.database_url)
    left = pending(settings.database_url)
    for migration_id in applied:
        err.print(f"applied {migration_id}")
    err.print(f"{len(applied)} migration(s) applied; the database is current" if not left
              else f"[red]still pending: {', '.join(left)}[/red]")
    if left:
        raise typer.Exit(1)


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API (with projectors and workers in-process on the embedded defaults)."""
    from farmgate.deploy.processes import serve as run

    settings = _settings()
    _refuse_behind(lambda: run(settings, host, port))


@cli.command()
def worker(threads: int = 4) -> None:
    """Run dramatiq workers and the periodic scheduler."""
    import os

    if os.environ.get("FARMGATE_WORKER_METRICS_PORT"):
        from farmgate.workers import worker_metrics

        worker_metrics.prepare()  # before prometheus_client is imported: see workers/worker_metrics.py
    from farmgate.deploy.processes import run_worker

    settings = _settings()
    _refuse_behind(lambda: run_worker(settings, threads))


@cli.command()
def projector() -> None:
    """Run the projection runners."""
    from farmgate.deploy.processes import run_projector

    settings = _settings()
    _refuse_behind(lambda: run_projector(settings))


@cli.command()
def token(
    role: str = typer.Option(..., help="ADMIN, MARKETPLACE, HOUSEHOLD, CARRIER, PROVINCE_OFFICER, DISPUTE_STAFF, EXPORT_PARTNER"),
    subject: str = typer.Option(..., help="Who the token is for"),
    marketplace: Optional[str] = typer.Option(None, help="POSTMART or VOSO"),
    province: Optional[str] = typer.Option(
        None, help="Province scope SCHEME:CODE, e.g. 2021:24 (Bắc Giang) or 2025:24 (Bắc Ninh); a bare code is 2025"),
    partner: Optional[str] = typer.Option(None, help="Export partner global ID"),
    carrier: Optional[str] = typer.Option(None, help="The carrier: its global ID (carriers query) or any known spelling, e.g. VNPost, 'Vietnam Post'"),
    household: Optional[str] = typer.Option(None, help="Household global ID"),
    ttl: int = typer.Option(3600, help="Seconds until it expires"),
    key: Optional[Path] = typer.Option(None, help="Sign with this PEM private key (RSA, EC P-256 or Ed25519) "
                                                  "instead of FARMGATE_JWT_SECRET"),
    kid: Optional[str] = typer.Option(None, help="The key's id in its issuer's JWKS (with --key)"),
    issuer: Optional[str] = typer.Option(None, help="The iss claim (with --key: the issuer as configured "
                                                    "in FARMGATE_JWT_ISSUERS)"),
) -> None:
    """Print a JWT: HS256 with FARMGATE_JWT_SECRET for development and tests, or signed with an
    issuer's private key (--key, --kid, --issuer) as production verifies them."""
    from farmgate.graphql.auth import DEVELOPMENT_ISSUER, issue_token

    settings = _settings()
    if key is not None and not issuer:
        err.print("[red]farmgate token: --key needs --issuer (the iss its public key is configured under)[/red]")
        raise typer.Exit(2)
    signing_key = key.read_text(encoding="utf-8") if key is not None else settings.jwt_secret.get_secret_value()
    try:
        print(issue_token(signing_key, role.upper(), subject, ttl, issuer=issuer or DEVELOPMENT_ISSUER,
                          audience=settings.jwt_audience, kid=kid, marketplace=marketplace, province=province,
                          partner=partner, carrier=carrier, household=household))
    except ValueError as error:
        err.print(f"[red]farmgate token: {error}[/red]")
        raise typer.Exit(2) from None


@cli.command()
def demo() -> None:
    """Load the demo data (DOMAIN.md's story of 2021, recorded as real events); running it twice adds nothing."""
    from farmgate.deploy.demo import EarlierDemo, StoryClock, load_demo
    from farmgate.deploy.processes import boot

    clock = StoryClock()
    system = boot(_settings(), clock)
    try:
        added = load_demo(system, clock)
    except EarlierDemo:
        err.print("demo data: this database holds the earlier demo's households only; the story of 2021 needs "
                  "a fresh database (remove var/farmgate.db, or point FARMGATE_DATABASE_URL elsewhere)")
        return
    finally:
        system.close()
    err.print(f"demo data: {added} facts recorded" if added else "demo data: already loaded")


@cli.command()
def schema() -> None:
    """Print the served GraphQL SDL."""
    from farmgate.graphql.schema import schema as served

    sys.stdout.write(served.as_str() + "\n")


@keys_cli.command("rewrap")
def rewrap_keys() -> None:
    """Wrap every live data-subject key under the current FARMGATE_DATA_KEY (the previous one in
    FARMGATE_DATA_KEY_PREVIOUS); afterwards the previous key is no longer needed."""
    from farmgate.deploy.processes import boot

    system = boot(_settings())
    try:
        count = system.app.personal_keys.rewrap()
    finally:
        system.close()
    err.print(f"rewrapped {count} subject keys under the current FARMGATE_DATA_KEY")


@projections_cli.command("rebuild")
def rebuild(name: Optional[str] = typer.Argument(None), all_: bool = typer.Option(False, "--all")) -> None:
    """Rebuild read models from the event log, with progress, without an outage: the new tables are
    built beside the live ones, which the projector keeps current and the API keeps reading, and
    replace them in one transaction once caught up. A projection that stops at an event it cannot
    apply is reported (exit code 1) and its live tables kept; the others go on. Interrupted, it
    leaves the live tables as they were: run it again."""
    from farmgate.core.projections.rebuild import RebuildBusy, rebuild as rebuild_beside
    from farmgate.core.projections.registry import all_projections, projection_named
    from farmgate.deploy.processes import boot

    if not name and not all_:
        err.print("farmgate projections rebuild: name a projection or pass --all")
        raise typer.Exit(2)
    if name and all_:
        err.print(f"farmgate projections rebuild: name a projection ({name}) or pass --all, not both")
        raise typer.Exit(2)
    try:
        chosen = all_projections() if all_ else [projection_named(name or "")]
    except KeyError as error:
        err.print(f"[red]{error.args[0]}[/red]")
        raise typer.Exit(2) from None
    system = boot(_settings())
    stalled, busy = [], []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err) as progress:
        for projection in chosen:
            live = next(p for p in system.projector.projections if p.name == projection.name)
            task = progress.add_task(f"rebuilding {live.tracking_name}", total=max(system.projector.head(), 1))

            def advanced(at: int, head: int, task: TaskID = task) -> None:
                progress.update(task, completed=at, total=max(head, 1))

            try:
                outcome = rebuild_beside(system.projector, live, advanced)
            except RebuildBusy as error:
                busy.append(str(error))
                continue
            if outcome.stall is None:
                progress.update(task, completed=max(outcome.position, 1), total=max(outcome.position, 1))
            else:
                stalled.append(outcome.stall)
    for stall in stalled:
        err.print(f"[red]{stall.name} stopped at event {stall.position} ({stall.event_type}): {stall.error}. "
                  "Its rebuild was given up there and its live tables kept as they were.[/red]", soft_wrap=True)
    for message in busy:
        err.print(f"[red]farmgate projections rebuild: {message}[/red]", soft_wrap=True)
    system.close()
    raise typer.Exit(1 if stalled or busy else 0)


@projections_cli.command("status")
def status() -> None:
    """Each projection's and process step's position, lag and error; exit code 1 if any is stalled."""
    from rich.table import Table

    from farmgate.deploy.processes import boot

    system = boot(_settings())
    try:
        states = system.followers()
    finally:
        system.close()
    table = Table("name", "kind", "position", "lag (events)", "lag (seconds)", "error")
    for state in states:
        error = "" if state.stall is None else (
            f"stalled at {state.stall.position} ({state.stall.event_type}) since {state.stall.since}: "
            f"{state.stall.error}; {state.stall.attempts} attempts")
        table.add_row(state.name, state.kind, str(state.position), str(state.lag_events),
                      f"{state.lag_seconds:.1f}", error)
    Console(width=220).print(table)
    raise typer.Exit(1 if any(state.stall for state in states) else 0)


@projections_cli.command("prune")
def prune(dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be dropped; drop nothing")) -> None:
    """Drop the tables, tracking rows and stalls of read-model versions older than the code's, once
    the current version has caught up with the event log (never before). Run it after every API
    replica runs the new release: until then old replicas still read the old tables. Exit code 1
    when an old version had to be kept (its current version is behind) or could not be dropped."""
    from farmgate.core.projections.old_versions import prune as drop_old
    from farmgate.deploy.processes import boot

    system = boot(_settings())
    try:
        done = drop_old(system.store, system.projector.projections, system.projector.head(), dry_run=dry_run)
    finally:
        system.close()
    for old in done.dropped:
        err.print(f"{'would drop' if dry_run else 'dropped'} {old.describe()}", soft_wrap=True, markup=False)
    for old in done.kept:
        err.print(f"kept {old.describe()}: v{old.current_version} has not caught up yet (position {old.position}"
                  f" of {old.head}); prune again once it has", soft_wrap=True, markup=False)
    for old, why in done.failed:
        err.print(f"could not drop {old.describe()}: {why}; prune again", soft_wrap=True, markup=False)
    if not (done.dropped or done.kept or done.failed):
        err.print("no old read-model versions to drop")
    raise typer.Exit(1 if done.kept or done.failed else 0)


@cli.command("import-households")
def import_households(
    file: Path,
    officer: str = typer.Option(..., help="The province officer importing (recorded as the actor PROVINCE_OFFICER:NAME)"),
    province: str = typer.Option(..., help="The officer's province, SCHEME:CODE (e.g. 2021:20 Lạng Sơn): rows outside"
                                           " it are refused"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and report; record nothing"),
) -> None:
    """Bulk onboarding from a province's CSV, with a progress bar and per-row errors (row number and
    column). Exit code 0 when every row was imported or already registered, 1 when a row failed,
    2 when the file or the options were refused."""
    from farmgate.core.domain.errors import DomainError
    from farmgate.core.domain.province_area import ProvinceArea
    from farmgate.deploy.households_import import import_file
    from farmgate.deploy.processes import boot
    from farmgate.graphql.auth import canonical_subject

    if not file.is_file():
        err.print(f"[red]farmgate import-households: no file {file}[/red]")
        raise typer.Exit(2)
    try:
        area = ProvinceArea.parse(province, ["province"])
    except DomainError as error:
        err.print(f"[red]farmgate import-households: --province: {error.message}[/red]")
        raise typer.Exit(2) from None
    try:
        # the actor of every household imported: the rule of a token's subject
        officer = canonical_subject(officer)
    except ValueError as error:
        err.print(f"[red]farmgate import-households: --officer {error}[/red]", markup=False)
        raise typer.Exit(2) from None
    system = boot(_settings())
    try:
        outcome = import_file(system, file, actor=f"PROVINCE_OFFICER:{officer}", province=area.claim,
                              dry_run=dry_run, console=err)
    finally:
        system.close()
    if outcome.job is None:
        raise typer.Exit(2)
    raise typer.Exit(1 if outcome.job.failed else 0)


@anchors_cli.command("export")
def anchors_export(output: Optional[Path] = typer.Option(None, "--output", "-o",
                                                        help="Write to this file instead of standard output")) -> None:
    """Every stored anchor, oldest first, one JSON object per line: {"anchor": {...}, "signature": "<base64url
    Ed25519>", "hash": "<hex SHA-256 of the anchor>"}. Keep the file outside the database."""
    from farmgate.core.audit_anchors import export_lines
    from farmgate.deploy.processes import boot

    system = boot(_settings())
    try:
        target = output.open("wb") if output else sys.stdout.buffer
        count = 0
        try:
            for line in export_lines(system.anchors):
                target.write(line)
                count += 1
        finally:
            if output:
                target.close()
            else:
                target.flush()
    finally:
        system.close()
    err.print(f"{count} anchors exported")


@audit_cli.command("verify")
def audit_verify(
    anchors: Path = typer.Option(..., "--anchors", help="The anchors as exported (JSON lines), kept outside the database"),
    public_key: Path = typer.Option(..., "--public-key", help="The audit public key: PEM, or the JWK Set served at "
                                                              "/.well-known/farmgate-audit-key"),
) -> None:
    """Check the whole event log against the exported anchors with only the public key: each anchor's
    signature, their chain, and the stored events' Merkle root of each. Exit code 0 when every anchor
    holds, 1 when the log or an anchor fails (each failure said on standard error), 2 on unreadable input."""
    from farmgate.core.audit_signing import AuditKeyError, load_public_keys
    from farmgate.core.audit_verification import AnchorFileError, read_anchor_lines, verify_log
    from farmgate.deploy.processes import boot

    try:
        keys = load_public_keys(public_key.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, AuditKeyError) as error:
        err.print(f"[red]farmgate audit verify: --public-key {public_key}: {error}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        exported = read_anchor_lines(anchors.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError, AnchorFileError) as error:
        err.print(f"[red]farmgate audit verify: --anchors {anchors}: {error}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    system = boot(_settings())
    try:
        result = verify_log(system.app, system.anchors, exported, keys)
    finally:
        system.close()
    for problem in result.problems:
        err.print(f"[red]REFUSED: {problem}[/red]", soft_wrap=True)
    if not result.verified:
        raise typer.Exit(1)
    print(f"verified: {result.anchors} anchors, {result.events} events; "
          f"{result.unsealed} events recorded since the last anchor are not sealed yet")


def main() -> None:
    cli()
