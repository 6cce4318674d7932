"""A real farmgate API over HTTP for end-to-end tests: `farmgate serve` in a subprocess (with a
`farmgate projector` beside it on PostgreSQL), its log lines kept for the personal-data check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from farmgate.graphql.auth import issue_token
from tests.personal_data import LOG_DIR

ROOT = Path(__file__).resolve().parents[2]
SECRET = "end-to-end-test-secret-that-is-long-enough"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Api:
    url: str
    client: httpx.Client
    #: the server's database, for tests that set up bulk data directly rather than over HTTP
    database_url: str = ""

    def token(self, role: str, subject: str = "tester", **scope: str | None) -> str:
        return issue_token(SECRET, role, subject, 3600, **scope)

    def role_tokens(self) -> dict[str, str]:
        """A token for each role the e2e modules act as (a partner id that matches no partner)."""
        return {
            "admin": self.token("ADMIN"),
            "postmart": self.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART"),
            "voso": self.token("MARKETPLACE", "voso-ops", marketplace="VOSO"),
            "officer20": self.token("PROVINCE_OFFICER", "lan", province="20"),
            "officer24": self.token("PROVINCE_OFFICER", "giang", province="24"),
            "officer": self.token("PROVINCE_OFFICER", "giang", province="24"),
            "staff": self.token("DISPUTE_STAFF", "minh"),
            "carrier": self.token("CARRIER", "vnpost-bot", carrier="VNPost"),
            "other_carrier": self.token("CARRIER", "viettel-bot", carrier="Viettel Post"),
            "partner": self.token("EXPORT_PARTNER", "brussels", partner="RXhwb3J0UGFydG5lcjox"),
        }

    def post(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
             headers: dict[str, str] | None = None) -> dict[str, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = self.client.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                                    headers=all_headers)
        assert response.status_code in (200, 400), response.text
        return response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict[str, Any]:
        body = self.post(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]


def _start(args: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen[bytes]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(LOG_DIR / log_name, "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen([sys.executable, "-m", "farmgate.deploy", *args], cwd=ROOT, env=env,
                            stdout=log, stderr=log)


@contextmanager
def running_api(database_url: str, broker_url: str = "memory://", name: str = "api", workers: bool | int = False,
                extra_env: dict[str, str] | None = None) -> Iterator[Api]:
    """``extra_env``: more settings for every process started (e.g. FARMGATE_TEST_CLOCK_FILE, one clock for all).
    ``workers``: start a `farmgate worker` (or that many), unless the API runs them in-process."""
    port = free_port()
    env = {**os.environ, "FARMGATE_DATABASE_URL": database_url, "FARMGATE_BROKER_URL": broker_url,
           "FARMGATE_JWT_SECRET": SECRET, "FARMGATE_ENV": "test", "FARMGATE_LOG_FORMAT": "json", **(extra_env or {})}
    processes = [_start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, f"{name}-serve.log")]
    embedded = database_url.startswith("sqlite") or broker_url.startswith("memory")
    if not embedded:
        processes.append(_start(["projector"], env, f"{name}-projector.log"))
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            if processes[0].poll() is not None:
                raise RuntimeError(f"farmgate serve exited with {processes[0].returncode}; see {LOG_DIR}")
            try:
                if client.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("farmgate serve did not become healthy in 60 s")
            time.sleep(0.05)  # polling the health endpoint, with a deadline
        if workers and not embedded:  # embedded, the API process runs the workers itself
            # Started once the API has created the tables: concurrent CREATE TABLE IF NOT EXISTS clash on PostgreSQL.
            for n in range(int(workers)):
                log_name = f"{name}-worker.log" if n == 0 else f"{name}-worker-{n}.log"
                processes.append(_start(["worker", "--threads", "4"], env, log_name))
        yield Api(url, client, database_url)
    finally:
        client.close()
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
