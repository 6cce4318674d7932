"""Fixtures: a farmgate system on each real backend, tokens, and personal-data bookkeeping."""

from __future__ import annotations

import logging
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from hypothesis import settings as hypothesis_settings

from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from farmgate.deploy.logging import configure_logging
from tests.outside_reads import save_outside_reads, start_recording
from tests.personal_data import LOG_DIR, LOG_ROOT, PersonalData
from tests.services import UNREACHABLE, fresh_postgres_database, postgres_admin_url

# Under `make mutation` every mutant must meet the same examples: a kill is then reproducible, and a
# survivor is not one that random examples happened to miss this time.
hypothesis_settings.register_profile("mutation", derandomize=True, database=None, deadline=None)
if os.environ.get("FARMGATE_MUTATION"):
    hypothesis_settings.load_profile("mutation")

start_recording()  # from the first test on: what the run reads beside the repository


def pytest_configure(config: pytest.Config) -> None:
    """A run starts with no logs of an earlier one: the controller (or the only process) empties the log
    folder before any worker starts. FARMGATE_TEST_KEEP_LOGS=1 keeps them, for the run of the last checks
    that `make test` starts after the parallel one (tests/zz_last reads what every worker kept)."""
    if not hasattr(config, "workerinput") and not os.environ.get("FARMGATE_TEST_KEEP_LOGS"):
        shutil.rmtree(LOG_ROOT, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def log_lines_kept_for_inspection() -> Iterator[None]:
    """Every log line of this process (ours and the servers' we start) lands in its folder under
    var/test-logs, and what it used and read is kept beside them, so the last checks can read them all
    for personal data and for files read beside the repository."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (LOG_DIR / "pytest.log").open("a", encoding="utf-8") as stream:
        configure_logging("json", stream=stream, level=logging.DEBUG)
        try:
            yield
        finally:
            logging.getLogger().handlers = []
            PersonalData.shared().save(LOG_DIR)
            save_outside_reads(LOG_DIR)


@pytest.fixture(scope="session")
def personal_data() -> PersonalData:
    return PersonalData.shared()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/farmgate.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database(postgres_admin_url()) as url:
        yield url


def _settings(url: str) -> Settings:
    return Settings(database_url=url, env="test", projection_wait_seconds=10)


@pytest.fixture(params=["sqlite", "postgres"])
def backend_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def system(backend_url: str) -> Iterator[System]:
    built = build_system(_settings(backend_url))
    yield built
    built.close()


@pytest.fixture
def sqlite_system(sqlite_url: str) -> Iterator[System]:
    built = build_system(_settings(sqlite_url))
    yield built
    built.close()


@pytest.fixture
def postgres_system(postgres_url: str) -> Iterator[System]:
    built = build_system(_settings(postgres_url))
    yield built
    built.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """Say loudly how many tests did not run for want of a service, and why: a green local run with
    a third of the suite skipped must not read like a full one (on CI it is a failure instead).
    Printed after the short summary (a wrapper's second half), just above the closing line."""
    yield
    by_service: Counter[str] = Counter()
    reasons: dict[str, str] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        service, found, _ = reason.partition(UNREACHABLE)
        if found:
            by_service[service] += 1
            reasons.setdefault(service, reason)
    if not by_service:
        return
    total = sum(by_service.values())
    terminalreporter.write_sep("!", f"{total} TESTS SKIPPED: A SERVICE THEY NEED IS NOT REACHABLE", red=True, bold=True)
    for service, count in by_service.most_common():
        terminalreporter.write_line(f"  {count} skipped: {reasons[service]}", red=True, bold=True)
    terminalreporter.write_line("  Start the service or set FARMGATE_TEST_POSTGRES_URL / FARMGATE_TEST_REDIS_URL; "
                                "with CI=true these are failures.", red=True)
