"""Webhooks: a periodic dispatcher that queues the deliveries that are due (each once, whichever
worker process takes it), the delivery itself (claim the row, check the destination, POST the body
signed to the Standard Webhooks spec, record the outcome, retry with backoff on failure), and the
backfill of events recorded before an endpoint asked for them.

At-least-once: a receiver may get one event twice (a 2xx lost on the way back, a worker stopped
mid-send), always under the same `webhook-id` and with the retry's reason recorded here; it
de-duplicates on that id. In order per endpoint and subject (export order, or order): the outbox
hands out only the first undelivered delivery of each, and a delivered one hands the next straight on.

Every send resolves the host again and connects to the address it just checked (TLS still verifies
the host name), so no delivery reaches a refused address, whatever the name resolves to by then.
The delivery log says what kind of failure happened, never which address or port answered.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import dramatiq
import httpx
import structlog

from farmgate.core.domain.personal_data import mask_personal
from farmgate.core.event_tail import EventTail, event_name_of
from farmgate.core.history import record_of
from farmgate.core.projections.webhook_outbox import AUDIT_ANCHOR, EXPORT_ORDER
from farmgate.core.webhook_destinations import DestinationPolicy, RefusedDestination, UnresolvableDestination
from farmgate.core.webhook_signing import signed_headers
from farmgate.core.webhook_topics import EXPORT_ORDER_TOPIC, TOPIC_OF_EVENT
from farmgate.graphql.ids import to_global_id
from farmgate.workers.runtime import current_system

log = structlog.get_logger("farmgate.webhooks")

#: deliveries the dispatcher queues per tick (each subject contributes at most its next one)
DISPATCH_BATCH = 500
#: a queued delivery is not queued again for this long (it waits in the broker, or its message was
#: lost), unless a worker takes it first: from then on its attempt's lease says when it is due again
QUEUED_FOR = timedelta(seconds=60)
#: the delivery log's words for what went wrong: kinds, never addresses, ports or the receiver's text
REFUSED_DESTINATION = "refused destination"
UNRESOLVABLE = "could not resolve the host"
CONNECT_FAILED = "could not connect"
TIMED_OUT = "timed out"
TLS_FAILED = "TLS handshake failed"
TRANSPORT_FAILED = "the connection failed"


def retry_delay(attempts: int, base_seconds: float, cap_seconds: float) -> float:
    """Exponential backoff: base after the first failed attempt, doubling, never above the cap."""
    return min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1))


class SharedClient:
    """One HTTP client (one connection pool) per worker process, made on first use."""

    _lock = threading.Lock()
    _client: httpx.Client | None = None

    @classmethod
    def get(cls, timeout: float) -> httpx.Client:
        with cls._lock:
            if cls._client is None:
                # No redirects (a 3xx could point anywhere), no proxies from the environment.
                cls._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
            return cls._client

    @classmethod
    def close(cls) -> None:
        with cls._lock:
            if cls._client is not None:
                cls._client.close()
                cls._client = None


def delivery_body(app: Any, row: dict[str, Any]) -> bytes:
    """The raw JSON a receiver gets: Standard Webhooks' `type` and `timestamp`, and the event as the
    API's EventRecord shows it to that party, with the ids it knows. Built from the stored event, so
    every attempt sends the same bytes. An audit anchor's body is the anchor as exported."""
    if row["subject_kind"] == AUDIT_ANCHOR:
        return anchor_body(app, row)
    aggregate_id, version = UUID(row["aggregate_id"]), int(row["aggregate_version"])
    stored = app.recorder.select_events(aggregate_id, gt=version - 1, lte=version, limit=1)
    record = record_of(app.mapper.to_domain_event(stored[0]))
    document: dict[str, Any] = {
        "type": row["topic"] if row["topic"] != EXPORT_ORDER_TOPIC else f"export_order.{record.type}",
        "timestamp": record.recorded_at.isoformat() if record.recorded_at else None,
        "eventId": row["event_id"],
        "deliveryId": to_global_id("WebhookDelivery", row["id"]),
        "event": {
            "stream": record.stream,
            "aggregateId": to_global_id(record.stream, aggregate_id),
            "version": record.version,
            "position": int(row["position"]),
            "type": record.type,
            "occurredAt": record.occurred_at.isoformat() if record.occurred_at else None,
            "recordedAt": record.recorded_at.isoformat() if record.recorded_at else None,
            "actor": record.actor,
            # The receiver is a party to these orders: it sees what it would see in the API.
            "data": mask_personal(record.data, True),
            "hash": record.hash,
        },
    }
    if row["subject_kind"] == EXPORT_ORDER:
        document["exportOrderId"] = to_global_id("ExportOrder", row["subject_id"])
        document["partnerId"] = to_global_id("ExportPartner", row["partner_id"])
    else:
        document["orderId"] = to_global_id("Order", row["subject_id"])
        document["marketplace"] = row["marketplace"]
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def anchor_body(app: Any, row: dict[str, Any]) -> bytes:
    """An ``audit.anchor`` delivery: `type`, `timestamp` (when it was sealed), and the signed anchor
    exactly as `farmgate audit anchors export` writes it (``anchor``, ``signature``, ``hash``)."""
    signed = app.audit_anchors.by_sequence(int(row["aggregate_version"]))
    if signed is None:
        raise LookupError(f"audit anchor #{row['aggregate_version']} is not stored")
    document: dict[str, Any] = {
        "type": row["topic"],
        "timestamp": signed.anchor.sealed_at,
        "eventId": row["event_id"],
        "deliveryId": to_global_id("WebhookDelivery", row["id"]),
        **signed.document(),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def post(client: httpx.Client, policy: DestinationPolicy, url: str, body: bytes, headers: dict[str, str]) -> str | None:
    """POST ``body`` to ``url`` at an address the policy allows, resolved now and connected to
    directly. None when the receiver took it (2xx); otherwise why not, in the delivery log's words."""
    try:
        address = policy.addresses(url)[0]
    except RefusedDestination:
        return REFUSED_DESTINATION
    except UnresolvableDestination:
        return UNRESOLVABLE
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, parts.path or "/",
                         parts.query, ""))
    try:
        # The Host header and the TLS server name stay the URL's own; only the address is pinned.
        response = client.post(pinned, content=body, headers={**headers, "Host": parts.netloc},
                               extensions={"sni_hostname": parts.hostname})
    except httpx.TimeoutException:
        return TIMED_OUT
    except httpx.ConnectError as error:
        return TLS_FAILED if "SSL" in type(error.__context__).__name__ + str(error) else CONNECT_FAILED
    except httpx.HTTPError:
        return TRANSPORT_FAILED
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def send_delivery(system: Any, delivery_id: UUID, client: httpx.Client | None = None) -> bool:
    """One attempt at one delivery; True if it was delivered now."""
    settings, outbox, clock = system.settings, system.webhooks, system.app.clock
    now = clock()
    # The lease outlives the longest attempt, so a live attempt is never taken over.
    token = outbox.claim(delivery_id, now, now + timedelta(seconds=settings.webhook_timeout_seconds * 2 + 5))
    if token is None:
        return False  # another worker has it, it is not due, or an earlier one of its subject is pending
    row = outbox.by_ids([delivery_id])[delivery_id]
    endpoint = system.app.webhook_endpoint_by_id(UUID(row["endpoint_id"]))
    body = delivery_body(system.app, row)
    sent_at = clock()
    secrets = endpoint.secrets_in_force(sent_at, timedelta(hours=settings.webhook_secret_overlap_hours))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "farmgate-webhooks",
        **signed_headers(row["event_id"], sent_at, body, secrets),
        "X-Farmgate-Event-Type": row["event_type"],
        "X-Farmgate-Delivery-Attempt": str(row["attempts"]),
    }
    client = client or SharedClient.get(settings.webhook_timeout_seconds)
    failure = post(client, system.app.webhook_destinations, endpoint.url, body, headers)
    fields = {"event_id": row["event_id"], "attempt": row["attempts"]}
    if failure is None:
        outbox.delivered(delivery_id, token, clock())
        log.info("webhook_delivered", **fields)
        # Hand the next event of this subject straight on, rather than wait for the dispatcher's tick.
        subject = UUID(row["subject_id"])
        by_kind = {"export_order_id": subject} if row["subject_kind"] == EXPORT_ORDER else {"order_id": subject}
        for following in outbox.due(clock(), 1, **by_kind):
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


