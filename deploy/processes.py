"""Process types: the API server, the projector, the worker. Each builds the system it needs."""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from typing import Any

import dramatiq
import structlog

from farmgate.core.application import Clock
from farmgate.deploy.clock import clock_from
from farmgate.deploy.container import System, build_system
from farmgate.deploy.logging import configure_logging
from farmgate.deploy.settings import Settings
from farmgate.deploy.tracing import install_tracing
from farmgate.workers.broker import make_broker
from farmgate.workers.jobs import import_actors, periodic_jobs
from farmgate.workers.runtime import bind_system
from farmgate.workers import worker_metrics
from farmgate.workers.scheduler import Scheduler

log = structlog.get_logger("farmgate.deploy")


@dataclass
class Workers:
    broker: dramatiq.Broker
    worker: dramatiq.Worker
    scheduler: Scheduler
    metrics_server: Any = None

    def stop(self) -> None:
        from farmgate.workers.webhooks import SharedClient

        self.scheduler.stop()
        self.worker.stop(timeout=5000)
        SharedClient.close()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
            worker_metrics.remove_directory()


def start_workers(system: System, threads: int = 4, metrics: bool = False) -> Workers:
    """Bind the system, make the broker, import actors, start consuming and scheduling. With
    ``metrics`` (``farmgate worker`` with FARMGATE_WORKER_METRICS_PORT; ``worker_metrics.prepare``
    already called), dramatiq's Prometheus metrics are served on 127.0.0.1:<port>."""
    bind_system(system)
    broker = make_broker(system.settings.broker_url)
    metrics_server = None
    if metrics and system.settings.worker_metrics_port is not None:
        worker_metrics.add_to(broker)
        metrics_server = worker_metrics.serve(system.settings.worker_metrics_port)
    import_actors()
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=200)
    worker.start()
    scheduler = Scheduler(broker, periodic_jobs(system.settings.promise_watchdog_seconds,
                                                system.settings.audit_anchor_seconds))
    scheduler.start()
    log.info("workers_started", broker=system.settings.broker_url.split("://")[0], threads=threads,
             metrics_port=system.settings.worker_metrics_port if metrics_server else None)
    return Workers(broker, worker, scheduler, metrics_server)


def boot(settings: Settings, clock: Clock | None = None) -> System:
    """Logging configured, the system built on ``clock`` (default: the test clock file's, or the real time)."""
    configure_logging(settings.log_format, settings.is_production, level=settings.logging_level)
    install_tracing(settings)
    return build_system(settings, clock=clock or clock_from(settings.test_clock_file))


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from farmgate.graphql.app import create_app
    from farmgate.workbench.app import workbench_routes

    system = boot(settings)
    workers = None
    if settings.is_embedded:
        system.projector.start()
        system.policies.start()
        workers = start_workers(system)
    app = create_app(system, extra_routes=workbench_routes(system))
    where = f"http://{host}:{port}/graphql"
    print(f"\n  farmgate is serving GraphQL at {where}" + (" (GraphiQL: open it in a browser)" if not settings.is_production else ""),
          flush=True)
    print(f"  the workbench (dispute staff, province officers): http://{host}:{port}/workbench/", flush=True)
    print("  get a token:  .venv/bin/farmgate token --role ADMIN --subject you\n", flush=True)
    log.info("serving", url=where, embedded=settings.is_embedded, database=settings.database_url.split(":")[0])
    try:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, ws="websockets-sansio")
    finally:
        if workers:
            workers.stop()
        system.close()


def run_projector(settings: Settings) -> None:
    system = boot(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    system.projector.start()
    system.policies.start()
    log.info("projector_running", projections=[p.tracking_name for p in system.projector.projections])
    stop.wait()
    system.close()


def run_worker(settings: Settings, threads: int) -> None:
    system = boot(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    workers = start_workers(system, threads, metrics=True)
    stop.wait()
    workers.stop()
    system.close()
