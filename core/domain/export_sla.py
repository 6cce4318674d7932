"""The harvest-to-door clock of an export order, as a pure function of its milestones and a moment.

The clock starts at the HARVESTED milestone and stops at DELIVERED; ``dueBy`` is harvest plus the
promised hours. Before harvest nothing is due, so the order is ON_TRACK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

ON_TRACK = "ON_TRACK"
AT_RISK = "AT_RISK"
BREACHED = "BREACHED"
MET = "MET"
SLA_STATES = (ON_TRACK, AT_RISK, BREACHED, MET)
#: once delivered the state can no longer change
FINAL_STATES = frozenset({BREACHED, MET})

#: share of the promised time used, undelivered, from which an order is AT_RISK
DEFAULT_AT_RISK_SHARE = 0.75

# Milestone kinds that start and stop the clock (the full vocabulary lives with ExportOrder).
CLOCK_STARTS = "HARVESTED"
CLOCK_STOPS = "DELIVERED"


@dataclass(frozen=True)
class SlaAssessment:
    state: str
    harvested_at: datetime | None
    due_by: datetime | None
    delivered_at: datetime | None


def check_at_risk_share(share: float) -> float:
    if not 0 < share <= 1:
        # A setting, not user input: a wrong value is a configuration fault.
        raise ValueError(f"The at-risk share must be above 0 and at most 1, not {share}")
    return share


def due_by(harvested_at: datetime, harvest_to_door_hours: int) -> datetime:
    return harvested_at + timedelta(hours=harvest_to_door_hours)


def assess_clock(
    harvested_at: datetime | None,
    delivered_at: datetime | None,
    harvest_to_door_hours: int,
    now: datetime,
    at_risk_share: float = DEFAULT_AT_RISK_SHARE,
) -> SlaAssessment:
    """The state at ``now`` from the two instants that matter (what a read model keeps)."""
    check_at_risk_share(at_risk_share)
    if harvested_at is None:
        return SlaAssessment(ON_TRACK, None, None, delivered_at)
    due = due_by(harvested_at, harvest_to_door_hours)
    if delivered_at is not None:
        # Delivered exactly at dueBy kept the promise.
        state = MET if delivered_at <= due else BREACHED
    elif now > due:
        state = BREACHED
    elif now >= harvested_at + (due - harvested_at) * at_risk_share:
        state = AT_RISK
    else:
        state = ON_TRACK
    return SlaAssessment(state, harvested_at, due, delivered_at)


def assess_sla(
    milestones: Mapping[str, datetime],
    harvest_to_door_hours: int,
    now: datetime,
    at_risk_share: float = DEFAULT_AT_RISK_SHARE,
) -> SlaAssessment:
    """The state at ``now`` of an order whose milestones (kind -> occurredAt) are given."""
    return assess_clock(
        milestones.get(CLOCK_STARTS), milestones.get(CLOCK_STOPS), harvest_to_door_hours, now, at_risk_share
    )
