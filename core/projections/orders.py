"""Orders and shipments: orders with their lines and payments; shipments with checkpoints and failures.

Orders carry ``marketplace``, ``storefront_id``, ``household_id`` and (once dispatched) ``carrier``
(its name) and ``carrier_id`` so the API can scope every read; shipments carry them too. A dispatch
recorded while carriers were free text names no carrier id: its text is resolved by spelling
(``carrier_key``), against the built-in carriers at once and against each carrier ADMIN registers
later, when it is registered, so a rebuild gives the same rows. Every query taking ids is batched (one
query for a whole page) so DataLoaders stay at a bounded number of queries per request.

Times are stored in one fixed-width UTC form (``sortable_utc``), so SQL compares them as text on
both dialects: the watchdog's ``promised_by < now`` and the checkpoints' world-time order.
Amounts are exact decimal strings, never floats.
"""

from __future__ import annotations

import json
from decimal import Decimal
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.carrier import BUILT_IN_CARRIERS, resolve_among, spelling_key
from farmgate.core.domain.order import ORDER_STATUS_FOR_SHIPMENT
from farmgate.core.domain.shipment import FINAL
from farmgate.core.personal_cipher import prefetch_keys, reveal, stored_form
from farmgate.core.personal_keys import SubjectKeys
from farmgate.core.projections.base import Projection
from farmgate.core.projections.catalog import _in, sortable_utc

ORDERS = "orders_v3"
LINES = "order_lines_v3"
PAYMENTS = "order_payments_v3"
SHIPMENTS = "shipments_v3"
CHECKPOINTS = "shipment_checkpoints_v3"
FAILURES = "shipment_failures_v3"
REFUNDS = "order_refunds_v3"


def utc(value: datetime | None) -> str | None:
    return None if value is None else sortable_utc(value)


def carrier_of(e: Any) -> tuple[str | None, str]:
    """A dispatch's carrier id (as recorded; for a free-text dispatch, the built-in carrier its text
    names, or None) and the spelling key of its carrier's text."""
    carrier_id = getattr(e, "carrier_id", None)
    if carrier_id is None:
        known = resolve_among(BUILT_IN_CARRIERS, e.carrier)
        carrier_id = None if known is None else known.id
    return (None if carrier_id is None else str(carrier_id)), spelling_key(e.carrier)


