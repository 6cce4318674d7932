"""The rollout dashboards and campaigns over HTTP, as a province officer, an admin and a marketplace use
them: an officer plans, launches and reads its own province only (under either scheme); a listing joins
a campaign and what it sells shows on the campaign and the dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from farmgate.core.projections.rollout import vietnam_day
from tests.e2e.order_steps import place
from tests.e2e.server import Api
from tests.e2e.test_catalog_api import a_household, open_storefront, publish

PLAN = """mutation($input: PlanProvinceRolloutInput!, $key: String) {
  planProvinceRollout(input: $input, idempotencyKey: $key) {
    rollout { provinceCode scheme provinceName households storefronts paymentAccounts
              targets { households storefronts paymentAccounts deadline } progress { storefronts } }
    userErrors { field code message } } }"""
LAUNCH = """mutation($input: LaunchCampaignInput!) { launchCampaign(input: $input) {
  campaign { id name provinceCode scheme targetKg soldKg } campaignId userErrors { field code message } } }"""
ROLLOUT = """query($p: String!) { provinceRollout(provinceCode: $p) {
  provinceCode scheme households storefronts listings orders revenue { amount currency }
  byDistrict { districtCode scheme households storefronts orders }
  daily { day storefronts orders } } }"""
CAMPAIGN = """query($id: ID!) { campaign(id: $id) { name soldKg domesticKg exportKg progress
  destinations { destination kind kilograms orders } } }"""
LISTING = """query($id: ID!) { listing(id: $id) { unit weightPerUnitKg campaign { id name } } }"""


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def _plan(province: str, **targets: Any) -> dict[str, Any]:
    return {"provinceCode": province, "households": 90_000, "storefronts": 45_000, "paymentAccounts": 45_000,
            **targets}


def _campaign(province: str, name: str) -> dict[str, Any]:
    start = datetime.now(timezone.utc)
    return {"name": name, "product": "Vải thiều", "provinceCode": province, "targetKg": 1000,
            "startsAt": start.isoformat(), "endsAt": (start + timedelta(days=40)).isoformat()}


def test_an_officer_plans_and_reads_its_own_province_under_either_scheme_only(api: Api, tokens) -> None:
    lang_son = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    planned = api.data(PLAN, {"input": _plan("2021:20", deadline="2021-12-31T23:59:59+07:00")},
                       lang_son)["planProvinceRollout"]
    assert planned["userErrors"] == []
    assert (planned["rollout"]["provinceCode"], planned["rollout"]["scheme"]) == ("20", 2021)
    assert planned["rollout"]["targets"]["storefronts"] == 45_000
    # Check 2025 Lạng Sơn is the same land: the officer reads it, with the same plan.
    same = api.data(ROLLOUT, {"p": "20"}, lang_son)["provinceRollout"]
    assert (same["provinceCode"], same["scheme"]) == ("20", 2025)
    # Check an officer of another province is refused: planning, launching, reading.
    for query, variables, name in ((PLAN, {"input": _plan("24")}, "planProvinceRollout"),
                                   (LAUNCH, {"input": _campaign("24", "Vải của người khác")}, "launchCampaign"),
                                   (ROLLOUT, {"p": "2021:24"}, "provinceRollout")):
        body = api.post(query, variables, lang_son)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", name
        assert body["data"] is None or body["data"].get(name) is None
    # Check the nation is ADMIN's, with every 2025 province and the programme's target.
    refused = api.post("{ nationalRollout { targetHouseholds } }", token=lang_son)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    nation = api.data("{ nationalRollout { targetHouseholds households provinces { provinceCode } } }",
                      token=tokens["admin"])["nationalRollout"]
    assert nation["targetHouseholds"] == 5_000_000 and len(nation["provinces"]) == 34
    # Check bad input is a userError naming the field.
    bad = api.data(PLAN, {"input": _plan("2021:99")}, tokens["admin"])["planProvinceRollout"]
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [(["input", "provinceCode"], "INVALID")]
    negative = api.data(PLAN, {"input": _plan("2021:20", storefronts=-5)}, lang_son)["planProvinceRollout"]
    assert [(e["field"], e["code"]) for e in negative["userErrors"]] == [(["input", "storefronts"], "INVALID")]


def test_a_merged_province_officer_reads_the_old_provinces_it_absorbed(api: Api, tokens) -> None:
    bac_ninh_2025 = api.token("PROVINCE_OFFICER", "ninh", province="2025:24")
    for absorbed in ("2021:24", "2021:27", "24"):
        assert api.data(ROLLOUT, {"p": absorbed}, bac_ninh_2025)["provinceRollout"]["provinceCode"] == absorbed[-2:]
    # An officer of old Bà Rịa - Vũng Tàu holds only part of 2025 Hồ Chí Minh: not the whole city's dashboard.
    vung_tau = api.token("PROVINCE_OFFICER", "tau", province="2021:77")
    assert api.post(ROLLOUT, {"p": "2025:79"}, vung_tau)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_campaign_counts_what_its_listings_sell_and_the_dashboard_counts_the_orders(
        api: Api, tokens, personal_data) -> None:
    officer = tokens["officer"]  # 2025:24, which took in 2021 Bắc Giang
    launched = api.data(LAUNCH, {"input": _campaign("2021:24", "Vải thiều Lục Ngạn")}, officer)["launchCampaign"]
    assert launched["userErrors"] == [] and launched["campaignId"] == launched["campaign"]["id"]
    campaign = launched["campaign"]["id"]
    again = api.data(LAUNCH, {"input": _campaign("2021:24", "Vải thiều Lục Ngạn")}, officer)["launchCampaign"]
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_EXISTS"]
    before = api.data(ROLLOUT, {"p": "2021:24"}, officer)["provinceRollout"]
    household = a_household(api, tokens, personal_data)
    storefront = open_storefront(api, household["token"], household["id"])
    by_kg = publish(api, household["token"], storefront["id"], "Vải thiều loại 1", campaignId=campaign)
    boxes = publish(api, household["token"], storefront["id"], "Vải thiều hộp", unit="hộp 2kg",
                    weightPerUnitKg=2.5, campaignId=campaign)
    shown = api.data(LISTING, {"id": boxes["id"]})["listing"]
    assert shown == {"unit": "hộp 2kg", "weightPerUnitKg": 2.5, "campaign": {"id": campaign,
                                                                              "name": "Vải thiều Lục Ngạn"}}
    place(api, tokens["postmart"], personal_data, [(by_kg["id"], 12), (boxes["id"], 4)])
    sold = api.data(CAMPAIGN, {"id": campaign})["campaign"]  # public: no token
    assert (sold["soldKg"], sold["domesticKg"], sold["exportKg"]) == (22, 22, 0)
    assert sold["destinations"] == [{"destination": "01", "kind": "DOMESTIC", "kilograms": 22, "orders": 1}]
    assert sold["progress"] == pytest.approx(22 / 1000)
    after = api.data(ROLLOUT, {"p": "2021:24"}, officer)["provinceRollout"]
    assert (after["households"], after["storefronts"], after["listings"], after["orders"]) == (
        before["households"] + 1, before["storefronts"] + 1, before["listings"] + 2, before["orders"] + 1)
    today = vietnam_day(datetime.now(timezone.utc))
    day = {d["day"]: d for d in after["daily"]}[today]
    assert day["storefronts"] >= 1 and day["orders"] >= 1
    assert sum(d["orders"] for d in after["daily"]) >= after["orders"]
    # Check a listing of another province cannot join the campaign.
    lang_son = api.data("""mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) {
        household { id } userErrors { code } } }""", {"input": {
        "name": "Hộ Hoàng Văn Na", "nationalId": personal_data.national_id(), "phone": personal_data.phone(),
        "address": {"scheme": 2021, "provinceCode": "20", "districtCode": "187"}}}, tokens["admin"])
    other = lang_son["registerHousehold"]["household"]["id"]
    other_token = api.token("HOUSEHOLD", "na", household=other)
    other_storefront = open_storefront(api, other_token, other)
    refused = api.data("""mutation($input: PublishListingInput!) { publishListing(input: $input) {
        listing { id } userErrors { field code } } }""", {"input": {
        "storefrontId": other_storefront["id"], "title": "Na", "category": "FRUIT", "unit": "kg",
        "unitPrice": {"amount": "30000", "currency": "VND"}, "stockQuantity": 5, "shelfLifeHours": 48,
        "campaignId": campaign}}, other_token)["publishListing"]
    assert refused["userErrors"] == [{"field": ["input", "campaignId"], "code": "INVALID"}]


@pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_with_no_utc_instant_is_refused_as_input_not_an_internal_error(api: Api, tokens, edge) -> None:
    bac_giang = api.token("PROVINCE_OFFICER", "giang", province="2021:24")
    name = f"Vải ở rìa thời gian {edge[:4]}"
    start = {"startsAt": edge} if edge.startswith("0001") else {"endsAt": edge}
    for query, variables, token in (
            (LAUNCH, {"input": {**_campaign("2021:24", name), **start}}, bac_giang),
            (PLAN, {"input": _plan("2021:24", deadline=edge)}, bac_giang),
            (ROLLOUT.replace("daily {", f'daily(since: "{edge}") {{'), {"p": "2021:24"}, bac_giang)):
        body = api.post(query, variables, token)
        codes = [error["extensions"]["code"] for error in body.get("errors") or []]
        assert codes and set(codes) <= {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}, body
    # Check nothing was recorded: the same name launches with ordinary times.
    launched = api.data(LAUNCH, {"input": _campaign("2021:24", name)}, bac_giang)["launchCampaign"]
    assert launched["userErrors"] == [] and launched["campaign"]["name"] == name


def test_a_daily_window_that_ends_before_it_starts_is_refused_not_answered_empty(api: Api, tokens) -> None:
    bac_giang = api.token("PROVINCE_OFFICER", "giang", province="2021:24")

    def daily(since: str, until: str) -> dict[str, Any]:
        query = ROLLOUT.replace("daily {", f'daily(since: "{since}", until: "{until}") {{')
        return api.post(query, {"p": "2021:24"}, bac_giang)

    backwards = daily("2021-08-10T00:00:00+07:00", "2021-08-01T00:00:00+07:00")
    assert [e["extensions"]["code"] for e in backwards["errors"]] == ["BAD_USER_INPUT"], backwards
    assert "until" in backwards["errors"][0]["message"] and "since" in backwards["errors"][0]["message"]
    # One day (since and until on the same Vietnamese day, even at different hours) is a window.
    same_day = daily("2021-08-10T23:00:00+07:00", "2021-08-10T01:00:00+07:00")
    assert "errors" not in same_day and same_day["data"]["provinceRollout"]["daily"] == []


def test_a_campaign_name_and_a_plan_are_one_per_land_under_either_scheme(api: Api, tokens) -> None:
    lang_son = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    first = api.data(LAUNCH, {"input": _campaign("2021:20", "Na Chi Lăng một đất")}, lang_son)["launchCampaign"]
    assert first["userErrors"] == []
    # 2025:20 is the same land as 2021:20 (Lạng Sơn absorbed nothing): the same name there is a duplicate.
    again = api.data(LAUNCH, {"input": _campaign("20", "na chi lăng  MỘT ĐẤT")}, lang_son)["launchCampaign"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["input", "name"], "ALREADY_EXISTS")]
    assert again["campaign"] is None and again["campaignId"] is None
    # 2021 Bắc Giang and Bắc Ninh both lie in 2025 Bắc Ninh: one name across the three codes.
    bac_ninh = tokens["officer"]  # 2025:24
    launched = api.data(LAUNCH, {"input": _campaign("2021:27", "Vải một đất")}, bac_ninh)["launchCampaign"]
    assert launched["userErrors"] == []
    for claim in ("2021:24", "24"):
        refused = api.data(LAUNCH, {"input": _campaign(claim, "Vải một đất")}, bac_ninh)["launchCampaign"]
        assert [e["code"] for e in refused["userErrors"]] == ["ALREADY_EXISTS"], claim
    # Planning Lạng Sơn under either code revises the one plan both dashboards read.
    targets = """query($p: String!) { provinceRollout(provinceCode: $p) { targets { households storefronts } } }"""
    for claim, households in (("20", 70_000), ("2021:20", 80_000), ("20", 85_000)):
        planned = api.data(PLAN, {"input": _plan(claim, households=households)}, lang_son)["planProvinceRollout"]
        assert planned["userErrors"] == [] and planned["rollout"]["targets"]["households"] == households
        for read in ("2021:20", "20"):
            assert api.data(targets, {"p": read}, lang_son)["provinceRollout"]["targets"] == {
                "households": households, "storefronts": 45_000}, (claim, read)
