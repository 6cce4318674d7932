"""The provinceCode (and districtCode, wardCode) filter arguments over HTTP, read like a province scope
claim (core.domain.province_area): ``2021:24`` Bắc Giang, ``2025:24`` Bắc Ninh, a bare ``24`` read in the
2025 scheme; the filter selects the province's area under either scheme, and a code that names no
province (or district, or ward) is BAD_USER_INPUT, never an empty list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.server import Api
from tests.e2e.test_catalog_api import LUC_NGAN, open_storefront, publish
from tests.e2e.test_households_api import error_code
from tests.e2e.test_province_scope_api import BAC_PLACES, SAIGON_PLACES, officer, register_at, seen
from tests.personal_data import PersonalData

# The reviewer's households: 2021:24/219/07528, 2025:24 ward 09169, 2021:27/256/09163,
# 2021:77/747/26506 and 2025:79 ward 26506.
PLACES = {
    "bac-giang-2021": BAC_PLACES["bac-giang-2021"],
    "bac-ninh-2025": BAC_PLACES["bac-ninh-2025"],
    "bac-ninh-2021": BAC_PLACES["bac-ninh-2021"],
    "vung-tau-2021": SAIGON_PLACES["vung-tau-2021"],
    "vung-tau-2025": SAIGON_PLACES["vung-tau-2025"],
}
BAC_NINH_2025 = {"bac-giang-2021", "bac-ninh-2025", "bac-ninh-2021"}
VUNG_TAU = {"vung-tau-2021", "vung-tau-2025"}

STOREFRONTS = """query($province: String, $district: String, $ward: String) {
  storefronts(first: 100, provinceCode: $province, districtCode: $district, wardCode: $ward) {
    totalCount edges { node { name } } } }"""
LISTINGS = """query($search: String, $province: String) {
  listings(first: 100, search: $search, provinceCode: $province) { totalCount edges { node { title } } } }"""
HOUSEHOLDS = "query($province: String) { households(first: 1, provinceCode: $province) { totalCount } }"
ROLLOUT = "query($province: String!) { provinceRollout(provinceCode: $province) { provinceCode } }"

MALFORMED = ["77", "2025:77", "2021:99", "1999:24", "x:24", ":24", "2021:", "", "2021:24:1"]


@pytest.fixture(scope="module")
def world(api: Api, personal_data: PersonalData) -> dict[str, Any]:
    """The reviewer's households, each with an open storefront and one listing named after the place."""
    marker, households = register_at(api, personal_data, PLACES)
    admin = api.token("ADMIN")
    for place, household in households.items():
        storefront = open_storefront(api, admin, household["id"], name=f"Vườn {marker} {place}", location=LUC_NGAN)
        publish(api, admin, storefront["id"], f"Vải {marker} {place}")
    return {"marker": marker, "households": households, "admin": admin}


def storefront_places(api: Api, world: dict[str, Any], **filters: str | None) -> set[str]:
    edges = api.data(STOREFRONTS, filters)["storefronts"]["edges"]
    return {e["node"]["name"].split(" ", 2)[2] for e in edges if world["marker"] in e["node"]["name"]}


def listing_places(api: Api, world: dict[str, Any], province: str | None) -> set[str]:
    edges = api.data(LISTINGS, {"search": world["marker"], "province": province})["listings"]["edges"]
    return {e["node"]["title"].split(" ", 2)[2] for e in edges}


@pytest.mark.parametrize(("province", "expected"), [
    ("24", BAC_NINH_2025),  # bare: 2025 Bắc Ninh, which absorbed 2021:24 Bắc Giang and 2021:27 Bắc Ninh
    ("2025:24", BAC_NINH_2025),
    ("2021:24", {"bac-giang-2021"}),  # 2021 Bắc Giang: not the 2025 record in ward 09169 (old Bắc Ninh)
    ("2021:27", {"bac-ninh-2021", "bac-ninh-2025"}),  # and the 2025 record whose ward lies in it
    ("79", VUNG_TAU),
    ("2021:77", VUNG_TAU),
    ("2025:20", set()),
    (None, set(PLACES)),
])
def test_a_province_filter_selects_the_area_of_the_province_it_names(
    api: Api, world: dict[str, Any], province: str | None, expected: set[str]
) -> None:
    assert seen(api, world["admin"], world["marker"], province=province) == expected
    assert storefront_places(api, world, province=province) == expected
    assert listing_places(api, world, province) == expected


