"""The harvest-to-door clock: a pure function of the milestones, a moment and the at-risk share."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.domain.export_sla import (
    AT_RISK,
    BREACHED,
    DEFAULT_AT_RISK_SHARE,
    MET,
    ON_TRACK,
    assess_clock,
    assess_sla,
)

HARVEST = datetime(2021, 6, 1, 5, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
RANK = {ON_TRACK: 0, AT_RISK: 1, BREACHED: 2}


def state(milestones: dict[str, datetime], now: datetime, share: float = DEFAULT_AT_RISK_SHARE) -> str:
    return assess_sla(milestones, 96, now, share).state


def test_before_harvest_nothing_is_due() -> None:
    assessment = assess_sla({}, 96, HARVEST + 1000 * H)
    assert assessment.state == ON_TRACK and assessment.due_by is None and assessment.harvested_at is None


def test_the_seed_promise_of_96_hours_from_harvest() -> None:
    harvested = {"HARVESTED": HARVEST, "PACKED": HARVEST + 4 * H}
    assert assess_sla(harvested, 96, HARVEST).due_by == HARVEST + 96 * H
    assert state(harvested, HARVEST + 72 * H - timedelta(microseconds=1)) == ON_TRACK
    # Check AT_RISK starts when three quarters of the time is used, and lasts up to dueBy itself.
    assert state(harvested, HARVEST + 72 * H) == AT_RISK
    assert state(harvested, HARVEST + 96 * H) == AT_RISK
    assert state(harvested, HARVEST + 96 * H + timedelta(microseconds=1)) == BREACHED


def test_delivery_decides_met_or_breached_for_good() -> None:
    on_time = {"HARVESTED": HARVEST, "DEPARTED": HARVEST + 20 * H, "DELIVERED": HARVEST + 90 * H}
    late = {**on_time, "DELIVERED": HARVEST + 96 * H + timedelta(seconds=1)}
    exactly = {**on_time, "DELIVERED": HARVEST + 96 * H}
    for now in (HARVEST + 90 * H, HARVEST + 200 * H, HARVEST + 10_000 * H):
        assert state(on_time, now) == MET
        assert state(exactly, now) == MET
        assert state(late, now) == BREACHED
    assessment = assess_sla(on_time, 96, HARVEST + 91 * H)
    assert assessment.delivered_at == HARVEST + 90 * H


def test_the_at_risk_share_is_configurable_and_checked() -> None:
    harvested = {"HARVESTED": HARVEST}
    assert state(harvested, HARVEST + 50 * H, share=0.5) == AT_RISK
    assert state(harvested, HARVEST + 50 * H, share=0.9) == ON_TRACK
    assert state(harvested, HARVEST + 96 * H, share=1.0) == AT_RISK
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError):
            state(harvested, HARVEST, share=bad)


def test_offsets_are_instants_and_dueby_keeps_the_harvest_offset() -> None:
    hanoi = timezone(timedelta(hours=7))
    harvested_in_hanoi = HARVEST.astimezone(hanoi)
    assessment = assess_sla({"HARVESTED": harvested_in_hanoi}, 96, HARVEST + 97 * H)
    assert assessment.state == BREACHED
    assert assessment.due_by == HARVEST + 96 * H and assessment.due_by.utcoffset() == timedelta(hours=7)


moments = st.integers(0, 400 * 3600).map(lambda s: HARVEST + timedelta(seconds=s))


@given(hours=st.integers(1, 200), share=st.floats(0.01, 1.0), a=moments, b=moments)
def test_undelivered_the_state_only_gets_worse_as_time_passes(hours: int, share: float, a: datetime, b: datetime) -> None:
    earlier, later = sorted((a, b))
    first = assess_clock(HARVEST, None, hours, earlier, share).state
    second = assess_clock(HARVEST, None, hours, later, share).state
    assert RANK[first] <= RANK[second]
    assert (second == BREACHED) == (later > HARVEST + timedelta(hours=hours))


@given(hours=st.integers(1, 200), share=st.floats(0.01, 1.0), delivered=moments, now=moments)
def test_delivered_the_state_depends_on_delivery_alone(
    hours: int, share: float, delivered: datetime, now: datetime
) -> None:
    result = assess_clock(HARVEST, delivered, hours, now, share)
    assert result.state == (MET if delivered <= HARVEST + timedelta(hours=hours) else BREACHED)
    assert result.due_by == HARVEST + timedelta(hours=hours)
