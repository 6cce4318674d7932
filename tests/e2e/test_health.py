"""Health that answers when the database does not: an API on PostgreSQL through a proxy the test
cuts, both ways a database goes away (frozen network, refused connections). /readyz says 503
within its bound, /metrics and /projections answer at once with the last gauges (and their age),
/healthz stays up; when the database is back, /readyz says ready again.

The bounds are the HTTP client's timeouts: a hang fails the request, nothing is timed by hand."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.e2e.server import Api, running_api
from tests.e2e.tcp_proxy import TcpProxy, proxy_to
from tests.e2e.receiver import wait_until
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

READY_WITHIN = httpx.Timeout(2.0)
METRICS_WITHIN = httpx.Timeout(1.0)


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[Api, TcpProxy]]:
    with fresh_postgres_database(postgres_admin_url()) as url:
        parts = urlsplit(url)
        with proxy_to(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
            netloc = f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"
            through = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
            with running_api(through, broker_url=redis_url(), name="health-postgres") as api:
                yield api, proxy


@pytest.mark.parametrize("hang", [True, False], ids=["frozen network", "refused connections"])
def test_readyz_and_metrics_answer_while_the_database_is_gone(proxied: tuple[Api, TcpProxy], hang: bool) -> None:
    api, proxy = proxied
    client = api.client
    assert client.get(api.url + "/readyz", timeout=READY_WITHIN).json() == {"status": "ready", "database": "ok"}
    wait_until(lambda: "farmgate_projection_lag_events{" in client.get(api.url + "/metrics").text,
               "the first projection gauges")

    proxy.cut(hang=hang)
    try:
        for _ in range(3):  # every probe, not just the first
            ready = client.get(api.url + "/readyz", timeout=READY_WITHIN)
            assert (ready.status_code, ready.json()) == (503, {"status": "unavailable", "database": "unreachable"})
            metrics = client.get(api.url + "/metrics", timeout=METRICS_WITHIN)
            assert metrics.status_code == 200
            assert "farmgate_projection_lag_events{" in metrics.text  # the last known values
            assert "farmgate_projection_state_age_seconds" in metrics.text
            state = client.get(api.url + "/projections", timeout=METRICS_WITHIN).json()
            assert state["followers"] and state["observedSecondsAgo"] is not None
            assert client.get(api.url + "/healthz", timeout=METRICS_WITHIN).status_code == 200
    finally:
        proxy.restore()
    wait_until(lambda: client.get(api.url + "/readyz", timeout=READY_WITHIN).status_code == 200,
               "readiness once the database is back", timeout=30)
