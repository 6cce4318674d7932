"""Claims read model: one row per compensation claim, scoped by the order's marketplace and household."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.audit import canonical
from farmgate.core.projections.base import Projection

TABLE = "claims_v2"
JSON_COLUMNS = ("evidence", "assessment", "decision", "payments", "flags")


def _json(value: Any) -> str:
    return json.dumps(canonical(value))


class ClaimsView(Projection):
    name = "claims"
    version = 2
    tables = (TABLE,)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {TABLE} (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                marketplace TEXT NOT NULL,
                household_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                claimant TEXT NOT NULL,
                status TEXT NOT NULL,
                amount TEXT NOT NULL,
                currency TEXT NOT NULL,
                description TEXT NOT NULL,
                filed_at TEXT NOT NULL,
                respond_by TEXT NOT NULL,
                breached_at TEXT,
                evidence TEXT NOT NULL,
                assessment TEXT,
                decision TEXT,
                payments TEXT NOT NULL,
                flags TEXT NOT NULL DEFAULT '[]',
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_order ON {TABLE} (order_id)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_open ON {TABLE} (status, respond_by)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_position ON {TABLE} (position)",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {
            "CompensationClaim.Filed": self.filed,
            "CompensationClaim.EvidenceAdded": self.evidence_added,
            "CompensationClaim.Assessed": self.assessed,
            "CompensationClaim.Decided": self.decided,
            "CompensationClaim.CompensationPaid": self.paid,
            "CompensationClaim.Withdrawn": self.withdrawn,
            "CompensationClaim.ResponseDeadlineMissed": self.deadline_missed,
            "CompensationClaim.FlaggedForReview": self.flagged,
        }

    def filed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"""INSERT INTO {TABLE} (id, order_id, marketplace, household_id, kind, claimant, status, amount,
                currency, description, filed_at, respond_by, breached_at, evidence, assessment, decision, payments,
                position) VALUES (%s, %s, %s, %s, %s, %s, 'OPEN', %s, %s, %s, %s, %s, NULL, '[]', NULL, NULL, '[]', %s)""",
            (str(e.originator_id), str(e.order_id), e.marketplace, str(e.household_id), e.kind, e.claimant,
             e.amount_claimed["amount"], e.amount_claimed["currency"], e.description, e.occurred_at.isoformat(),
             e.respond_by.astimezone(timezone.utc).isoformat(), position),
        )

    def _row(self, cur: Cursor, claim_id: UUID) -> dict[str, Any]:
        row = cur.execute(f"SELECT * FROM {TABLE} WHERE id = %s", (str(claim_id),)).fetchone()
        assert row is not None, "a claim event arrived before its Filed event"
        return row

    def _update(self, cur: Cursor, claim_id: UUID, **values: Any) -> None:
        columns = ", ".join(f"{k} = %s" for k in values)
        cur.execute(f"UPDATE {TABLE} SET {columns} WHERE id = %s", (*values.values(), str(claim_id)))

    def evidence_added(self, cur: Cursor, e: Any, position: int) -> None:
        items = json.loads(self._row(cur, e.originator_id)["evidence"])
        items.append({**e.evidence, "added_by": e.actor, "added_at": e.occurred_at})
        self._update(cur, e.originator_id, evidence=_json(items))

    def assessed(self, cur: Cursor, e: Any, position: int) -> None:
        self._update(cur, e.originator_id, status="ASSESSED", assessment=_json({
            "assessor": e.actor, "findings": e.findings, "liability": e.liability,
            "recommended_payout": e.recommended_payout, "assessed_at": e.occurred_at}))

    def decided(self, cur: Cursor, e: Any, position: int) -> None:
        self._update(cur, e.originator_id, status=e.outcome, decision=_json({
            "outcome": e.outcome, "payout": e.payout, "reason": e.reason, "decided_by": e.actor,
            "decided_at": e.occurred_at}))

    def paid(self, cur: Cursor, e: Any, position: int) -> None:
        row = self._row(cur, e.originator_id)
        payments = json.loads(row["payments"])
        payments.append({"payer": e.payer, "amount": e.amount, "reference": e.reference, "paid_at": e.occurred_at})
        self._update(cur, e.originator_id, payments=_json(payments), status="PAID" if e.settled else row["status"])

    def withdrawn(self, cur: Cursor, e: Any, position: int) -> None:
        self._update(cur, e.originator_id, status="WITHDRAWN")

    def flagged(self, cur: Cursor, e: Any, position: int) -> None:
        flags = json.loads(self._row(cur, e.originator_id)["flags"])
        flags.append({"reason": e.reason, "cause": e.cause, "flagged_at": e.occurred_at})
        self._update(cur, e.originator_id, flags=_json(flags))

    def deadline_missed(self, cur: Cursor, e: Any, position: int) -> None:
        self._update(cur, e.originator_id, breached_at=e.occurred_at.isoformat())


class ClaimQueries:
    def __init__(self, store: ReadStore):
        self.store = store

    @staticmethod
    def _decode(row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        for column in JSON_COLUMNS:
            row[column] = json.loads(row[column]) if row[column] else None
        return row

    def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        rows = self.store.query(f"SELECT * FROM {TABLE} WHERE id IN ({marks})", [str(i) for i in ids])
        return {UUID(r["id"]): self._decode(r) for r in rows}

    def for_orders(self, order_ids: Sequence[UUID]) -> dict[UUID, list[dict[str, Any]]]:
        found: dict[UUID, list[dict[str, Any]]] = {i: [] for i in order_ids}
        if not order_ids:
            return found
        marks = ", ".join(["%s"] * len(order_ids))
        rows = self.store.query(f"SELECT * FROM {TABLE} WHERE order_id IN ({marks}) ORDER BY position",
                                [str(i) for i in order_ids])
        for row in rows:
            found[UUID(row["order_id"])].append(self._decode(row))
        return found

    def page(self, *, after_position: int, limit: int, status: str | None = None, marketplace: str | None = None,
             household_id: UUID | None = None, count: bool = True) -> tuple[list[dict[str, Any]], int | None]:
        """Claims after a position, oldest first, and the total matching the filters (None, not
        counted, when ``count`` is False)."""
        rows, total = self.store.page_by_position(TABLE, after_position=after_position, limit=limit, equals=(
            ("status", status), ("marketplace", marketplace), ("household_id", household_id)), count=count)
        return [self._decode(r) for r in rows], total

    def overdue(self, now: datetime, limit: int = 1000) -> list[UUID]:
        """Undecided claims past their response deadline and not yet recorded as breached."""
        rows = self.store.query(
            f"SELECT id FROM {TABLE} WHERE status IN ('OPEN', 'ASSESSED') AND breached_at IS NULL"
            " AND respond_by < %s ORDER BY respond_by LIMIT %s",
            (now.astimezone(timezone.utc).isoformat(), limit),
        )
        return [UUID(r["id"]) for r in rows]