class OrdersAndShipments(Projection):
    name = "orders_and_shipments"
    version = 3
    tables = (ORDERS, LINES, PAYMENTS, REFUNDS, SHIPMENTS, CHECKPOINTS, FAILURES)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {ORDERS} (
                id TEXT PRIMARY KEY,
                number TEXT NOT NULL UNIQUE,
                marketplace TEXT NOT NULL,
                storefront_id TEXT NOT NULL,
                household_id TEXT NOT NULL,
                status TEXT NOT NULL,
                payment_method TEXT NOT NULL,
                payment_status TEXT NOT NULL,
                total_amount TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount_paid TEXT NOT NULL,
                amount_refunded TEXT NOT NULL DEFAULT '0',
                refunded_directly TEXT NOT NULL DEFAULT '0',
                refund_due TEXT NOT NULL DEFAULT '0',
                claims TEXT NOT NULL DEFAULT '{{}}',
                buyer_name TEXT NOT NULL,
                buyer_phone TEXT NOT NULL,
                buyer_address TEXT NOT NULL,
                placed_at TEXT NOT NULL,
                promised_by TEXT NOT NULL,
                perishable INTEGER NOT NULL,
                confirmed_at TEXT,
                cancelled_at TEXT,
                cancel_reason TEXT,
                shipment_id TEXT,
                carrier TEXT,
                carrier_id TEXT,
                carrier_key TEXT,
                version INTEGER NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_position ON {ORDERS} (position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_marketplace ON {ORDERS} (marketplace, position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_storefront ON {ORDERS} (storefront_id, position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_household ON {ORDERS} (household_id, position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_status ON {ORDERS} (status, position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_carrier ON {ORDERS} (carrier_id, position)",
            f"""CREATE TABLE IF NOT EXISTS {LINES} (
                order_id TEXT NOT NULL,
                line_no INTEGER NOT NULL,
                listing_id TEXT NOT NULL,
                title TEXT NOT NULL,
                unit TEXT NOT NULL,
                quantity INTEGER NOT NULL,
                unit_price TEXT NOT NULL,
                line_total TEXT NOT NULL,
                currency TEXT NOT NULL,
                shelf_life_hours INTEGER NOT NULL,
                PRIMARY KEY (order_id, line_no)
            )""",
            f"CREATE INDEX IF NOT EXISTS {LINES}_listing ON {LINES} (listing_id)",
            f"""CREATE TABLE IF NOT EXISTS {PAYMENTS} (
                order_id TEXT NOT NULL,
                amount TEXT NOT NULL,
                currency TEXT NOT NULL,
                reference TEXT NOT NULL,
                occurred_at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {PAYMENTS}_order ON {PAYMENTS} (order_id, position)",
            f"""CREATE TABLE IF NOT EXISTS {REFUNDS} (
                order_id TEXT NOT NULL,
                amount TEXT NOT NULL,
                currency TEXT NOT NULL,
                reference TEXT,
                claim_id TEXT,
                occurred_at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {REFUNDS}_order ON {REFUNDS} (order_id, position)",
            f"""CREATE TABLE IF NOT EXISTS {SHIPMENTS} (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                order_number TEXT NOT NULL,
                marketplace TEXT NOT NULL,
                storefront_id TEXT NOT NULL,
                household_id TEXT NOT NULL,
                carrier TEXT NOT NULL,
                carrier_id TEXT,
                carrier_key TEXT NOT NULL,
                tracking_number TEXT NOT NULL,
                status TEXT NOT NULL,
                harvested_at TEXT,
                promised_by TEXT NOT NULL,
                perishable INTEGER NOT NULL,
                dispatched_at TEXT NOT NULL,
                delivered_at TEXT,
                received_by TEXT,
                spoiled_at TEXT,
                returned_at TEXT,
                version INTEGER NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {SHIPMENTS}_order ON {SHIPMENTS} (order_id, position)",
            # The watchdog's scan: perishable shipments still on their way, by promise.
            f"CREATE INDEX IF NOT EXISTS {SHIPMENTS}_promise ON {SHIPMENTS} (perishable, promised_by)",
            f"""CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (
                shipment_id TEXT NOT NULL,
                status TEXT NOT NULL,
                raw_status TEXT,
                occurred_at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                location TEXT,
                note TEXT,
                actor TEXT NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {CHECKPOINTS}_shipment ON {CHECKPOINTS} (shipment_id, occurred_at)",
            f"""CREATE TABLE IF NOT EXISTS {FAILURES} (
                shipment_id TEXT NOT NULL,
                reason TEXT NOT NULL,
                occurred_at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                note TEXT,
                actor TEXT NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {FAILURES}_shipment ON {FAILURES} (shipment_id, occurred_at)",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        followed = {f"Order.{name}": self.order_followed_shipment
                    for name in ("Delivered", "DeliveryFailed", "DeliveryResumed", "Spoiled", "Returned")}
        return {
            "Order.Placed": self.placed,
            "Order.Confirmed": self.confirmed,
            "Order.Cancelled": self.cancelled,
            "Order.PaymentRecorded": self.payment_recorded,
            "Order.Refunded": self.refunded,
            "Order.RefundRecorded": self.refunded,
            "Order.RefundFellDue": self.refund_fell_due,
            "Order.ClaimExposureChanged": self.claim_exposure_changed,
            "Order.SpoilageWithdrawn": self.order_followed_shipment,
            "Shipment.SpoilageWithdrawn": self.spoilage_withdrawn,
            "Order.Dispatched": self.order_dispatched,
            **followed,
            "Shipment.Dispatched": self.shipment_dispatched,
            "Shipment.CheckpointRecorded": self.checkpoint_recorded,
            "Shipment.DeliveryFailed": self.delivery_failed,
            "Shipment.Delivered": self.delivered,
            "Shipment.SpoilageDeclared": self.spoilage_declared,
            "Shipment.ReturnedToSender": self.returned_to_sender,
            "CarrierRegistry.CarrierRegistered": self.carrier_registered,
        }

    # -- orders ----------------------------------------------------------------------------------

    def placed(self, cur: Cursor, e: Any, position: int) -> None:
        order_id = str(e.originator_id)
        cur.execute(
            f"""INSERT INTO {ORDERS} (id, number, marketplace, storefront_id, household_id, status, payment_method,
                payment_status, total_amount, currency, amount_paid, buyer_name, buyer_phone, buyer_address,
                placed_at, promised_by, perishable, version, position)
                VALUES (%s, %s, %s, %s, %s, 'PLACED', %s, 'PENDING', %s, %s, '0', %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                order_id, e.number, e.marketplace, str(e.storefront_id), str(e.household_id), e.payment_method,
                e.total["amount"], e.total["currency"], stored_form(e, "buyer_name"),
                stored_form(e, "buyer_phone"), json.dumps(dict(e.buyer_address, street=stored_form(e, "buyer_address.street"))),
                utc(e.occurred_at), utc(e.promised_by), int(e.perishable), e.originator_version, position,
            ),
        )
        cur.executemany(
            f"""INSERT INTO {LINES} (order_id, line_no, listing_id, title, unit, quantity, unit_price, line_total,
                currency, shelf_life_hours) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [
                (order_id, n, str(line["listing_id"]), line["title"], line["unit"], line["quantity"],
                 line["unit_price"]["amount"], line["line_total"]["amount"], line["unit_price"]["currency"],
                 line["shelf_life_hours"])
                for n, line in enumerate(e.lines)
            ],
        )

    def _order(self, cur: Cursor, e: Any, assignments: str, params: Sequence[Any] = ()) -> None:
        cur.execute(
            f"UPDATE {ORDERS} SET {assignments}, version = %s WHERE id = %s",
            (*params, e.originator_version, str(e.originator_id)),
        )

    def confirmed(self, cur: Cursor, e: Any, position: int) -> None:
        self._order(cur, e, "status = 'CONFIRMED', confirmed_at = %s", (utc(e.occurred_at),))

    def cancelled(self, cur: Cursor, e: Any, position: int) -> None:
        self._order(cur, e, "status = 'CANCELLED', cancelled_at = %s, cancel_reason = %s",
                    (utc(e.occurred_at), e.reason))
        self._refund_due(cur, e)

    def _money_row(self, cur: Cursor, order_id: Any) -> dict[str, Any]:
        row = cur.execute(f"SELECT * FROM {ORDERS} WHERE id = %s", (str(order_id),)).fetchone()
        assert row is not None, "an order event arrived before its Placed event"
        return row

    def _refund_due(self, cur: Cursor, e: Any) -> None:
        """The refund owed, from the row's running totals (``Order.refund_due``'s rule)."""
        row = self._money_row(cur, e.originator_id)
        kept = Decimal(0) if row["status"] == "CANCELLED" else Decimal(row["total_amount"])
        due = Decimal(row["amount_paid"]) - Decimal(row["amount_refunded"]) - kept
        self._order(cur, e, "refund_due = %s", (format(max(due, Decimal(0)), "f"),))

    def payment_recorded(self, cur: Cursor, e: Any, position: int) -> None:
        self._order(cur, e, "amount_paid = %s, payment_status = %s", (e.amount_paid["amount"], e.payment_status))
        cur.execute(
            f"""INSERT INTO {PAYMENTS} (order_id, amount, currency, reference, occurred_at, recorded_at, actor,
                position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            (str(e.originator_id), e.amount["amount"], e.amount["currency"], e.reference, utc(e.occurred_at),
             utc(e.timestamp), e.actor, position),
        )
        self._refund_due(cur, e)

    def refunded(self, cur: Cursor, e: Any, position: int) -> None:
        """A refund through a claim (``Refunded``) or recorded as such (``RefundRecorded``)."""
        claim_id = getattr(e, "claim_id", None)
        row = self._money_row(cur, e.originator_id)
        directly = Decimal(row["refunded_directly"]) + (Decimal(e.amount["amount"]) if claim_id is None else 0)
        self._order(cur, e, "payment_status = %s, amount_refunded = %s, refunded_directly = %s",
                    (e.payment_status, e.refunded_total["amount"], format(directly, "f")))
        cur.execute(
            f"""INSERT INTO {REFUNDS} (order_id, amount, currency, reference, claim_id, occurred_at, recorded_at,
                actor, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (str(e.originator_id), e.amount["amount"], e.amount["currency"], getattr(e, "reference", None),
             None if claim_id is None else str(claim_id), utc(e.occurred_at), utc(e.timestamp), e.actor, position),
        )
        self._refund_due(cur, e)

    def refund_fell_due(self, cur: Cursor, e: Any, position: int) -> None:
        self._order(cur, e, "payment_status = %s, refund_due = %s", (e.payment_status, e.amount_due["amount"]))

    def claim_exposure_changed(self, cur: Cursor, e: Any, position: int) -> None:
        claims = json.loads(self._money_row(cur, e.originator_id)["claims"])
        claims[str(e.claim_id)] = {"claimant": e.claimant, "kind": e.kind, "status": e.claim_status,
                                   "claimed": e.claimed, "committed": e.committed, "approved": e.approved,
                                   "paid": e.paid}
        self._order(cur, e, "claims = %s", (json.dumps(claims, sort_keys=True),))

    def order_dispatched(self, cur: Cursor, e: Any, position: int) -> None:
        self._order(cur, e, "status = 'DISPATCHED', shipment_id = %s, carrier = %s, carrier_id = %s, carrier_key = %s",
                    (str(e.shipment_id), e.carrier, *carrier_of(e)))

    def carrier_registered(self, cur: Cursor, e: Any, position: int) -> None:
        """Free-text dispatches recorded before carriers were reference data, whose text is one of this
        carrier's spellings, are its from now on."""
        keys = sorted({spelling_key(s) for s in (e.name, *e.aliases)})
        for table in (ORDERS, SHIPMENTS):
            cur.execute(f"UPDATE {table} SET carrier_id = %s WHERE carrier_id IS NULL AND carrier_key IN ({_in(keys)})",
                        (str(e.carrier_id), *keys))

    def order_followed_shipment(self, cur: Cursor, e: Any, position: int) -> None:
        self._order(cur, e, "status = %s", (ORDER_STATUS_FOR_SHIPMENT[e.shipment_status],))

    # -- shipments -------------------------------------------------------------------------------

    def _checkpoint(self, cur: Cursor, e: Any, position: int, status: str, raw_status: str | None = None,
                    location: str | None = None, note: str | None = None) -> None:
        cur.execute(
            f"""INSERT INTO {CHECKPOINTS} (shipment_id, status, raw_status, occurred_at, recorded_at, location, note,
                actor, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (str(e.originator_id), status, raw_status, utc(e.occurred_at), utc(e.timestamp), location, note, e.actor,
             position),
        )

    def _shipment(self, cur: Cursor, e: Any, assignments: str = "", params: Sequence[Any] = ()) -> None:
        extra = f", {assignments}" if assignments else ""
        cur.execute(
            f"UPDATE {SHIPMENTS} SET status = %s{extra}, version = %s WHERE id = %s",
            (e.status, *params, e.originator_version, str(e.originator_id)),
        )

    def shipment_dispatched(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"""INSERT INTO {SHIPMENTS} (id, order_id, order_number, marketplace, storefront_id, household_id, carrier,
                carrier_id, carrier_key, tracking_number, status, harvested_at, promised_by, perishable, dispatched_at,
                version, position)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'INFO_RECEIVED', %s, %s, %s, %s, %s, %s)""",
            (
                str(e.originator_id), str(e.order_id), e.order_number, e.marketplace, str(e.storefront_id),
                str(e.household_id), e.carrier, *carrier_of(e), e.tracking_number, utc(e.harvested_at), utc(e.promised_by),
                int(e.perishable), utc(e.occurred_at), e.originator_version, position,
            ),
        )
        self._checkpoint(cur, e, position, "INFO_RECEIVED")

    def checkpoint_recorded(self, cur: Cursor, e: Any, position: int) -> None:
        self._shipment(cur, e)
        self._checkpoint(cur, e, position, e.checkpoint_status, e.raw_status, e.location, e.note)

    def delivery_failed(self, cur: Cursor, e: Any, position: int) -> None:
        self._shipment(cur, e)
        self._checkpoint(cur, e, position, "ATTEMPT_FAILED", note=e.note)
        cur.execute(
            f"""INSERT INTO {FAILURES} (shipment_id, reason, occurred_at, recorded_at, note, actor, position)
                VALUES (%s, %s, %s, %s, %s, %s, %s)""",
            (str(e.originator_id), e.reason, utc(e.occurred_at), utc(e.timestamp), e.note, e.actor, position),
        )

    def delivered(self, cur: Cursor, e: Any, position: int) -> None:
        self._shipment(cur, e, "delivered_at = %s, received_by = %s", (utc(e.occurred_at), stored_form(e, "received_by")))
        self._checkpoint(cur, e, position, "DELIVERED")

    def spoilage_declared(self, cur: Cursor, e: Any, position: int) -> None:
        self._shipment(cur, e, "spoiled_at = %s", (utc(e.occurred_at),))
        self._checkpoint(cur, e, position, "SPOILED", note=e.note)

    def spoilage_withdrawn(self, cur: Cursor, e: Any, position: int) -> None:
        self._shipment(cur, e, "spoiled_at = NULL")

    def returned_to_sender(self, cur: Cursor, e: Any, position: int) -> None:
        self._shipment(cur, e, "returned_at = %s", (utc(e.occurred_at),))
        self._checkpoint(cur, e, position, "RETURNED_TO_SENDER", e.raw_status, e.location, e.note)


# ---------------------------------------------------------------------------------------------
# Queries


def _ids(ids: Sequence[UUID]) -> list[str]:
    return [str(i) for i in ids]


def _grouped(rows: list[dict[str, Any]], key: str, ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    """Rows per owner id, every asked id present (empty list when it has none): DataLoader-ready."""
    grouped: dict[UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in rows:
        grouped[UUID(row.pop(key))].append(row)
    return grouped


class OrderQueries:
    """Queries the orders & shipments read model answers. Scope filters come in as plain arguments."""

    def __init__(self, store: ReadStore, keys: SubjectKeys):
        self.store = store
        self.keys = keys

    def _orders(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``_order`` for a page of rows, their buyers' keys loaded in one query first."""
        prefetch_keys(self.keys, rows, ("buyer_name", "buyer_phone"))
        return [self._order(row) for row in rows]

    def _order(self, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        # The buyer's name, phone and street are sealed tokens (opened here; ERASED once erased), or, in
        # rows projected from events recorded before sealing, plain.
        row["buyer_name"] = reveal(self.keys, row["buyer_name"])
        row["buyer_phone"] = reveal(self.keys, row["buyer_phone"])
        address = json.loads(row["buyer_address"])
        row["buyer_address"] = dict(address, street=reveal(self.keys, address.get("street")))
        row["perishable"] = bool(row["perishable"])
        row["claims"] = json.loads(row["claims"])
        return row

    def _shipment(self, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row["received_by"] = reveal(self.keys, row["received_by"])  # a sealed token, as the buyer's name
        row["perishable"] = bool(row["perishable"])
        return row

    # -- orders ----------------------------------------------------------------------------------

    def orders_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.store.query(f"SELECT * FROM {ORDERS} WHERE id IN ({_in(ids)})", _ids(ids))
        return {UUID(r["id"]): order for r, order in zip(rows, self._orders(rows), strict=True)}

    def order_by_number(self, number: str) -> dict[str, Any] | None:
        row = self.store.query_one(f"SELECT * FROM {ORDERS} WHERE number = %s", (number.strip().upper(),))
        return None if row is None else self._order(row)

    def page(
        self,
        *,
        after: int,
        limit: int,
        status: str | None = None,
        storefront_id: UUID | None = None,
        household_id: UUID | None = None,
        marketplace: str | None = None,
        household_scope: UUID | None = None,
        carrier_id: UUID | None = None,
        count: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Orders placed after the position ``after``, oldest first, and the total matching (None,
        not counted, when ``count`` is False).

        ``status``, ``storefront_id`` and ``household_id`` are the caller's filters; ``marketplace``,
        ``household_scope`` and ``carrier_id`` its scope. All given ones must hold.
        """
        rows, total = self.store.page_by_position(ORDERS, after_position=after, limit=limit, equals=(
            ("status", status), ("storefront_id", storefront_id), ("household_id", household_id),
            ("marketplace", marketplace), ("household_id", household_scope), ("carrier_id", carrier_id),
        ), count=count)
        return self._orders(rows), total

    def lines_for_orders(self, ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        if not ids:
            return {}
        rows = self.store.query(
            f"SELECT * FROM {LINES} WHERE order_id IN ({_in(ids)}) ORDER BY order_id, line_no", _ids(ids)
        )
        return _grouped(rows, "order_id", ids)

    def refunds_for_orders(self, ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        if not ids:
            return {}
        rows = self.store.query(
            f"SELECT * FROM {REFUNDS} WHERE order_id IN ({_in(ids)}) ORDER BY order_id, position", _ids(ids)
        )
        return _grouped(rows, "order_id", ids)

    def payments_for_orders(self, ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        if not ids:
            return {}
        rows = self.store.query(
            f"SELECT * FROM {PAYMENTS} WHERE order_id IN ({_in(ids)}) ORDER BY order_id, position", _ids(ids)
        )
        return _grouped(rows, "order_id", ids)

    # -- shipments -------------------------------------------------------------------------------

    def shipments_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.store.query(f"SELECT * FROM {SHIPMENTS} WHERE id IN ({_in(ids)})", _ids(ids))
        return {UUID(r["id"]): self._shipment(r) for r in rows}

    def shipments_for_orders(self, ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        if not ids:
            return {}
        rows = self.store.query(
            f"SELECT * FROM {SHIPMENTS} WHERE order_id IN ({_in(ids)}) ORDER BY order_id, position", _ids(ids)
        )
        return _grouped([self._shipment(r) for r in rows], "order_id", ids)

    def checkpoints_for_shipments(self, ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        """Each shipment's checkpoints in world-time order (a late report lands where it happened)."""
        if not ids:
            return {}
        rows = self.store.query(
            f"""SELECT * FROM {CHECKPOINTS} WHERE shipment_id IN ({_in(ids)})
                ORDER BY shipment_id, occurred_at, position""",
            _ids(ids),
        )
        return _grouped(rows, "shipment_id", ids)

    def failures_for_shipments(self, ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        if not ids:
            return {}
        rows = self.store.query(
            f"""SELECT * FROM {FAILURES} WHERE shipment_id IN ({_in(ids)})
                ORDER BY shipment_id, occurred_at, position""",
            _ids(ids),
        )
        return _grouped(rows, "shipment_id", ids)

    def overdue_shipments(self, now: datetime, limit: int = 1000) -> list[UUID]:
        """Perishable shipments still on their way whose promise passed before ``now``, oldest promise
        first: the promise watchdog's candidates (it checks each again on the write side)."""
        finals = sorted(FINAL)
        rows = self.store.query(
            f"""SELECT id FROM {SHIPMENTS} WHERE perishable = 1 AND promised_by < %s
                AND status NOT IN ({_in(finals)}) ORDER BY promised_by, position LIMIT %s""",
            [sortable_utc(now), *finals, limit],
        )
        return [UUID(r["id"]) for r in rows]
