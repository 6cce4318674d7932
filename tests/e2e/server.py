"""A real farmgate API over HTTP for end-to-end tests: `farmgate serve` in a subprocess (with a
`farmgate projector` beside it on PostgreSQL, and `farmgate worker` processes when asked), its log
lines kept for the personal-data check."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from farmgate.graphql.auth import issue_token
from tests.personal_data import LOG_DIR

ROOT = Path(__file__).resolve().parents[2]
SECRET = "end-to-end-test-secret-that-is-long-enough"

#: how long `farmgate serve` may take to answer /healthz (processes starting together build their
#: tables one after the other, under an advisory lock)
HEALTHY_TIMEOUT = 60.0


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
    #: the `farmgate serve` process, and what its processes were started with (tests that stop or kill them)
    serve: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    name: str = "api"
    projector: subprocess.Popen[bytes] | None = None
    #: the `farmgate worker` processes beside the API (PostgreSQL, ``running_api(workers=...)``), in start order
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, n: int | None = None) -> None:
        """Start `farmgate worker` number ``n`` again (after it was stopped or killed; its log goes on
        in the same file), or, with None, one more."""
        if n is None:
            n = len(self.workers)
            self.workers.append(_start(["worker", "--threads", "4"], self.env, self.worker_log_name(n)))
            return
        assert self.workers[n].poll() is not None, "that worker process is still running"
        self.workers[n] = _start(["worker", "--threads", "4"], self.env, self.worker_log_name(n))

    def worker_log_name(self, n: int = 0) -> str:
        return f"{self.name}-worker.log" if n == 0 else f"{self.name}-worker-{n}.log"

    def stop_projector(self) -> None:
        """Stop the `farmgate projector` process beside the API (PostgreSQL): the read models stay put."""
        assert self.projector is not None, "this API runs no projector process of its own"
        self.projector.terminate()
        self.projector.wait(timeout=15)

    def start_projector(self) -> None:
        self.projector = _start(["projector"], self.env, f"{self.name}-projector.log")

    def restart_serve(self, healthy_timeout: float = HEALTHY_TIMEOUT) -> None:
        """Start `farmgate serve` again on the same port (after it was stopped or killed), healthy."""
        assert self.serve is not None and self.serve.poll() is not None, "the API process is still running"
        port = self.url.rsplit(":", 1)[1]
        self.serve = _start(["serve", "--host", "127.0.0.1", "--port", port], self.env, f"{self.name}-serve.log")
        _wait_healthy(self, healthy_timeout)

    def freeze_projections(self) -> None:
        """Nothing more gets projected: the projector process stopped (PostgreSQL), or the embedded
        projector unable to move (SQLite: its tracking table refuses every update)."""
        if self.projector is not None:
            self.stop_projector()
        else:
            self.sql("CREATE TRIGGER frozen BEFORE UPDATE ON projection_tracking"
                     " BEGIN SELECT RAISE(ABORT, 'frozen'); END")

    def thaw_projections(self) -> None:
        if self.database_url.startswith("sqlite"):
            self.sql("DROP TRIGGER frozen")
        else:
            self.start_projector()

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the server's database, as an operator (or a fault) would, behind its back."""
        if self.database_url.startswith("sqlite"):
            conn = sqlite3.connect(self.database_url[len("sqlite:///"):], timeout=30)
            try:
                rows = conn.execute(statement.replace("%s", "?"), params).fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    @property
    def serve_log(self) -> Path:
        return LOG_DIR / f"{self.name}-serve.log"

    @property
    def projector_log(self) -> Path:
        """The log of the process that runs this API's projections (its own, when embedded)."""
        return LOG_DIR / f"{self.name}-{'serve' if self.projector is None else 'projector'}.log"

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
            "partner": self.token("EXPORT_PARTNER", "brussels", partner="RXhwb3J0UGFydG5lcjowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDE"),
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
                extra_env: dict[str, str] | None = None, projector: bool = True,
                healthy_timeout: float = HEALTHY_TIMEOUT) -> Iterator[Api]:
    """``extra_env``: more settings for every process started (e.g. FARMGATE_TEST_CLOCK_FILE, one clock for all).
    ``workers``: start a `farmgate worker` (or that many), unless the API runs them in-process.
    ``projector``: on PostgreSQL, start a `farmgate projector` beside the API (a second API on one
    database may leave it to the first)."""
    port = free_port()
    env = {**os.environ, "FARMGATE_DATABASE_URL": database_url, "FARMGATE_BROKER_URL": broker_url,
           "FARMGATE_JWT_SECRET": SECRET, "FARMGATE_ENV": "test", "FARMGATE_LOG_FORMAT": "json", **(extra_env or {})}
    serve = _start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, f"{name}-serve.log")
    api = Api(f"http://127.0.0.1:{port}", httpx.Client(timeout=30), database_url, serve=serve, env=env, name=name)
    embedded = database_url.startswith("sqlite") or broker_url.startswith("memory")
    if not embedded and projector:
        api.start_projector()
    try:
        _wait_healthy(api, healthy_timeout)
        if workers and not embedded:  # embedded, the API process runs the workers itself
            # Started once the API has created the tables: concurrent CREATE TABLE IF NOT EXISTS clash on PostgreSQL.
            for _ in range(int(workers)):
                api.start_worker()
        yield api
    finally:
        api.client.close()
        stop([p for p in (api.serve, api.projector, *api.workers) if p is not None])


def _wait_healthy(api: Api, timeout: float = HEALTHY_TIMEOUT) -> None:
    serve = api.serve
    assert serve is not None
    deadline = time.monotonic() + timeout
    while True:
        if serve.poll() is not None:
            raise RuntimeError(f"farmgate serve exited with {serve.returncode}; see {LOG_DIR}")
        try:
            if api.client.get(api.url + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"farmgate serve did not become healthy in {timeout:.0f} s")
        time.sleep(0.05)  # polling the health endpoint, with a deadline


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate each process still running, and kill any that has not exited 15 seconds later."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def running_on(backend: str, tmp_path_factory: Any, name: str, extra_env: dict[str, str] | None = None) -> Iterator[Api]:
    """An API on a fresh database of ``backend``: "sqlite" (embedded, a file in a temporary folder) or
    "postgres" (a new database, a projector process, Redis as broker)."""
    from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

    if backend == "sqlite":
        path = tmp_path_factory.mktemp(name) / "farmgate.db"
        with running_api(f"sqlite:///{path}", name=f"{name}-sqlite", extra_env=extra_env) as server:
            yield server
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name=f"{name}-postgres", extra_env=extra_env) as server:
            yield server
