"""Bulk household onboarding from a province's CSV: every row is tried, every failure reported by
row number and field (never by the personal data in it), with a progress bar."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from farmgate.core.domain.errors import DomainError
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.deploy.container import System

COLUMNS = ("name", "national_id", "phone", "scheme", "province_code", "district_code", "ward_code", "street",
           "latitude", "longitude")


@dataclass
class ImportReport:
    imported: int = 0
    failed: list[tuple[int, str, str]] = field(default_factory=list)


def _optional(row: dict[str, str], key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return value or None


def import_csv(system: System, path: Path, console: Console) -> ImportReport:
    report = ImportReport()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    missing = [c for c in ("name", "national_id", "phone", "province_code") if rows and c not in rows[0]]
    if missing:
        console.print(f"[red]CSV lacks columns: {', '.join(missing)}; expected {', '.join(COLUMNS)}[/red]")
        report.failed.append((0, "header", "missing columns"))
        return report
    with recording(Provenance(actor="SYSTEM:household-import", correlation_id=f"import:{path.name}")), \
            Progress(console=console) as progress:
        task = progress.add_task(f"importing {path.name}", total=len(rows))
        for number, row in enumerate(rows, start=2):  # line 1 is the header
            try:
                location = None
                if _optional(row, "latitude") and _optional(row, "longitude"):
                    location = {"latitude": float(row["latitude"]), "longitude": float(row["longitude"])}
                scheme = _optional(row, "scheme")
                system.app.register_household(
                    name=row["name"],
                    national_id=row["national_id"],
                    phone=row["phone"],
                    address={"scheme": int(scheme) if scheme else None, "province_code": row["province_code"],
                             "district_code": _optional(row, "district_code"), "ward_code": _optional(row, "ward_code"),
                             "street": _optional(row, "street")},
                    location=location,
                )
                report.imported += 1
            except DomainError as error:
                where = (error.field or ["row"])[-1]
                report.failed.append((number, where, error.message))
            except ValueError:
                report.failed.append((number, "scheme/latitude/longitude", "not a number"))
            progress.advance(task)
    for number, where, message in report.failed:
        console.print(f"line {number}: {where}: {message}")
    console.print(f"imported {report.imported}, failed {len(report.failed)}")
    system.catch_up()
    return report
