"""Internal faults reach the client as one masked message with the request id, and the log."""

from __future__ import annotations

import io
import json
import logging

import strawberry
import structlog

from farmgate.deploy.logging import configure_logging
from farmgate.graphql.errors import CodedError, MaskInternalErrors


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("connection to 10.0.0.5 failed for household 020123456789")

    @strawberry.field
    def refused(self) -> str:
        raise CodedError("Your role may not do this", "FORBIDDEN")


def test_internal_errors_are_masked_and_logged_with_the_request_id() -> None:
    stream = io.StringIO()
    kept = logging.getLogger().handlers[:]
    configure_logging("json", stream=stream, level=logging.INFO)
    structlog.contextvars.bind_contextvars(request_id="req-abc-123")
    try:
        result = strawberry.Schema(query=Query, extensions=[MaskInternalErrors]).execute_sync("{ broken }")
    finally:
        structlog.contextvars.clear_contextvars()
        logging.getLogger().handlers = kept  # the session's log file
    error = result.errors[0]
    assert error.message == "Internal error (request req-abc-123)"
    assert error.extensions == {"code": "INTERNAL", "requestId": "req-abc-123"}
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    logged = next(line for line in lines if line["event"] == "graphql_internal_error")
    assert logged["request_id"] == "req-abc-123" and "RuntimeError" in logged["exception"]
    assert "020123456789" not in stream.getvalue()


def test_client_errors_keep_their_message_and_code() -> None:
    result = strawberry.Schema(query=Query, extensions=[MaskInternalErrors]).execute_sync("{ refused }")
    assert result.errors[0].message == "Your role may not do this"
    assert result.errors[0].extensions == {"code": "FORBIDDEN"}
