"""Our schema extensions' hooks fail closed: an internal fault inside one (a bug in the cost check,
in the masking itself, in the read-model note) reaches the client as the masked INTERNAL error with
the request id, never as its own message, and the log has it with the request id. A fault before
the operation ran stops it: nothing is recorded. Faults are injected by replacing a function of
ours in this process; the database is real (SQLite)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from farmgate.deploy.container import System
from farmgate.deploy.logging import configure_logging
from farmgate.graphql import consistency, errors, perimeter
from farmgate.graphql.auth import Principal
from farmgate.graphql.context import Context
from farmgate.graphql.schema import schema

REQUEST_ID = "req-fault-7"
SECRET = "connection to 10.0.0.5 refused for household 020123456789"
ADMIN = Principal("ADMIN", "root")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    configure_logging("json", stream=stream, level=logging.INFO)
    structlog.contextvars.bind_contextvars(request_id=REQUEST_ID)
    try:
        yield stream
    finally:
        structlog.contextvars.clear_contextvars()
        root.handlers, level = kept
        root.setLevel(level)


def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError(SECRET)


def run(system: System, query: str, principal: Principal | None = None) -> Any:
    context = Context(system=system, request_id=REQUEST_ID, principal=principal)
    return asyncio.run(schema.execute(query, context_value=context))


def assert_failed_closed(result: Any, stream: io.StringIO, hook: str) -> None:
    assert result.data is None
    assert [(e.message, e.extensions) for e in result.errors] == [
        (f"Internal error (request {REQUEST_ID})", {"code": "INTERNAL", "requestId": REQUEST_ID})]
    assert SECRET not in json.dumps([e.formatted for e in result.errors])
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    faults = [line for line in logged if line["event"] == "graphql_extension_fault"]
    assert [(f["hook"], f["request_id"], f["error_type"]) for f in faults] == [(hook, REQUEST_ID, "RuntimeError")]
    assert "RuntimeError" in faults[0]["exception"]


def test_a_fault_in_the_cost_check_stops_the_operation_masked(sqlite_system: System, log_lines: io.StringIO,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(perimeter, "query_cost", boom)
    head = sqlite_system.app.recorder.max_notification_id() or 0
    result = run(sqlite_system, 'mutation { registerExportPartner(input: {name: "Praha Fresh", country: "CZ"}) {'
                                " partnerId userErrors { code } } }", ADMIN)
    assert_failed_closed(result, log_lines, "Perimeter.on_validate")
    # The check did not run, so neither did the mutation.
    assert (sqlite_system.app.recorder.max_notification_id() or 0) == head


def test_a_fault_in_the_masking_itself_answers_masked(sqlite_system: System, log_lines: io.StringIO,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A document with a validation error: the masker looks at that error, and fails doing so.
    monkeypatch.setattr(errors, "is_masked", boom)
    result = run(sqlite_system, "{ provinces(scheme: 2021) { nam } }")
    assert_failed_closed(result, log_lines, "MaskInternalErrors.on_operation")


def test_a_fault_in_an_extensions_results_answers_masked(sqlite_system: System, log_lines: io.StringIO,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consistency, "read_model_results", boom)
    result = run(sqlite_system, "{ provinces(scheme: 2021) { code } }")
    assert_failed_closed(result, log_lines, "ReadModelStatus.get_results")


def test_without_a_fault_the_same_requests_answer_as_usual(sqlite_system: System, log_lines: io.StringIO) -> None:
    result = run(sqlite_system, "{ provinces(scheme: 2021) { code } }")
    assert result.errors is None and len(result.data["provinces"]) == 63
    assert result.extensions["cost"]["requested"] > 0
    refused = run(sqlite_system, "{ provinces(scheme: 2021) { nam } }")
    assert refused.errors[0].extensions["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "graphql_extension_fault" not in log_lines.getvalue()
