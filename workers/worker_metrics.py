"""The worker's Prometheus metrics: dramatiq's own Prometheus middleware, served on 127.0.0.1.

How dramatiq's middleware (``dramatiq.middleware.prometheus.Prometheus``) works, and what farmgate
does about each part:

- It counts messages, errors, retries, rejects, in-progress and delayed messages and a duration
  histogram per queue and actor, in prometheus_client's *multiprocess* mode: values live in files
  under ``$dramatiq_prom_db`` (default ``<tmp>/dramatiq-prometheus``, shared by every worker on the
  machine). farmgate gives each worker process a fresh directory of its own (``prepare``), so a
  dead process's files are never summed into a live one's gauges.
- Multiprocess mode is chosen when prometheus_client is first imported (``PROMETHEUS_MULTIPROC_DIR``
  must be set by then), so ``prepare`` runs before anything imports it (``farmgate worker`` calls it
  first thing) and refuses if it is too late.
- It sets its metrics up on the ``process_boot`` signal, which only dramatiq's own command line
  sends; farmgate's worker runs ``dramatiq.Worker`` itself, so ``add_to`` sends that signal to it.
- Its HTTP exposition server is a *fork* started by dramatiq's command line, bound to
  ``$dramatiq_prom_host`` (default 0.0.0.0) port 9191: unused here. ``serve`` exposes the same
  files with prometheus_client's own server in a thread, bound to 127.0.0.1 only, on
  FARMGATE_WORKER_METRICS_PORT.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

import dramatiq

#: the environment variables naming the metrics directory (prometheus_client's, dramatiq's)
DIRECTORY_VARIABLES = ("PROMETHEUS_MULTIPROC_DIR", "dramatiq_prom_db")
HOST = "127.0.0.1"


def prepare() -> str:
    """A fresh metrics directory for this process, named in the environment; returns its path.

    Raises RuntimeError when prometheus_client was already imported (its mode is then fixed)."""
    if "prometheus_client" in sys.modules and os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None:
        raise RuntimeError("worker metrics: prometheus_client was imported before its multiprocess "
                           "directory was set; call worker_metrics.prepare() first")
    directory = tempfile.mkdtemp(prefix="farmgate-worker-metrics-")
    for name in DIRECTORY_VARIABLES:
        os.environ[name] = directory
    return directory


def add_to(broker: dramatiq.Broker) -> dramatiq.Middleware:
    """dramatiq's Prometheus middleware, added to ``broker`` and set up (its ``process_boot``)."""
    from dramatiq.middleware.prometheus import Prometheus

    middleware = Prometheus()
    broker.add_middleware(middleware)
    middleware.after_process_boot(broker)
    return middleware


def serve(port: int) -> Any:
    """Serve the metrics of ``prepare``'s directory at http://127.0.0.1:<port>/ from a daemon
    thread; returns the server (``shutdown()`` stops it). Raises OSError when the port is taken."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=os.environ["PROMETHEUS_MULTIPROC_DIR"])
    server, _thread = start_http_server(port, addr=HOST, registry=registry)
    return server


def remove_directory() -> None:
    """Delete ``prepare``'s directory (the worker is stopping: its values die with it)."""
    directory = os.environ.get("dramatiq_prom_db")
    if directory and os.path.basename(directory).startswith("farmgate-worker-metrics-"):
        shutil.rmtree(directory, ignore_errors=True)
