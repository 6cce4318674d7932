"""OpenTelemetry spans, on SQLite and PostgreSQL, caught by an in-memory exporter (no traffic leaves
the process): a request, the command it runs, the projection batch that applies the command's
events and a worker job each produce their span carrying the request id. Off by default: with no
FARMGATE_OTLP_ENDPOINT no tracer provider is installed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import httpx
import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from farmgate.core.tracing import REQUEST_ID, REQUEST_IDS
from farmgate.deploy.container import System
from farmgate.deploy.settings import DEVELOPMENT_JWT_SECRET
from farmgate.graphql.app import create_app
from farmgate.graphql.auth import issue_token
from farmgate.workers.broker import make_broker
from farmgate.workers.job_tracing import REQUEST_ID_OPTION
from tests.e2e.receiver import wait_until
from tests.services import redis_url

REGISTER = """mutation($input: RegisterCarrierInput!) { registerCarrier(input: $input) {
  carrier { id name } userErrors { code message } } }"""

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider, exporting to memory (OpenTelemetry allows one per process:
    installed once, its exporter cleared before each test)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    yield _EXPORTER
    # The provider stays installed for the rest of the session; its exporter keeps nothing more.
    _EXPORTER.clear()
    _EXPORTER.shutdown()


@pytest.fixture
def exporter(spans: InMemorySpanExporter) -> InMemorySpanExporter:
    spans.clear()
    return spans


def post(system: System, query: str, variables: dict[str, Any], request_id: str) -> httpx.Response:
    """POST a GraphQL request to the API app in this process (no socket), as an admin."""
    token = issue_token(DEVELOPMENT_JWT_SECRET, "ADMIN", "tracing-test")

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(system))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post("/graphql", json={"query": query, "variables": variables},
                                     headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id})

    return asyncio.run(send())


def named(exporter: InMemorySpanExporter, prefix: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name.startswith(prefix)]


def test_a_request_and_its_command_are_spans_carrying_the_request_id(
        system: System, exporter: InMemorySpanExporter) -> None:
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    system.projector.start()
    try:
        response = post(system, REGISTER, {"input": {"name": f"Tracing Express {request_id}", "aliases": []}},
                        request_id)
    finally:
        system.projector.stop()
    body = response.json()
    assert body["data"]["registerCarrier"]["userErrors"] == [], body
    [request] = named(exporter, "POST /graphql")
    assert request.attributes[REQUEST_ID] == request_id
    assert request.attributes["http.response.status_code"] == 200
    assert request.kind == trace.SpanKind.SERVER
    [command] = named(exporter, "command registerCarrier")
    assert command.attributes[REQUEST_ID] == request_id
    assert command.attributes["farmgate.command.user_errors"] == 0
    assert command.attributes["farmgate.command.position"] > 0
    assert command.parent is not None and command.parent.span_id == request.context.span_id
    assert command.context.trace_id == request.context.trace_id


def test_a_refused_command_says_so_on_its_span(system: System, exporter: InMemorySpanExporter) -> None:
    response = post(system, REGISTER, {"input": {"name": " ", "aliases": []}}, "trace-refused-01")
    assert response.json()["data"]["registerCarrier"]["userErrors"], response.json()
    [command] = named(exporter, "command registerCarrier")
    assert command.attributes["farmgate.command.user_errors"] >= 1
    assert command.attributes["farmgate.command.position"] == 0


def test_a_projection_batch_is_a_span_naming_the_requests_of_its_events(
        system: System, exporter: InMemorySpanExporter) -> None:
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    # Recorded with the projector stopped: the batch is applied below, outside the request.
    post(system, REGISTER, {"input": {"name": f"Batch Express {request_id}", "aliases": []}}, request_id)
    exporter.clear()
    system.projector.run_once()
    batches = [span for span in named(exporter, "projection batch ")
               if request_id in (span.attributes.get(REQUEST_IDS) or ())]
    assert batches, [span.attributes for span in named(exporter, "projection batch ")]
    carriers = [span for span in batches if span.attributes["farmgate.projection"].startswith("carrier")]
    assert carriers, [span.attributes["farmgate.projection"] for span in batches]
    span = carriers[0]
    assert span.attributes["farmgate.batch.applied"] == span.attributes["farmgate.batch.events"] >= 1
    assert span.attributes["farmgate.batch.last"] > span.attributes["farmgate.batch.after"]


@pytest.mark.redis
def test_a_job_enqueued_in_a_request_is_a_span_carrying_its_request_id(exporter: InMemorySpanExporter) -> None:
    broker = make_broker(redis_url())
    queue = f"tracing-{uuid.uuid4().hex[:8]}"
    ran: list[str | None] = []

    def probe() -> None:
        ran.append(structlog.contextvars.get_contextvars().get("request_id"))

    actor = dramatiq.actor(probe, broker=broker, actor_name=f"probe_{queue}", queue_name=queue, max_retries=0)
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        message = actor.send()
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    assert message.options[REQUEST_ID_OPTION] == request_id
    worker = dramatiq.Worker(broker, queues={queue}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        wait_until(lambda: named(exporter, f"job probe_{queue}"), "the job's span", timeout=30)
    finally:
        worker.stop(timeout=5000)
        broker.flush(queue)
        broker.close()
    [job] = named(exporter, f"job probe_{queue}")
    assert job.attributes[REQUEST_ID] == request_id
    assert job.attributes["messaging.message.id"] == message.message_id
    assert job.kind == trace.SpanKind.CONSUMER
    assert ran == [request_id]  # the job's log lines carry the request id too


@pytest.mark.parametrize("endpoint, installed", [(None, "ProxyTracerProvider"),
                                                 ("http://127.0.0.1:9", "TracerProvider")])
def test_tracing_is_off_unless_an_otlp_endpoint_is_set(tmp_path: Any, endpoint: str | None, installed: str) -> None:
    # A process of its own: OpenTelemetry's global provider can be set once per process. No span is
    # made there, so nothing is sent even when an endpoint (a closed loopback port) is set.
    script = (
        "import json, sys\n"
        "from opentelemetry import trace\n"
        "from farmgate.deploy.processes import boot\n"
        "from farmgate.deploy.settings import Settings\n"
        "system = boot(Settings(**json.loads(sys.argv[1])))\n"
        "print(type(trace.get_tracer_provider()).__name__)\n"
        "system.close()\n"
    )
    values: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path}/off.db", "env": "test"}
    if endpoint is not None:
        values["otlp_endpoint"] = endpoint
    result = subprocess.run([sys.executable, "-c", script, json.dumps(values)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == installed
