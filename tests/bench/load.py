"""An HTTP load generator, run as a process of its own so it does not share a GIL with the server.

    python -m tests.bench.load URL QUERY_FILE SECONDS CONCURRENCY [VARIABLES_FILE]

POSTs the GraphQL query in ``QUERY_FILE`` (with the JSON variables in ``VARIABLES_FILE``: one object, or a list
of them taken in turn, and the
bearer token in the environment's ``BENCH_TOKEN`` if set) to ``URL`` from ``CONCURRENCY`` asyncio tasks on one
keep-alive connection pool for ``SECONDS``; prints one JSON object: ``requests`` (answered 200
without ``errors``), ``failed``, ``seconds``, ``per_second``, ``p50_ms``, ``p99_ms``, ``peak_rss_mib``.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.bench.pg import percentiles


async def hammer(url: str, query: str, seconds: float, concurrency: int,
                 variables: dict[str, Any] | list[dict[str, Any]] | None = None, token: str | None = None) -> dict[str, float]:
    latencies_ms: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    turns = variables if isinstance(variables, list) else [variables or {}]
    sent = 0
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=headers) as client:
        stop = time.perf_counter() + seconds

        async def loop() -> None:
            nonlocal failed, sent
            while time.perf_counter() < stop:
                started = time.perf_counter()
                sent += 1
                answer = await client.post(url, json={"query": query, "variables": turns[sent % len(turns)]})
                body = answer.json() if answer.status_code == 200 else {}
                data = body.get("data") or {}
                if answer.status_code == 200 and not body.get("errors") and not any(
                        isinstance(v, dict) and v.get("userErrors") for v in data.values()):
                    latencies_ms.append((time.perf_counter() - started) * 1000)
                else:
                    failed += 1

        began = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        took = time.perf_counter() - began
    p50, p99 = percentiles(latencies_ms) if latencies_ms else (0.0, 0.0)
    return {"requests": len(latencies_ms), "failed": failed, "seconds": took, "per_second": len(latencies_ms) / took,
            "p50_ms": p50, "p99_ms": p99, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    url, query_file, seconds, concurrency = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    given = json.loads(Path(sys.argv[5]).read_text()) if len(sys.argv) > 5 else None
    print(json.dumps(asyncio.run(hammer(url, Path(query_file).read_text(), seconds, concurrency, given,
                                        os.environ.get("BENCH_TOKEN")))))
