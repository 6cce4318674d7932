"""Request-scoped DataLoaders over the read models' batched lookups: one query per kind of row a
response touches, however many objects ask for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from farmgate.graphql.context import Context

Fetch = Callable[[list[UUID]], dict[UUID, Any]]


def batched(fetch: Callable[[Context], Fetch], empty: Any = None) -> Callable[[Context], DataLoader[UUID, Any]]:
    """A DataLoader factory (for ``Context.loader``): ``fetch(ctx)`` maps ids to what was found;
    an id not found loads as ``empty``."""

    def factory(ctx: Context) -> DataLoader[UUID, Any]:
        async def load(ids: list[UUID]) -> list[Any]:
            found = await run_in_threadpool(fetch(ctx), list(ids))
            return [found.get(i, empty) for i in ids]

        return DataLoader(load_fn=load)

    return factory
