"""Partner webhooks: a periodic dispatcher that queues the deliveries that are due, and the delivery
itself: claim the row, POST the signed body, record the outcome (retry with backoff on failure).

At-least-once: a partner may receive one event twice (a 2xx lost on the way back, a worker stopped
mid-send), always under the same X-Farmgate-Event-Id and with the retry's reason recorded here; it
de-duplicates on that id. In order per export order: the outbox hands out only the first undelivered
delivery of each order, and a delivered one hands the next of its order straight on.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

import dramatiq
import httpx
import structlog

from farmgate.core.domain.personal_data import mask_personal
from farmgate.core.domain.webhook_endpoint import signature
from farmgate.core.history import record_of
from farmgate.graphql.ids import to_global_id
from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.webhooks")

#: deliveries the dispatcher queues per tick (each export order contributes at most its next one)
DISPATCH_BATCH = 500


def retry_delay(attempts: int, base_seconds: float, cap_seconds: float) -> float:
    """Exponential backoff: base after the first failed attempt, doubling, never above the cap."""
    return min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1))


def delivery_body(app: Any, row: dict[str, Any]) -> bytes:
    """The raw JSON a partner receives: the event as the API's EventRecord shows it to the partner,
    with the ids it knows. Built from the stored event, so every attempt sends the same bytes."""
    order_id, version = UUID(row["export_order_id"]), int(row["aggregate_version"])
    stored = app.recorder.select_events(order_id, gt=version - 1, lte=version, limit=1)
    record = record_of(app.mapper.to_domain_event(stored[0]))
    order = to_global_id("ExportOrder", order_id)
    document = {
        "eventId": row["event_id"],
        "deliveryId": to_global_id("WebhookDelivery", row["id"]),
        "exportOrderId": order,
        "partnerId": to_global_id("ExportPartner", row["partner_id"]),
        "event": {
            "stream": record.stream,
            "aggregateId": order,
            "version": record.version,
            "type": record.type,
            "occurredAt": record.occurred_at.isoformat() if record.occurred_at else None,
            "recordedAt": record.recorded_at.isoformat() if record.recorded_at else None,
            "actor": record.actor,
            # The partner is a party to its orders: it sees what it would see in the API.
            "data": mask_personal(record.data, True),
            "hash": record.hash,
        },
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """None when the partner took it (2xx); otherwise why not, without the URL or the body."""
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {str(error)[:200]}"
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def send_delivery(system: Any, delivery_id: UUID) -> bool:
    """One attempt at one delivery; True if it was delivered now."""
    settings, outbox, clock = system.settings, system.webhooks, system.app.clock
    now = clock()
    # The lease outlives the longest attempt, so a live attempt is never taken over.
    token = outbox.claim(delivery_id, now, now + timedelta(seconds=settings.webhook_timeout_seconds * 2 + 5))
    if token is None:
        return False  # another worker has it, it is not due, or an earlier one of its order is pending
    row = outbox.by_ids([delivery_id])[delivery_id]
    endpoint = system.app.webhook_endpoint(UUID(row["partner_id"]))
    body = delivery_body(system.app, row)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "farmgate-webhooks",
        "X-Farmgate-Event-Id": row["event_id"],
        "X-Farmgate-Event-Type": row["event_type"],
        "X-Farmgate-Delivery-Attempt": str(row["attempts"]),
        "X-Farmgate-Timestamp": str(int(time.time())),
        "X-Farmgate-Signature": signature(endpoint.secret, body),
    }
    failure = _post(endpoint.url, body, headers, settings.webhook_timeout_seconds)
    fields = {"event_id": row["event_id"], "attempt": row["attempts"]}
    if failure is None:
        outbox.delivered(delivery_id, token, clock())
        log.info("webhook_delivered", **fields)
        # Hand the next event of this order straight on, rather than wait for the dispatcher's tick.
        for following in outbox.due(clock(), 1, UUID(row["export_order_id"])):
            deliver_webhook.send(str(following))
        return True
    if row["attempts"] >= settings.webhook_max_attempts:
        outbox.failed(delivery_id, token, failure, None)
        log.warning("webhook_delivery_gave_up", reason=failure, **fields)
    else:
        delay = retry_delay(row["attempts"], settings.webhook_backoff_seconds, settings.webhook_max_backoff_seconds)
        outbox.failed(delivery_id, token, failure, clock() + timedelta(seconds=delay))
        log.warning("webhook_delivery_failed", reason=failure, retry_in_seconds=delay, **fields)
    return False


@dramatiq.actor(actor_name="deliver_webhook", max_retries=0, time_limit=120_000)
def deliver_webhook(delivery_id: str) -> None:
    # No broker retries: the outbox row keeps the attempts, the backoff and the reason.
    send_delivery(current_system(), UUID(delivery_id))


@dramatiq.actor(actor_name="dispatch_webhooks", max_retries=0, time_limit=60_000)
def dispatch_webhooks() -> None:
    """Queue every delivery that is due; a lost or duplicated message is harmless (claims are atomic)."""
    system = current_system()
    for delivery_id in system.webhooks.due(system.app.clock(), DISPATCH_BATCH):
        deliver_webhook.send(str(delivery_id))
