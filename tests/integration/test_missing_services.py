"""A missing service: locally its tests are skipped and the summary says so loudly; on CI it fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDS_POSTGRES = "tests/integration/test_households.py::test_unknown_household_is_not_found"


def run_pytest(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    env = {**os.environ, "CI": ci, "FARMGATE_TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:9/test",
           "FARMGATE_TEST_LOG_DIR": str(tmp_path / "logs")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", NEEDS_POSTGRES],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_locally_the_summary_counts_the_tests_skipped_for_a_missing_service_and_says_why(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, ci="")
    assert run.returncode == 0, run.stdout
    tail = run.stdout.strip().splitlines()
    # Check the banner is the last thing before the closing line, not buried in the -ra list.
    assert "1 TESTS SKIPPED: A SERVICE THEY NEED IS NOT REACHABLE" in tail[-4]
    assert tail[-3].strip().startswith("1 skipped: PostgreSQL is not reachable (OperationalError")
    assert "1 passed, 1 skipped" in tail[-1]


def test_on_ci_a_missing_service_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, ci="true")
    assert run.returncode != 0
    assert "CI=true and PostgreSQL is not reachable" in run.stdout
    assert "TESTS SKIPPED" not in run.stdout
