"""Administrative units as reference data (GSO codes, 2021 and 2025 schemes) and addresses checked
against them: pure domain, no database."""

from __future__ import annotations

import pytest

from farmgate.core.domain import provinces as units
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.place import Address
from farmgate.core.domain.province_area import ProvinceArea

PATH = ["input", "address"]


def test_both_schemes_are_complete_and_every_2021_province_became_one_2025_province() -> None:
    assert len(units.provinces(2021)) == 63 and len(units.provinces(2025)) == 34
    assert {p.code for p in units.provinces(2025)} == {units.successor(p.code).code for p in units.provinces(2021)}
    assert sum(len(units.absorbed(p.code)) for p in units.provinces(2025)) == 63


@pytest.mark.parametrize(("code_2021", "code_2025", "name_2025"), [
    ("77", "79", "Hồ Chí Minh"), ("74", "79", "Hồ Chí Minh"), ("24", "24", "Bắc Ninh"), ("27", "24", "Bắc Ninh"),
    ("20", "20", "Lạng Sơn"), ("01", "01", "Hà Nội"), ("67", "68", "Lâm Đồng"),
])
def test_a_2021_province_maps_to_the_2025_province_it_became(code_2021: str, code_2025: str, name_2025: str) -> None:
    assert units.successor(code_2021) == units.Province(code_2025, name_2025, 2025)


def test_a_2025_province_lists_the_2021_provinces_it_absorbed() -> None:
    assert [(p.code, p.name) for p in units.absorbed("79")] == [
        ("74", "Bình Dương"), ("77", "Bà Rịa - Vũng Tàu"), ("79", "Hồ Chí Minh")]
    assert [p.code for p in units.absorbed("24")] == ["24", "27"]
    assert [p.code for p in units.absorbed("20")] == ["20"]
    with pytest.raises(InvalidInput):
        units.absorbed("77")  # not a 2025 province
    with pytest.raises(InvalidInput):
        units.successor("99")


def test_the_same_code_names_different_provinces_in_each_scheme() -> None:
    assert units.province(2021, "24").name == "Bắc Giang"
    assert units.province(2025, "24").name == "Bắc Ninh"
    with pytest.raises(InvalidInput) as refused:
        units.province(2025, "77", ["x"])
    assert refused.value.field == ["x"]


def test_districts_and_wards_are_looked_up_by_code_with_their_names() -> None:
    assert units.district("187") == units.District("187", "Chi Lăng", "20")
    assert units.ward(2021, "06466") == units.Ward("06466", "Thị trấn Chi Lăng", 2021, "20", "187")
    assert [d.code for d in units.districts("20")][:3] == ["178", "180", "181"]
    chi_lang = [w.code for w in units.wards(2021, "20", "187")]
    assert chi_lang[0] == "06463" and "06280" not in chi_lang and all("06463" <= c <= "06523" for c in chi_lang)
    assert all(w.district_code is None and w.province_code == "20" for w in units.wards(2025, "20"))
    # A 2025 ward on the old Hậu Giang / Sóc Trăng border lies in two 2021 provinces.
    assert [p.code for p in units.ward_origins("31473")] == ["93", "94"]


