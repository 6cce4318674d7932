"""The `farmgate` command (also `python -m farmgate.deploy`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from farmgate.deploy.settings import Settings, SettingsError

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="farmgate: the commerce core for farming households")
projections_cli = typer.Typer(no_args_is_help=True, help="Read models: rebuild from the event log")
cli.add_typer(projections_cli, name="projections")
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        err.print(f"[red]farmgate: {error}[/red]")
        raise typer.Exit(2) from None


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API (with projectors and workers in-process on the embedded defaults)."""
    from farmgate.deploy.processes import serve as run

    run(_settings(), host, port)


@cli.command()
def worker(threads: int = 4) -> None:
    """Run dramatiq workers and the periodic scheduler."""
    from farmgate.deploy.processes import run_worker

    run_worker(_settings(), threads)


@cli.command()
def projector() -> None:
    """Run the projection runners."""
    from farmgate.deploy.processes import run_projector

    run_projector(_settings())


@cli.command()
def token(
    role: str = typer.Option(..., help="ADMIN, MARKETPLACE, HOUSEHOLD, CARRIER, PROVINCE_OFFICER, DISPUTE_STAFF, EXPORT_PARTNER"),
    subject: str = typer.Option(..., help="Who the token is for"),
    marketplace: Optional[str] = typer.Option(None, help="POSTMART or VOSO"),
    province: Optional[str] = typer.Option(None, help="Province code, e.g. 20"),
    partner: Optional[str] = typer.Option(None, help="Export partner global ID"),
    carrier: Optional[str] = typer.Option(None, help="The carrier: its global ID (carriers query) or any known spelling, e.g. VNPost, 'Vietnam Post'"),
    household: Optional[str] = typer.Option(None, help="Household global ID"),
    ttl: int = typer.Option(3600, help="Seconds until it expires"),
) -> None:
    """Print a JWT for development and tests."""
    from farmgate.graphql.auth import issue_token

    settings = _settings()
    try:
        print(issue_token(settings.jwt_secret, role.upper(), subject, ttl, marketplace=marketplace,
                          province=province, partner=partner, carrier=carrier, household=household))
    except ValueError as error:
        err.print(f"[red]farmgate token: {error}[/red]")
        raise typer.Exit(2) from None


@cli.command()
def demo() -> None:
    """Load the demo data (DOMAIN.md's scenarios); running it twice adds nothing."""
    from farmgate.deploy.demo import load_demo
    from farmgate.deploy.processes import boot

    system = boot(_settings())
    added = load_demo(system)
    system.close()
    err.print(f"demo data: {added} new households" if added else "demo data: already loaded")


@cli.command()
def schema() -> None:
    """Print the served GraphQL SDL."""
    from farmgate.graphql.schema import schema as served

    sys.stdout.write(served.as_str() + "\n")


@projections_cli.command("rebuild")
def rebuild(name: Optional[str] = typer.Argument(None), all_: bool = typer.Option(False, "--all")) -> None:
    """Drop and rebuild read models from the event log, with progress."""
    from farmgate.core.projections.registry import all_projections, projection_named
    from farmgate.deploy.processes import boot

    if not name and not all_:
        err.print("farmgate projections rebuild: name a projection or pass --all")
        raise typer.Exit(2)
    try:
        chosen = all_projections() if all_ else [projection_named(name or "")]
    except KeyError as error:
        err.print(f"[red]{error.args[0]}[/red]")
        raise typer.Exit(2) from None
    system = boot(_settings())
    head = system.projector.head()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err) as progress:
        for projection in chosen:
            live = next(p for p in system.projector.projections if p.name == projection.name)
            task = progress.add_task(f"rebuilding {live.tracking_name}", total=max(head, 1))
            system.projector.reset(live)
            while system.projector.run_projection_once(live):
                progress.update(task, completed=system.projector.position(live))
            progress.update(task, completed=max(head, 1))
    system.close()


@cli.command("import-households")
def import_households(file: Path) -> None:
    """Bulk onboarding from a province's CSV, with per-row errors."""
    from farmgate.deploy.households_import import import_csv
    from farmgate.deploy.processes import boot

    if not file.is_file():
        err.print(f"[red]farmgate import-households: no file {file}[/red]")
        raise typer.Exit(2)
    system = boot(_settings())
    report = import_csv(system, file, err)
    system.close()
    raise typer.Exit(0 if not report.failed else 1)


def main() -> None:
    cli()
