"""A GraphQL page of 20 listings over HTTP from one `farmgate serve` process, next to its ceiling:
bare strawberry serving the same page from memory (``bare_strawberry``), also one uvicorn process.
The load comes from a separate process (``load``), 8 concurrent requests on keep-alive connections.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.bench import scale
from tests.bench.orders import listings
from tests.bench.pg import BROKER_URL, scratch_database
from tests.e2e.server import SECRET, free_port

ROOT = Path(__file__).resolve().parents[2]
PAGE = """query { listings(first: 20) {
  edges { cursor node { id title unit unitPrice { amount currency } stockQuantity status storefront { name } } }
  pageInfo { hasNextPage endCursor } } }"""
CONCURRENCY = 8


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a running process (Linux), in MiB; 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def server(args: list[str], env: dict[str, str], url: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``python args`` and wait (60 s at most) until ``url`` answers ``PAGE`` (a public read)."""
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{args} exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.post(url, json={"query": PAGE}, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args} did not answer in 60 s")
            time.sleep(0.1)  # polling the server until it answers, with a deadline
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def load(url: str, query_file: Path, seconds: float, variables_file: Path | None = None,
         token: str | None = None) -> dict[str, Any]:
    """Run the load generator process against ``url``; its JSON summary."""
    env = {**os.environ, "BENCH_TOKEN": token} if token else dict(os.environ)
    done = subprocess.run([sys.executable, "-m", "tests.bench.load", url, str(query_file), str(seconds),
                           str(CONCURRENCY), *([str(variables_file)] if variables_file else [])], cwd=ROOT,
                          env=env, capture_output=True, check=True, timeout=seconds + 120)
    return json.loads(done.stdout)


def run(report: Callable[..., None]) -> None:
    """req/s, p50 and p99 of the bare ceiling and of farmgate, and the servers' peak RSS."""
    seconds = scale.current().seconds
    with scratch_database() as url, tempfile.TemporaryDirectory() as scratch:
        system = build_system(Settings(database_url=url, env="test"))
        try:
            listings(system)
            system.catch_up()
        finally:
            system.close()
        query_file = Path(scratch) / "page.graphql"
        query_file.write_text(PAGE)
        env = {**os.environ, "FARMGATE_DATABASE_URL": url, "FARMGATE_BROKER_URL": BROKER_URL,
               "FARMGATE_JWT_SECRET": SECRET, "FARMGATE_ENV": "test", "FARMGATE_LOG_LEVEL": "WARNING"}
        port = free_port()
        farmgate_url = f"http://127.0.0.1:{port}/graphql"
        with server(["-m", "farmgate.deploy", "serve", "--host", "127.0.0.1", "--port", str(port)], env,
                    farmgate_url) as process:
            payload = httpx.post(farmgate_url, json={"query": PAGE}, timeout=30).json()
            assert not payload.get("errors"), payload["errors"]
            assert len(payload["data"]["listings"]["edges"]) == 20
            ours = load(farmgate_url, query_file, seconds)
            farmgate_rss = peak_rss_mib(process.pid)
        payload_file = Path(scratch) / "payload.json"
        payload_file.write_text(json.dumps(payload["data"]))
        port = free_port()
        bare_url = f"http://127.0.0.1:{port}/graphql"
        with server(["-m", "tests.bench.bare_strawberry", str(payload_file), str(port)], dict(os.environ),
                    bare_url) as process:
            bare = load(bare_url, query_file, seconds)
            bare_rss = peak_rss_mib(process.pid)
    name = f"page of 20 listings over HTTP, 1 process, {CONCURRENCY} concurrent"
    report(f"bare strawberry, same page from memory, {CONCURRENCY} concurrent: requests", bare["per_second"], "req/s")
    report(f"bare strawberry: p50", bare["p50_ms"], "ms")
    report(f"bare strawberry: p99", bare["p99_ms"], "ms")
    report(f"{name}: requests", ours["per_second"], "req/s", ceiling=bare["per_second"])
    report(f"{name}: p50", ours["p50_ms"], "ms")
    report(f"{name}: p99", ours["p99_ms"], "ms", goal=50)
    report(f"{name}: failed requests", ours["failed"] + bare["failed"], "requests")
    report("peak RSS, farmgate serve process", farmgate_rss, "MiB")
    report("peak RSS, bare strawberry process", bare_rss, "MiB")
    report("peak RSS, load generator process", max(ours["peak_rss_mib"], bare["peak_rss_mib"]), "MiB")
