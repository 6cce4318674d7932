"""Installing OpenTelemetry tracing when FARMGATE_OTLP_ENDPOINT is set (off by default).

Spans are batched and sent over OTLP/HTTP (protobuf) to ``<endpoint>/v1/traces`` (the OTLP
specification's default path), with the resource's ``service.name`` from FARMGATE_OTEL_SERVICE_NAME.
Nothing is installed when the endpoint is unset: OpenTelemetry's API then keeps its no-op provider
and farmgate's spans (``farmgate.core.tracing``) record nothing.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from farmgate.deploy.settings import Settings


def tracer_provider(service_name: str, exporter: SpanExporter) -> TracerProvider:
    """A provider batching its spans to ``exporter`` (not installed: see ``install_tracing``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("farmgate")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without the package installed
        release = "0"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name, SERVICE_VERSION: release}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def install_tracing(settings: Settings) -> TracerProvider | None:
    """Install the global tracer provider exporting to ``settings.otlp_endpoint``; None (nothing
    installed) when it is unset. OpenTelemetry allows one global provider per process: a second
    call keeps the first (and OpenTelemetry logs a warning)."""
    if settings.otlp_endpoint is None:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    provider = tracer_provider(settings.otel_service_name, OTLPSpanExporter(endpoint=endpoint))
    trace.set_tracer_provider(provider)
    return provider
