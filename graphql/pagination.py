"""Relay connection arguments: default 20, at most 100 (more is a GraphQL error), opaque cursors.

Every connection decodes its ``after`` here, once: the cursor must be one we wrote for this list
(``ids.decode_cursor``), holding the position shape the list uses (``canonical_text.cursor_position``:
ASCII digits within BIGINT range); anything else is BAD_USER_INPUT before the database is asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farmgate.core.domain.canonical_text import cursor_position
from farmgate.core.domain.errors import InvalidInput
from farmgate.graphql.errors import CodedError
from farmgate.graphql.ids import decode_cursor, encode_cursor
from farmgate.graphql.inputs import given
from farmgate.graphql.types import PageInfo

DEFAULT_PAGE = 20
MAX_PAGE = 100
#: lists whose position has more than one part ("rank:position" for the ranked listing search)
POSITION_PARTS = {"listings": 2}


@dataclass(frozen=True)
class Window:
    kind: str
    limit: int
    after: str | None

    def page_info(self, cursors: list[str], has_next: bool) -> PageInfo:
        return PageInfo(
            has_next_page=has_next,
            has_previous_page=self.after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )

    def after_position(self) -> int:
        """The numeric position a cursor stands for (0 before the first page)."""
        return 0 if self.after is None else int(self.after)

    def cursor(self, position: int | str) -> str:
        return encode_cursor(self.kind, position)


def connection(page: Window, rows: list[dict[str, Any]], total: int | None, *, connection: Any, edge: Any,
               node: Any, key: str = "position") -> Any:
    """A Relay connection of ``rows`` fetched with one more than the page (to tell whether another
    page follows); each row becomes ``node(row=…)`` with the cursor of its ``key``.

    ``total``: None when the selection does not ask for ``totalCount`` (``field_selection.selects``),
    so nothing was counted. The field is then never resolved; were it resolved all the same, the
    client gets a non-null error for it, never a made-up number."""
    shown = rows[: page.limit]
    cursors = [page.cursor(row[key]) for row in shown]
    return connection(
        edges=[edge(cursor=c, node=node(row=row)) for c, row in zip(cursors, shown)],
        page_info=page.page_info(cursors, len(rows) > page.limit),
        total_count=total,
    )


def window(kind: str, first: int | None, after: str | None) -> Window:
    first, after = given(first), given(after)
    if first is None:
        first = DEFAULT_PAGE
    if first < 0:
        raise CodedError("first must not be negative", "BAD_USER_INPUT")
    if first > MAX_PAGE:
        raise CodedError(f"first must be at most {MAX_PAGE}", "LIMIT_EXCEEDED")
    position = None
    if after is not None:
        position = decode_cursor(after, kind)
        if position is None:
            raise CodedError("after is not a cursor of this list", "BAD_USER_INPUT")
        try:
            cursor_position(position, POSITION_PARTS.get(kind, 1), ["after"])
        except InvalidInput as error:
            raise CodedError(error.message, "BAD_USER_INPUT") from None
    return Window(kind, first, position)
