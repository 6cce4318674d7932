"""Request ids, access logs, Prometheus metrics and the projections' state for the HTTP app."""

from __future__ import annotations

import re
import threading
import time
import secrets
from collections.abc import Callable
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from farmgate.core import tracing
from farmgate.core.projections.status import FollowerState

log = structlog.get_logger("farmgate.http")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


class RequestIdMiddleware:
    """Gives each request an id (a sane X-Request-ID from the client, or a new one), binds it to
    every log line, returns it in X-Request-ID, and logs one line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        # Not hex: a uuid4 hex has a run of 10+ digits one time in twenty, which the log's personal-
        # data scrubber takes for a phone number and redacts, cutting the id out of its log lines.
        request_id = given if _SAFE_REQUEST_ID.match(given) else secrets.token_urlsafe(16)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        websocket = scope["type"] == "websocket"
        # HTTP: the response status (500 if none was sent). WebSocket: how the connection ended —
        # the close code either side sent (1006 if it just dropped), 403 if the handshake was refused.
        status = {"code": 1006 if websocket else 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            elif message["type"] == "websocket.accept":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                status["accepted"] = 1
            elif message["type"] == "websocket.close":
                status["code"] = int(message.get("code", 1000)) if status.get("accepted") else 403
            await send(message)

        async def receive_close_code() -> Message:
            message = await receive()
            if message["type"] == "websocket.disconnect" and status["code"] == 1006:
                status["code"] = int(message.get("code", 1005))
            return message

        path = scope.get("path", "")
        method = "WS" if websocket else scope.get("method", "GET")
        with tracing.span(f"{method} {_path_label(path)}", kind=SpanKind.SERVER,
                          **{"http.request.method": method, "http.route": _path_label(path)}) as request_span:
            try:
                await self.app(scope, receive_close_code if websocket else receive, send_with_id)
            finally:
                request_span.set_attribute("websocket.close_code" if websocket else "http.response.status_code",
                                           status["code"])
                self._finished(scope, websocket, path, status["code"], started)

    def _finished(self, scope: Scope, websocket: bool, path: str, code: int, started: float) -> None:
        """Count and log one finished request (or WebSocket connection)."""
        elapsed = time.perf_counter() - started
        if websocket:
            self.metrics.observe_websocket(path, code, elapsed)
        else:
            self.metrics.observe(path, code, elapsed)
        if path not in ("/healthz", "/metrics"):
            log.info("request", method=scope.get("method", "WS"), path=path, status=code,
                     duration_ms=round(elapsed * 1000, 2))


class FollowerWatch:
    """The projections' and process steps' state as last read, refreshed by a thread of its own
    every ``interval`` seconds: /metrics and /projections answer from it at once, even while the
    database is slow or gone (``age_seconds`` then grows, and says so)."""

    def __init__(self, read: Callable[[], list[FollowerState]], interval: float = 2.0):
        self.read = read
        self.interval = interval
        self.states: list[FollowerState] = []
        self.observed_at: float | None = None  # time.time() of the last successful read
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        self.states = self.read()
        self.observed_at = time.time()

    def age_seconds(self) -> float | None:
        return None if self.observed_at is None else max(0.0, time.time() - self.observed_at)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="follower-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                self.refresh()
                failing = False
            except Exception:  # noqa: BLE001 - the gauges keep their last values; logged once per outage
                if not failing:
                    log.warning("projection_state_unavailable", exc_info=True)
                failing = True
            self._stop.wait(self.interval)


class FollowerCollector:
    """Prometheus gauges from the FollowerWatch: never a database read at scrape time."""

    def __init__(self, watch: FollowerWatch):
        self.watch = watch

    def collect(self) -> Any:
        labels = ["projection", "kind"]
        families = {
            "lag_events": GaugeMetricFamily("farmgate_projection_lag_events",
                                            "Events recorded but not yet applied", labels=labels),
            "lag_seconds": GaugeMetricFamily("farmgate_projection_lag_seconds",
                                             "Seconds since the oldest event not yet applied was recorded",
                                             labels=labels),
            "position": GaugeMetricFamily("farmgate_projection_position", "Last notification id applied",
                                          labels=labels),
            "stalled": GaugeMetricFamily("farmgate_projection_stalled",
                                         "1 while stopped at an event it cannot apply", labels=labels),
        }
        for state in self.watch.states:
            key = [state.name, state.kind]
            families["lag_events"].add_metric(key, state.lag_events)
            families["lag_seconds"].add_metric(key, state.lag_seconds)
            families["position"].add_metric(key, state.position)
            families["stalled"].add_metric(key, 1 if state.stall else 0)
        yield from families.values()
        age = self.watch.age_seconds()
        if age is not None:
            yield GaugeMetricFamily("farmgate_projection_state_age_seconds",
                                    "Seconds since the projection gauges were last read from the database",
                                    value=age)


#: psycopg-pool's ``get_stats`` keys: sizes now (gauges), and totals since the pool opened (counters)
POOL_GAUGES = {
    "pool_min": "Connections the pool keeps open at least",
    "pool_max": "Connections the pool may open at most",
    "pool_size": "Connections open now (in use, idle or being prepared)",
    "pool_available": "Idle connections ready to be handed out",
    "requests_waiting": "Requests queued now for a connection",
}
POOL_COUNTERS = {
    "requests_num": "Connections requested from the pool",
    "requests_queued": "Requests that had to queue for a connection",
    "requests_wait_ms": "Milliseconds requests spent waiting for a connection",
    "requests_errors": "Requests that failed (timeout, pool closed)",
    "usage_ms": "Milliseconds connections were in use by clients",
    "returns_bad": "Connections returned to the pool in a bad state",
    "connections_num": "Connection attempts made to the server",
    "connections_ms": "Milliseconds spent connecting to the server",
    "connections_errors": "Failed connection attempts",
    "connections_lost": "Connections found broken by the pool's checks",
}


class PoolCollector:
    """The database connection pool's statistics (PostgreSQL; psycopg-pool's ``get_stats``) as
    ``farmgate_db_pool_*`` metrics: read from the pool's memory at scrape time, never a query.
    Nothing on SQLite (``stats`` returns None)."""

    def __init__(self, stats: Callable[[], dict[str, int] | None]):
        self.stats = stats

    def collect(self) -> Any:
        stats = self.stats()
        if stats is None:
            return
        for key, help_text in POOL_GAUGES.items():
            yield GaugeMetricFamily(f"farmgate_db_pool_{key}", help_text, value=stats.get(key, 0))
        for key, help_text in POOL_COUNTERS.items():
            yield CounterMetricFamily(f"farmgate_db_pool_{key}", help_text, value=stats.get(key, 0))


class Metrics:
    """The API process's Prometheus registry: HTTP and WebSocket counts and latencies, the
    projections' state (``watch``) and, when given, the database pool's statistics (``pool_stats``)."""

    def __init__(self, watch: FollowerWatch, pool_stats: Callable[[], dict[str, int] | None] | None = None):
        self.registry = CollectorRegistry()
        self.requests = Counter("farmgate_http_requests", "HTTP requests", ["path", "status"], registry=self.registry)
        self.latency = Histogram("farmgate_http_request_seconds", "HTTP request latency", ["path"],
                                 registry=self.registry)
        self.websockets = Counter("farmgate_websocket_connections", "WebSocket connections, by how they closed",
                                  ["path", "close_code"], registry=self.registry)
        self.websocket_seconds = Histogram("farmgate_websocket_connection_seconds", "How long WebSocket connections "
                                           "stayed open", ["path"], registry=self.registry,
                                           buckets=(1, 10, 60, 300, 1800, 3600, 6 * 3600, float("inf")))
        self.registry.register(FollowerCollector(watch))
        if pool_stats is not None:
            self.registry.register(PoolCollector(pool_stats))

    def observe(self, path: str, status: int, seconds: float) -> None:
        label = _path_label(path)
        self.requests.labels(label, str(status)).inc()
        self.latency.labels(label).observe(seconds)

    def observe_websocket(self, path: str, close_code: int, seconds: float) -> None:
        """A WebSocket connection that ended with ``close_code`` (RFC 6455 §7.4; 4401 token expired;
        403: the handshake was refused) after ``seconds``."""
        label = _path_label(path)
        self.websockets.labels(label, str(close_code)).inc()
        self.websocket_seconds.labels(label).observe(seconds)


def _path_label(path: str) -> str:
    return path if path in ("/graphql", "/healthz", "/readyz", "/metrics", "/projections") else "other"
