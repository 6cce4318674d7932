"""The base of every farmgate aggregate: events carry provenance, world time and a chained hash.

Every event records ``actor``, ``occurred_at`` (world time, as reported) beside the library's
``timestamp`` (recorded time), ``correlation_id``, ``causation_id`` and ``hash``, the SHA-256 that
chains it to the previous event of its stream (see ``audit``). Personal fields are hashed through
their ``commitments`` (see ``personal_data``): what is stored of them, and what stays after erasure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from farmgate.core.domain.audit import GENESIS, chain_hash
from farmgate.core.domain.personal_data import commit_personal, hashed_view
from farmgate.core.domain.provenance import current_provenance, world_now

# Fields every event has that are not its data (the data is what the hash and history show).
ENVELOPE_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "occurred_at", "hash", "commitments"}
)

T = TypeVar("T", bound="FarmAggregate")


def event_data(event: Any) -> dict[str, Any]:
    """The event's own data, with actor and correlation/causation ids, without the envelope."""
    return {k: v for k, v in vars(event).items() if k not in ENVELOPE_FIELDS}


def hashed_data(event: Any) -> dict[str, Any]:
    """What the event's chain hash covers of its data: personal fields as their commitments."""
    return hashed_view(event_data(event), getattr(event, "commitments", None))


class FarmAggregate(Aggregate):
    _head_hash: str = GENESIS

    class Event(Aggregate.Event):
        actor: str
        occurred_at: datetime
        correlation_id: str
        causation_id: str | None
        hash: str
        #: personal field path -> its commitment (and, once stored, its sealed token); see personal_data
        commitments: dict[str, dict[str, str]]

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate._head_hash = self.hash
            return aggregate

    class Created(Aggregate.Created):
        actor: str
        occurred_at: datetime
        correlation_id: str
        causation_id: str | None
        hash: str
        #: personal field path -> its commitment (and, once stored, its sealed token); see personal_data
        commitments: dict[str, dict[str, str]]

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate._head_hash = self.hash
            return aggregate

    @property
    def head_hash(self) -> str:
        return self._head_hash

    @classmethod
    def _enveloped(
        cls,
        event_class: type,
        aggregate_id: UUID,
        version: int,
        previous_hash: str,
        occurred_at: datetime | None,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        provenance = current_provenance()
        recorded_at = event_class.create_timestamp()  # type: ignore[attr-defined]
        occurred = occurred_at or world_now()
        fields = dict(
            data,
            actor=provenance.actor,
            correlation_id=provenance.correlation_id,
            causation_id=provenance.causation_id,
        )
        commitments = commit_personal(cls.__name__, fields)
        digest = chain_hash(
            previous_hash,
            stream=cls.__name__,
            aggregate_id=aggregate_id,
            version=version,
            event_type=event_class.__name__,
            occurred_at=occurred,
            recorded_at=recorded_at,
            data=hashed_view(fields, commitments),
        )
        return dict(fields, timestamp=recorded_at, occurred_at=occurred, hash=digest, commitments=commitments)

    @classmethod
    def _start(
        cls: type[T], event_class: type, aggregate_id: UUID, occurred_at: datetime | None = None, **data: Any
    ) -> T:
        """Create the aggregate with its first event."""
        kwargs = cls._enveloped(event_class, aggregate_id, cls.INITIAL_VERSION, GENESIS, occurred_at, data)
        return cls._create(event_class, id=aggregate_id, **kwargs)

    def _record(self, event_class: type, occurred_at: datetime | None = None, **data: Any) -> None:
        """Record that something happened to this aggregate."""
        kwargs = self._enveloped(
            event_class, self.id, self.version + 1, self._head_hash, occurred_at, data
        )
        self.trigger_event(event_class, **kwargs)
