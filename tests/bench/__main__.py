"""`make bench`: every benchmark in one run, each number next to its ceiling measured in the same run.

    make bench                    # SCALE=smoke: a few minutes
    make bench SCALE=province     # a Lạng Sơn-sized plan, longer windows
    make bench BENCH=orders       # some modules only (space-separated)
    make bench PROFILE=1          # and profile the workload of the worst ratio (cProfile)

Needs PostgreSQL: FARMGATE_BENCH_DATABASE_URL (else FARMGATE_TEST_POSTGRES_URL, else the machine's,
postgresql://postgres@127.0.0.1:5432/postgres); each module works in a database of its own that it
creates and drops. A module is ``run(report)``; it calls ``report(name, value, unit)`` or
``report(name, value, unit, ceiling=...)`` — with a ceiling the report also holds
``ratio = value / ceiling``. The rows go to ``var/bench/report.json`` (a list of objects ``name``,
``value``, ``unit``, ``module`` and, where there is one, ``ceiling`` and ``ratio``, or ``goal``) and are printed as a table.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import json
import logging
import os
import platform
import pstats
import resource
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tests.bench import scale

MODULES = ["dataset", "households", "orders", "statements", "serving", "http_orders", "projections", "casefile", "catalog", "wakeups", "household_import",
           "province_cost"]
REPORT = Path(__file__).resolve().parents[2] / "var" / "bench" / "report.json"


class Report:
    """The rows of one run. Call it as ``report(name, value, unit, ceiling=None)``.

    ``value`` and ``ceiling`` are in ``unit``; ``ratio`` is ``value / ceiling`` (None when the
    ceiling is 0). ``goal``: the issue's target for a number that has no ceiling in the run, in
    ``unit``. A row with the same name as an earlier one is kept as well (the table shows both).
    """

    def __init__(self, module: str = "") -> None:
        self.rows: list[dict[str, Any]] = []
        self.module = module

    def __call__(self, name: str, value: float, unit: str, ceiling: float | None = None,
                 goal: float | None = None) -> None:
        row: dict[str, Any] = {"name": name, "value": float(value), "unit": unit}
        if self.module:
            row["module"] = self.module
        if ceiling is not None:
            row["ceiling"] = float(ceiling)
            row["ratio"] = float(value) / float(ceiling) if ceiling else None
        if goal is not None:
            row["goal"] = float(goal)
        self.rows.append(row)
        print(line(row), flush=True)


def line(row: dict[str, Any]) -> str:
    """One row of the printed table."""
    text = f"{row['name']:<72} {row['value']:>14,.2f} {row['unit']}"
    if "ceiling" in row:
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.3f}"
        text += f"   (ceiling {row['ceiling']:,.2f}, ratio {ratio})"
    if "goal" in row:
        text += f"   (goal {row['goal']:,.2f})"
    return text


def peak_rss_mb(who: int) -> float:
    """Peak resident set of this process (RUSAGE_SELF) or of its largest waited-for child (MiB, Linux)."""
    return resource.getrusage(who).ru_maxrss / 1024


def profile_worst(rows: list[dict[str, Any]], folder: Path) -> Path | None:
    """Profile (stdlib cProfile, one thread, the scale's window) the workload behind the lowest
    ratio among modules that offer one (``profiled(seconds, profiler)``); write the 40 costliest functions by
    cumulative time to ``folder/profile-<module>.txt`` and return that path (None: nothing to profile)."""
    candidates = [r for r in rows if r.get("ratio") is not None and hasattr(
        importlib.import_module(f"tests.bench.{r['module']}"), "profiled")]
    if not candidates:
        print("PROFILE=1: no ratio in this run has a workload to profile", flush=True)
        return None
    worst = min(candidates, key=lambda r: r["ratio"])
    module = importlib.import_module(f"tests.bench.{worst['module']}")
    profiler = cProfile.Profile()
    module.profiled(scale.current().seconds, profiler)
    out = io.StringIO()
    out.write(f"worst ratio: {worst['name']} = {worst['ratio']:.3f}\n")
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    target = folder / f"profile-{worst['module']}.txt"
    target.write_text(out.getvalue())
    print(f"profile of the worst ratio ({worst['name']}) kept in {target}", flush=True)
    return target


def main(selected: list[str], path: Path = REPORT) -> list[dict[str, Any]]:
    """Run the ``selected`` modules (all when empty), write ``path``, print the table; return the rows."""
    chosen = scale.current()
    print(f"farmgate benchmarks, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, SCALE={chosen.name}, "
          f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs", flush=True)
    report = Report()
    failed: list[str] = []
    for name in selected or MODULES:
        try:
            module = importlib.import_module(f"tests.bench.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"tests.bench.{name}":
                raise
            print(f"-- {name}: not built yet", flush=True)
            continue
        print(f"-- {name}", flush=True)
        report.module = name
        started = time.perf_counter()
        try:
            module.run(report)
        except Exception:  # noqa: BLE001 - one module's failure is reported; the others still run
            traceback.print_exc()
            report(f"{name}: FAILED (traceback on stderr)", 1, "failures")
            failed.append(name)
        report(f"{name}: benchmark wall time", time.perf_counter() - started, "s")
    report.module = ""
    report("peak RSS, bench process", peak_rss_mb(resource.RUSAGE_SELF), "MiB")
    report("peak RSS, largest child process (client processes, server)", peak_rss_mb(resource.RUSAGE_CHILDREN), "MiB")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.rows, indent=1, ensure_ascii=False) + "\n")
    print(f"\n{'name':<72} {'value':>14} unit", flush=True)
    for row in report.rows:
        print(line(row))
    print(f"report kept in {path}", flush=True)
    if os.environ.get("PROFILE") == "1":
        profile_worst(report.rows, path.parent)
    if failed:
        raise SystemExit(f"bench modules that failed: {', '.join(failed)}")
    return report.rows


if __name__ == "__main__":
    from farmgate.deploy.logging import configure_logging

    configure_logging(fmt="console", stream=sys.stderr, level=logging.WARNING)  # the table, not the logs
    main(sys.argv[1:])
