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

        try:
            await self.app(scope, receive_close_code if websocket else receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            path = scope.get("path", "")
            if websocket:
                self.metrics.observe_websocket(path, status["code"], elapsed)
            else:
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
        self.websockets = Counter("farmgate_websocket_connections", "WebSocket connections, by how they closed",
                                  ["path", "close_code"], registry=self.registry)
        self.websocket_seconds = Histogram("farmgate_websocket_connection_seconds", "How long WebSocket connections "
                                           "stayed open", ["path"], registry=self.registry,
                                           buckets=(1, 10, 60, 300, 1800, 3600, 6 * 3600, float("inf")))
        self.registry.register(ProjectionLagCollector(system))

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
    return path if path in ("/graphql", "/healthz", "/readyz", "/metrics") else "other"
