"""Reference data: Vietnam's administrative units by General Statistics Office (GSO) code, in both schemes.

* **2021**: the 63 provinces, each with districts (3-digit codes) and wards/communes (5-digit codes),
  as last in force before 1 July 2025 (communes merged in 2023–2025 carry the code they kept).
* **2025**: the 34 provinces from 1 July 2025 (Resolution 202/2025/QH15), with wards/communes and no
  district level.
* How the 2021 provinces became the 2025 ones (e.g. 77 Bà Rịa - Vũng Tàu → 79 Hồ Chí Minh; 24 Bắc
  Giang → 24 Bắc Ninh), and which 2021 provinces each 2025 ward lies in.

The lists are not kept by hand: they come from the ``vietnamadminunits`` package (its bundled GSO
dataset and its 63 → 34 mapping), loaded once on first use. Events keep codes as recorded; this
module only answers what a code means. Codes are compared exactly as the GSO writes them (zero-padded:
province "01", district "005", ward "00175").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from farmgate.core.domain.errors import InvalidInput

CURRENT_SCHEME = 2025
SCHEMES = (2021, 2025)


@dataclass(frozen=True)
class Province:
    """A province-level unit (tỉnh / thành phố trực thuộc trung ương) of one scheme."""

    code: str
    name: str
    scheme: int


@dataclass(frozen=True)
class District:
    """A district-level unit (quận, huyện, thị xã, thành phố thuộc tỉnh): the 2021 scheme only."""

    code: str
    name: str
    province_code: str
    scheme: int = 2021


@dataclass(frozen=True)
class Ward:
    """A commune-level unit (phường, xã, thị trấn, đặc khu); ``district_code`` is None in 2025."""

    code: str
    name: str
    scheme: int
    province_code: str
    district_code: str | None


@dataclass(frozen=True)
class _Units:
    provinces: dict[int, dict[str, Province]]
    districts: dict[str, District]
    wards: dict[int, dict[str, Ward]]
    #: 2021 province code -> the 2025 province code it became part of
    successor: dict[str, str]
    #: 2025 ward code -> the 2021 province codes its land was in (two for a few border wards)
    ward_origins: dict[str, frozenset[str]]


@cache
def _units() -> _Units:
    # Imported here: the package loads its address parser (and shapely) on import, ~0.5 s, which
    # processes that never look a unit up (e.g. `farmgate token`) need not pay.
    from vietnamadminunits.converter.converter_2025 import (
        DICT_PROVINCE,
        DICT_PROVINCE_WARD_DIVIDED,
        DICT_PROVINCE_WARD_NO_DIVIDED,
    )
    from vietnamadminunits.database import query

    legacy = query(
        "SELECT provinceCode, provinceShort, provinceKey, districtCode, districtShort, districtKey,"
        " wardCode, ward, wardKey FROM admin_units_legacy"
    )
    current = query("SELECT provinceCode, provinceShort, provinceKey, wardCode, ward, wardKey FROM admin_units")
    provinces: dict[int, dict[str, Province]] = {2021: {}, 2025: {}}
    districts: dict[str, District] = {}
    wards: dict[int, dict[str, Ward]] = {2021: {}, 2025: {}}
    for r in legacy:
        provinces[2021][r["provinceCode"]] = Province(r["provinceCode"], r["provinceShort"], 2021)
        districts[r["districtCode"]] = District(r["districtCode"], r["districtShort"], r["provinceCode"])
        if r["wardCode"]:  # island districts (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa) have no commune level
            wards[2021][r["wardCode"]] = Ward(r["wardCode"], r["ward"], 2021, r["provinceCode"], r["districtCode"])
    for r in current:
        provinces[2025][r["provinceCode"]] = Province(r["provinceCode"], r["provinceShort"], 2025)
        wards[2025][r["wardCode"]] = Ward(r["wardCode"], r["ward"], 2025, r["provinceCode"], None)

    # The package's mapping is by name key; the dataset turns keys into GSO codes.
    old_code = {r["provinceKey"]: r["provinceCode"] for r in legacy}
    new_code = {r["provinceKey"]: r["provinceCode"] for r in current}
    new_ward = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in current}
    successor = {old_code[old]: new_code[new] for new, olds in DICT_PROVINCE.items() for old in olds}
    origins: dict[str, set[str]] = {}
    for new, by_ward in DICT_PROVINCE_WARD_NO_DIVIDED.items():
        for ward_key, old_paths in by_ward.items():
            origins.setdefault(new_ward[(new, ward_key)], set()).update(
                old_code[path.split("_")[0]] for path in old_paths
            )
    for new, by_old_path in DICT_PROVINCE_WARD_DIVIDED.items():
        for old_path, parts in by_old_path.items():
            for part in parts:
                origins.setdefault(new_ward[(new, part["newWardKey"])], set()).add(old_code[old_path.split("_")[0]])
    return _Units(provinces, districts, wards, successor, {k: frozenset(v) for k, v in origins.items()})


class _ProvincesByScheme(Mapping[int, Mapping[str, Province]]):
    """``PROVINCES[scheme][code]``, loaded on first use."""

    def __getitem__(self, scheme: int) -> Mapping[str, Province]:
        return _units().provinces[scheme]

    def __iter__(self) -> Iterator[int]:
        return iter(SCHEMES)

    def __len__(self) -> int:
        return len(SCHEMES)


PROVINCES: Mapping[int, Mapping[str, Province]] = _ProvincesByScheme()


def check_scheme(scheme: int, field: list[str] | None = None) -> int:
    """``scheme`` if it is 2021 or 2025; else InvalidInput naming ``field``."""
    if scheme not in SCHEMES:
        raise InvalidInput("Unknown administrative scheme; use 2021 or 2025", field)  # never the value (below)
    return scheme


def provinces(scheme: int | None = None) -> list[Province]:
    """Every province of ``scheme`` (both schemes when None), by code."""
    schemes = SCHEMES if scheme is None else (check_scheme(scheme),)
    return [p for s in schemes for p in sorted(_units().provinces[s].values(), key=lambda p: p.code)]


def province(scheme: int, code: str, field: list[str] | None = None) -> Province:
    """The province of ``code`` in ``scheme``, or an InvalidInput naming the field."""
    check_scheme(scheme, field)
    found = _units().provinces[scheme].get(code)
    if found is None:
        # Never the value: a misaligned CSV row puts a national ID or phone in this column, and row
        # errors outlive the file.
        raise InvalidInput(f"Unknown province code in the {scheme} scheme", field)
    return found


def districts(province_code: str) -> list[District]:
    """The districts of a 2021 province, by code (the 2025 scheme has none)."""
    return sorted((d for d in _units().districts.values() if d.province_code == province_code), key=lambda d: d.code)


def district(code: str, field: list[str] | None = None) -> District:
    """The 2021 district of ``code``, or an InvalidInput naming the field. District codes are unique
    across provinces."""
    found = _units().districts.get(code)
    if found is None:
        raise InvalidInput("districtCode is not a GSO district code of the 2021 scheme", field)
    return found


def wards(scheme: int, province_code: str, district_code: str | None = None) -> list[Ward]:
    """The wards of a province (and, in 2021, optionally of one of its districts), by code."""
    check_scheme(scheme)
    return sorted(
        (w for w in _units().wards[scheme].values() if w.province_code == province_code
         and (district_code is None or w.district_code == district_code)),
        key=lambda w: w.code,
    )


def ward(scheme: int, code: str, field: list[str] | None = None) -> Ward:
    """The ward of ``code`` in ``scheme``, or an InvalidInput naming the field. Ward codes are unique
    within a scheme."""
    check_scheme(scheme, field)
    found = _units().wards[scheme].get(code)
    if found is None:
        raise InvalidInput(f"wardCode is not a GSO ward code of the {scheme} scheme", field)
    return found


def check_membership(
    scheme: int, province_code: str, district_code: str | None, ward_code: str | None, field: list[str]
) -> Province:
    """That the codes name one place: the province in ``scheme``; in 2021 the district in that province
    and the ward in that district; in 2025 no district, the ward in the province. Returns the province.

    Raises InvalidInput with ``field + [provinceCode | districtCode | wardCode]`` for the first code
    that does not belong, or ``field + [scheme]`` for an unknown scheme."""
    check_scheme(scheme, field + ["scheme"])
    found = province(scheme, province_code, field + ["provinceCode"])
    if district_code is not None:
        if scheme == 2025:
            raise InvalidInput("The 2025 scheme has no district level", field + ["districtCode"])
        if district(district_code, field + ["districtCode"]).province_code != province_code:
            raise InvalidInput(f"districtCode is not a district of {found.name} ({province_code})",
                               field + ["districtCode"])
    if ward_code is not None:
        place = ward(scheme, ward_code, field + ["wardCode"])
        if place.province_code != province_code:
            raise InvalidInput(f"wardCode is not a ward of {found.name} ({province_code})", field + ["wardCode"])
        if district_code is not None and place.district_code != district_code:
            raise InvalidInput("wardCode is not a ward of that district", field + ["wardCode"])
    return found


def successor(code_2021: str, field: list[str] | None = None) -> Province:
    """The 2025 province a 2021 province became part of (77 → 79 Hồ Chí Minh; 20 → 20 Lạng Sơn)."""
    province(2021, code_2021, field)
    return _units().provinces[2025][_units().successor[code_2021]]


def absorbed(code_2025: str, field: list[str] | None = None) -> list[Province]:
    """The 2021 provinces a 2025 province was formed from, by code (79 → 74, 77, 79; 20 → 20)."""
    province(2025, code_2025, field)
    units = _units()
    return [units.provinces[2021][old] for old in sorted(units.successor) if units.successor[old] == code_2025]


def ward_origins(code_2025: str, field: list[str] | None = None) -> list[Province]:
    """The 2021 provinces whose land a 2025 ward covers (one, or two for a few border wards)."""
    ward(2025, code_2025, field)
    units = _units()
    return [units.provinces[2021][old] for old in sorted(units.ward_origins.get(code_2025, ()))]
