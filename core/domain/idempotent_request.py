"""IdempotentRequest: the record that a request made with an idempotency key committed its command.

It is saved in the same atomic save as the aggregates the command changed, so it exists if and
only if the command's events do, on every backend. Its stream id is derived from the caller, the
key and the key's generation (see ``core.idempotency``): a second commit for one key collides in
the event store itself — two processes that both believe they hold a key can never both commit
(never two orders for one key) — and a retry whose first attempt died after committing finds what
was committed here, in what was recorded, not in a cache that the crash lost.

It holds no personal data: a digest names it, and it lists the streams (type, id, version) the
command changed.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate

IDEMPOTENT_REQUEST_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:idempotent-request")


def idempotent_request_id(request_digest: str) -> UUID:
    return uuid5(IDEMPOTENT_REQUEST_NAMESPACE, request_digest)


def changes_of(aggregates: Any) -> list[dict[str, Any]]:
    """What a save is about to record: each changed aggregate's type, id and new version."""
    return [
        {"stream": type(a).__name__, "id": str(a.id), "version": a.version}
        for a in aggregates
        if a is not None and getattr(a, "pending_events", None)
    ]


class RequestAlreadyCommitted(Exception):
    """Another attempt of this keyed request has committed the command already (this one's save was
    refused by the event store): answer with what that one committed."""

    def __init__(self, request_digest: str):
        super().__init__("this idempotent request was committed by another attempt")
        self.request_digest = request_digest


class IdempotentRequest(FarmAggregate):
    """One keyed request's commit: created by the save that records its command (see the module)."""

    class Committed(FarmAggregate.Created):
        #: [{"stream": "Order", "id": "<uuid>", "version": 1}, …], in the order they were saved
        changes: list[dict[str, Any]]

    class CommittedMore(FarmAggregate.Event):
        """A later save of the same request's command (a command that saves more than once)."""

        changes: list[dict[str, Any]]

        def apply(self, request: IdempotentRequest) -> None:
            request.changes = [*request.changes, *self.changes]

    def __init__(self, changes: list[dict[str, Any]]) -> None:
        self.changes = changes

    @classmethod
    def commit(cls, request_digest: str, changes: list[dict[str, Any]]) -> IdempotentRequest:
        return cls._start(cls.Committed, idempotent_request_id(request_digest), changes=changes)

    def commit_more(self, changes: list[dict[str, Any]]) -> None:
        self._record(self.CommittedMore, changes=changes)
