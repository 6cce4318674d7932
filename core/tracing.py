"""OpenTelemetry spans of farmgate's units of work: HTTP requests, commands (application-service
calls), projection batches and worker jobs, each carrying the request id that caused it.

Spans go to whatever tracer provider is installed (``farmgate.deploy.tracing.install_tracing``, only
when FARMGATE_OTLP_ENDPOINT is set); with none installed OpenTelemetry's API hands out its
non-recording tracer, so a span here costs a few attribute look-ups and sends nothing.

Attribute names follow the OpenTelemetry semantic conventions where one exists
(``http.request.method``, ``url.path``, ``http.response.status_code``, ``messaging.message.id``);
farmgate's own are under ``farmgate.``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace

TRACER_NAME = "farmgate"
#: the request id of the HTTP request (or job) the span belongs to; the events' correlation id
REQUEST_ID = "farmgate.request_id"
#: a projection batch: the distinct request ids of the events it applied
REQUEST_IDS = "farmgate.request_ids"


def tracer() -> trace.Tracer:
    """farmgate's tracer from the installed provider (the API's no-op one when none is installed)."""
    return trace.get_tracer(TRACER_NAME)


def current_request_id() -> str | None:
    """The request id bound to this context's log lines (``structlog.contextvars``), if any."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return None if value is None else str(value)


@contextmanager
def span(name: str, kind: trace.SpanKind = trace.SpanKind.INTERNAL, **attributes: Any) -> Iterator[trace.Span]:
    """A span named ``name``, child of the current one, with ``attributes`` (None values left out)
    and the current request id; an exception leaving it is recorded and sets the status to ERROR."""
    request_id = current_request_id()
    if request_id is not None:
        attributes.setdefault(REQUEST_ID, request_id)
    clean = {key: value for key, value in attributes.items() if value is not None}
    with tracer().start_as_current_span(name, kind=kind, attributes=clean) as current:
        yield current
