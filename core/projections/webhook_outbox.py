"""The webhook outbox: one delivery row per event an endpoint wants, inserted in the same transaction
as the projection's tracking position, so no event is missed and none is queued twice. Workers
claim rows, send them and record the outcome here.

Who wants what: an export partner's endpoint, every event of its export orders; a marketplace's
endpoint, the events of its chosen topics of its own orders (the order, its shipments, its claims).
Deliveries go out in order per endpoint and *subject* (the export order, or the order), one at a
time: a delivery waits while an earlier one of its subject is not delivered.

Delivery rows are state, not only a view: a rebuild (``tables``) drops and replays the endpoint and
order maps but keeps the deliveries, and replaying inserts nothing that is already there (endpoint
and event are unique together), so a rebuild never re-sends what was delivered. A backfill (an
endpoint asking for events recorded before it registered) is worked through by the
``backfill_webhooks`` job, which inserts through the same code; until it is done, the endpoint's
deliveries wait, so the older events still go first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.export_order import ExportOrder
from farmgate.core.projections.base import Projection, event_name
from farmgate.core.domain.audit_anchor import SignedAnchor
from farmgate.core.webhook_topics import AUDIT_ANCHOR_TOPIC, EXPORT_ORDER_TOPIC, TOPIC_OF_EVENT

ENDPOINTS = "webhook_endpoints_v2"
ORDERS = "webhook_export_orders_v1"
#: every stream of an order's case (the order, its shipments, its claims) -> the order and its marketplace
CASES = "webhook_case_streams_v1"
#: state, not a read model: created by the migrations (core/migrations/0001), kept across rebuilds
DELIVERIES = "webhook_deliveries_v2"
BACKFILLS = "webhook_backfills_v1"

PENDING, SENDING, DELIVERED, FAILED = "PENDING", "SENDING", "DELIVERED", "FAILED"
DELIVERY_STATUSES = (PENDING, SENDING, DELIVERED, FAILED)
EXPORT_ORDER, ORDER, AUDIT_ANCHOR = "EXPORT_ORDER", "ORDER", "AUDIT_ANCHOR"
DELIVERY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:webhook-delivery")
#: the subject (and stream id) of audit anchor deliveries: one sequence, delivered in order per endpoint
AUDIT_ANCHORS_SUBJECT = uuid5(NAMESPACE_URL, "urn:farmgate:audit-anchors")
#: an anchor delivery's event type (its version is the anchor's sequence)
ANCHOR_SEALED = "AnchorSealed"


def stamp(moment: datetime) -> str:
    """One fixed text form (UTC, microseconds) so stored times compare correctly as strings."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def event_id_of(event: Any) -> str:
    """The stable id a receiver de-duplicates on (webhook-id): the same event always has the same one."""
    return f"{event.originator_id}:{event.originator_version}"


def _export_order_events() -> list[str]:
    """Every event of an export order, found on the aggregate so a new event is delivered too."""
    return [
        f"ExportOrder.{name}"
        for name, value in vars(ExportOrder).items()
        if isinstance(value, type) and issubclass(value, (ExportOrder.Event, ExportOrder.Created))
        and name not in ("Event", "Created")  # the library's per-class bases, never recorded themselves
    ]


