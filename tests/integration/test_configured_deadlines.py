"""The deadlines the issues call configurable are settings, and the running system follows them:
the claim response time and the export at-risk share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from farmgate.core.domain.export_sla import AT_RISK, ON_TRACK
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings, SettingsError
from tests.integration.test_claims_case_file import T0, MovableClock, incident
from tests.integration.test_export import H, a_partner, an_order, now, reach


def configured(url: str, **overrides: object) -> Settings:
    return Settings(database_url=url, env="test", **overrides)  # type: ignore[arg-type]


@pytest.fixture
def clocked(backend_url: str) -> Iterator[tuple[System, MovableClock]]:
    clock = MovableClock(T0)
    system = build_system(configured(backend_url, claim_response_hours=24), clock=clock)
    yield system, clock
    system.close()


def test_a_claim_must_be_answered_within_the_configured_hours(clocked, personal_data) -> None:
    system, clock = clocked
    ids = incident(system, clock, personal_data)
    claim = system.app.file_claim(order_id=ids["order"], kind="LATE_DELIVERY", claimant="HOUSEHOLD", amount="1000",
                                  currency="VND", description="late")
    system.catch_up()
    assert system.app.repository.get(claim).respond_by == clock.now + timedelta(hours=24)
    clock.now += timedelta(hours=25)
    assert system.app.note_missed_claim_deadlines(system.claims.overdue(clock.now)) == [claim]


@pytest.mark.parametrize("share, expected", [(0.5, AT_RISK), (0.75, ON_TRACK)])
def test_an_export_order_is_at_risk_after_the_configured_share(backend_url: str, share: float, expected: str) -> None:
    system = build_system(configured(backend_url, export_at_risk_share=share))
    try:
        order = an_order(system, a_partner(system))
        moment = now()
        reach(system, order, moment - 60 * H, [("HARVESTED", 0)])  # 60 of 96 hours used: past 0.5, short of 0.75
        system.app.refresh_export_sla(moment, [order])
        system.catch_up()
        assert system.exports.by_ids([order])[order]["sla_state"] == expected
    finally:
        system.close()


@pytest.mark.parametrize("variable, value", [("FARMGATE_CLAIM_RESPONSE_HOURS", "0"),
                                              ("FARMGATE_EXPORT_AT_RISK_SHARE", "1.5")])
def test_nonsense_deadlines_refuse_to_start(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value, "FARMGATE_DATABASE_URL": "memory://"})
