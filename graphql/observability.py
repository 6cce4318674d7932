"""Request ids, access logs and Prometheus metrics for the HTTP app."""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from farmgate.deploy.container import System

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
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            path = scope.get("path", "")
            self.metrics.observe(path, status["code"], elapsed)
            if path not in ("/healthz", "/metrics"):
                log.info("request", method=scope.get("method", "WS"), path=path, status=status["code"],
                         duration_ms=round(elapsed * 1000, 2))


class ProjectionLagCollector:
    """Projection lag, read at scrape time: events behind the log head, per projection."""

    def __init__(self, system: System):
        self.system = system

    def collect(self) -> Any:
        events = GaugeMetricFamily("farmgate_projection_lag_events", "Events recorded but not yet in the read model",
                                   labels=["projection"])
        position = GaugeMetricFamily("farmgate_projection_position", "Last notification id applied",
                                     labels=["projection"])
        try:
            for lag in self.system.projector.lags():
                events.add_metric([lag.projection], lag.events)
                position.add_metric([lag.projection], lag.position)
        except Exception:  # a scrape must not fail because the database blinked
            log.warning("projection_lag_unavailable")
        yield events
        yield position


class Metrics:
    def __init__(self, system: System):
        self.registry = CollectorRegistry()
        self.requests = Counter("farmgate_http_requests", "HTTP requests", ["path", "status"], registry=self.registry)
        self.latency = Histogram("farmgate_http_request_seconds", "HTTP request latency", ["path"],
                                 registry=self.registry)
        self.registry.register(ProjectionLagCollector(system))

    def observe(self, path: str, status: int, seconds: float) -> None:
        label = path if path in ("/graphql", "/healthz", "/readyz", "/metrics") else "other"
        self.requests.labels(label, str(status)).inc()
        self.latency.labels(label).observe(seconds)
