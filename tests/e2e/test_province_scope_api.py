"""Province officers over HTTP across the July 2025 merger: scope claims carry their scheme
(``2021:24`` Bắc Giang, ``2025:24`` Bắc Ninh, a bare ``24`` read as 2025), and a province's households
are found under either scheme, through the list, by id, by code, in history, and for registration."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest

from tests.e2e.server import SECRET, Api
from tests.e2e.test_households_api import REGISTER, VERIFY, error_code, registration
from tests.personal_data import PersonalData

LIST = """query($search: String, $province: String) { households(first: 50, search: $search, provinceCode: $province) {
  totalCount edges { node { id name } } } }"""
BY_ID = "query($id: ID!) { household(id: $id) { id history { type } } }"
BY_CODE = "query($code: String!) { householdByCode(code: $code) { id } }"
VIEWER = "{ viewer { role provinceCode provinceScheme } }"

# Places on both sides of the merger (GSO codes). 2025:79 Hồ Chí Minh absorbed 2021:74 Bình Dương,
# 2021:77 Bà Rịa - Vũng Tàu and 2021:79 Hồ Chí Minh; 2021:75 Đồng Nai went to 2025:75.
SAIGON_PLACES = {
    "vung-tau-2021": {"scheme": 2021, "provinceCode": "77", "districtCode": "747", "wardCode": "26506"},
    "binh-duong-2021": {"scheme": 2021, "provinceCode": "74", "districtCode": "718", "wardCode": "25741"},
    "saigon-2021": {"scheme": 2021, "provinceCode": "79", "districtCode": "760", "wardCode": "26734"},
    "vung-tau-2025": {"scheme": 2025, "provinceCode": "79", "wardCode": "26506"},  # Phường Vũng Tàu
    "tan-dinh-2025": {"scheme": 2025, "provinceCode": "79", "wardCode": "26737"},  # in old Hồ Chí Minh
    "no-ward-2025": {"scheme": 2025, "provinceCode": "79"},
    "bien-hoa-2021": {"scheme": 2021, "provinceCode": "75", "districtCode": "731", "wardCode": "25993"},
}
# 2025:24 Bắc Ninh absorbed 2021:24 Bắc Giang and 2021:27 Bắc Ninh.
BAC_PLACES = {
    "bac-giang-2021": {"scheme": 2021, "provinceCode": "24", "districtCode": "219", "wardCode": "07528"},
    "bac-ninh-2021": {"scheme": 2021, "provinceCode": "27", "districtCode": "256", "wardCode": "09163"},
    "bac-giang-2025": {"scheme": 2025, "provinceCode": "24", "wardCode": "07210"},  # Phường Bắc Giang
    "bac-ninh-2025": {"scheme": 2025, "provinceCode": "24", "wardCode": "09169"},  # Phường Vũ Ninh
}


def register_at(api: Api, pd: PersonalData, places: dict[str, dict[str, Any]]) -> tuple[str, dict[str, dict]]:
    """One household per place, named ``<marker> <place>``; returns the marker and the households."""
    marker = uuid.uuid4().hex[:10]
    admin = api.token("ADMIN")
    households = {}
    for place, address in places.items():
        data = registration(pd, name=f"Hộ {marker} {place}", address=address)
        payload = api.data(REGISTER, {"input": data}, admin)["registerHousehold"]
        assert payload["userErrors"] == [], place
        households[place] = payload["household"]
    return marker, households


def seen(api: Api, token: str, marker: str, province: str | None = None) -> set[str]:
    """The places whose households a caller's household list shows."""
    edges = api.data(LIST, {"search": marker, "province": province}, token)["households"]["edges"]
    return {e["node"]["name"].split(" ", 2)[2] for e in edges}


def officer(api: Api, province: str) -> str:
    return api.token("PROVINCE_OFFICER", "can-bo", province=province)


def test_an_officer_of_a_merged_province_sees_the_households_recorded_under_the_provinces_it_absorbed(
    api: Api, personal_data: PersonalData
) -> None:
    marker, households = register_at(api, personal_data, SAIGON_PLACES)
    hcm_2025, vung_tau_2021 = officer(api, "2025:79"), officer(api, "2021:77")
    expected = {
        hcm_2025: set(SAIGON_PLACES) - {"bien-hoa-2021"},
        # The 2021 province, and 2025 records whose ward lies on its land.
        vung_tau_2021: {"vung-tau-2021", "vung-tau-2025"},
        officer(api, "2021:79"): {"saigon-2021", "tan-dinh-2025"},
        officer(api, "2025:75"): {"bien-hoa-2021"},
    }
    for token, places in expected.items():
        assert seen(api, token, marker) == places
        for place, household in households.items():
            # Every read path agrees with the list: by id (with history), by the shared code.
            found = api.data(BY_ID, {"id": household["id"]}, token)["household"]
            assert (found is not None) == (place in places), place
            if found is not None:
                assert found["history"][0]["type"] == "Registered"
            by_code = api.data(BY_CODE, {"code": household["code"]}, token)["householdByCode"]
            assert (by_code is not None) == (place in places), place
    # The provinceCode filter is read like a scope claim (a bare code in the 2025 scheme) and selects
    # that province's area, within the caller's area: it never widens it.
    assert seen(api, hcm_2025, marker, province="2021:77") == {"vung-tau-2021", "vung-tau-2025"}
    assert error_code(api.post(LIST, {"province": "77"}, hcm_2025)) == "BAD_USER_INPUT"  # no 2025:77
    assert seen(api, vung_tau_2021, marker, province="79") == {"vung-tau-2021", "vung-tau-2025"}
    assert seen(api, vung_tau_2021, marker, province="2025:75") == set()

    # Managing follows the same area: the 2025 officer verifies a household recorded under 2021:77.
    verified = api.data(VERIFY, {"input": {"householdId": households["vung-tau-2021"]["id"],
                                           "method": "commune post office"}}, hcm_2025)["verifyHousehold"]
    assert verified["userErrors"] == [] and verified["household"]["status"] == "VERIFIED"
    refused = api.data(VERIFY, {"input": {"householdId": households["tan-dinh-2025"]["id"],
                                          "method": "commune post office"}}, vung_tau_2021)["verifyHousehold"]
    assert refused["household"] is None and refused["userErrors"][0]["code"] == "NOT_FOUND"

    # Registering too: a 2021:77 officer registers a 2025 address on its land, not elsewhere in 2025:79.
    on_its_land = registration(personal_data, address=SAIGON_PLACES["vung-tau-2025"])
    assert api.data(REGISTER, {"input": on_its_land}, vung_tau_2021)["registerHousehold"]["userErrors"] == []
    elsewhere = registration(personal_data, address=SAIGON_PLACES["tan-dinh-2025"])
    assert error_code(api.post(REGISTER, {"input": elsewhere}, vung_tau_2021)) == "FORBIDDEN"
    absorbed = registration(personal_data, address=SAIGON_PLACES["binh-duong-2021"])
    assert api.data(REGISTER, {"input": absorbed}, hcm_2025)["registerHousehold"]["userErrors"] == []


