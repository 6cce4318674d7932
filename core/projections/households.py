"""Household directory: one row per household, searchable by accent-folded name.

The name, phone and street are kept sealed (the event's tokens, see ``core.personal_cipher``) and
opened when read, so the table holds no personal data in plain text and an erasure needs no update
here. Name search therefore opens the names of the rows the other filters leave, in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.folding import fold
from farmgate.core.domain.personal_data import ERASED
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.personal_cipher import prefetch_keys, reveal, stored_form
from farmgate.core.personal_keys import SubjectKeys
from farmgate.core.projections.area_sql import area_clause
from farmgate.core.projections.base import Projection

TABLE = "household_directory_v2"
#: the sealed columns, opened on read
SEALED_COLUMNS = ("name", "phone", "street")


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class HouseholdDirectory(Projection):
    name = "household_directory"
    version = 2
    tables = (TABLE,)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {TABLE} (
                id TEXT PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                scheme INTEGER NOT NULL,
                province_code TEXT NOT NULL,
                district_code TEXT,
                ward_code TEXT,
                street TEXT,
                phone TEXT NOT NULL,
                channel TEXT,
                latitude DOUBLE PRECISION,
                longitude DOUBLE PRECISION,
                registered_at TEXT NOT NULL,
                verified_at TEXT,
                payment_accounts TEXT NOT NULL,
                certifications TEXT NOT NULL,
                version INTEGER NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_province ON {TABLE} (scheme, province_code, position)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_position ON {TABLE} (position)",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {
            "Household.Registered": self.registered,
            "Household.Verified": self.verified,
            "Household.PaymentAccountLinked": self.payment_account_linked,
            "Household.CertificationAdded": self.certification_added,
        }

    def registered(self, cur: Cursor, e: Any, position: int) -> None:
        a = e.address
        loc = e.location or {}
        cur.execute(
            f"""INSERT INTO {TABLE} (id, code, name, status, scheme, province_code,
                district_code, ward_code, street, phone, channel, latitude, longitude, registered_at,
                verified_at, payment_accounts, certifications, version, position)
                VALUES (%s, %s, %s, 'REGISTERED', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, '[]', '[]', %s, %s)""",
            (
                str(e.originator_id), e.code, stored_form(e, "name"), a["scheme"], a["province_code"],
                a.get("district_code"), a.get("ward_code"), stored_form(e, "address.street"), stored_form(e, "phone"),
                e.channel,
                loc.get("latitude"), loc.get("longitude"), iso(e.occurred_at), e.originator_version, position,
            ),
        )

    def verified(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"UPDATE {TABLE} SET status = 'VERIFIED', verified_at = %s, version = %s WHERE id = %s",
            (iso(e.occurred_at), e.originator_version, str(e.originator_id)),
        )

    def _append(self, cur: Cursor, e: Any, column: str, item: dict[str, Any]) -> None:
        row = cur.execute(f"SELECT {column} FROM {TABLE} WHERE id = %s", (str(e.originator_id),)).fetchone()
        items = json.loads(row[column]) if row else []
        items.append(item)
        cur.execute(
            f"UPDATE {TABLE} SET {column} = %s, version = %s WHERE id = %s",
            (json.dumps(items), e.originator_version, str(e.originator_id)),
        )

    def payment_account_linked(self, cur: Cursor, e: Any, position: int) -> None:
        self._append(cur, e, "payment_accounts", {
            "kind": e.kind, "provider": e.provider, "reference_masked": e.reference_masked,
            "linked_at": iso(e.occurred_at),
        })

    def certification_added(self, cur: Cursor, e: Any, position: int) -> None:
        self._append(cur, e, "certifications", {
            "id": str(e.certification_id), "scheme": e.scheme, "number": e.number, "issuer": e.issuer,
            "valid_until": iso(e.valid_until),
        })


class HouseholdQueries:
    """Queries the household directory answers. Scope filters come in as plain arguments."""

    def __init__(self, store: ReadStore, keys: SubjectKeys):
        self.store = store
        self.keys = keys

    def _decode(self, row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        row = dict(row)
        for column in SEALED_COLUMNS:
            row[column] = reveal(self.keys, row[column])
        row["payment_accounts"] = json.loads(row["payment_accounts"])
        row["certifications"] = json.loads(row["certifications"])
        return row

    def by_ids(self, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        rows = self.store.query(f"SELECT * FROM {TABLE} WHERE id IN ({marks})", [str(i) for i in ids])
        prefetch_keys(self.keys, rows, SEALED_COLUMNS)
        return {UUID(r["id"]): self._decode(r) for r in rows}  # type: ignore[misc]

    def by_code(self, code: str) -> dict[str, Any] | None:
        return self._decode(self.store.query_one(f"SELECT * FROM {TABLE} WHERE code = %s", (code.strip(),)))

    def page(
        self,
        *,
        after_position: int,
        limit: int,
        province: ProvinceArea | None = None,
        status: str | None = None,
        search: str | None = None,
        channel: str | None = None,
        only_id: UUID | None = None,
        area: ProvinceArea | None = None,
        count: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Rows after a position, oldest registration first, and the total matching the filters
        (None, not counted, when ``count`` is False; a name search counts as it goes, for free);
        ``area`` (a province officer's scope) and ``province`` (the caller's filter): only households
        recorded in that province's area under either scheme (both given: in both)."""
        clauses: list[tuple[str, Any]] = [area_clause(a) for a in (area, province) if a is not None]
        equals = (("status", status), ("channel", channel), ("id", only_id))
        if search and fold(search):
            return self._search(fold(search), after_position, limit, equals, clauses)
        rows, total = self.store.page_by_position(TABLE, after_position=after_position, limit=limit, equals=equals,
                                                  clauses=clauses, count=count)
        prefetch_keys(self.keys, rows, SEALED_COLUMNS)
        return [self._decode(r) for r in rows], total  # type: ignore[misc]

    def _search(self, folded: str, after_position: int, limit: int, equals: Any, clauses: Any
                ) -> tuple[list[dict[str, Any]], int]:
        """Name search over the opened names of every row the other filters leave (names are sealed)."""
        rows, _ = self.store.page_by_position(TABLE, after_position=0, limit=1_000_000, equals=equals,
                                              clauses=clauses, count=False)
        found = [r for r in (self._decode(row) for row in rows)
                 if r is not None and r["name"] != ERASED and folded in fold(r["name"])]
        return [r for r in found if int(r["position"]) > after_position][:limit], len(found)

