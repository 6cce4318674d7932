"""One batch of the event log, read once and decoded at most once, for every follower that needs it.

The projector and the process-step runner read a batch of notifications for all their followers
together, then hand each follower the part after its own position. An event is decoded (the
mapper's ``to_domain_event``: decompress, decrypt, deserialise, upcast) the first time a follower
that handles its type asks for it, and never again for the others; an event no follower handles is
never decoded. A decoding failure is kept too, so each follower that needs the event fails on it
the same way.

Which followers handle an event is decided from the stored topic (``module:Qualname``) without
decoding: farmgate registers no topic renames (``eventsourcing.utils.register_topic``), so the
topic's qualname is the event class's ``__qualname__`` that handlers are keyed by.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from farmgate.core.event_tail import event_name_of
from farmgate.core.personal_mapper import tokens_only


class LogBatch:
    """Notifications ``(after, last]`` of the log, oldest first, with their decoded events cached."""

    def __init__(self, mapper: Any, after: int, notifications: Sequence[Any], *, sealed: bool = False):
        self.mapper = mapper
        #: decode without opening personal fields (core.personal_mapper.tokens_only): the projector's
        #: batches, since read models keep the sealed tokens, never opened values
        self.sealed = sealed
        self.after = after
        self.notifications = list(notifications)
        self.decoded = 0  # how many events this batch decoded (each at most once)
        self._events: dict[int, Any] = {}
        self._failures: dict[int, BaseException] = {}

    @classmethod
    def read(cls, app: Any, after: int, limit: int, *, sealed: bool = False) -> LogBatch:
        """At most ``limit`` notifications recorded after position ``after`` (one query); ``sealed``:
        decode them with personal fields left sealed."""
        return cls(app.mapper, after, app.recorder.select_notifications(start=after + 1, limit=limit), sealed=sealed)

    @property
    def last(self) -> int:
        """The position of the newest notification read (``after`` when none was)."""
        return self.notifications[-1].id if self.notifications else self.after

    def __len__(self) -> int:
        return len(self.notifications)

    def since(self, position: int) -> list[Any]:
        """The notifications after ``position`` (a follower's own), oldest first."""
        return [n for n in self.notifications if n.id > position]

    def covers(self, position: int) -> bool:
        """Whether a follower at ``position`` finds its next events here: it is not behind the batch
        (nothing it needs was left out) and not past its end."""
        return self.after <= position < self.last

    @staticmethod
    def event_name(notification: Any) -> str:
        return event_name_of(notification)

    def event(self, notification: Any) -> Any:
        """The notification's domain event, decoded on first use; raises what decoding raised."""
        key = notification.id
        if key in self._events:
            return self._events[key]
        if key in self._failures:
            raise self._failures[key]
        try:
            if self.sealed:
                with tokens_only():
                    event = self.mapper.to_domain_event(notification)
            else:
                event = self.mapper.to_domain_event(notification)
        except Exception as error:  # kept: every follower needing it fails on it alike
            self._failures[key] = error
            raise
        finally:
            self.decoded += 1
        self._events[key] = event
        return event
