"""`make bench`: every benchmark in one run, numbers and ratios to ceilings measured in the same run.

Needs PostgreSQL (FARMGATE_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test).
The report is printed and kept in var/bench-report.txt.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

MODULES = ["households", "household_import", "catalog", "orders", "casefile", "wakeups"]
REPORT = Path(__file__).resolve().parents[2] / "var" / "bench-report.txt"


def main(selected: list[str]) -> None:
    lines: list[str] = [
        f"farmgate benchmarks, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.machine()}",
    ]

    def report(name: str, value: float, unit: str) -> None:
        line = f"{name:<64} {value:>14,.2f} {unit}"
        print(line, flush=True)
        lines.append(line)

    for name in selected or MODULES:
        try:
            module = importlib.import_module(f"tests.bench.{name}")
        except ModuleNotFoundError:
            print(f"-- {name}: not built yet", flush=True)
            continue
        print(f"-- {name}", flush=True)
        lines.append(f"-- {name}")
        started = time.perf_counter()
        module.run(report)
        report(f"{name}: benchmark wall time", time.perf_counter() - started, "s")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print(f"report kept in {REPORT}")


if __name__ == "__main__":
    main(sys.argv[1:])
