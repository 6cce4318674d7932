"""Carrier directory: every carrier farmgate knows (the built-in ones, written when the tables are
created, and those ADMIN registered), and the spelling keys that name each one.

It answers the carrier list and the one question scope asks on every carrier token: which carrier
does this claim name (an id, or any known spelling)?
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.carrier import BUILT_IN_CARRIERS, Carrier, spelling_key
from farmgate.core.projections.base import Projection
from farmgate.core.projections.catalog import _in

CARRIERS = "carriers_v1"
SPELLINGS = "carrier_spellings_v1"


class CarrierDirectory(Projection):
    name = "carriers"
    tables = (CARRIERS, SPELLINGS)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {CARRIERS} (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                aliases TEXT NOT NULL,
                built_in INTEGER NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {SPELLINGS} (
                spelling_key TEXT PRIMARY KEY,
                carrier_id TEXT NOT NULL
            )""",
        ]

    def create(self, cur: Cursor) -> None:
        """The tables, with the built-in carriers in them: they exist before any event does."""
        super().create(cur)
        for carrier in BUILT_IN_CARRIERS:
            self._insert(cur, carrier, position=0)

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {"CarrierRegistry.CarrierRegistered": self.registered}

    def registered(self, cur: Cursor, e: Any, position: int) -> None:
        self._insert(cur, Carrier(e.carrier_id, e.name, tuple(e.aliases), built_in=False), position)

    @staticmethod
    def _insert(cur: Cursor, carrier: Carrier, position: int) -> None:
        cur.execute(
            f"""INSERT INTO {CARRIERS} (id, name, aliases, built_in, position) VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (id) DO NOTHING""",
            (str(carrier.id), carrier.name, json.dumps(list(carrier.aliases), ensure_ascii=False),
             int(carrier.built_in), position),
        )
        cur.executemany(
            f"INSERT INTO {SPELLINGS} (spelling_key, carrier_id) VALUES (%s, %s) ON CONFLICT (spelling_key) DO NOTHING",
            [(key, str(carrier.id)) for key in sorted(carrier.keys())],
        )


class CarrierQueries:
    """The carriers read model's answers: rows with ``id``, ``name``, ``aliases`` (a list), ``built_in``."""

    def __init__(self, store: ReadStore):
        self.store = store

    @staticmethod
    def _carrier(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "aliases": json.loads(row["aliases"]), "built_in": bool(row["built_in"])}

    def all(self) -> list[dict[str, Any]]:
        """Built-in carriers first, then ADMIN's in the order they were registered."""
        rows = self.store.query(f"SELECT * FROM {CARRIERS} ORDER BY built_in DESC, position, name")
        return [self._carrier(r) for r in rows]

    def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.store.query(f"SELECT * FROM {CARRIERS} WHERE id IN ({_in(ids)})", [str(i) for i in ids])
        return {UUID(r["id"]): self._carrier(r) for r in rows}

    def id_named(self, spelling: str) -> UUID | None:
        """The id of the carrier this spelling names (``domain.carrier.spelling_key``), if any."""
        row = self.store.query_one(f"SELECT carrier_id FROM {SPELLINGS} WHERE spelling_key = %s",
                                   (spelling_key(spelling),))
        return None if row is None else UUID(row["carrier_id"])
