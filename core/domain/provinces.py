"""Reference data: Vietnam's provinces in the 2021 scheme (63, with districts) and the 2025 scheme
(34, no district level), by General Statistics Office code. Events keep codes as recorded."""

from __future__ import annotations

from dataclasses import dataclass

from farmgate.core.domain.errors import InvalidInput

CURRENT_SCHEME = 2025
SCHEMES = (2021, 2025)

_2021 = """01 Hà Nội|02 Hà Giang|04 Cao Bằng|06 Bắc Kạn|08 Tuyên Quang|10 Lào Cai|11 Điện Biên|12 Lai Châu
|14 Sơn La|15 Yên Bái|17 Hòa Bình|19 Thái Nguyên|20 Lạng Sơn|22 Quảng Ninh|24 Bắc Giang|25 Phú Thọ
|26 Vĩnh Phúc|27 Bắc Ninh|30 Hải Dương|31 Hải Phòng|33 Hưng Yên|34 Thái Bình|35 Hà Nam|36 Nam Định
|37 Ninh Bình|38 Thanh Hóa|40 Nghệ An|42 Hà Tĩnh|44 Quảng Bình|45 Quảng Trị|46 Thừa Thiên Huế
|48 Đà Nẵng|49 Quảng Nam|51 Quảng Ngãi|52 Bình Định|54 Phú Yên|56 Khánh Hòa|58 Ninh Thuận
|60 Bình Thuận|62 Kon Tum|64 Gia Lai|66 Đắk Lắk|67 Đắk Nông|68 Lâm Đồng|70 Bình Phước|72 Tây Ninh
|74 Bình Dương|75 Đồng Nai|77 Bà Rịa – Vũng Tàu|79 TP Hồ Chí Minh|80 Long An|82 Tiền Giang
|83 Bến Tre|84 Trà Vinh|86 Vĩnh Long|87 Đồng Tháp|89 An Giang|91 Kiên Giang|92 Cần Thơ
|93 Hậu Giang|94 Sóc Trăng|95 Bạc Liêu|96 Cà Mau"""

_2025 = """01 Hà Nội|04 Cao Bằng|08 Tuyên Quang|11 Điện Biên|12 Lai Châu|14 Sơn La|15 Lào Cai
|19 Thái Nguyên|20 Lạng Sơn|22 Quảng Ninh|24 Bắc Ninh|25 Phú Thọ|31 Hải Phòng|33 Hưng Yên
|37 Ninh Bình|38 Thanh Hóa|40 Nghệ An|42 Hà Tĩnh|44 Quảng Trị|46 Huế|48 Đà Nẵng|51 Quảng Ngãi
|52 Gia Lai|56 Khánh Hòa|66 Đắk Lắk|68 Lâm Đồng|75 Đồng Nai|79 TP Hồ Chí Minh|80 Tây Ninh
|82 Đồng Tháp|86 Vĩnh Long|91 An Giang|92 Cần Thơ|96 Cà Mau"""


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    scheme: int


def _parse(text: str, scheme: int) -> dict[str, Province]:
    entries = [item.strip() for item in text.replace("\n", "").split("|")]
    return {code: Province(code, name, scheme) for code, name in (e.split(" ", 1) for e in entries)}


PROVINCES: dict[int, dict[str, Province]] = {2021: _parse(_2021, 2021), 2025: _parse(_2025, 2025)}


def provinces(scheme: int | None = None) -> list[Province]:
    schemes = SCHEMES if scheme is None else (check_scheme(scheme),)
    return [p for s in schemes for p in PROVINCES[s].values()]


def check_scheme(scheme: int, field: list[str] | None = None) -> int:
    if scheme not in PROVINCES:
        raise InvalidInput(f"Unknown administrative scheme {scheme}; use 2021 or 2025", field)
    return scheme


def province(scheme: int, code: str, field: list[str] | None = None) -> Province:
    """The province of ``code`` in ``scheme``, or an InvalidInput naming the field."""
    check_scheme(scheme, field)
    found = PROVINCES[scheme].get(code)
    if found is None:
        raise InvalidInput(f"Unknown province code {code!r} in the {scheme} scheme", field)
    return found