def backfill(system: Any, batch_size: int = 500) -> int:
    """Work through open backfills, one batch of the log each; returns how many batches were read."""
    tail = EventTail(system.app, batch_size=batch_size)
    batches = 0
    for open_backfill in system.webhooks.open_backfills():
        start, until = int(open_backfill["next_after"]), int(open_backfill["until_position"])
        batch = tail.after(start, lambda n: event_name_of(n) in TOPIC_OF_EVENT) if start < until else None
        events = [(item.position, item.event) for item in batch.events] if batch else []
        system.webhooks.backfill_batch(open_backfill, events, batch.position if batch and batch.read else until)
        batches += 1
    return batches


@dramatiq.actor(actor_name="deliver_webhook", max_retries=0, time_limit=120_000)
def deliver_webhook(delivery_id: str) -> None:
    # No broker retries: the outbox row keeps the attempts, the backoff and the reason.
    send_delivery(current_system(), UUID(delivery_id))


@dramatiq.actor(actor_name="dispatch_webhooks", max_retries=0, time_limit=60_000)
def dispatch_webhooks() -> None:
    """Queue the deliveries that are due and not queued already; a lost message is queued again
    once its mark lapses, a duplicated one is harmless (claims are atomic)."""
    system = current_system()
    now = system.app.clock()
    for delivery_id in system.webhooks.take_due(now, now + QUEUED_FOR, DISPATCH_BATCH):
        deliver_webhook.send(str(delivery_id))


@dramatiq.actor(actor_name="backfill_webhooks", max_retries=0, time_limit=120_000)
def backfill_webhooks() -> None:
    backfill(current_system())
