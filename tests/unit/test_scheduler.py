"""The scheduler enqueues each periodic job on its interval; the watchdog's interval is a setting."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from farmgate.deploy.settings import Settings, SettingsError
from farmgate.workers.jobs import periodic_jobs
from farmgate.workers.scheduler import Scheduler


def test_the_promise_watchdog_runs_on_its_configured_interval() -> None:
    settings = Settings.from_env({"FARMGATE_DATABASE_URL": "memory://", "FARMGATE_PROMISE_WATCHDOG_SECONDS": "2"})
    assert settings.promise_watchdog_seconds == 2
    jobs = periodic_jobs(settings.promise_watchdog_seconds)
    broker = StubBroker()
    for job in jobs:
        dramatiq.actor(lambda: None, actor_name=job.actor_name, broker=broker)
    now = [100.0]
    scheduler = Scheduler(broker, jobs, clock=lambda: now[0])
    # Check every job runs at the first tick, then the watchdog again only once its interval passed.
    assert "promise_watchdog" in scheduler.tick()
    now[0] = 101.9
    assert "promise_watchdog" not in scheduler.tick()
    now[0] = 102.0
    assert "promise_watchdog" in scheduler.tick()


def test_the_default_watchdog_interval_is_thirty_seconds() -> None:
    assert Settings.from_env({"FARMGATE_DATABASE_URL": "memory://"}).promise_watchdog_seconds == 30
    assert next(j for j in periodic_jobs() if j.actor_name == "promise_watchdog").every_seconds == 30


@pytest.mark.parametrize("value", ["0", "-1", "3601"])
def test_a_nonsense_watchdog_interval_refuses_to_start(value: str) -> None:
    with pytest.raises(SettingsError, match="FARMGATE_PROMISE_WATCHDOG_SECONDS"):
        Settings.from_env({"FARMGATE_PROMISE_WATCHDOG_SECONDS": value, "FARMGATE_DATABASE_URL": "memory://"})


def test_the_audit_log_is_sealed_on_its_configured_interval() -> None:
    settings = Settings.from_env({"FARMGATE_DATABASE_URL": "memory://", "FARMGATE_AUDIT_ANCHOR_SECONDS": "60"})
    jobs = periodic_jobs(settings.promise_watchdog_seconds, settings.audit_anchor_seconds)
    assert next(j for j in jobs if j.actor_name == "seal_audit_log").every_seconds == 60
    assert next(j for j in periodic_jobs() if j.actor_name == "seal_audit_log").every_seconds == 300
    assert Settings.from_env({"FARMGATE_DATABASE_URL": "memory://"}).audit_anchor_seconds == 300
    for value in ("0", "86401"):
        with pytest.raises(SettingsError, match="FARMGATE_AUDIT_ANCHOR_SECONDS"):
            Settings.from_env({"FARMGATE_AUDIT_ANCHOR_SECONDS": value, "FARMGATE_DATABASE_URL": "memory://"})


def test_the_worker_imports_the_sealing_actor() -> None:
    from farmgate.workers.jobs import ACTOR_MODULES

    assert "farmgate.workers.audit_anchors" in ACTOR_MODULES
