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
    street: str
    latitude: float
    longitude: float
    certification: str | None


DEMO_HOUSEHOLDS = [
    DemoHousehold("Hộ Hoàng Văn Na", "020080000101", "0912000101", "20", "187", "Thôn Quán Thanh, Chi Lăng",
                  21.6652, 106.6011, "VIETGAP"),
    DemoHousehold("Hộ Lương Thị Mận", "020080000102", "0912000102", "20", "187", "Xã Chi Lăng, Chi Lăng",
                  21.6701, 106.6120, "VIETGAP"),
    DemoHousehold("Hộ Vi Văn Đào", "020080000103", "0912000103", "20", "178", "Phường Chi Lăng, TP Lạng Sơn",
                  21.8537, 106.7610, None),
    DemoHousehold("Hộ Nguyễn Văn Vải", "024080000201", "0912000201", "24", "219", "Xã Phượng Sơn, Lục Ngạn",
                  21.3700, 106.6200, "GLOBALGAP"),
    DemoHousehold("Hộ Trần Thị Thiều", "024080000202", "0912000202", "24", "219", "Xã Hồng Giang, Lục Ngạn",
                  21.3912, 106.5876, "VIETGAP"),
    DemoHousehold("Hộ Đặng Văn Hùng", "024080000203", "0912000203", "24", "218", "Xã Tam Dị, Lục Nam",
                  21.2900, 106.4000, None),
]


def load_demo(system: System) -> int:
    """Register, verify and certify the demo households; return how many were new."""
    added = 0
    with recording(Provenance(actor="SYSTEM:demo", correlation_id="demo")):
        for h in DEMO_HOUSEHOLDS:
            try:
                household_id = system.app.register_household(
                    name=h.name,
                    national_id=h.national_id,
                    phone=h.phone,
                    address={"scheme": 2021, "province_code": h.province_code, "district_code": h.district_code,
                             "street": h.street},
                    location={"latitude": h.latitude, "longitude": h.longitude},
                    channel="POSTMART",
                )
            except AlreadyExists:
                continue
            added += 1
            system.app.verify_household(household_id, "commune post office")
            system.app.link_payment_account(household_id, "POST_OFFICE", "VNPost", "BDVH" + h.phone[-6:])
            if h.certification:
                valid_until = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=730)
                system.app.add_certification(household_id, h.certification, f"{h.certification}-{h.phone[-4:]}",
                                             "Sở Nông nghiệp và PTNT", valid_until)
    system.catch_up()
    return added
