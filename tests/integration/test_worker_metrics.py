"""`farmgate worker` with FARMGATE_WORKER_METRICS_PORT serves dramatiq's Prometheus metrics on
127.0.0.1: the scheduler's periodic jobs, run through Redis, show up counted per actor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.receiver import wait_until
from tests.e2e.server import ROOT, free_port
from tests.personal_data import LOG_DIR
from tests.services import redis_url


def scraped(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text
    except httpx.TransportError:
        return ""  # not listening yet


@pytest.mark.redis
def test_the_worker_serves_dramatiqs_metrics_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "FARMGATE_DATABASE_URL": f"sqlite:///{tmp_path}/worker.db", "FARMGATE_ENV": "test",
           "FARMGATE_BROKER_URL": redis_url(), "FARMGATE_WORKER_METRICS_PORT": str(port)}
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "worker-metrics.log", "ab") as log:
        worker = subprocess.Popen([sys.executable, "-m", "farmgate.deploy", "worker", "--threads", "2"],
                                  cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            # dispatch_webhooks runs every second: once it has run, it is counted
            text = wait_until(lambda: (page := scraped(port)) and 'actor_name="dispatch_webhooks"' in page and page,
                              "the worker's metrics counting its jobs", timeout=60)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert "# TYPE dramatiq_messages_total counter" in text
    assert "dramatiq_message_duration_milliseconds_bucket" in text
