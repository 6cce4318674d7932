"""Stalls on each backend: an event recorded before input was canonical (a NUL in a household name,
from an older release) stops PostgreSQL's household directory — and `projections rebuild` reports
it instead of dying — while SQLite, which can store it, still loads and projects it; a process step
failing on an event stops there while the others go on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

from farmgate.core.domain.household import Household, household_id_for
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.policies import Handler, Policy, PolicyRunner
from farmgate.core.projections.stalls import Backoff
from farmgate.deploy.container import System
from tests.personal_data import PersonalData

ROOT = Path(__file__).resolve().parents[2]
OLD_NAME = "Hộ\u0000Nul"


def register(system: System, pd: PersonalData, name: str) -> Any:
    return system.app.register_household(name=name, national_id=pd.national_id(), phone=pd.phone(),
                                         address={"scheme": 2021, "province_code": "20"})


def recorded_by_an_older_release(system: System, pd: PersonalData) -> Any:
    """A household event with a NUL in its name, as releases before the canonical rule recorded it."""
    digest = system.app.national_id_digest(pd.national_id())
    with recording(Provenance(actor="PROVINCE_OFFICER:lan", correlation_id="old-release")):
        household = Household._start(
            Household.Registered, household_id_for(digest), code="HH-20-999999", name=OLD_NAME,
            national_id_digest=digest, phone="+84912000111", address={"scheme": 2021, "province_code": "20"},
            location=None, channel=None,
        )
        # Releases before issue 13 sealed nothing: the event carries no commitments, so its name is
        # stored as it came (the mapper seals only committed fields).
        for event in household.pending_events:
            object.__setattr__(event, "commitments", {})
        system.app.save(household)
    return household.id


def farmgate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FARMGATE_DATABASE_URL": url, "FARMGATE_ENV": "test", "FARMGATE_LOG_FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "farmgate.deploy", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_an_old_nul_event_stalls_postgres_household_directory_and_a_rebuild_reports_it(
    postgres_system: System, postgres_url: str, personal_data
) -> None:
    system = postgres_system
    before = register(system, personal_data, "Hộ Trước")
    old = recorded_by_an_older_release(system, personal_data)
    after = register(system, personal_data, "Hộ Sau")
    system.catch_up()
    projector = system.projector
    directory = next(p for p in projector.projections if p.name == "household_directory")
    stall = projector.stall_of(directory)
    assert stall is not None and stall.event_type == "Household.Registered"
    assert "NUL" in stall.error and "Hộ" not in stall.error
    assert system.households.by_ids([before, old, after]).keys() == {before}
    # Check the other projections went past it.
    assert all(projector.position(p) == projector.head() for p in projector.projections if p is not directory)

    rebuilt = farmgate(postgres_url, "projections", "rebuild", "household_directory")
    # Check it ends with a report, not an uncaught exception (the stall's log line carries its traceback).
    assert rebuilt.returncode == 1 and not any(line.startswith("Traceback") for line in rebuilt.stderr.splitlines())
    assert f"household_directory_v2 stopped at event {stall.position} (Household.Registered)" in rebuilt.stderr
    assert system.households.by_ids([before, old, after]).keys() == {before}
    status = farmgate(postgres_url, "projections", "status")
    assert status.returncode == 1 and "stalled at" in status.stdout and "household_directory" in status.stdout


def test_an_old_nul_event_still_loads_and_projects_on_sqlite(sqlite_system: System, personal_data) -> None:
    system = sqlite_system
    old = recorded_by_an_older_release(system, personal_data)
    after = register(system, personal_data, "Hộ Sau")
    system.catch_up()
    assert system.app.load(Household, old).name == OLD_NAME
    assert {row["name"] for row in system.households.by_ids([old, after]).values()} == {OLD_NAME, "Hộ Sau"}
    assert all(state.stall is None for state in system.followers())


class FailsOnVerified(Policy):
    name: ClassVar[str] = "fails-on-verified"
    broken = True

    def __init__(self) -> None:
        self.seen: list[int] = []

    def handlers(self) -> dict[str, Handler]:
        def verified(_: Any, event: Any) -> None:
            if self.broken:
                raise RuntimeError("injected fault")
            self.seen.append(event.originator_version)

        return {"Household.Verified": verified}


class CountsRegistrations(Policy):
    name: ClassVar[str] = "counts-registrations"

    def __init__(self) -> None:
        self.count = 0

    def handlers(self) -> dict[str, Handler]:
        def registered(_: Any, __: Any) -> None:
            self.count += 1

        return {"Household.Registered": registered}


def test_a_failing_process_step_stops_at_its_event_while_the_others_go_on(system: System, personal_data) -> None:
    failing, counting = FailsOnVerified(), CountsRegistrations()
    runner = PolicyRunner(system.app, system.store, [failing, counting])
    runner.create_tables()
    first = register(system, personal_data, "Hộ Một")
    system.app.verify_household(first, "commune post office")
    register(system, personal_data, "Hộ Hai")
    runner.catch_up()
    stall = runner.stalls.all()[failing.tracking_name]
    assert (stall.event_type, stall.error) == ("Household.Verified", "RuntimeError") and stall.attempts >= 1
    assert runner.position(failing) == stall.position - 1
    assert runner.position(counting) == system.projector.head() and counting.count == 2
    # Once fixed it resumes from that event, and the stall is gone.
    failing.broken = False
    runner.catch_up()
    assert failing.seen == [2] and runner.position(failing) == system.projector.head()
    assert failing.tracking_name not in runner.stalls.all()


def test_backoff_doubles_to_its_cap_and_resets_on_success() -> None:
    backoff = Backoff(first=1.0, cap=4.0)
    assert backoff.ready("p")
    assert [backoff.failed("p") for _ in range(4)] == [1.0, 2.0, 4.0, 4.0]
    assert not backoff.ready("p") and backoff.ready("q")
    backoff.succeeded("p")
    assert backoff.ready("p") and backoff.failed("p") == 1.0
