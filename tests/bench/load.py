"""An HTTP load generator, run as a process of its own so it does not share a GIL with the server.

    python -m tests.bench.load URL QUERY_FILE SECONDS CONCURRENCY

POSTs the GraphQL query in ``QUERY_FILE`` to ``URL`` from ``CONCURRENCY`` asyncio tasks on one
keep-alive connection pool for ``SECONDS``; prints one JSON object: ``requests`` (answered 200
without ``errors``), ``failed``, ``seconds``, ``per_second``, ``p50_ms``, ``p99_ms``, ``peak_rss_mib``.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

import httpx

from tests.bench.pg import percentiles


async def hammer(url: str, query: str, seconds: float, concurrency: int) -> dict[str, float]:
    latencies_ms: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        stop = time.perf_counter() + seconds

        async def loop() -> None:
            nonlocal failed
            while time.perf_counter() < stop:
                started = time.perf_counter()
                answer = await client.post(url, json={"query": query})
                if answer.status_code == 200 and not answer.json().get("errors"):
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
    print(json.dumps(asyncio.run(hammer(url, Path(query_file).read_text(), seconds, concurrency))))
