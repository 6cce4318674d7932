"""Following the event log from a position: what live feeds (subscriptions, webhooks) read.

It reads the stored log itself, not an in-process bus, so a subscriber on one API process sees
events recorded by any other process. Only the notifications a follower wants are decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class TailedEvent:
    position: int
    event: Any


@dataclass(frozen=True)
class TailBatch:
    #: the position to follow on from (the last notification read, wanted or not)
    position: int
    #: how many notifications were read; fewer than a batch means the follower is at the head
    read: int
    events: list[TailedEvent] = field(default_factory=list)


def stream_of(notification: Any) -> UUID:
    value = notification.originator_id
    return value if isinstance(value, UUID) else UUID(str(value))


def event_name_of(notification: Any) -> str:
    """'Shipment.Dispatched' from the notification's topic, without decoding it."""
    return str(notification.topic).rsplit(":", 1)[-1]


class EventTail:
    def __init__(self, app: Any, batch_size: int = 500):
        self.app = app
        self.batch_size = batch_size

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def after(self, position: int, wanted: Callable[[Any], bool] | None = None) -> TailBatch:
        """Events recorded after ``position``, oldest first, at most one batch; only those
        ``wanted(notification)`` are decoded and returned."""
        notifications = self.app.recorder.select_notifications(start=position + 1, limit=self.batch_size)
        events = [TailedEvent(n.id, self.app.mapper.to_domain_event(n))
                  for n in notifications if wanted is None or wanted(n)]
        return TailBatch(notifications[-1].id if notifications else position, len(notifications), events)