@pytest.mark.parametrize(("address", "field"), [
    ({"scheme": 2021, "province_code": "20", "district_code": "999"}, "districtCode"),
    ({"scheme": 2021, "province_code": "20", "district_code": "187", "ward_code": "99999"}, "wardCode"),
    ({"scheme": 2021, "province_code": "20", "district_code": "005"}, "districtCode"),  # Cầu Giấy, Hà Nội
    ({"scheme": 2021, "province_code": "20", "ward_code": "00175"}, "wardCode"),  # Trung Hòa, Hà Nội
    ({"scheme": 2021, "province_code": "20", "district_code": "187", "ward_code": "06280"}, "wardCode"),  # Văn Quan
    ({"scheme": 2021, "province_code": "24", "district_code": "219", "ward_code": "07507"}, "wardCode"),  # Lục Nam
    ({"scheme": 2021, "province_code": "20", "district_code": ""}, "districtCode"),
    ({"scheme": 2025, "province_code": "20", "district_code": "187"}, "districtCode"),
    ({"scheme": 2025, "province_code": "20", "ward_code": "99999"}, "wardCode"),
    ({"scheme": 2025, "province_code": "20", "ward_code": "06466"}, "wardCode"),  # a 2021 code, gone in 2025
    ({"scheme": 2025, "province_code": "01", "ward_code": "06463"}, "wardCode"),  # Lạng Sơn's, not Hà Nội's
    ({"scheme": 2025, "province_code": "77"}, "provinceCode"),
    ({"scheme": 2030, "province_code": "20"}, "scheme"),
])
def test_codes_that_do_not_name_one_place_of_their_scheme_are_refused(address: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Address.checked(field=PATH, **address)
    assert refused.value.field == PATH + [field]
    assert refused.value.code == "INVALID"


@pytest.mark.parametrize("address", [
    {"scheme": 2021, "province_code": "20", "district_code": "187", "ward_code": "06466"},
    {"scheme": 2021, "province_code": "20", "ward_code": "06466"},
    {"scheme": 2021, "province_code": "24", "district_code": "219"},
    {"scheme": 2021, "province_code": "77"},
    {"scheme": 2025, "province_code": "20", "ward_code": "06463"},  # Xã Chi Lăng
    {"province_code": "79"},
])
def test_codes_of_one_place_are_accepted(address: dict) -> None:
    checked = Address.checked(field=PATH, **address)
    assert checked.scheme == address.get("scheme", 2025) and checked.province_code == address["province_code"]


def test_a_province_area_covers_its_records_under_both_schemes() -> None:
    hcm = ProvinceArea.parse("2025:79")
    assert all(hcm.covers(2021, old) for old in ("74", "77", "79")) and hcm.covers(2025, "79")
    assert not hcm.covers(2021, "75") and not hcm.covers(2025, "75")
    vung_tau = ProvinceArea.parse("2021:77")
    assert vung_tau.covers(2021, "77") and vung_tau.covers(2025, "79", "26506")  # Phường Vũng Tàu
    assert not vung_tau.covers(2025, "79", "26737") and not vung_tau.covers(2025, "79")  # Tân Định; no ward
    assert ProvinceArea.parse("2021:20").covers(2025, "20")  # Lạng Sơn absorbed no other province
    assert ProvinceArea.parse("24") == ProvinceArea(2025, "24") and ProvinceArea.parse("2021:24").claim == "2021:24"
    for claim in ("2021:99", "2025:77", "1999:24", ":24", "x:24"):
        with pytest.raises(InvalidInput):
            ProvinceArea.parse(claim)


def test_a_province_area_names_the_2025_land_it_lies_in_and_the_same_land_of_the_other_scheme() -> None:
    claims = lambda areas: [a.claim for a in areas]  # noqa: E731
    assert ProvinceArea.parse("2021:77").land == ProvinceArea(2025, "79") == ProvinceArea.parse("79").land
    assert claims(ProvinceArea.parse("2021:77").on_the_land) == ["2025:79", "2021:74", "2021:77", "2021:79"]
    assert claims(ProvinceArea.parse("2021:20").on_the_land) == ["2025:20", "2021:20"]
    assert ProvinceArea.parse("2021:20").same_land == ProvinceArea(2025, "20")
    assert ProvinceArea.parse("20").same_land == ProvinceArea(2021, "20")
    assert ProvinceArea.parse("2021:24").same_land is None and ProvinceArea.parse("24").same_land is None


def test_unknown_codes_and_scopes_are_refused_naming_the_field() -> None:
    field = ["input", "scope"]
    for call, code in ((units.successor, "99"), (units.absorbed, "77"), (units.ward_origins, "99999"),
                       (lambda code, field: units.ward(2030, code, field), "06466")):
        with pytest.raises(InvalidInput) as unknown:
            call(code, field)
        assert unknown.value.field == field, call
    with pytest.raises(InvalidInput) as bad:
        ProvinceArea.parse("twenty:24", field)
    assert (bad.value.message, bad.value.field) == ("A province scope is SCHEME:CODE, e.g. 2021:24 or 2025:24", field)
    with pytest.raises(InvalidInput) as unknown_province:
        ProvinceArea.parse("2025:77", field)
    assert unknown_province.value.field == field


def test_every_2025_ward_lies_on_the_land_of_one_or_two_2021_provinces() -> None:
    wards_2025 = units._units().wards[2025]
    assert len(wards_2025) > 3000
    assert all(1 <= len(units.ward_origins(code)) <= 2 for code in wards_2025)
