"""ProvinceRollout and Campaign aggregates and a listing's weight per unit, on POPO."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from farmgate.core.domain.campaign import Campaign, campaign_id_for
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.listing import checked_weight_per_unit, grams_per_unit
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.text import world_time
from farmgate.core.domain.province_rollout import (
    MAX_TARGET, ProvinceRollout, checked_targets, province_rollout_id_for,
)
from farmgate.core.projections.campaigns import destination_province
from farmgate.core.projections.rollout import order_revenue, unit_code_of, vietnam_day

NOW = datetime(2021, 7, 20, 1, 0, tzinfo=timezone.utc)
LANG_SON = ProvinceArea(2021, "20")


def test_a_province_plans_once_and_revises_its_plan_on_the_same_stream() -> None:
    rollout = ProvinceRollout.plan(LANG_SON, checked_targets(90_000, 45_000, 45_000, NOW))
    # One land, one plan: Lạng Sơn absorbed nothing, so 2021:20 and 2025:20 share the stream; a merged
    # 2021 province (Bắc Giang in 2025 Bắc Ninh) plans its part apart from its 2025 province.
    assert rollout.id == province_rollout_id_for(LANG_SON) == province_rollout_id_for(ProvinceArea(2025, "20"))
    assert province_rollout_id_for(ProvinceArea(2021, "24")) != province_rollout_id_for(ProvinceArea(2025, "24"))
    rollout.replan(checked_targets(90_000, 45_000, 45_000, NOW))
    assert rollout.version == 1  # the same targets again: nothing happened
    rollout.replan(checked_targets(100_000, 45_000, 45_000, None))
    assert rollout.version == 2 and rollout.targets["households"] == 100_000 and rollout.targets["deadline"] is None


@pytest.mark.parametrize(("args", "field"), [
    ((-1, 0, 0, None), "households"),
    ((0, MAX_TARGET + 1, 0, None), "storefronts"),
    ((0, 0, True, None), "paymentAccounts"),
    ((0, 0, 1.5, None), "paymentAccounts"),
    ((0, 0, 0, datetime(2021, 12, 31)), "deadline"),
])
def test_targets_are_whole_bounded_counts_and_a_deadline_with_a_zone(args, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_targets(*args)
    assert refused.value.field == ["input", field]


def test_a_campaign_is_one_per_name_and_province_and_ends_after_it_starts() -> None:
    area = ProvinceArea(2021, "24")
    campaign = Campaign.launch(name="Vải thiều  Lục Ngạn", product="Vải thiều", area=area, target_kg=8_000_000,
                               starts_at=NOW, ends_at=NOW + timedelta(days=60))
    assert campaign.name == "Vải thiều  Lục Ngạn" and campaign.area == area
    # One name per land: 2021 Bắc Giang and Bắc Ninh both lie in 2025 Bắc Ninh; 2021 Lạng Sơn does not.
    assert campaign.id == campaign_id_for(area, "vải thiều lục ngạn") == campaign_id_for(ProvinceArea(2025, "24"),
                                                                                            "vải thiều lục ngạn")
    assert campaign.id == campaign_id_for(ProvinceArea(2021, "27"), "Vải thiều Lục Ngạn")
    assert campaign.id != campaign_id_for(LANG_SON, "vải thiều lục ngạn")
    for kwargs, field in (({"target_kg": 0}, "targetKg"), ({"ends_at": NOW}, "endsAt"),
                          ({"starts_at": datetime(2021, 7, 1)}, "startsAt"), ({"name": " "}, "name")):
        args = {"name": "Na", "product": "Na", "area": area, "target_kg": 10, "starts_at": NOW,
                "ends_at": NOW + timedelta(days=1), **kwargs}
        with pytest.raises(InvalidInput) as refused:
            Campaign.launch(**args)
        assert refused.value.field == ["input", field]


def test_a_listings_weight_per_unit_is_in_grams_and_a_per_kg_listing_weighs_one_kg() -> None:
    field = ["input", "weightPerUnitKg"]
    assert checked_weight_per_unit("hộp 5kg", Decimal("5"), field) == Decimal("5.000")
    assert checked_weight_per_unit("KG", Decimal("1"), field) is None
    assert grams_per_unit("kg", None) == 1000 and grams_per_unit("thùng", "2.5") == 2500
    assert grams_per_unit("quả", None) is None
    for unit, weight in (("kg", Decimal(2)), ("hộp", Decimal(0)), ("hộp", Decimal("1000.001")),
                         ("hộp", Decimal("0.0005")), ("hộp", Decimal("NaN"))):
        with pytest.raises(InvalidInput):
            checked_weight_per_unit(unit, weight, field)


def test_what_the_dashboards_count_as_revenue_days_and_units() -> None:
    # Revenue: delivered and fully paid, net of refunds; else nothing.
    assert order_revenue("DELIVERED", Decimal(450_000), Decimal(450_000), Decimal(45_000)) == Decimal(405_000)
    assert order_revenue("DELIVERED", Decimal(450_000), Decimal(400_000), Decimal(0)) == 0
    assert order_revenue("SPOILED", Decimal(450_000), Decimal(450_000), Decimal(0)) == 0
    # A day is Vietnam's: 18:00 UTC on 2 August is 3 August in Hà Nội.
    assert vietnam_day(datetime(2021, 8, 2, 18, 0, tzinfo=timezone.utc)) == "2021-08-03"
    assert unit_code_of(2021, {"district_code": "187", "ward_code": "06466"}) == "187"
    assert unit_code_of(2025, {"ward_code": "06466"}) == "06466" and unit_code_of(2025, {}) == ""


def test_a_destination_is_named_in_the_campaigns_scheme() -> None:
    assert destination_province(2021, {"scheme": 2021, "province_code": "01"}) == "01"
    assert destination_province(2025, {"scheme": 2021, "province_code": "77"}) == "79"  # Vũng Tàu → HCMC
    assert destination_province(2021, {"scheme": 2025, "province_code": "01"}) == "01"  # Hà Nội absorbed nothing
    assert destination_province(2021, {"scheme": 2025, "province_code": "79"}) == "2025:79"  # three old provinces


@pytest.mark.parametrize("claim", ["²:20", "¹⁹⁹⁹:20", "9" * 5000 + ":20", "2021:2\x000", "2021\u202e:20", "x:20",
                                   "2021:99", "2099:20", "", ":", "2021:"])
def test_a_province_claim_that_is_not_a_province_is_refused_as_input_never_a_crash(claim) -> None:
    with pytest.raises(InvalidInput) as refused:
        ProvinceArea.parse(claim, ["input", "provinceCode"])
    assert refused.value.field == ["input", "provinceCode"]


def test_a_province_claim_typed_in_other_digits_is_the_same_province() -> None:
    assert ProvinceArea.parse("٢٠٢١:٢٠") == ProvinceArea.parse("２０２１:２０") == ProvinceArea(2021, "20")


def test_a_time_with_no_utc_instant_is_refused_by_the_domain_too() -> None:
    area = ProvinceArea(2021, "24")
    first = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    last = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5)))
    for kwargs, field in (({"starts_at": first}, "startsAt"), ({"ends_at": last}, "endsAt")):
        with pytest.raises(InvalidInput) as refused:
            Campaign.launch(**{"name": "Na", "product": "Na", "area": area, "target_kg": 10, "starts_at": NOW,
                               "ends_at": NOW + timedelta(days=1), **kwargs})
        assert refused.value.field == ["input", field]
    with pytest.raises(InvalidInput) as refused:
        checked_targets(0, 0, 0, last)
    assert refused.value.field == ["input", "deadline"]
    with pytest.raises(InvalidInput) as refused:
        world_time(first, NOW, ["input", "occurredAt"])
    assert refused.value.field == ["input", "occurredAt"]
