"""Following the event log from a position: what live feeds (subscriptions, webhooks) read.

It reads the stored log itself, not an in-process bus, so a subscriber on one API process sees
events recorded by any other process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TailedEvent:
    position: int
    event: Any


class EventTail:
    def __init__(self, app: Any, batch_size: int = 500):
        self.app = app
        self.batch_size = batch_size

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def after(self, position: int) -> list[TailedEvent]:
        """Events recorded after ``position``, oldest first, at most one batch."""
        notifications = self.app.recorder.select_notifications(start=position + 1, limit=self.batch_size)
        return [TailedEvent(n.id, self.app.mapper.to_domain_event(n)) for n in notifications]