class WebhookOutbox(Projection):
    name = "webhook_outbox"
    version = 2
    tables = (ENDPOINTS, ORDERS, CASES)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {ENDPOINTS} (
                endpoint_id TEXT PRIMARY KEY,
                partner_id TEXT UNIQUE,
                marketplace TEXT UNIQUE,
                url TEXT NOT NULL,
                topics TEXT NOT NULL,
                registered_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {ORDERS} (
                export_order_id TEXT PRIMARY KEY,
                partner_id TEXT NOT NULL,
                created_by TEXT
            )""",
            f"""CREATE TABLE IF NOT EXISTS {CASES} (
                stream_id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                marketplace TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {CASES}_order ON {CASES} (order_id)",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        handlers: dict[str, Callable[[Cursor, Any, int], None]] = {
            "WebhookEndpoint.Registered": self.endpoint_registered,
            "WebhookEndpoint.MarketplaceRegistered": self.endpoint_registered,
            "WebhookEndpoint.Replaced": self.endpoint_replaced,
            "WebhookEndpoint.TopicsChanged": self.topics_changed,
            "WebhookEndpoint.BackfillRequested": self.backfill_requested,
        }
        for name in _export_order_events():
            handlers[name] = self.export_order_event
        handlers["ExportOrder.Opened"] = self.export_order_opened
        for name in TOPIC_OF_EVENT:
            handlers[name] = self.case_event
        handlers["Order.Placed"] = self.order_placed
        handlers["Shipment.Dispatched"] = self.case_stream_opened
        handlers["CompensationClaim.Filed"] = self.case_stream_opened
        return handlers

    # -- endpoints ---------------------------------------------------------------------------------

    def endpoint_registered(self, cur: Cursor, e: Any, position: int) -> None:
        partner = getattr(e, "partner_id", None)
        cur.execute(
            f"""INSERT INTO {ENDPOINTS} (endpoint_id, partner_id, marketplace, url, topics, registered_at, updated_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s)""",
            (str(e.originator_id), None if partner is None else str(partner), getattr(e, "marketplace", None), e.url,
             ",".join(getattr(e, "topics", [EXPORT_ORDER_TOPIC])), stamp(e.timestamp), stamp(e.timestamp)),
        )

    def endpoint_replaced(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"UPDATE {ENDPOINTS} SET url = %s, updated_at = %s WHERE endpoint_id = %s",
                    (e.url, stamp(e.timestamp), str(e.originator_id)))

    def topics_changed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"UPDATE {ENDPOINTS} SET topics = %s, updated_at = %s WHERE endpoint_id = %s",
                    (",".join(e.topics), stamp(e.timestamp), str(e.originator_id)))

    def backfill_requested(self, cur: Cursor, e: Any, position: int) -> None:
        # Events up to this one's position are worked through by the backfill job; later ones live.
        cur.execute(
            f"""INSERT INTO {BACKFILLS} (endpoint_id, until_position, after_position, next_after, done)
                VALUES (%s, %s, %s, %s, 0) ON CONFLICT (endpoint_id, until_position) DO NOTHING""",
            (str(e.originator_id), position, e.after_position, e.after_position),
        )

    # -- export orders: their partner's endpoint ---------------------------------------------------

    def export_order_opened(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"INSERT INTO {ORDERS} (export_order_id, partner_id, created_by) VALUES (%s, %s, %s)",
            (str(e.originator_id), str(e.partner_id), e.created_by),
        )
        self.export_order_event(cur, e, position)

    def export_order_event(self, cur: Cursor, e: Any, position: int) -> None:
        queue_export_order_event(cur, e, position)

    # -- orders: their marketplace's endpoint, for its topics --------------------------------------

    def order_placed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"INSERT INTO {CASES} (stream_id, order_id, marketplace) VALUES (%s, %s, %s) "
                    "ON CONFLICT (stream_id) DO NOTHING", (str(e.originator_id), str(e.originator_id), e.marketplace))
        self.case_event(cur, e, position)

    def case_stream_opened(self, cur: Cursor, e: Any, position: int) -> None:
        """A shipment or claim joins its order's case."""
        cur.execute(
            f"""INSERT INTO {CASES} (stream_id, order_id, marketplace)
                SELECT %s, order_id, marketplace FROM {CASES} WHERE stream_id = %s
                ON CONFLICT (stream_id) DO NOTHING""",
            (str(e.originator_id), str(e.order_id)),
        )
        self.case_event(cur, e, position)

    def case_event(self, cur: Cursor, e: Any, position: int) -> None:
        queue_case_event(cur, e, position)


def queue_export_order_event(cur: Cursor, e: Any, position: int) -> None:
    """Queue an export order's event for its partner's endpoint, if the partner has one that chose
    them (every partner endpoint does, unless it chose the audit anchors alone)."""
    row = cur.execute(
        f"""SELECT p.endpoint_id, p.topics, o.partner_id, o.created_by FROM {ORDERS} o
            JOIN {ENDPOINTS} p ON p.partner_id = o.partner_id WHERE o.export_order_id = %s""",
        (str(e.originator_id),),
    ).fetchone()
    if row is not None and EXPORT_ORDER_TOPIC in row["topics"].split(","):
        _queue(cur, e, position, endpoint_id=row["endpoint_id"], partner_id=row["partner_id"], marketplace=None,
               created_by=row["created_by"], subject=(EXPORT_ORDER, str(e.originator_id)), topic=EXPORT_ORDER_TOPIC)


