"""Whether the client's query asks for a field directly under the field being resolved.

A connection resolver asks ``selects(info, "totalCount")`` before it counts: an exact ``COUNT(*)``
over every match costs a scan the page itself does not need (issue 16), so it runs only when the
client selected the count.

The walk is over strawberry's ``info.selected_fields`` (strawberry.types.nodes: ``SelectedField``,
``InlineFragment``, ``FragmentSpread``; every field node of the resolved field, so a field queried
twice under one response key is seen whole). A field counts as selected under any alias and inside
inline or named fragments at any depth, whatever their type condition (a connection's fragments can
only be on that connection). ``@skip(if: true)`` and ``@include(if: false)`` leave out what they
mark, as GraphQL executes them; any other directive changes nothing. When in doubt this says yes:
a needless count costs time, a missing one would fail the field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def selects(info: Any, field: str) -> bool:
    """Whether ``field`` (its GraphQL name, e.g. ``"totalCount"``, not an alias) is selected
    directly under the field ``info`` resolves. ``info``: a ``strawberry.Info``."""
    return any(_asks(node, field) for resolved in info.selected_fields for node in _kept(resolved.selections))


def _asks(node: Selection, field: str) -> bool:
    if isinstance(node, SelectedField):
        return node.name == field
    if isinstance(node, (InlineFragment, FragmentSpread)):
        return any(_asks(inner, field) for inner in _kept(node.selections))
    return True  # a selection kind strawberry may add later: count rather than guess


def _kept(nodes: Iterable[Selection]) -> Iterable[Selection]:
    """The selections ``@skip``/``@include`` leave in."""
    for node in nodes:
        directives = node.directives or {}
        if directives.get("skip", {}).get("if") is True or directives.get("include", {}).get("if") is False:
            continue
        yield node
