"""Where each follower of the event log stands — every projection and process step: position,
lag behind the head in events and in seconds, and its stall. Read by `farmgate projections status`,
the API's /projections and its /metrics (through a background watch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from farmgate.core.application import Farmgate, utc_now
from farmgate.core.database import ReadStore
from farmgate.core.projections.stalls import Stall, StallRecords


@dataclass(frozen=True)
class FollowerState:
    """Where one follower of the log stands: its position, how far behind the head (in events and in
    seconds since the oldest event it has not applied was recorded), and its stall if it has one."""

    name: str
    kind: str  # "projection" or "process step"
    position: int
    head: int
    lag_seconds: float
    stall: Stall | None

    @property
    def lag_events(self) -> int:
        return max(0, self.head - self.position)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "position": self.position, "head": self.head,
                "lagEvents": self.lag_events, "lagSeconds": round(self.lag_seconds, 3),
                "stalled": None if self.stall is None else self.stall.as_dict()}


def followers_state(app: Farmgate, store: ReadStore, names: Sequence[tuple[str, str, str]],
                    stalls: StallRecords) -> list[FollowerState]:
    """The state of followers given as (name shown, tracking name, kind), from one read of the
    tracking rows and stalls and one event read per distinct position behind the head."""
    head = int(app.recorder.max_notification_id() or 0)
    tracked = {r["name"]: int(r["position"]) for r in store.query("SELECT name, position FROM projection_tracking")}
    stalled = stalls.all()
    now = utc_now()
    recorded_after: dict[int, float] = {}
    for position in {tracked.get(tracking, 0) for _, tracking, _ in names}:
        if position < head:
            [oldest] = app.recorder.select_notifications(start=position + 1, limit=1) or [None]
            try:
                timestamp = app.mapper.to_domain_event(oldest).timestamp if oldest is not None else None
            except Exception:  # noqa: BLE001 - an event that cannot be read is a stall's to report
                timestamp = None
            if timestamp is not None:
                recorded_after[position] = max(0.0, (now - timestamp).total_seconds())
    return [
        FollowerState(shown, kind, tracked.get(tracking, 0), head, recorded_after.get(tracked.get(tracking, 0), 0.0),
                      stalled.get(tracking))
        for shown, tracking, kind in names
    ]