def queue_case_event(cur: Cursor, e: Any, position: int, only_endpoint: str | None = None) -> None:
    """Queue an order's (or its shipment's or claim's) event for its marketplace's endpoint, if the
    endpoint chose the event's topic. ``only_endpoint``: a backfill queues for that endpoint only."""
    topic = TOPIC_OF_EVENT.get(event_name(e))
    if topic is None:
        return
    row = cur.execute(
        f"""SELECT c.order_id, c.marketplace, p.endpoint_id, p.topics FROM {CASES} c
            JOIN {ENDPOINTS} p ON p.marketplace = c.marketplace WHERE c.stream_id = %s""",
        (str(e.originator_id),),
    ).fetchone()
    if row is None or topic not in row["topics"].split(","):
        return
    if only_endpoint is not None and row["endpoint_id"] != only_endpoint:
        return
    # The marketplace is the party to its own orders' deliveries (created_by, as for export orders).
    _queue(cur, e, position, endpoint_id=row["endpoint_id"], partner_id=None, marketplace=row["marketplace"],
           created_by=row["marketplace"], subject=(ORDER, row["order_id"]), topic=topic)


def queue_audit_anchor(cur: Cursor, signed: SignedAnchor) -> None:
    """Queue a newly sealed anchor for every endpoint that chose the audit.anchor topic (run in the
    transaction that stores the anchor). Its webhook-id is ``audit-anchor:<sequence>``."""
    anchor = signed.anchor
    event_id = f"audit-anchor:{anchor.sequence}"
    for row in cur.execute(f"SELECT endpoint_id, partner_id, marketplace, topics FROM {ENDPOINTS}").fetchall():
        if AUDIT_ANCHOR_TOPIC not in row["topics"].split(","):
            continue
        endpoint_id = row["endpoint_id"]
        cur.execute(
            f"""INSERT INTO {DELIVERIES} (id, endpoint_id, event_id, partner_id, marketplace, created_by, subject_kind,
                subject_id, aggregate_id, aggregate_version, event_type, topic, position, status, attempts,
                next_attempt_at, created_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s)
                ON CONFLICT (endpoint_id, event_id) DO NOTHING""",
            (str(uuid5(DELIVERY_NAMESPACE, f"{endpoint_id}/{event_id}")), endpoint_id, event_id, row["partner_id"],
             row["marketplace"], row["marketplace"], AUDIT_ANCHOR, str(AUDIT_ANCHORS_SUBJECT),
             str(AUDIT_ANCHORS_SUBJECT), anchor.sequence, ANCHOR_SEALED, AUDIT_ANCHOR_TOPIC, anchor.last_position,
             PENDING, anchor.sealed_at, anchor.sealed_at),
        )


def _queue(cur: Cursor, e: Any, position: int, *, endpoint_id: str, partner_id: str | None, marketplace: str | None,
           created_by: str | None, subject: tuple[str, str], topic: str) -> None:
    event_id = event_id_of(e)
    recorded = stamp(e.timestamp)
    cur.execute(
        f"""INSERT INTO {DELIVERIES} (id, endpoint_id, event_id, partner_id, marketplace, created_by, subject_kind,
            subject_id, export_order_id, order_id, aggregate_id, aggregate_version, event_type, topic, position, status,
            attempts, next_attempt_at, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s)
            ON CONFLICT (endpoint_id, event_id) DO NOTHING""",
        (
            str(uuid5(DELIVERY_NAMESPACE, f"{endpoint_id}/{event_id}")), endpoint_id, event_id, partner_id, marketplace,
            created_by, subject[0], subject[1], subject[1] if subject[0] == EXPORT_ORDER else None,
            subject[1] if subject[0] == ORDER else None, str(e.originator_id), e.originator_version, type(e).__name__,
            topic, position, PENDING, recorded, recorded,
        ),
    )


