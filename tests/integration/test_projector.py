"""Projections apply each event exactly once: an event a handler fails on stops its projection there
(nothing of it applied) until it can be applied, a killed projector resumes where it stopped, and two
projector processes never double-apply."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from farmgate.core.projections.households import HouseholdDirectory
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.personal_data import LOG_DIR, PersonalData
from tests.process_logs import logged

ROOT = Path(__file__).resolve().parents[2]


def populate(system: System, pd: PersonalData, households: int) -> None:
    """Households with one payment account each: a double-applied event would show as two."""
    for n in range(households):
        household_id = system.app.register_household(
            name=f"Hộ số {n}", national_id=pd.national_id(), phone=pd.phone(),
            address={"scheme": 2021, "province_code": "24"},
        )
        system.app.link_payment_account(household_id, "POST_OFFICE", "VNPost", f"BDVH{n:06d}")


def assert_applied_exactly_once(system: System, households: int) -> None:
    rows, total = system.households.page(after_position=0, limit=households + 10)
    assert total == households
    assert all(len(r["payment_accounts"]) == 1 for r in rows)
    assert sorted(r["code"] for r in rows) == [f"HH-24-{n:06d}" for n in range(1, households + 1)]
    assert all(lag.events == 0 for lag in system.projector.lags())


class FailsAt(HouseholdDirectory):
    """The household directory, with a fault injected at one event."""

    def __init__(self, fail_at: int):
        self.fail_at = fail_at

    def handlers(self) -> dict[str, Any]:
        real = super().handlers()

        def linked(cur: Any, event: Any, position: int) -> None:
            if position >= self.fail_at:
                raise RuntimeError("injected fault")
            real["Household.PaymentAccountLinked"](cur, event, position)

        return {**real, "Household.PaymentAccountLinked": linked}


def test_a_failing_event_stops_its_projection_there_and_it_resumes_once_fixed(system: System, personal_data) -> None:
    # The issue changed this: a handler failing on an event no longer fails the whole batch forever;
    # the projection applies what comes before the event, stops at it with the stall kept, and goes on
    # by itself once the event can be applied.
    populate(system, personal_data, 20)
    projector = system.projector
    directory = projector.projections[0]
    head = projector.head()
    faulty = FailsAt(fail_at=head - 5)
    projector.projections[0] = faulty
    assert projector.run_projection_once(faulty) > 0  # one batch holds them all: it stops in the middle
    stall = projector.stall_of(faulty)
    assert stall is not None and (stall.event_type, stall.attempts, stall.error) == (
        "Household.PaymentAccountLinked", 1, "RuntimeError")
    poison = stall.position
    assert head - 5 <= poison <= head
    # Check it stopped right before the poison, with nothing of the failing event applied.
    assert projector.position(faulty) == poison - 1
    rows, _ = system.households.page(after_position=0, limit=100)
    assert rows and all(r["position"] < poison for r in rows)
    # Each household's account is linked right after it registers: the poison is the newest one's.
    assert [len(r["payment_accounts"]) for r in rows] == [1] * (len(rows) - 1) + [0]
    # Check another attempt counts, and the other projections went on.
    assert projector.run_projection_once(faulty) == 0
    assert projector.stall_of(faulty).attempts == 2
    projector.catch_up()
    assert projector.position(faulty) == poison - 1
    assert all(projector.position(p) == head for p in projector.projections[1:])
    projector.projections[0] = directory
    system.catch_up()
    assert projector.stall_of(directory) is None
    assert_applied_exactly_once(system, 20)


def _projector_process(url: str, log_name: str) -> subprocess.Popen[bytes]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / log_name).unlink(missing_ok=True)  # one file per process: its lines say what it applied
    env = {**os.environ, "FARMGATE_DATABASE_URL": url, "FARMGATE_PROJECTOR_BATCH_SIZE": "7",
           "FARMGATE_PROJECTOR_THROTTLE_MS": "15", "FARMGATE_LOG_FORMAT": "json", "FARMGATE_ENV": "test",
           "FARMGATE_LOG_LEVEL": "DEBUG"}
    log = open(LOG_DIR / log_name, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "farmgate.deploy", "projector"], cwd=ROOT, env=env,
                            stdout=log, stderr=log)


def _wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)  # polling a condition, with a deadline


def test_a_killed_projector_resumes_without_losing_or_double_applying(backend_url: str, personal_data) -> None:
    writer = build_system(Settings(database_url=backend_url, env="test"))
    populate(writer, personal_data, 150)
    head = writer.projector.head()
    directory = writer.projector.projections[0]
    process = _projector_process(backend_url, "projector-killed.log")
    try:
        _wait_until(lambda: writer.projector.position(directory) > 0, 60, "the projector to start applying")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        killed_at = writer.projector.position(directory)
        assert 0 < killed_at < head, "the kill should land mid-stream"
        resumed = _projector_process(backend_url, "projector-resumed.log")
        try:
            _wait_until(lambda: all(writer.projector.position(p) >= head for p in writer.projector.projections),
                        120, "the projector to catch up")
        finally:
            resumed.terminate()
            resumed.wait(timeout=10)
        assert_applied_exactly_once(writer, 150)
    finally:
        if process.poll() is None:
            process.kill()
        writer.close()


def test_two_projector_processes_never_double_apply(backend_url: str, personal_data) -> None:
    writer = build_system(Settings(database_url=backend_url, env="test"))
    dialect = backend_url.split(":")[0]
    logs = [f"projector-pair-{dialect}-{n}.log" for n in range(2)]
    processes = [_projector_process(backend_url, name) for name in logs]
    try:
        # Both are up and polling before any event exists, so both race for every batch.
        _wait_until(lambda: all(logged(name, "projector_running") for name in logs), 60, "both projectors to start")
        populate(writer, personal_data, 100)
        head = writer.projector.head()
        _wait_until(lambda: all(writer.projector.position(p) >= head for p in writer.projector.projections),
                    120, "the projectors to catch up")
    finally:
        for p in processes:
            p.terminate()
            p.wait(timeout=10)
        assert_applied_exactly_once(writer, 100)
        writer.close()
    # Check the test proves what its name says: each process applied batches, and no batch twice.
    applied = [logged(name, "projection_batch_applied") for name in logs]
    assert all(applied), f"each projector should have applied batches: {[len(a) for a in applied]}"
    batches = [(entry["projection"], entry["position"]) for entries in applied for entry in entries]
    assert len(batches) == len(set(batches)), "a batch was applied by both projectors"
