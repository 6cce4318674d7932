"""The database connection pool's statistics on the API's /metrics (psycopg-pool's get_stats):
on PostgreSQL its sizes and counters, moving as the pool is used; on SQLite (no pool) none."""

from __future__ import annotations

import asyncio
import re

import httpx

from farmgate.deploy.container import System
from farmgate.graphql.app import create_app


def scrape(system: System) -> str:
    """GET /metrics from the API app in this process (no socket)."""
    async def get() -> str:
        transport = httpx.ASGITransport(app=create_app(system))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            response = await client.get("/metrics")
            assert response.status_code == 200
            return response.text

    return asyncio.run(get())


def sample(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} is not on /metrics"
    return float(found.group(1))


def test_metrics_show_the_pool_stats_on_postgresql(postgres_system: System) -> None:
    before = scrape(postgres_system)
    pool = postgres_system.store._datastore.pool
    assert sample(before, "farmgate_db_pool_pool_max") == pool.max_size
    assert sample(before, "farmgate_db_pool_pool_min") == pool.min_size
    assert sample(before, "farmgate_db_pool_pool_size") >= 1
    assert sample(before, "farmgate_db_pool_requests_waiting") == 0
    for _ in range(3):
        postgres_system.store.query_one("SELECT 1 AS ok")
    after = scrape(postgres_system)
    assert sample(after, "farmgate_db_pool_requests_num_total") >= sample(before, "farmgate_db_pool_requests_num_total") + 3
    assert "# TYPE farmgate_db_pool_connections_num_total counter" in after


def test_sqlite_has_no_pool_to_show(sqlite_system: System) -> None:
    text = scrape(sqlite_system)
    assert "farmgate_http_requests" in text or "farmgate_projection" in text  # the page itself is there
    assert "farmgate_db_pool_" not in text
