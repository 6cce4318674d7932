"""The audit trail: event records read from the stored events, and re-verification of the chain.

Records are decoded from the rows as stored (not from a read model), so an edit to a stored event
after it was recorded shows up as a hash that no longer matches. Personal fields are checked through
their stored commitments: an erased field reads ``ERASED`` and its event still verifies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from farmgate.core.domain.aggregate import event_data, hashed_data
from farmgate.core.domain.audit import GENESIS, canonical, chain_hash


@dataclass(frozen=True)
class EventRecord:
    stream: str
    aggregate_id: UUID
    version: int
    type: str
    occurred_at: datetime | None
    recorded_at: datetime | None
    actor: str
    data: dict[str, Any]
    hash: str
    position: int | None = None
    intact: bool = True
    #: the hash the stored data chains to now (equal to ``hash`` while nothing was altered)
    chained: str = ""


@dataclass
class IntegrityReport:
    verified: bool
    event_count: int
    head_hash: str
    first_broken: EventRecord | None = None
    heads: dict[UUID, str] = field(default_factory=dict)
    #: when the newest audit anchor covering these streams was sealed (None: none covers them yet)
    anchored_at: datetime | None = None
    #: why verification failed, in words (None while verified)
    reason: str | None = None


def _stream_and_type(topic: str) -> tuple[str, str]:
    qualname = topic.split(":", 1)[-1]
    parts = qualname.split(".")
    return (parts[-2] if len(parts) > 1 else qualname), parts[-1]


def record_of(event: Any, position: int | None = None) -> EventRecord:
    """The record of an event as decoded (for live feeds; the case file re-verifies from storage)."""
    stream, event_type = _stream_and_type(type(event).__qualname__)
    data = event_data(event)
    return EventRecord(stream, event.originator_id, event.originator_version, event_type, event.occurred_at,
                       event.timestamp, str(data.get("actor", "")), canonical(data), event.hash, position)


def stream_records(app: Any, aggregate_id: UUID) -> list[EventRecord]:
    """Every event of one stream, oldest first, each checked against the chain."""
    return read_stream(app, aggregate_id)[0]


def read_stream(app: Any, aggregate_id: UUID) -> tuple[list[EventRecord], list[Any] | None]:
    """Every event of one stream, oldest first: its records, each checked against the chain, and the
    domain events they were decoded from (from version 1 on, for folding the aggregate at any
    version without reading the stream again); None instead of the events when a record's bytes no
    longer decode (the aggregate can then only be read, and fail, through the repository)."""
    records: list[EventRecord] = []
    events: list[Any] | None = []
    previous = GENESIS
    for stored in app.recorder.select_events(aggregate_id):
        stream, event_type = _stream_and_type(stored.topic)
        try:
            event = app.mapper.to_domain_event(stored)
            data = event_data(event)
            expected = chain_hash(
                previous,
                stream=stream,
                aggregate_id=aggregate_id,
                version=stored.originator_version,
                event_type=event_type,
                occurred_at=event.occurred_at,
                recorded_at=event.timestamp,
                data=hashed_data(event),
            )
            intact = expected == event.hash
            record = EventRecord(
                stream, aggregate_id, stored.originator_version, event_type, event.occurred_at,
                event.timestamp, str(data.get("actor", "")), canonical(data), event.hash, intact=intact,
                chained=expected,
            )
            if events is not None:
                events.append(event)
            # Chain on what the stored data hashes to, not on what it claims: after an edit every
            # later hash disagrees too, and the recomputed head differs from the recorded one.
            previous = expected
        except Exception:  # bytes no longer decode: that is a broken record, not a crash
            previous = hashlib.sha256(previous.encode() + bytes(stored.state)).hexdigest()
            record = EventRecord(stream, aggregate_id, stored.originator_version, event_type, None, None,
                                 "", {}, "", intact=False, chained=previous)
            events = None
        records.append(record)
    return records, events


def verify(app: Any, aggregate_ids: Iterable[UUID]) -> IntegrityReport:
    """Re-verify the chains of the given streams; the head hash covers them all, in the given order."""
    return integrity_of({aggregate_id: stream_records(app, aggregate_id) for aggregate_id in aggregate_ids})


def integrity_of(streams: dict[UUID, list[EventRecord]]) -> IntegrityReport:
    """The integrity report of streams already read (each record checked as it was read)."""
    count, first_broken, heads = 0, None, {}
    for aggregate_id, records in streams.items():
        count += len(records)
        if first_broken is None:
            first_broken = next((r for r in records if not r.intact), None)
        heads[aggregate_id] = records[-1].chained if records else GENESIS
    if len(heads) == 1:
        head = next(iter(heads.values()))
    else:
        head = hashlib.sha256("".join(heads.values()).encode()).hexdigest() if heads else GENESIS
    return IntegrityReport(first_broken is None, count, head, first_broken, heads)
