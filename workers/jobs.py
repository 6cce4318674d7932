"""Every actor module and periodic job of the worker, in one list for the worker to import."""

from __future__ import annotations

import importlib

from farmgate.workers.scheduler import Periodic

ACTOR_MODULES = ["farmgate.workers.maintenance", "farmgate.workers.webhooks", "farmgate.workers.export_sla",
                 "farmgate.workers.promise_watchdog", "farmgate.workers.claim_deadlines", "farmgate.workers.audit_anchors",
                 "farmgate.workers.household_imports",
                 "farmgate.workers.buyer_retention"]


def periodic_jobs(promise_watchdog_seconds: float = 30.0, audit_anchor_seconds: float = 300.0) -> list[Periodic]:
    """The scheduler's jobs and their intervals in seconds; the watchdog's is a setting
    (FARMGATE_PROMISE_WATCHDOG_SECONDS): spoilage is declared at most that long after a promise passes;
    so is the audit log's seal (FARMGATE_AUDIT_ANCHOR_SECONDS): an event stays unsealed at most that long."""
    return [
        Periodic("purge_idempotency_keys", every_seconds=3600),
        Periodic("dispatch_webhooks", every_seconds=1),
        Periodic("backfill_webhooks", every_seconds=2),
        Periodic("refresh_export_sla", every_seconds=60),
        Periodic("promise_watchdog", every_seconds=promise_watchdog_seconds),
        Periodic("claim_deadlines", every_seconds=60),
        Periodic("seal_audit_log", every_seconds=audit_anchor_seconds),
        Periodic("resume_household_imports", every_seconds=2),
        Periodic("buyer_retention", every_seconds=3600),
    ]


def import_actors() -> None:
    for module in ACTOR_MODULES:
        importlib.import_module(module)
