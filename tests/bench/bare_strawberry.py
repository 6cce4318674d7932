"""The ceiling for a GraphQL read over HTTP: bare strawberry (no database, no auth, no middleware)
serving the same page of listings from memory, in one uvicorn process, with the same parse and
validation caches as the served schema.

    python -m tests.bench.bare_strawberry PAYLOAD.json PORT

``PAYLOAD.json`` is the ``data`` of the real server's answer to ``serving.PAGE``; the types here
mirror the fields that query selects, so strawberry does the same resolving and serialising work.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import strawberry
import uvicorn
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache


@strawberry.type
class Money:
    amount: str
    currency: str


@strawberry.type
class Storefront:
    name: str


@strawberry.type
class Listing:
    id: strawberry.ID
    title: str
    unit: str
    unit_price: Money
    stock_quantity: int
    status: str
    storefront: Storefront


@strawberry.type
class ListingEdge:
    cursor: str
    node: Listing


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ListingConnection:
    edges: list[ListingEdge]
    page_info: PageInfo


def connection(data: dict[str, Any]) -> ListingConnection:
    """The page from the real server's JSON, as objects strawberry resolves field by field."""
    page = data["listings"]
    edges = [ListingEdge(cursor=e["cursor"], node=Listing(
        id=e["node"]["id"], title=e["node"]["title"], unit=e["node"]["unit"],
        unit_price=Money(**e["node"]["unitPrice"]), stock_quantity=e["node"]["stockQuantity"],
        status=e["node"]["status"], storefront=Storefront(name=e["node"]["storefront"]["name"])))
        for e in page["edges"]]
    info = page["pageInfo"]
    return ListingConnection(edges=edges, page_info=PageInfo(has_next_page=info["hasNextPage"],
                                                             end_cursor=info["endCursor"]))


def schema_serving(data: dict[str, Any]) -> strawberry.Schema:
    """A schema whose ``listings(first:)`` answers the page held in memory."""
    page = connection(data)

    @strawberry.type
    class Query:
        @strawberry.field
        def listings(self, first: int | None = None) -> ListingConnection:
            return page

    # the same parse and validation caches as the served schema, so the ceiling does no work farmgate skips
    return strawberry.Schema(query=Query, extensions=[lambda: ParserCache(maxsize=256),
                                                      lambda: ValidationCache(maxsize=256)])


if __name__ == "__main__":
    payload = json.loads(Path(sys.argv[1]).read_text())
    uvicorn.run(GraphQL(schema_serving(payload), graphql_ide=None), host="127.0.0.1", port=int(sys.argv[2]),
                log_level="warning", access_log=False)
