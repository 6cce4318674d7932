"""A production install that starts: the wheel, installed without extras into a fresh virtualenv
(versions held to the lock file), runs `farmgate serve`, `farmgate worker` and `farmgate projector`
— so every runtime import is a declared dependency. Outside the repository, so nothing of it is on
the path. Everything listens on and talks to 127.0.0.1 only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.checkout import ROOT, copy_tracked_files
from tests.e2e.server import free_port, stop
from tests.personal_data import LOG_DIR
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel of this checkout installed, no extras; its bin/ folder."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from the tracked files only, as from a fresh clone (no build/ leftovers, nothing untracked).
    source = copy_tracked_files(work / "source")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    [wheel] = work.glob("farmgate-*.whl")
    # The lock's pins as constraints (hashes are for the full lock; constraints take versions only).
    pins = [line.split(" ")[0] for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith((" ", "#"))]
    constraints = work / "constraints.txt"
    constraints.write_text("\n".join(pins) + "\n")
    target = work / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    install = subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel), "-c",
                              str(constraints)], capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr
    listed = subprocess.run([str(target / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout
    # Check no test-only package came along: the install is what production gets.
    assert "pytest" not in listed and "hypothesis" not in listed
    return target / "bin"


def start(bin_dir: Path, args: list[str], env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(LOG_DIR / f"wheel-{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen([str(bin_dir / "farmgate"), *args], cwd=cwd, env=env, stdout=log, stderr=log)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    stop(started)


def wait_for_log(process: subprocess.Popen[bytes], name: str, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    path = LOG_DIR / f"wheel-{name}.log"
    while True:
        if text in path.read_text(encoding="utf-8", errors="replace"):
            return
        assert process.poll() is None, f"farmgate {name} exited with {process.returncode}: {path.read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"farmgate {name} did not log {text!r} in {timeout} s"
        time.sleep(0.1)  # polling its log, with a deadline


def test_the_wheel_without_extras_serves_works_and_projects(installed: Path, processes: list, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FARMGATE_", "PYTHON"))}
    with fresh_postgres_database(postgres_admin_url()) as database_url:
        env.update({"FARMGATE_DATABASE_URL": database_url, "FARMGATE_BROKER_URL": redis_url(),
                    "FARMGATE_ENV": "test", "FARMGATE_LOG_FORMAT": "json"})
        port = free_port()
        serve = start(installed, ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, "serve")
        processes.append(serve)
        deadline = time.monotonic() + 60
        while True:
            assert serve.poll() is None, (LOG_DIR / "wheel-serve.log").read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "farmgate serve did not become healthy"
            time.sleep(0.1)  # polling the health endpoint, with a deadline
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ provinces(scheme: 2025) { code } }"},
                            timeout=10).json()
        assert len(answer["data"]["provinces"]) == 34
        # Check the package data came along: GraphiQL's page is in the wheel.
        page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "query Catalog" in page.text
        for name, args, says in (("projector", ["projector"], "projector_running"),
                                 ("worker", ["worker", "--threads", "1"], "workers_started")):
            process = start(installed, args, env, tmp_path, name)
            processes.append(process)
            wait_for_log(process, name, says)
        assert all(process.poll() is None for process in processes)
        stop(processes)
