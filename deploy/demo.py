"""Demo data from DOMAIN.md's scenarios: households of Lạng Sơn (custard apples, Chi Lăng) and
Bắc Giang (lychee, Lục Ngạn). Identities are fictitious and fixed, so a second run adds nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from farmgate.core.domain.errors import AlreadyExists
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.deploy.container import System


@dataclass(frozen=True)
class DemoHousehold:
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


DEMO_HOUSEHOLDS = [
    DemoHousehold("Hộ Hoàng Văn Na", "020080000101", "0912000101", "20", "187", "06523", "Thôn Quán Thanh, Chi Lăng",
                  21.6652, 106.6011, "VIETGAP", "Na dai Chi Lăng trồng trên núi đá vôi", 72),
    DemoHousehold("Hộ Lương Thị Mận", "020080000102", "0912000102", "20", "187", "06523", "Xã Chi Lăng, Chi Lăng",
                  21.6701, 106.6120, "VIETGAP", "Na bở Chi Lăng", 48),
    DemoHousehold("Hộ Vi Văn Đào", "020080000103", "0912000103", "20", "178", "05983", "Phường Chi Lăng, TP Lạng Sơn",
                  21.8537, 106.7610, None, "Hồng không hạt Bảo Lâm", 240),
    DemoHousehold("Hộ Nguyễn Văn Vải", "024080000201", "0912000201", "24", "219", "07588", "Xã Tân Quang, Lục Ngạn",
                  21.3700, 106.6200, "GLOBALGAP", "Vải thiều Lục Ngạn", 48),
    DemoHousehold("Hộ Trần Thị Thiều", "024080000202", "0912000202", "24", "219", "07597", "Xã Phú Nhuận, Lục Ngạn",
                  21.3912, 106.5876, "VIETGAP", "Vải thiều sớm Phúc Hòa", 48),
    DemoHousehold("Hộ Đặng Văn Hùng", "024080000203", "0912000203", "24", "218", "07456", "Xã Tam Dị, Lục Nam",
                  21.2900, 106.4000, None, "Gạo nếp cái hoa vàng", 4320),
]


#: every demo storefront opens 07:00–19:00, Monday to Sunday (Asia/Ho_Chi_Minh)
HOURS = [{"day_of_week": day, "opens": "07:00", "closes": "19:00"} for day in range(1, 8)]


def load_demo(system: System) -> int:
    """Register, verify and certify the demo households, each with a Postmart storefront and one
    listing; return how many households were new."""
    added = 0
    with recording(Provenance(actor="SYSTEM:demo", correlation_id="demo")):
        for h in DEMO_HOUSEHOLDS:
            try:
                household_id = system.app.register_household(
                    name=h.name,
                    national_id=h.national_id,
                    phone=h.phone,
                    address={"scheme": 2021, "province_code": h.province_code, "district_code": h.district_code,
                             "ward_code": h.ward_code, "street": h.street},
                    location={"latitude": h.latitude, "longitude": h.longitude},
                    channel="POSTMART",
                )
            except AlreadyExists:
                continue
            added += 1
            system.app.verify_household(household_id, "commune post office")
            system.app.link_payment_account(household_id, "POST_OFFICE", "VNPost", "BDVH" + h.phone[-6:])
            certifications = []
            if h.certification:
                valid_until = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=730)
                _, certification = system.app.add_certification(
                    household_id, h.certification, f"{h.certification}-{h.phone[-4:]}", "Sở Nông nghiệp và PTNT",
                    valid_until)
                certifications.append(certification)
            storefront = system.app.open_storefront(
                household_id=household_id, marketplace="POSTMART", name=f"Vườn {h.name.removeprefix('Hộ ')}",
                location={"latitude": h.latitude, "longitude": h.longitude}, opening_hours=HOURS)
            system.app.publish_listing(
                storefront_id=storefront, title=h.product, description=f"{h.product}, giao từ {h.street}",
                category="RICE_AND_GRAIN" if "Gạo" in h.product else "FRUIT", unit="kg",
                unit_price={"amount": "45000", "currency": "VND"}, stock_quantity=500,
                shelf_life_hours=h.shelf_life_hours, certification_ids=certifications)
    system.catch_up()
    return added
