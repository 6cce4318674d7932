"""EventRecord: one recorded event as the audit trail shows it, personal data masked per viewer."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from farmgate.core.domain.personal_data import mask_personal
from farmgate.core.history import EventRecord as CoreEventRecord
from farmgate.graphql.event_words import api_payload, summary
from farmgate.graphql.ids import to_global_id


@strawberry.type(description="One recorded event, as the audit trail shows it.")
class EventRecord:
    stream: str = strawberry.field(description="Aggregate type, e.g. Order, Shipment, CompensationClaim.")
    aggregate_id: strawberry.ID
    version: int
    type: str = strawberry.field(description="Event name, e.g. DeliveryFailed.")
    occurred_at: datetime
    recorded_at: datetime
    actor: str = strawberry.field(description="Who caused it, e.g. 'CARRIER:vnpost-bot', 'SYSTEM:sla-watchdog'.")
    data: JSON = strawberry.field(description="The event's data; personal data masked for the viewer.")
    hash: str = strawberry.field(description="Hex SHA-256 linking this event to the one before it in its stream.")
    summary: str = strawberry.field(
        default="", description="One line saying what happened and who recorded it (beyond the contract)."
    )
    payload: JSON = strawberry.field(
        default=None, description="The event's data in the API's words: camelCase keys, global IDs, Money as"
        " {amount, currency}; personal data masked for the viewer (beyond the contract)."
    )
    position: int | None = strawberry.field(
        default=None,
        description="The event's position in the store's log: it grows in recording order across all streams"
        " (resume a subscription after it).",
    )

    @classmethod
    def of(cls, record: CoreEventRecord, reveal_personal: bool) -> EventRecord:
        epoch = datetime.fromtimestamp(0).astimezone()
        data = mask_personal(record.data, reveal_personal)
        return cls(
            stream=record.stream,
            aggregate_id=strawberry.ID(to_global_id(record.stream, record.aggregate_id)),
            version=record.version,
            type=record.type,
            occurred_at=record.occurred_at or epoch,
            recorded_at=record.recorded_at or epoch,
            actor=record.actor,
            data=data,
            hash=record.hash,
            summary=summary(record),
            payload=api_payload(data),
            position=record.position,
        )
