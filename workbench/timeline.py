"""The case file's picture: its events as lanes (order, shipments, claims) on one time axis.

Pure functions over the GraphQL answer (``queries.CASE_FILE``): ``layout`` places each event, the
deadlines and their breaches, and the replay moment on a 0…WIDTH scale of the chosen axis
(``occurredAt`` for OCCURRED, ``recordedAt`` for RECORDED). Times are ISO-8601 strings with an offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

AXES = {"OCCURRED": "occurredAt", "RECORDED": "recordedAt"}
LANES = (("Order", "lane_order"), ("Shipment", "lane_shipment"), ("CompensationClaim", "lane_claim"))
#: the drawing's width and each lane's height, in SVG user units
WIDTH, LANE_HEIGHT, LEFT, RIGHT = 1000, 56, 110, 20
#: times are shown in Vietnam's time (UTC+7, no daylight saving)
VIETNAM = timezone(timedelta(hours=7))


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def shown(moment: str | None) -> str:
    """``2021-08-10 14:05`` in Vietnam's time; an empty string for None."""
    return "" if not moment else parse(moment).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")


def shown_exact(moment: str | None) -> str:
    """``2021-08-10 14:05:07`` in Vietnam's time (events recorded within a minute differ here)."""
    return "" if not moment else parse(moment).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Placed:
    index: int
    event: dict[str, Any]
    x: float
    y: float
    future: bool


@dataclass
class Mark:
    x: float
    label: str
    breached: bool
    when: str


@dataclass
class Layout:
    axis: str
    #: events in the order of the axis (the slider's steps are 1…len(events))
    events: list[dict[str, Any]]
    placed: list[Placed] = field(default_factory=list)
    deadlines: list[Mark] = field(default_factory=list)
    breaches: list[Mark] = field(default_factory=list)
    replay_x: float | None = None
    height: int = LANE_HEIGHT * len(LANES) + 30
    lanes: list[tuple[str, float]] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)


def ordered(timeline: list[dict[str, Any]], axis: str) -> list[dict[str, Any]]:
    """The events sorted by the axis's time (ties keep the recorded order)."""
    key = AXES[axis]
    return sorted(timeline, key=lambda event: parse(event[key]))


def replay_moment(events: list[dict[str, Any]], axis: str, step: int) -> str | None:
    """The moment the slider's ``step`` stands for: the time of the step-th event on the axis
    (1-based; the state just after it); None for step 0 (before the first event)."""
    if step <= 0 or not events:
        return None
    return str(events[min(step, len(events)) - 1][AXES[axis]])


def layout(case: dict[str, Any], axis: str, step: int) -> Layout:
    events = ordered(case["timeline"], axis)
    key = AXES[axis]
    order = case["order"]
    deadline_times = [("promised_by", order["promisedBy"])]
    deadline_times += [("respond_by", claim["respondBy"]) for claim in order["claims"]]
    moments = [parse(event[key]) for event in events] + [parse(when) for _, when in deadline_times]
    moments += [parse(b["breachedAt"]) for b in case["slaBreaches"] if b.get("breachedAt")]
    start, end = (min(moments), max(moments)) if moments else (datetime.now(UTC),) * 2
    span = max((end - start).total_seconds(), 1.0)

    def x_of(moment: str) -> float:
        return round(LEFT + (parse(moment) - start).total_seconds() / span * (WIDTH - LEFT - RIGHT), 1)

    result = Layout(axis=axis, events=events)
    lane_y = {stream: 20 + LANE_HEIGHT * i + LANE_HEIGHT / 2 for i, (stream, _) in enumerate(LANES)}
    result.lanes = [(word, lane_y[stream]) for stream, word in LANES]
    for index, event in enumerate(events, start=1):
        y = lane_y.get(event["stream"], lane_y["Order"])
        result.placed.append(Placed(index, event, x_of(event[key]), y, future=index > step))
    for label, when in deadline_times:
        breach = next((b for b in case["slaBreaches"] if parse(b["dueBy"]) == parse(when)), None)
        result.deadlines.append(Mark(x_of(when), label, breach is not None, shown(when)))
    for breach in case["slaBreaches"]:
        if breach.get("breachedAt"):
            result.breaches.append(Mark(x_of(breach["breachedAt"]), breach["kind"], True, shown(breach["breachedAt"])))
    moment = replay_moment(events, axis, step)
    if moment is not None:
        result.replay_x = x_of(moment)
    for fraction in (0.0, 0.5, 1.0):
        at = start + timedelta(seconds=span * fraction)
        result.ticks.append((round(LEFT + fraction * (WIDTH - LEFT - RIGHT), 1),
                             at.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")))
    return result
