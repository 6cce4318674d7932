"""A dramatiq middleware that carries the request id from where a job is enqueued to where it runs,
and wraps each job in an OpenTelemetry span (``farmgate.core.tracing``).

Enqueued inside a request (or another job), a message gets the request id in its options
(``farmgate_request_id``, kept by the Redis and RabbitMQ brokers with the message); the worker
binds it to the job's log lines and to its span ``job <actor>``. A job enqueued with no request
(the scheduler's periodic jobs) is traced under its message id.
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace

from farmgate.core import tracing

#: the message option holding the request id
REQUEST_ID_OPTION = "farmgate_request_id"


class JobTracing(dramatiq.Middleware):
    """Request id into each enqueued message; a span (kind CONSUMER) around each job processed.

    The span is ended when the job finishes, fails or is skipped; an exception is recorded on it.
    Dramatiq runs a message's before/after hooks on the same worker thread, so the span and the
    context tokens are kept per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def actor_options(self) -> set[str]:
        return {REQUEST_ID_OPTION}

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: Any) -> None:
        request_id = tracing.current_request_id()
        if request_id is not None and REQUEST_ID_OPTION not in message.options:
            message.options[REQUEST_ID_OPTION] = request_id

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        request_id = message.options.get(REQUEST_ID_OPTION) or f"job-{message.message_id}"
        log_tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        span = tracing.tracer().start_span(
            f"job {message.actor_name}", kind=trace.SpanKind.CONSUMER,
            attributes={tracing.REQUEST_ID: request_id, "messaging.system": "dramatiq",
                        "messaging.message.id": message.message_id,
                        "messaging.destination.name": message.queue_name, "farmgate.job": message.actor_name},
        )
        context_token = otel_context.attach(trace.set_span_in_context(span))
        self._local.current = (span, context_token, log_tokens)

    def after_process_message(self, broker: dramatiq.Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        current = getattr(self._local, "current", None)
        if current is None:
            return
        self._local.current = None
        span, context_token, log_tokens = current
        if exception is not None:
            span.record_exception(exception)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exception).__name__))
        otel_context.detach(context_token)
        structlog.contextvars.reset_contextvars(**log_tokens)
        span.end()

    after_skip_message = after_process_message
