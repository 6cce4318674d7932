"""Who and where the demo's story is about: the households (DOMAIN.md's Lạng Sơn and Bắc Giang), the
buyers across the provinces, the export partner. Every identity is fictitious and fixed, so the
demo records the same people on every run; national IDs and phones are shaped like real ones only
so the application accepts them."""

from __future__ import annotations

from dataclasses import dataclass

from farmgate.core.domain.provinces import district, districts, wards


@dataclass(frozen=True)
class DemoHousehold:
    key: str
    name: str
    national_id: str
    phone: str
    province_code: str
    district_code: str
    ward_code: str
    street: str
    latitude: float
    longitude: float
    certification: str | None
    product: str
    shelf_life_hours: int
    unit_price: str
    #: the marketplaces it opens a storefront on
    marketplaces: tuple[str, ...] = ("POSTMART",)

    @property
    def district_name(self) -> str:
        """Where the produce comes from, as a listing may say it: the district, not the street."""
        return district(self.district_code).name

    @property
    def category(self) -> str:
        return "RICE_AND_GRAIN" if "Gạo" in self.product else "FRUIT"


# Lạng Sơn (2021 code 20): Chi Lăng custard apples on limestone hills, VietGAP; a persimmon grower.
NA = DemoHousehold("na", "Hộ Hoàng Văn Na", "020080000101", "0912000101", "20", "187", "06523",
                   "Thôn Quán Thanh, Chi Lăng", 21.6652, 106.6011, "VIETGAP",
                   "Na dai Chi Lăng trồng trên núi đá vôi", 48, "45000")
MAN = DemoHousehold("man", "Hộ Lương Thị Mận", "020080000102", "0912000102", "20", "187", "06523",
                    "Xã Chi Lăng, Chi Lăng", 21.6701, 106.6120, "VIETGAP", "Na bở Chi Lăng", 48, "40000")
DAO = DemoHousehold("dao", "Hộ Vi Văn Đào", "020080000103", "0912000103", "20", "178", "05983",
                    "Phường Chi Lăng, TP Lạng Sơn", 21.8537, 106.7610, None, "Hồng không hạt Bảo Lâm", 240, "50000")
# Bắc Giang (2021 code 24): Lục Ngạn lychee, sold on Postmart and Voso; a sticky-rice grower.
VAI = DemoHousehold("vai", "Hộ Nguyễn Văn Vải", "024080000201", "0912000201", "24", "219", "07588",
                    "Xã Tân Quang, Lục Ngạn", 21.3700, 106.6200, "GLOBALGAP", "Vải thiều Lục Ngạn", 48, "25000",
                    ("POSTMART", "VOSO"))
THIEU = DemoHousehold("thieu", "Hộ Trần Thị Thiều", "024080000202", "0912000202", "24", "219", "07597",
                      "Xã Phú Nhuận, Lục Ngạn", 21.3912, 106.5876, "VIETGAP", "Vải thiều sớm Phúc Hòa", 48, "30000",
                      ("POSTMART", "VOSO"))
HUNG = DemoHousehold("hung", "Hộ Đặng Văn Hùng", "024080000203", "0912000203", "24", "218", "07456",
                     "Xã Tam Dị, Lục Nam", 21.2900, 106.4000, None, "Gạo nếp cái hoa vàng", 4320, "35000")
LUC = DemoHousehold("luc", "Hộ Phạm Văn Lục", "024080000204", "0912000204", "24", "219", "07588",
                    "Xã Tân Quang, Lục Ngạn", 21.3755, 106.6152, "VIETGAP", "Vải thiều Lục Ngạn loại 1", 48, "28000",
                    ("VOSO",))

DEMO_HOUSEHOLDS = (NA, MAN, DAO, VAI, THIEU, HUNG, LUC)
LYCHEE_GROWERS = (VAI, THIEU, LUC)

#: the Hà Nội address the custard apples went to in August 2021 (Đống Đa, Láng Thượng)
HANOI = {"scheme": 2021, "province_code": "01", "district_code": "005", "ward_code": "00175",
         "street": "Ngõ 12 Chùa Láng"}


@dataclass(frozen=True)
class DemoBuyer:
    name: str
    phone: str
    province_code: str
    street: str

    @property
    def address(self) -> dict[str, object]:
        """A 2021 address in the buyer's province: its first district and that district's first ward."""
        if self.province_code == HANOI["province_code"]:
            return dict(HANOI, street=self.street)
        district = districts(self.province_code)[0]
        ward = wards(2021, self.province_code, district.code)[0]
        return {"scheme": 2021, "province_code": self.province_code, "district_code": district.code,
                "ward_code": ward.code, "street": self.street}


#: lychee buyers in twelve provinces (2021 codes), one order each, in this order
LYCHEE_BUYERS = (
    DemoBuyer("Trần Thị Mai", "0983000001", "01", "Ngõ 12 Chùa Láng"),
    DemoBuyer("Lê Văn Sơn", "0983000002", "79", "12 Nguyễn Trãi"),
    DemoBuyer("Phạm Thị Hoa", "0983000003", "48", "45 Lê Duẩn"),
    DemoBuyer("Ngô Văn Hải", "0983000004", "31", "8 Lạch Tray"),
    DemoBuyer("Đỗ Thị Lan", "0983000005", "92", "21 Mậu Thân"),
    DemoBuyer("Hồ Văn Huế", "0983000006", "46", "3 Lê Lợi"),
    DemoBuyer("Bùi Thị Thanh", "0983000007", "38", "17 Bà Triệu"),
    DemoBuyer("Võ Văn Vinh", "0983000008", "40", "5 Quang Trung"),
    DemoBuyer("Đặng Thị Nga", "0983000009", "56", "30 Trần Phú"),
    DemoBuyer("Y Bih Niê", "0983000010", "66", "14 Phan Bội Châu"),
    DemoBuyer("Lý Văn Tàu", "0983000011", "77", "9 Thùy Vân"),
    DemoBuyer("Vũ Thị Quỳnh", "0983000012", "22", "26 Hạ Long"),
)

#: custard-apple buyers in Hà Nội, August 2021; the second is the order that spoiled
CUSTARD_APPLE_BUYERS = (
    DemoBuyer("Nguyễn Thị Hằng", "0983000101", "01", "Ngõ 12 Chùa Láng"),
    DemoBuyer("Trịnh Văn Quân", "0983000102", "01", "Ngõ 34 Chùa Láng"),
    DemoBuyer("Phan Thị Thu", "0983000103", "01", "Ngõ 56 Chùa Láng"),
)

#: the Czech importer of the cross-border lychee (fictitious)
CZECH_PARTNER = {"name": "Vietfood Praha s.r.o.", "country": "CZ"}
