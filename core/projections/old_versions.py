"""Old versions of the read models, and dropping them once the current version has replaced them.

A release that changes a read model's shape bumps its projection's ``version``: the new version's
tables are built from the event log, and the old version's tables, tracking row and stall stay until
``farmgate projections prune`` drops them — which it does only once the current version has caught
up (its position reached the head of the log at least once: ``projection_versions.caught_up_at``,
recorded by the projector, or its position is at the head now).

An old version's tables are

* those its processes recorded at boot in ``projection_versions`` (databases made since migration
  0004), and
* by the naming convention, for databases made before that record existed: for each table
  ``<base>_v<K>`` the current version owns, ``<base>_v<N>`` for the old version N < K; and a table
  ``<base>_v<J>`` (J < K, J < the current version) whose version left no tracking row is taken to be
  version J's.

Never dropped, whatever a record says: a table any current projection owns, and the tables that hold
state (``PROTECTED_PREFIXES``: tracking, stalls, versions, idempotency keys, audit anchors, household
imports, personal data keys, webhook deliveries and backfills, yoyo's). A version newer than the
code's (a rolled-back release) is left alone: the release rolled forward again resumes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from farmgate.core.application import utc_now
from farmgate.core.database import Cursor, ReadStore
from farmgate.core.projections.base import Projection
from farmgate.core.projections.runner import mark_caught_up
from farmgate.core.projections.stalls import describe

#: tables that hold state (core/migrations) and the migrations' own: never dropped by a prune
PROTECTED_PREFIXES = (
    "projection_tracking", "projection_stalls", "projection_versions", "idempotency_keys", "audit_anchor",
    "household_import", "personal_data_", "webhook_deliveries", "webhook_backfills", "_yoyo", "yoyo",
)
_VERSIONED = re.compile(r"^(?P<base>.+)_v(?P<version>\d+)$")


def protected(table: str) -> bool:
    """Whether ``table`` holds state (never a read model a prune may drop)."""
    return table.lower().startswith(PROTECTED_PREFIXES)


@dataclass
class OldVersion:
    """An older version of a current projection: its tracking name, the tables of it that exist (to
    drop), and whether the current version has caught up (it may be dropped)."""

    name: str
    version: int
    current_version: int
    tables: list[str] = field(default_factory=list)
    caught_up: bool = False
    #: the current version's position and the head, when it has not caught up
    position: int = 0
    head: int = 0

    @property
    def tracking_name(self) -> str:
        return f"{self.name}_v{self.version}"

    def describe(self) -> str:
        tables = ", ".join(self.tables) if self.tables else "no tables left"
        return f"{self.name} v{self.version} ({tables})"


def quoted(table: str) -> str:
    """A table name as an SQL identifier, exactly as the catalog spells it (both dialects)."""
    return '"' + table.replace('"', '""') + '"'


def existing_tables(cur: Cursor) -> set[str]:
    """The tables of the read store's database (PostgreSQL: of the current schema)."""
    if cur.dialect == "sqlite":
        rows = cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {r["name"] for r in rows}
    rows = cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()
    return {r["tablename"] for r in rows}


def find_old_versions(store: ReadStore, projections: Sequence[Projection], head: int) -> list[OldVersion]:
    """Every older version of ``projections`` that left a record, a tracking row or tables, oldest
    first per projection, with the tables of it that exist and whether the current version caught up
    (``head``: the log's newest position)."""
    with store.transaction(commit=False) as cur:
        tables = existing_tables(cur)
        recorded = cur.execute("SELECT name, version, tables, caught_up_at FROM projection_versions").fetchall()
        tracked = {r["name"]: int(r["position"])
                   for r in cur.execute("SELECT name, position FROM projection_tracking").fetchall()}
    owned = {table for projection in projections for table in projection.tables}
    found: list[OldVersion] = []
    for projection in projections:
        records = {int(r["version"]): r for r in recorded if r["name"] == projection.name}
        bases = _bases(projection)
        versions = {v for v in records if v < projection.version}
        versions |= {int(m.group(1)) for name in tracked
                     if (m := re.fullmatch(rf"{re.escape(projection.name)}_v(\d+)", name))
                     and int(m.group(1)) < projection.version}
        versions |= {int(m.group("version")) for table in tables if (m := _VERSIONED.match(table))
                     and m.group("base") in bases and int(m.group("version")) < min(bases[m.group("base")],
                                                                                   projection.version)}
        current = records.get(projection.version)
        position = tracked.get(projection.tracking_name, 0)
        caught_up = bool(current and current["caught_up_at"]) or position >= head
        for version in sorted(versions):
            mine = set(str(records[version]["tables"]).split()) if version in records else set()
            mine |= {f"{base}_v{version}" for base, at in bases.items() if version < at}
            droppable = sorted(t for t in mine if t in tables and t not in owned and not protected(t))
            found.append(OldVersion(projection.name, version, projection.version, droppable, caught_up,
                                    position, head))
    return found


def _bases(projection: Projection) -> dict[str, int]:
    """The projection's current tables by name without their version suffix: {base: K} for ``<base>_v<K>``."""
    return {m.group("base"): int(m.group("version")) for table in projection.tables
            if (m := _VERSIONED.match(table))}


def drop(store: ReadStore, old: OldVersion) -> None:
    """Drop an old version's tables, tracking row, stall and record, in one transaction (PostgreSQL:
    a reader still holding a table makes the DROP wait up to the pool's lock timeout, then raise)."""
    if not old.caught_up:
        raise ValueError(f"{old.name} v{old.current_version} has not caught up: v{old.version} is still needed")
    with store.transaction() as cur:
        for table in old.tables:
            cur.execute(f"DROP TABLE IF EXISTS {quoted(table)}")  # its indexes go with it
        cur.execute("DELETE FROM projection_tracking WHERE name = %s", (old.tracking_name,))
        cur.execute("DELETE FROM projection_stalls WHERE name = %s", (old.tracking_name,))
        cur.execute("DELETE FROM projection_versions WHERE name = %s AND version = %s", (old.name, old.version))


@dataclass
class Pruned:
    """What a prune did: the old versions dropped (or, on a dry run, that would be), those kept
    because their current version has not caught up, and those whose drop failed (with why)."""

    dropped: list[OldVersion] = field(default_factory=list)
    kept: list[OldVersion] = field(default_factory=list)
    failed: list[tuple[OldVersion, str]] = field(default_factory=list)


def prune(store: ReadStore, projections: Sequence[Projection], head: int, *, dry_run: bool = False) -> Pruned:
    """Drop every old version of ``projections`` whose current version has caught up (``head``: the
    log's newest position), each in its own transaction; a dry run changes nothing. A current version
    found at the head now is recorded as caught up first."""
    olds = find_old_versions(store, projections, head)
    result = Pruned()
    if not dry_run and any(old.caught_up for old in olds):
        at = utc_now().isoformat()
        with store.transaction() as cur:
            for projection in projections:
                if any(old.caught_up and old.name == projection.name for old in olds):
                    mark_caught_up(cur, projection, at)
    for old in olds:
        if not old.caught_up:
            result.kept.append(old)
            continue
        try:
            if not dry_run:
                drop(store, old)
        except Exception as error:  # reported per version (a reader holding a table: try again)
            result.failed.append((old, describe(error)))
        else:
            result.dropped.append(old)
    return result