def test_province_claims_carry_their_scheme_and_a_bare_code_is_read_in_2025(
    api: Api, personal_data: PersonalData
) -> None:
    marker, _ = register_at(api, personal_data, BAC_PLACES)
    bac_giang, bac_ninh, bare = officer(api, "2021:24"), officer(api, "2025:24"), officer(api, "24")
    assert seen(api, bac_giang, marker) == {"bac-giang-2021", "bac-giang-2025"}
    assert seen(api, officer(api, "2021:27"), marker) == {"bac-ninh-2021", "bac-ninh-2025"}
    assert seen(api, bac_ninh, marker) == set(BAC_PLACES)
    assert seen(api, bare, marker) == set(BAC_PLACES)
    assert api.data(VIEWER, token=bac_giang)["viewer"] == {
        "role": "PROVINCE_OFFICER", "provinceCode": "24", "provinceScheme": 2021}
    assert api.data(VIEWER, token=bare)["viewer"] == {
        "role": "PROVINCE_OFFICER", "provinceCode": "24", "provinceScheme": 2025}
    # A Bắc Giang (2021) officer registers in Bắc Giang, not in old Bắc Ninh.
    in_bac_ninh = registration(personal_data, address=BAC_PLACES["bac-ninh-2021"])
    assert error_code(api.post(REGISTER, {"input": in_bac_ninh}, bac_giang)) == "FORBIDDEN"


@pytest.mark.parametrize("claim", ["2021:99", "2025:77", "1999:24", "x:24", ":24", "2021:", "77", ""])
def test_a_province_claim_that_names_no_province_of_its_scheme_is_unauthenticated(api: Api, claim: str) -> None:
    now = int(time.time())
    token = jwt.encode({"sub": "x", "role": "PROVINCE_OFFICER", "province": claim, "iat": now, "exp": now + 60},
                       SECRET, algorithm="HS256")
    assert error_code(api.post("{ households(first: 1) { totalCount } }", token=token)) == "UNAUTHENTICATED"


def test_reference_data_looks_units_up_by_scheme_and_code_and_maps_2021_to_2025(api: Api) -> None:
    query = """{
      bacGiang: province(scheme: 2021, code: "24") { name successor { code name } predecessors { code } }
      bacNinh: province(scheme: 2025, code: "24") { name districts { code } predecessors { code name } }
      gone: province(scheme: 2025, code: "77") { name }
      chiLang: district(code: "187") { name provinceCode wards { code } }
      ward2021: ward(scheme: 2021, code: "06466") { name provinceCode districtCode predecessorProvinces { code } }
      ward2025: ward(scheme: 2025, code: "26506") { name provinceCode districtCode predecessorProvinces { code name } }
      noWard: ward(scheme: 2025, code: "99999") { name }
      langSon: province(scheme: 2021, code: "20") { wards(districtCode: "187") { code } }
    }"""
    data = api.data(query)  # public: no token
    assert data["bacGiang"] == {"name": "Bắc Giang", "successor": {"code": "24", "name": "Bắc Ninh"},
                                "predecessors": []}
    assert data["bacNinh"] == {"name": "Bắc Ninh", "districts": [], "predecessors": [
        {"code": "24", "name": "Bắc Giang"}, {"code": "27", "name": "Bắc Ninh"}]}
    assert data["gone"] is None and data["noWard"] is None
    assert data["chiLang"]["name"] == "Chi Lăng" and data["chiLang"]["provinceCode"] == "20"
    assert [w["code"] for w in data["chiLang"]["wards"]] == [w["code"] for w in data["langSon"]["wards"]]
    assert "06466" in [w["code"] for w in data["chiLang"]["wards"]]
    assert "06280" not in [w["code"] for w in data["chiLang"]["wards"]]
    assert data["ward2021"] == {"name": "Thị trấn Chi Lăng", "provinceCode": "20", "districtCode": "187",
                                "predecessorProvinces": []}
    assert data["ward2025"] == {"name": "Phường Vũng Tàu", "provinceCode": "79", "districtCode": None,
                                "predecessorProvinces": [{"code": "77", "name": "Bà Rịa - Vũng Tàu"}]}
    assert error_code(api.post('{ province(scheme: 2030, code: "24") { name } }')) == "BAD_USER_INPUT"