def test_an_officers_filter_narrows_within_its_area_under_either_scheme(api: Api, world: dict[str, Any]) -> None:
    marker = world["marker"]
    bac_ninh, hcm, vung_tau = officer(api, "2025:24"), officer(api, "2025:79"), officer(api, "2021:77")
    assert seen(api, bac_ninh, marker, province="24") == BAC_NINH_2025  # keeps its 2021:27 households
    assert seen(api, bac_ninh, marker, province="2021:27") == {"bac-ninh-2021", "bac-ninh-2025"}
    assert seen(api, hcm, marker, province="79") == VUNG_TAU  # and the 2021:77 one
    assert seen(api, hcm, marker, province="2021:77") == VUNG_TAU
    assert seen(api, vung_tau, marker, province="79") == VUNG_TAU
    assert seen(api, hcm, marker, province="24") == set()  # never wider than the officer's area
    assert seen(api, officer(api, "2021:24"), marker, province="24") == {"bac-giang-2021"}


def test_district_and_ward_filters(api: Api, world: dict[str, Any]) -> None:
    assert storefront_places(api, world, province="24", district="219") == {"bac-giang-2021"}
    assert storefront_places(api, world, district="256") == {"bac-ninh-2021"}
    assert storefront_places(api, world, ward="26506") == VUNG_TAU
    assert storefront_places(api, world, province="2021:77", ward="26506") == VUNG_TAU


@pytest.mark.parametrize("code", MALFORMED)
def test_a_province_code_that_names_no_province_is_a_user_error_everywhere(
    api: Api, world: dict[str, Any], code: str
) -> None:
    admin = world["admin"]
    for query, token in ((HOUSEHOLDS, admin), (STOREFRONTS, None), (LISTINGS, None), (ROLLOUT, admin)):
        body = api.post(query, {"province": code}, token)
        assert error_code(body) == "BAD_USER_INPUT", (query, body)
        message = body["errors"][0]["message"]
        assert "provinceCode" in message, message
        assert body.get("data") is None or not any(body["data"].values()), body


@pytest.mark.parametrize(("variables", "argument"), [
    ({"district": "999"}, "districtCode"), ({"district": "2021:"}, "districtCode"),
    ({"ward": "99999"}, "wardCode"), ({"ward": ""}, "wardCode"),
])
def test_a_district_or_ward_code_that_names_no_unit_is_a_user_error(
    api: Api, world: dict[str, Any], variables: dict[str, str], argument: str
) -> None:
    body = api.post(STOREFRONTS, variables)
    assert error_code(body) == "BAD_USER_INPUT", body
    assert argument in body["errors"][0]["message"]


def test_the_reference_data_reads_a_district_filter_the_same_way(api: Api) -> None:
    wards = """query($district: String) { province(scheme: 2021, code: "20") { wards(districtCode: $district) {
      code } } }"""
    chi_lang = api.data(wards, {"district": "１８７"})["province"]["wards"]  # digits folded as everywhere
    assert chi_lang and "06466" in {w["code"] for w in chi_lang}
    body = api.post(wards, {"district": "999"})
    assert error_code(body) == "BAD_USER_INPUT" and "districtCode" in body["errors"][0]["message"]
    # The reviewer's finding: 006 (Long Biên) is a Hà Nội district, not Lạng Sơn's; it read as no wards.
    body = api.post(wards, {"district": "006"})
    assert error_code(body) == "BAD_USER_INPUT", body
    assert "districtCode is not a district of Lạng Sơn (20)" in body["errors"][0]["message"]
    # A 2025 province has no districts: a district filter on it cannot match anything.
    body = api.post(wards.replace("scheme: 2021", "scheme: 2025"), {"district": "187"})
    assert error_code(body) == "BAD_USER_INPUT" and "no district level" in body["errors"][0]["message"]


def test_a_bare_2021_code_that_2025_lacks_is_refused_with_the_way_to_write_it(api: Api, world: dict[str, Any]) -> None:
    body = api.post(HOUSEHOLDS, {"province": "77"}, world["admin"])
    assert error_code(body) == "BAD_USER_INPUT"
    assert "write 2021:77" in body["errors"][0]["message"]
    # Full-width digits are folded before the message is chosen, as the parser folds them: the same hint.
    for typed in ("７７", " ７7 "):
        body = api.post(HOUSEHOLDS, {"province": typed}, world["admin"])
        assert error_code(body) == "BAD_USER_INPUT", body
        assert "77 is no province of the 2025 scheme" in body["errors"][0]["message"]
        assert "write 2021:77 for the 2021 province" in body["errors"][0]["message"], body
    assert seen(api, world["admin"], world["marker"], province="2021:77") == VUNG_TAU
