"""Every actor module and periodic job of the worker, in one list for the worker to import."""

from __future__ import annotations

import importlib

from farmgate.workers.scheduler import Periodic

ACTOR_MODULES = ["farmgate.workers.maintenance", "farmgate.workers.webhooks", "farmgate.workers.export_sla",
                 "farmgate.workers.promise_watchdog", "farmgate.workers.claim_deadlines"]

PERIODIC = [
    Periodic("purge_idempotency_keys", every_seconds=3600),
    Periodic("dispatch_webhooks", every_seconds=1),
    Periodic("backfill_webhooks", every_seconds=2),
    Periodic("refresh_export_sla", every_seconds=60),
    Periodic("promise_watchdog", every_seconds=30),
    Periodic("claim_deadlines", every_seconds=60),
]


def import_actors() -> None:
    for module in ACTOR_MODULES:
        importlib.import_module(module)
