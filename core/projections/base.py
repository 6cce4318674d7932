"""What a projection is: named tables it owns, the events it handles, how to drop them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from farmgate.core.database import Cursor


def event_name(event: Any) -> str:
    """'Household.Registered' for an event class nested in its aggregate."""
    return type(event).__qualname__


class Projection:
    #: unique name; part of the tracking key. Bump ``version`` when the tables change shape:
    #: the new tables are built from the event log, no hand migration; ``farmgate projections
    #: prune`` drops the old version's once the new one has caught up (``old_versions``).
    name: ClassVar[str]
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[str, ...]] = ()

    @property
    def tracking_name(self) -> str:
        return f"{self.name}_v{self.version}"

    def ddl(self, dialect: str) -> list[str]:
        """CREATE statements (idempotent) for this projection's tables and indexes."""
        raise NotImplementedError

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        """Event name -> handler(cursor, event, position)."""
        raise NotImplementedError

    def create(self, cur: Cursor) -> None:
        for statement in self.ddl(cur.dialect):
            cur.execute(statement)

    def drop(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
