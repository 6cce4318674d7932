"""Export tracking: partners, export orders, their lots per household, documents and milestones.

Orders carry ``partner_id`` and ``created_by`` so the API can scope every read to the partner or
marketplace asking. Lot rows keep the household's id and public code; the name is joined from the
household directory when read, so no household data is copied here (an erasure there holds here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.money import Money
from farmgate.core.domain.export_order import REQUIRED_DOCUMENTS, missing_documents
from farmgate.core.domain.export_sla import FINAL_STATES, ON_TRACK, due_by
from farmgate.core.projections.base import Projection
from farmgate.core.personal_cipher import prefetch_keys, reveal, stored_form
from farmgate.core.personal_keys import SubjectKeys
from farmgate.core.projections.households import TABLE as HOUSEHOLDS
from farmgate.core.projections.households import iso

PARTNERS = "export_partners_v1"
ORDERS = "export_orders_v1"
LOTS = "export_lots_v1"
DOCUMENTS = "export_documents_v1"
MILESTONES = "export_milestones_v1"


class ExportTracking(Projection):
    name = "export_tracking"
    version = 1
    tables = (PARTNERS, ORDERS, LOTS, DOCUMENTS, MILESTONES)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {PARTNERS} (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                country TEXT NOT NULL,
                registered_at TEXT NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {ORDERS} (
                id TEXT PRIMARY KEY,
                partner_id TEXT NOT NULL,
                created_by TEXT,
                reference TEXT NOT NULL,
                status TEXT NOT NULL,
                product TEXT NOT NULL,
                hs_code TEXT NOT NULL,
                destination_country TEXT NOT NULL,
                consignee TEXT NOT NULL,
                incoterm TEXT NOT NULL,
                quantity_kg BIGINT NOT NULL,
                allocated_kg BIGINT NOT NULL,
                household_count INTEGER NOT NULL,
                unit_price TEXT NOT NULL,
                total TEXT NOT NULL,
                currency TEXT NOT NULL,
                harvest_to_door_hours INTEGER NOT NULL,
                harvested_at TEXT,
                due_by TEXT,
                departed_at TEXT,
                delivered_at TEXT,
                cancelled_at TEXT,
                missing_documents TEXT NOT NULL,
                sla_state TEXT NOT NULL,
                sla_observed_at TEXT,
                created_at TEXT NOT NULL,
                version INTEGER NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_position ON {ORDERS} (position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_partner ON {ORDERS} (partner_id, position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_creator ON {ORDERS} (created_by, position)",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_status ON {ORDERS} (status, position)",
            f"""CREATE TABLE IF NOT EXISTS {LOTS} (
                export_order_id TEXT NOT NULL,
                household_id TEXT NOT NULL,
                household_code TEXT NOT NULL,
                quantity_kg BIGINT NOT NULL,
                allocations INTEGER NOT NULL,
                position BIGINT NOT NULL,
                PRIMARY KEY (export_order_id, household_id)
            )""",
            f"""CREATE TABLE IF NOT EXISTS {DOCUMENTS} (
                export_order_id TEXT NOT NULL,
                position BIGINT NOT NULL,
                kind TEXT NOT NULL,
                number TEXT NOT NULL,
                issuer TEXT NOT NULL,
                issued_at TEXT NOT NULL,
                sha256 TEXT,
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (export_order_id, position)
            )""",
            f"""CREATE TABLE IF NOT EXISTS {MILESTONES} (
                export_order_id TEXT NOT NULL,
                position BIGINT NOT NULL,
                kind TEXT NOT NULL,
                occurred_at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                location TEXT,
                note TEXT,
                PRIMARY KEY (export_order_id, position)
            )""",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {
            "ExportPartner.Registered": self.partner_registered,
            "ExportOrder.Opened": self.opened,
            "ExportOrder.LotAllocated": self.lot_allocated,
            "ExportOrder.DocumentFiled": self.document_filed,
            "ExportOrder.MilestoneReached": self.milestone_reached,
            "ExportOrder.Cancelled": self.cancelled,
            "ExportOrder.SlaStateChanged": self.sla_state_changed,
        }

    def partner_registered(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"INSERT INTO {PARTNERS} (id, name, country, registered_at, position) VALUES (%s, %s, %s, %s, %s)",
            (str(e.originator_id), e.name, e.country, iso(e.occurred_at), position),
        )

    def opened(self, cur: Cursor, e: Any, position: int) -> None:
        price = Money(e.unit_price, e.currency)
        cur.execute(
            f"""INSERT INTO {ORDERS} (id, partner_id, created_by, reference, status, product, hs_code,
                destination_country, consignee, incoterm, quantity_kg, allocated_kg, household_count,
                unit_price, total, currency, harvest_to_door_hours, missing_documents, sla_state,
                created_at, version, position)
                VALUES (%s, %s, %s, %s, 'OPEN', %s, %s, %s, %s, %s, %s, 0, 0, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                str(e.originator_id), str(e.partner_id), e.created_by, e.reference, e.product, e.hs_code,
                e.destination_country, stored_form(e, "consignee"), e.incoterm, e.quantity_kg, price.amount_text,
                (price * e.quantity_kg).amount_text, price.currency, e.harvest_to_door_hours,
                json.dumps(list(REQUIRED_DOCUMENTS)), ON_TRACK, iso(e.occurred_at), e.originator_version, position,
            ),
        )

    def _touch(self, cur: Cursor, e: Any, assignments: str = "", params: tuple[Any, ...] = ()) -> None:
        """Update the order row, always moving its version on."""
        sets = f"{assignments}, version = %s" if assignments else "version = %s"
        cur.execute(f"UPDATE {ORDERS} SET {sets} WHERE id = %s", (*params, e.originator_version, str(e.originator_id)))

    def lot_allocated(self, cur: Cursor, e: Any, position: int) -> None:
        order_id, household_id = str(e.originator_id), str(e.household_id)
        # Select-then-write rather than an upsert: whether the household is new decides the count.
        existing = cur.execute(
            f"SELECT quantity_kg FROM {LOTS} WHERE export_order_id = %s AND household_id = %s",
            (order_id, household_id),
        ).fetchone()
        if existing is None:
            cur.execute(
                f"""INSERT INTO {LOTS} (export_order_id, household_id, household_code, quantity_kg, allocations, position)
                    VALUES (%s, %s, %s, %s, 1, %s)""",
                (order_id, household_id, e.household_code, e.quantity_kg, position),
            )
        else:
            cur.execute(
                f"""UPDATE {LOTS} SET quantity_kg = quantity_kg + %s, allocations = allocations + 1
                    WHERE export_order_id = %s AND household_id = %s""",
                (e.quantity_kg, order_id, household_id),
            )
        self._touch(
            cur, e, "allocated_kg = %s, household_count = household_count + %s",
            (e.allocated_kg, 1 if existing is None else 0),
        )

    def document_filed(self, cur: Cursor, e: Any, position: int) -> None:
        order_id = str(e.originator_id)
        cur.execute(
            f"""INSERT INTO {DOCUMENTS} (export_order_id, position, kind, number, issuer, issued_at, sha256, recorded_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            (order_id, position, e.kind, e.number, e.issuer, iso(e.issued_at), e.sha256, iso(e.timestamp)),
        )
        kinds = cur.execute(f"SELECT kind FROM {DOCUMENTS} WHERE export_order_id = %s", (order_id,)).fetchall()
        self._touch(cur, e, "missing_documents = %s", (json.dumps(missing_documents(r["kind"] for r in kinds)),))

    def milestone_reached(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"""INSERT INTO {MILESTONES} (export_order_id, position, kind, occurred_at, recorded_at, location, note)
                VALUES (%s, %s, %s, %s, %s, %s, %s)""",
            (str(e.originator_id), position, e.kind, iso(e.occurred_at), iso(e.timestamp), e.location, e.note),
        )
        if e.kind == "HARVESTED":
            row = cur.execute(f"SELECT harvest_to_door_hours FROM {ORDERS} WHERE id = %s", (str(e.originator_id),))
            hours = int(row.fetchone()["harvest_to_door_hours"])  # type: ignore[index]
            due = due_by(e.occurred_at, hours)
            self._touch(cur, e, "harvested_at = %s, due_by = %s", (iso(e.occurred_at), iso(due)))
        elif e.kind == "DEPARTED":
            self._touch(cur, e, "status = 'IN_TRANSIT', departed_at = %s", (iso(e.occurred_at),))
        elif e.kind == "DELIVERED":
            self._touch(cur, e, "status = 'DELIVERED', delivered_at = %s", (iso(e.occurred_at),))
        else:
            self._touch(cur, e)

    def cancelled(self, cur: Cursor, e: Any, position: int) -> None:
        self._touch(cur, e, "status = 'CANCELLED', cancelled_at = %s", (iso(e.occurred_at),))

    def sla_state_changed(self, cur: Cursor, e: Any, position: int) -> None:
        self._touch(cur, e, "sla_state = %s, sla_observed_at = %s", (e.state, iso(e.occurred_at)))


def _in(ids: list[UUID]) -> tuple[str, list[str]]:
    return ", ".join(["%s"] * len(ids)), [str(i) for i in ids]


def _grouped(rows: list[dict[str, Any]], ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    """Rows per export order, every asked id present (empty list when it has none): DataLoader-ready."""
    grouped: dict[UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in rows:
        grouped[UUID(row.pop("export_order_id"))].append(row)
    return grouped


class ExportQueries:
    """Queries export tracking answers. Scope filters (partner, creator) come in as plain arguments."""

    def __init__(self, store: ReadStore, keys: SubjectKeys):
        self.store = store
        self.keys = keys

    def _decode(self, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row["consignee"] = reveal(self.keys, row["consignee"])  # sealed (the consignee is a person)
        row["missing_documents"] = json.loads(row["missing_documents"])
        return row

    def by_ids(self, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        marks, params = _in(ids)
        rows = self.store.query(f"SELECT * FROM {ORDERS} WHERE id IN ({marks})", params)
        prefetch_keys(self.keys, rows, ("consignee",))
        return {UUID(r["id"]): self._decode(r) for r in rows}

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
        """Orders after a position, oldest first, and the total matching the filters (None, not
        counted, when ``count`` is False)."""
        rows, total = self.store.page_by_position(ORDERS, after_position=after_position, limit=limit, equals=(
            ("status", status), ("partner_id", partner_id), ("created_by", created_by)), count=count)
        prefetch_keys(self.keys, rows, ("consignee",))
        return [self._decode(r) for r in rows], total

    def lots_for(self, ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        """Each order's lots, one row per household (summed), in order of first allocation."""
        if not ids:
            return {}
        marks, params = _in(ids)
        # Only the household's code and name: export partners may see no more of it.
        rows = self.store.query(
            f"""SELECT l.export_order_id, l.household_id, l.household_code, h.name AS household_name,
                       l.quantity_kg, l.allocations
                FROM {LOTS} l LEFT JOIN {HOUSEHOLDS} h ON h.id = l.household_id
                WHERE l.export_order_id IN ({marks}) ORDER BY l.export_order_id, l.position""",
            params,
        )
        for row in rows:
            row["household_id"] = UUID(row["household_id"])
            row["household_name"] = reveal(self.keys, row["household_name"])  # sealed in the directory
        return _grouped(rows, ids)

    def documents_for(self, ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        if not ids:
            return {}
        marks, params = _in(ids)
        rows = self.store.query(
            f"""SELECT export_order_id, kind, number, issuer, issued_at, sha256, recorded_at FROM {DOCUMENTS}
                WHERE export_order_id IN ({marks}) ORDER BY export_order_id, position""",
            params,
        )
        return _grouped(rows, ids)

    def milestones_for(self, ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        if not ids:
            return {}
        marks, params = _in(ids)
        rows = self.store.query(
            f"""SELECT export_order_id, kind, occurred_at, recorded_at, location, note FROM {MILESTONES}
                WHERE export_order_id IN ({marks}) ORDER BY export_order_id, position""",
            params,
        )
        return _grouped(rows, ids)

    def partners_by_ids(self, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        marks, params = _in(ids)
        rows = self.store.query(f"SELECT id, name, country, registered_at FROM {PARTNERS} WHERE id IN ({marks})", params)
        return {UUID(r["id"]): r for r in rows}

    def sla_watchlist(self) -> list[UUID]:
        """Orders whose harvest-to-door state may still change: harvested, not cancelled, not final."""
        finals = sorted(FINAL_STATES)
        rows = self.store.query(
            f"""SELECT id FROM {ORDERS} WHERE harvested_at IS NOT NULL AND status <> 'CANCELLED'
                AND sla_state NOT IN ({", ".join(["%s"] * len(finals))}) ORDER BY position""",
            finals,
        )
        return [UUID(r["id"]) for r in rows]
