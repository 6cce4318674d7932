"""`node(id:)`: every Node type registers how to load one by global id, through its scoped loader,
so the Relay entry point obeys exactly the same scope rules as the typed queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from farmgate.graphql.ids import from_global_id
from farmgate.graphql.types import Node

NodeResolver = Callable[[Any, str], Awaitable[Any]]
_resolvers: dict[str, NodeResolver] = {}


def register_node(type_name: str, resolver: NodeResolver) -> None:
    _resolvers[type_name] = resolver


@strawberry.type
class NodeQuery:
    @strawberry.field
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        parsed = from_global_id(id)
        if parsed is None:
            return None
        resolver = _resolvers.get(parsed[0])
        if resolver is None:
            return None
        return await resolver(info.context, id)
