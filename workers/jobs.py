"""Every actor module and periodic job of the worker, in one list for the worker to import."""

from __future__ import annotations

import importlib

from farmgate.workers.scheduler import Periodic

ACTOR_MODULES = ["farmgate.workers.maintenance"]

PERIODIC = [Periodic("purge_idempotency_keys", every_seconds=3600)]


def import_actors() -> None:
    for module in ACTOR_MODULES:
        importlib.import_module(module)
