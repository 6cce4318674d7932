"""A province-sized bulk import on PostgreSQL: `farmgate import-households` of 90,000 Lạng Sơn rows
(under SCALE=province; smoke imports 10,000)
(the province's planned households, DOMAIN.md), in a process of its own, for its rows per second and
its peak memory. The same import of a tenth of the rows is run first: a flat-memory import peaks at
about the same resident size for both (the file is streamed, never held)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg

from tests.bench import scale
from tests.bench.pg import scratch_database

HEADER = "name,national_id,phone,scheme,province_code,district_code,ward_code,street,latitude,longitude\n"
ROOT = Path(__file__).resolve().parents[2]


def write_province_file(path: Path, rows: int) -> None:
    """Lạng Sơn households in Chi Lăng (2021 scheme), one line at a time."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(1, rows + 1):
            out.write(f"Hộ số {n},020{n:09d},09{n:08d},2021,20,187,06466,Thôn {n % 40 + 1},21.6,106.6\n")


def import_in_a_process(url: str, path: Path) -> tuple[float, float, int]:
    """(rows/s between the job's start and end, peak resident memory in MiB, rows imported)."""
    env = {**os.environ, "FARMGATE_DATABASE_URL": url, "FARMGATE_ENV": "test", "FARMGATE_LOG_FORMAT": "json",
           "FARMGATE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "farmgate.deploy", "import-households", str(path),
                                "--officer", "bench", "--province", "2021:20"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"import-households exited with {process.returncode}")
    with psycopg.connect(url) as conn:
        started, finished, imported = conn.execute(
            "SELECT started_at, finished_at, imported FROM household_imports ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    return imported / seconds, usage.ru_maxrss / 1024, imported  # ru_maxrss: KiB on Linux


#: (small, large) file sizes in rows per SCALE: the province's 90,000 only under SCALE=province, so that a
#: smoke run stays a matter of minutes.
ROWS = {"tiny": (20, 200), "smoke": (1_000, 10_000), "province": (9_000, 90_000)}


def run(report: Callable[[str, float, str], None]) -> None:
    small_rows, large_rows = ROWS[scale.current().name]
    with tempfile.TemporaryDirectory() as folder:
        small, large = Path(folder) / f"lang-son-{small_rows}.csv", Path(folder) / f"lang-son-{large_rows}.csv"
        write_province_file(small, small_rows)
        write_province_file(large, large_rows)
        report(f"province file of {large_rows:,} rows", large.stat().st_size / 1_048_576, "MiB")
        with scratch_database() as url:
            small_rate, small_peak, _ = import_in_a_process(url, small)
        with scratch_database() as url:
            rate, peak, imported = import_in_a_process(url, large)
        report(f"import-households, {small_rows:,} rows: rate", small_rate, "rows/s")
        report(f"import-households, {small_rows:,} rows: peak resident memory", small_peak, "MiB")
        report(f"import-households, {large_rows:,} rows: rows imported", imported, "rows")
        report(f"import-households, {large_rows:,} rows: rate", rate, "rows/s")
        report(f"import-households, {large_rows:,} rows: peak resident memory", peak, "MiB")
        report(f"peak memory {large_rows:,} rows / {small_rows:,} rows (flat: about 1)", peak / small_peak, "ratio")
