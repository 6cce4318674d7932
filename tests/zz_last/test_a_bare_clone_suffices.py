"""`make test` on a bare clone with nothing beside it: this run read no file outside the
repository (but the optional shared contract, compared when it is there), and the tests that once
read ../shared pass on a copy of the repository's files with nothing beside them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.checkout import copy_tracked_files
from tests.outside_reads import outside_reads_of_the_whole_run
from tests.personal_data import LOG_ROOT


def test_nothing_beside_the_repository_was_read_during_this_run() -> None:
    assert outside_reads_of_the_whole_run(LOG_ROOT) == set()  # every worker's, when the run was parallel


def test_the_contract_tests_pass_on_a_copy_with_nothing_beside_it(tmp_path: Path) -> None:
    copy = copy_tracked_files(tmp_path / "bare" / "farmgate")
    assert not (copy.parent / "shared").exists()
    # (The package itself is imported from this checkout's editable install; the files the tests
    # read are the copy's.)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/contract"],
                            cwd=copy, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
