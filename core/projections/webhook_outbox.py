"""The webhook outbox: one delivery row per event of an export order whose partner has an endpoint,
inserted in the same transaction as the projection's tracking position, so no event is missed and
none is queued twice. Workers claim rows, send them and record the outcome here.

Delivery rows are state, not only a view: a rebuild (``tables``) drops and replays the endpoint and
order maps but keeps the deliveries, and replaying inserts nothing that is already there (the event
id is unique), so a rebuild never re-sends what was delivered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.export_order import ExportOrder
from farmgate.core.projections.base import Projection

ENDPOINTS = "webhook_endpoints_v1"
ORDERS = "webhook_export_orders_v1"
DELIVERIES = "webhook_deliveries_v1"

PENDING, SENDING, DELIVERED, FAILED = "PENDING", "SENDING", "DELIVERED", "FAILED"
DELIVERY_STATUSES = (PENDING, SENDING, DELIVERED, FAILED)
DELIVERY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:webhook-delivery")


def stamp(moment: datetime) -> str:
    """One fixed text form (UTC, microseconds) so stored times compare correctly as strings."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def event_id_of(event: Any) -> str:
    """The stable id a partner de-duplicates on: the same event always has the same one."""
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
    version = 1
    tables = (ENDPOINTS, ORDERS)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {ENDPOINTS} (
                partner_id TEXT PRIMARY KEY,
                endpoint_id TEXT NOT NULL,
                url TEXT NOT NULL,
                registered_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {ORDERS} (
                export_order_id TEXT PRIMARY KEY,
                partner_id TEXT NOT NULL,
                created_by TEXT
            )""",
            f"""CREATE TABLE IF NOT EXISTS {DELIVERIES} (
                id TEXT PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                partner_id TEXT NOT NULL,
                export_order_id TEXT NOT NULL,
                created_by TEXT,
                aggregate_version INTEGER NOT NULL,
                event_type TEXT NOT NULL,
                position BIGINT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                last_error TEXT,
                next_attempt_at TEXT NOT NULL,
                lease_until TEXT,
                lease_token TEXT,
                delivered_at TEXT,
                created_at TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_due ON {DELIVERIES} (status, next_attempt_at)",
            f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_order ON {DELIVERIES} (export_order_id, position)",
            f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_partner ON {DELIVERIES} (partner_id, position)",
            f"CREATE INDEX IF NOT EXISTS {DELIVERIES}_position ON {DELIVERIES} (position)",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        handlers: dict[str, Callable[[Cursor, Any, int], None]] = {
            "WebhookEndpoint.Registered": self.endpoint_registered,
            "WebhookEndpoint.Replaced": self.endpoint_replaced,
        }
        for name in _export_order_events():
            handlers[name] = self.export_order_event
        handlers["ExportOrder.Opened"] = self.export_order_opened
        return handlers

    def endpoint_registered(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"""INSERT INTO {ENDPOINTS} (partner_id, endpoint_id, url, registered_at, updated_at)
                VALUES (%s, %s, %s, %s, %s)""",
            (str(e.partner_id), str(e.originator_id), e.url, stamp(e.timestamp), stamp(e.timestamp)),
        )

    def endpoint_replaced(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"UPDATE {ENDPOINTS} SET url = %s, updated_at = %s WHERE endpoint_id = %s",
            (e.url, stamp(e.timestamp), str(e.originator_id)),
        )

    def export_order_opened(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"INSERT INTO {ORDERS} (export_order_id, partner_id, created_by) VALUES (%s, %s, %s)",
            (str(e.originator_id), str(e.partner_id), e.created_by),
        )
        self.export_order_event(cur, e, position)

    def export_order_event(self, cur: Cursor, e: Any, position: int) -> None:
        order = cur.execute(
            f"""SELECT o.partner_id, o.created_by FROM {ORDERS} o JOIN {ENDPOINTS} p ON p.partner_id = o.partner_id
                WHERE o.export_order_id = %s""",
            (str(e.originator_id),),
        ).fetchone()
        if order is None:
            return  # the partner has no endpoint (yet): nothing to deliver
        event_id = event_id_of(e)
        recorded = stamp(e.timestamp)
        cur.execute(
            f"""INSERT INTO {DELIVERIES} (id, event_id, partner_id, export_order_id, created_by, aggregate_version,
                event_type, position, status, attempts, next_attempt_at, created_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s) ON CONFLICT (event_id) DO NOTHING""",
            (
                str(uuid5(DELIVERY_NAMESPACE, event_id)), event_id, order["partner_id"], str(e.originator_id),
                order["created_by"], e.originator_version, type(e).__name__, position, PENDING, recorded, recorded,
            ),
        )


# A delivery waits while an earlier delivery of the same export order is not delivered: in order.
_IN_ORDER = f"""NOT EXISTS (SELECT 1 FROM {DELIVERIES} earlier
    WHERE earlier.export_order_id = {DELIVERIES}.export_order_id
    AND earlier.position < {DELIVERIES}.position AND earlier.status <> '{DELIVERED}')"""
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
    ) -> tuple[list[dict[str, Any]], int]:
        """Deliveries after a position, oldest event first, and the total matching the filters."""
        return self.store.page_by_position(DELIVERIES, after_position=after_position, limit=limit, equals=(
            ("status", status), ("partner_id", partner_id), ("created_by", created_by)))

    def endpoints_by_partner(self, partner_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if not partner_ids:
            return {}
        marks = ", ".join(["%s"] * len(partner_ids))
        rows = self.store.query(
            f"SELECT partner_id, endpoint_id, url, registered_at, updated_at FROM {ENDPOINTS} WHERE partner_id IN ({marks})",
            [str(i) for i in partner_ids],
        )
        return {UUID(r["partner_id"]): r for r in rows}

    def due(self, now: datetime, limit: int = 100, export_order_id: UUID | None = None) -> list[UUID]:
        """Deliveries to send now: the first undelivered one of each export order, if it is due."""
        moment = stamp(now)
        only_order, params = "", [moment, moment]
        if export_order_id is not None:
            only_order, params = f" AND {DELIVERIES}.export_order_id = %s", [*params, str(export_order_id)]
        rows = self.store.query(
            f"SELECT id FROM {DELIVERIES} WHERE {_DUE} AND {_IN_ORDER}{only_order} ORDER BY position LIMIT %s",
            [*params, limit],
        )
        return [UUID(r["id"]) for r in rows]

    # -- the workers' side -----------------------------------------------------------------------

    def claim(self, delivery_id: UUID, now: datetime, lease_until: datetime) -> str | None:
        """Take the delivery for one attempt, atomically: a lease token if it is ours to send, else None
        (another worker has it, it is delivered, not due, or an earlier one of its order is pending)."""
        token = uuid.uuid4().hex
        moment = stamp(now)
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = '{SENDING}', attempts = attempts + 1, lease_until = %s,
                    lease_token = %s, last_error = CASE WHEN status = '{SENDING}' THEN %s ELSE last_error END
                    WHERE id = %s AND {_DUE} AND {_IN_ORDER}""",
                (stamp(lease_until), token, LEASE_EXPIRED, str(delivery_id), moment, moment),
            )
            return token if cur.rowcount == 1 else None

    def delivered(self, delivery_id: UUID, token: str, now: datetime) -> bool:
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = '{DELIVERED}', delivered_at = %s, lease_until = NULL,
                    lease_token = NULL WHERE id = %s AND lease_token = %s""",
                (stamp(now), str(delivery_id), token),
            )
            return cur.rowcount == 1

    def failed(self, delivery_id: UUID, token: str, reason: str, next_attempt_at: datetime | None) -> bool:
        """Record a failed attempt: retry at ``next_attempt_at``, or give up (FAILED) when it is None."""
        status = PENDING if next_attempt_at is not None else FAILED
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = %s, last_error = %s, next_attempt_at = COALESCE(%s, next_attempt_at),
                    lease_until = NULL, lease_token = NULL WHERE id = %s AND lease_token = %s""",
                (status, reason[:500], None if next_attempt_at is None else stamp(next_attempt_at),
                 str(delivery_id), token),
            )
            return cur.rowcount == 1

    def request_redelivery(self, delivery_id: UUID, now: datetime, reason: str) -> bool:
        """Send it again now (a delivered one again, a failed one with a fresh count of attempts).
        False while an attempt is in flight."""
        with self.store.transaction() as cur:
            cur.execute(
                f"""UPDATE {DELIVERIES} SET status = '{PENDING}', attempts = 0, next_attempt_at = %s, last_error = %s
                    WHERE id = %s AND status <> '{SENDING}'""",
                (stamp(now), reason, str(delivery_id)),
            )
            return cur.rowcount == 1