# A delivery waits while an earlier delivery of the same endpoint and subject is not delivered, and
# while its endpoint has a backfill in progress (older events are still being queued): in order.
_IN_ORDER = f"""NOT EXISTS (SELECT 1 FROM {DELIVERIES} earlier
    WHERE earlier.endpoint_id = {DELIVERIES}.endpoint_id AND earlier.subject_id = {DELIVERIES}.subject_id
    AND earlier.position < {DELIVERIES}.position AND earlier.status <> '{DELIVERED}')
    AND NOT EXISTS (SELECT 1 FROM {BACKFILLS} b WHERE b.endpoint_id = {DELIVERIES}.endpoint_id AND b.done = 0)"""
_DUE = f"""(({DELIVERIES}.status = '{PENDING}' AND {DELIVERIES}.next_attempt_at <= %s)
    OR ({DELIVERIES}.status = '{SENDING}' AND {DELIVERIES}.lease_until < %s))"""

#: why a delivery whose worker stopped mid-send (its lease ran out) is sent again
LEASE_EXPIRED = "The previous attempt did not finish (its lease expired)"


class WebhookDeliveries:
    """The outbox's queries and the workers' claim / outcome updates. Scope filters come in as arguments."""

    def __init__(self, store: ReadStore):
        self.store = store

    # -- reads -----------------------------------------------------------------------------------

    def by_ids(self, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        rows = self.store.query(f"SELECT * FROM {DELIVERIES} WHERE id IN ({marks})", [str(i) for i in ids])
        return {UUID(r["id"]): r for r in rows}

    def page(
        self,
        *,
        after_position: int,
        limit: int,
        status: str | None = None,
        partner_id: UUID | None = None,
        created_by: str | None = None,
        count: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Deliveries after a position, oldest event first, and the total matching the filters (None,
        not counted, when ``count`` is False)."""
        return self.store.page_by_position(DELIVERIES, after_position=after_position, limit=limit, equals=(
            ("status", status), ("partner_id", partner_id), ("created_by", created_by)), count=count)

    def endpoints_by_partner(self, partner_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if not partner_ids:
            return {}
        marks = ", ".join(["%s"] * len(partner_ids))
        rows = self.store.query(f"SELECT * FROM {ENDPOINTS} WHERE partner_id IN ({marks})",
                                [str(i) for i in partner_ids])
        return {UUID(r["partner_id"]): r for r in rows}

    def endpoints_by_marketplace(self, marketplaces: list[str]) -> dict[str, dict[str, Any]]:
        if not marketplaces:
            return {}
        marks = ", ".join(["%s"] * len(marketplaces))
        rows = self.store.query(f"SELECT * FROM {ENDPOINTS} WHERE marketplace IN ({marks})", list(marketplaces))
        return {r["marketplace"]: r for r in rows}

    def due(self, now: datetime, limit: int = 100, export_order_id: UUID | None = None,
            order_id: UUID | None = None) -> list[UUID]:
        """Deliveries to send now: the first undelivered one of each endpoint's subject, if it is due.
        ``export_order_id`` / ``order_id``: look at that subject only."""
        moment = stamp(now)
        only, params = "", [moment, moment]
        subject = export_order_id or order_id
        if subject is not None:
            only = f" AND {DELIVERIES}.subject_id = %s"
            params = [*params, str(subject)]
        rows = self.store.query(
            f"SELECT id FROM {DELIVERIES} WHERE {_DUE} AND {_IN_ORDER}{only} ORDER BY position LIMIT %s",
            [*params, limit],
        )
        return [UUID(r["id"]) for r in rows]

    def take_due(self, now: datetime, queued_until: datetime, limit: int) -> list[UUID]:
        """The due deliveries not queued by anyone within the last lease, marked queued until
        ``queued_until``: several dispatchers (one per worker process) each take different ones,
        and a delivery waiting in the broker is not queued again every tick."""
        moment = stamp(now)
        with self.store.transaction() as cur:
            rows = cur.execute(
                f"""SELECT id FROM {DELIVERIES} WHERE {_DUE} AND {_IN_ORDER}
                    AND ({DELIVERIES}.queued_until IS NULL OR {DELIVERIES}.queued_until < %s)
                    ORDER BY position LIMIT %s{self.store.lock_clause()}""",
                (moment, moment, moment, limit),
            ).fetchall()
            taken = []
            for row in rows:
                cur.execute(
                    f"""UPDATE {DELIVERIES} SET queued_until = %s
                        WHERE id = %s AND (queued_until IS NULL OR queued_until < %s)""",
                    (stamp(queued_until), row["id"], moment),
                )
                if cur.rowcount == 1:
                    taken.append(UUID(row["id"]))
            return taken

    # -- the workers' side -----------------------------------------------------------------------

    def claim(self, delivery_id: UUID, now: datetime, lease_until: datetime) -> str | None:
        """Take the delivery for one attempt, atomically: a lease token if it is ours to send, else None
        (another worker has it, it is delivered, not due, or an earlier one of its subject is pending).
        The dispatcher's queued mark goes: taken, the delivery is no longer waiting in the broker, and if
        this worker dies mid-attempt the delivery is queued again as soon as ``lease_until`` passes."""
        token = uuid.uuid4().hex
        moment = stamp(now)
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = '{SENDING}', attempts = attempts + 1, lease_until = %s,
                    lease_token = %s, queued_until = NULL, last_error = CASE WHEN status = '{SENDING}' THEN %s ELSE last_error END
                    WHERE id = %s AND {_DUE} AND {_IN_ORDER}""",
                (stamp(lease_until), token, LEASE_EXPIRED, str(delivery_id), moment, moment),
            )
            return token if cur.rowcount == 1 else None

    def delivered(self, delivery_id: UUID, token: str, now: datetime) -> bool:
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = '{DELIVERED}', delivered_at = %s, lease_until = NULL,
                    lease_token = NULL, queued_until = NULL WHERE id = %s AND lease_token = %s""",
                (stamp(now), str(delivery_id), token),
            )
            return cur.rowcount == 1

    def failed(self, delivery_id: UUID, token: str, reason: str, next_attempt_at: datetime | None) -> bool:
        """Record a failed attempt: retry at ``next_attempt_at``, or give up (FAILED) when it is None."""
        status = PENDING if next_attempt_at is not None else FAILED
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = %s, last_error = %s, next_attempt_at = COALESCE(%s, next_attempt_at),
                    lease_until = NULL, lease_token = NULL, queued_until = NULL WHERE id = %s AND lease_token = %s""",
                (status, reason[:500], None if next_attempt_at is None else stamp(next_attempt_at),
                 str(delivery_id), token),
            )
            return cur.rowcount == 1

    def request_redelivery(self, delivery_id: UUID, now: datetime, reason: str) -> bool:
        """Send it again now (a delivered one again, a failed one with a fresh count of attempts).
        False while an attempt is in flight."""
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = '{PENDING}', attempts = 0, next_attempt_at = %s, last_error = %s,
                    queued_until = NULL WHERE id = %s AND status <> '{SENDING}'""",
                (stamp(now), reason, str(delivery_id)),
            )
            return cur.rowcount == 1

    # -- backfills -------------------------------------------------------------------------------

    def open_backfills(self) -> list[dict[str, Any]]:
        return self.store.query(f"SELECT * FROM {BACKFILLS} WHERE done = 0 ORDER BY until_position")

    def backfill_batch(self, backfill: dict[str, Any], events: list[tuple[int, Any]], read_up_to: int) -> None:
        """Queue the endpoint's wanted events among ``events`` ((position, event), oldest first) and
        move the backfill on to ``read_up_to``; done once it reaches the position it was asked at."""
        endpoint = backfill["endpoint_id"]
        until = int(backfill["until_position"])
        with self.store.transaction() as cur:
            for position, event in events:
                if position <= until:
                    queue_case_event(cur, event, position, only_endpoint=endpoint)
            reached = min(read_up_to, until)
            cur.execute(
                f"""UPDATE {BACKFILLS} SET next_after = %s, done = %s
                    WHERE endpoint_id = %s AND until_position = %s AND next_after < %s""",
                (reached, 1 if reached >= until else 0, endpoint, until, reached),
            )
