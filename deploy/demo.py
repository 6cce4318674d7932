"""`farmgate demo`: DOMAIN.md's story of 2021, recorded through the application's use cases as real
events, so every read model, the case file and the history show it as they would show the real thing.

- Bắc Giang, May–June 2021: lychee growers of Lục Ngạn sell on Postmart and Voso to twelve
  provinces, each order delivered within the 48-hour promise and paid.
- The first cross-border lychee: a Czech importer's export order, filled from three households'
  lots, with its documents and its milestones from harvest to the consignee's door within 96 hours.
- Lạng Sơn, June–August 2021: storefronts for Chi Lăng custard-apple growers (VietGAP), and August
  orders to Hà Nội under Directive 16 — one delivery failed (AREA_RESTRICTED), spoiled when its
  promise passed, was claimed by the grower, assessed, its liability split between the carrier and
  the marketplace, decided and paid.

Time: each fact is recorded with the story's moment as the application's clock (``StoryClock``),
so ``occurredAt`` says August 2021 and the promises, deadlines and SLAs run on the story's time;
``recordedAt`` is when the demo ran (the library's timestamp is never bent), which is the truth: the
facts were recorded then. Every command runs as one keyed request (``idempotent``) named for its
step: a second run finds each step committed and records nothing, and a run cut short goes on
where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from uuid import UUID

from farmgate.core.application import Farmgate
from farmgate.core.domain.household import Household
from farmgate.core.domain.order import Order
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.storefront import storefront_id_for
from farmgate.core.idempotency import request_digest
from farmgate.deploy.container import System
from farmgate.deploy.demo_cast import (
    CUSTARD_APPLE_BUYERS, CZECH_PARTNER, DAO, DEMO_HOUSEHOLDS, HUNG, LUC, LYCHEE_BUYERS, LYCHEE_GROWERS, MAN, NA,
    THIEU, VAI, DemoBuyer, DemoHousehold,
)

#: the caller the demo's keyed requests are recorded under (no API caller can have this name)
DEMO_CALLER = "SYSTEM:demo"
#: every demo storefront opens 07:00–19:00, Monday to Sunday (Asia/Ho_Chi_Minh)
HOURS = [{"day_of_week": day, "opens": "07:00", "closes": "19:00"} for day in range(1, 8)]
CARRIER_OF = {"POSTMART": "VNPost", "VOSO": "Viettel Post"}
#: the number the spoiled custard-apple order gets on a fresh database (the story's 14th order of 2021)
SPOILED_ORDER_NUMBER = "FG-2021-000014"
EXPORT_REFERENCE = "LYC-2021-CZ-001"


def utc(*parts: int) -> datetime:
    """A moment of the story, in UTC (Vietnam is UTC+7: 01:00Z is 08:00 in Hà Nội)."""
    return datetime(*parts, tzinfo=timezone.utc)


class StoryClock:
    """The application's clock during the demo: the story's moment, moved by ``Story.step``."""

    def __init__(self, start: datetime = utc(2021, 5, 1)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class EarlierDemo(Exception):
    """The database holds the households of the earlier, households-only demo (recorded without
    step records): the story cannot be told on top of them."""


@dataclass
class Story:
    """Runs the demo's steps: each command once, at its moment, as its actor, as a keyed request."""

    system: System
    clock: StoryClock
    recorded: int = 0
    listings: dict[tuple[str, str], UUID] = field(default_factory=dict)

    @property
    def app(self) -> Farmgate:
        return self.system.app

    def step(self, name: str, actor: str, at: datetime, command: Callable[[], object]) -> list[tuple[str, UUID]]:
        """Run ``command`` at ``at`` as ``actor`` unless the step ``name`` committed before; return the
        streams (type name, id) it changed."""
        digest = request_digest(DEMO_CALLER, name, "demo")
        record = self.app.committed_request(digest)
        if record is None:
            self.clock.now = at
            with recording(Provenance(actor=actor, correlation_id=f"demo:{name}")), self.app.idempotent(digest):
                command()
            record = self.app.committed_request(digest)
            assert record is not None, f"demo step {name} recorded nothing"
            self.recorded += 1
        return [(change["stream"], UUID(change["id"])) for change in record.changes]

    def step_id(self, name: str, actor: str, at: datetime, command: Callable[[], object], stream: str) -> UUID:
        """As ``step``, and the id of the first ``stream`` it changed."""
        return next(i for s, i in self.step(name, actor, at, command) if s == stream)

    def follow_up(self) -> None:
        """Let the process steps react (an order follows its shipment) before the story goes on."""
        self.system.policies.catch_up()


# -- the households ---------------------------------------------------------------------------------


def officer_of(h: DemoHousehold) -> str:
    """The actor who onboards the household: its province's officer (Sở TT&TT)."""
    return f"PROVINCE_OFFICER:demo-{'lang-son' if h.province_code == '20' else 'bac-giang'}"


def household_actor(h: DemoHousehold) -> str:
    """The household acting for itself: its storefronts, listings, confirmations, dispatches, claims."""
    return f"HOUSEHOLD:demo-{h.key}"


def onboard(story: Story, h: DemoHousehold, joined: datetime, published: datetime,
            campaign_id: UUID | None = None) -> UUID:
    """Register, verify, link a payment account, certify; a storefront per marketplace, one listing each."""
    app = story.app
    officer = officer_of(h)
    household_id = app.household_id_of_national_id(h.national_id)
    story.step(f"household:{h.key}:register", officer, joined, lambda: app.register_household(
        name=h.name, national_id=h.national_id, phone=h.phone,
        address={"scheme": 2021, "province_code": h.province_code, "district_code": h.district_code,
                 "ward_code": h.ward_code, "street": h.street},
        location={"latitude": h.latitude, "longitude": h.longitude}, channel=h.marketplaces[0]))
    story.step(f"household:{h.key}:verify", officer, joined + timedelta(hours=1),
               lambda: app.verify_household(household_id, "commune post office"))
    story.step(f"household:{h.key}:payment-account", officer, joined + timedelta(hours=2),
               lambda: app.link_payment_account(household_id, "POST_OFFICE", "VNPost", "BDVH" + h.phone[-6:]))
    certifications: list[UUID] = []
    if h.certification:
        # Valid two years from when the demo runs, not from 2021: the catalog shows (and filters by)
        # what is valid at its reader's now, and a demo's VietGAP listing should read as certified.
        valid_until = datetime.now(timezone.utc).replace(microsecond=0, second=0, minute=0) + timedelta(days=730)
        story.step(f"household:{h.key}:certification", officer, joined + timedelta(hours=3),
                   lambda: app.add_certification(household_id, h.certification, f"{h.certification}-{h.phone[-4:]}",
                                                 "Sở Nông nghiệp và PTNT", valid_until))
        certifications = list(app.load(Household, household_id).certifications)
    for marketplace in h.marketplaces:
        storefront_id = storefront_id_for(household_id, marketplace)
        story.step(f"household:{h.key}:storefront:{marketplace}", household_actor(h), joined + timedelta(days=2),
                   lambda m=marketplace: app.open_storefront(
                       household_id=household_id, marketplace=m, name=f"Vườn {h.name.removeprefix('Hộ ')}",
                       location={"latitude": h.latitude, "longitude": h.longitude}, opening_hours=HOURS))
        story.listings[(h.key, marketplace)] = story.step_id(
            f"household:{h.key}:listing:{marketplace}", household_actor(h), published,
            lambda s=storefront_id: app.publish_listing(
                storefront_id=s, title=h.product, description=f"{h.product}, từ vườn nhà ở {h.district_name}",
                category=h.category, unit="kg", unit_price={"amount": h.unit_price, "currency": "VND"},
                stock_quantity=2000 if h in LYCHEE_GROWERS else 500, shelf_life_hours=h.shelf_life_hours,
                certification_ids=certifications, campaign_id=campaign_id if h in LYCHEE_GROWERS else None),
            "Listing")
    return household_id


# -- orders -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    """One order's story: who bought what, when; how it travelled."""

    key: str
    household: DemoHousehold
    marketplace: str
    buyer: DemoBuyer
    kilograms: int
    placed: datetime
    payment_method: str = "CASH_ON_DELIVERY"


def place(story: Story, sale: Sale) -> UUID:
    """The marketplace places the sale's order (one line, the grower's listing there); its id."""
    app = story.app
    buyer = sale.buyer
    return story.step_id(
        f"order:{sale.key}:place", f"MARKETPLACE:demo-{sale.marketplace.lower()}", sale.placed,
        lambda: app.place_order(
            lines=[{"listing_id": story.listings[(sale.household.key, sale.marketplace)], "quantity": sale.kilograms}],
            buyer={"name": buyer.name, "phone": buyer.phone, "address": buyer.address},
            payment_method=sale.payment_method, marketplace=sale.marketplace),
        "Order")


def confirm_and_dispatch(story: Story, sale: Sale, order_id: UUID, tracking_number: str) -> UUID:
    """The grower confirms and hands the order to its marketplace's postal carrier; the shipment's id."""
    app = story.app
    grower = household_actor(sale.household)
    story.step(f"order:{sale.key}:confirm", grower, sale.placed + timedelta(minutes=30),
               lambda: app.confirm_order(order_id))
    return story.step_id(
        f"order:{sale.key}:dispatch", grower, sale.placed + timedelta(hours=2),
        lambda: app.dispatch_order(order_id, carrier=CARRIER_OF[sale.marketplace], tracking_number=tracking_number,
                                   harvested_at=sale.placed - timedelta(hours=2)),
        "Shipment")


def carrier_actor(sale: Sale) -> str:
    """The carrier's system that reports the shipment's news (VNPost for Postmart, Viettel Post for Voso)."""
    return f"CARRIER:demo-{'vnpost' if sale.marketplace == 'POSTMART' else 'viettelpost'}"


def delivered_and_paid(story: Story, sale: Sale, tracking_number: str, hours: int = 30) -> UUID:
    """An order that went as promised: confirmed, dispatched, in transit, delivered, paid."""
    app = story.app
    order_id = place(story, sale)
    shipment_id = confirm_and_dispatch(story, sale, order_id, tracking_number)
    carrier = carrier_actor(sale)
    in_transit = sale.placed + timedelta(hours=6)
    story.step(f"order:{sale.key}:in-transit", carrier, in_transit,
               lambda: app.record_checkpoint(shipment_id, status="IN_TRANSIT", occurred_at=in_transit,
                                             location="Trung tâm khai thác"))
    delivered = sale.placed + timedelta(hours=hours)
    story.step(f"order:{sale.key}:deliver", carrier, delivered,
               lambda: app.confirm_delivery(shipment_id, occurred_at=delivered))
    total = app.load(Order, order_id).total
    payer = carrier if sale.payment_method == "CASH_ON_DELIVERY" else f"MARKETPLACE:demo-{sale.marketplace.lower()}"
    paid_at = delivered if sale.payment_method == "CASH_ON_DELIVERY" else sale.placed + timedelta(minutes=5)
    story.step(f"order:{sale.key}:payment", payer, max(paid_at, delivered),
               lambda: app.record_payment(order_id, amount={"amount": str(total.amount), "currency": total.currency},
                                          reference=f"PAY-{tracking_number}", occurred_at=paid_at))
    story.follow_up()
    return order_id


# -- the story --------------------------------------------------------------------------------------


def launch_campaigns_and_plan_rollouts(story: Story) -> UUID:
    """The Bắc Giang lychee campaign 2021, launched in May 2021 by Bắc Giang's officer with the
    8,000 tonnes sold online that season as its target (DOMAIN.md), and Lạng Sơn's rollout plan:
    45,000 storefronts for 90,000 households and 45,000 payment accounts, recorded on 20 July 2021.
    Returns the campaign's id, which the lychee listings and the Czech export join."""
    app = story.app
    campaign_id = story.step_id(
        "campaign:bac-giang-lychee-2021", "PROVINCE_OFFICER:demo-bac-giang", utc(2021, 5, 1, 1),
        lambda: app.launch_campaign(name="Vải thiều Bắc Giang 2021", product="Vải thiều Lục Ngạn",
                                    area=ProvinceArea.parse("2021:24"), target_kg=8_000_000,
                                    starts_at=utc(2021, 5, 10), ends_at=utc(2021, 8, 31)),
        "Campaign")
    story.step("rollout:lang-son", "PROVINCE_OFFICER:demo-lang-son", utc(2021, 7, 20, 2),
               lambda: app.plan_province_rollout(ProvinceArea.parse("2021:20"), households=90_000,
                                                 storefronts=45_000, payment_accounts=45_000,
                                                 deadline=utc(2021, 12, 31)))
    return campaign_id


def bac_giang_lychee(story: Story, campaign_id: UUID) -> None:
    """Bắc Giang's growers onboarded in May 2021; twelve lychee orders in June, one a day, to twelve
    provinces through Postmart and Voso, each delivered within its promise and paid."""
    for i, h in enumerate((VAI, THIEU, HUNG, LUC)):
        onboard(story, h, utc(2021, 5, 3, 2) + timedelta(minutes=20 * i), utc(2021, 5, 28, 1), campaign_id)
    sellers = [(VAI, "POSTMART"), (THIEU, "VOSO"), (LUC, "VOSO"), (THIEU, "POSTMART"), (VAI, "VOSO")]
    for n, buyer in enumerate(LYCHEE_BUYERS):
        household, marketplace = sellers[n % len(sellers)]
        sale = Sale(f"lychee-{n + 1:02d}", household, marketplace, buyer, kilograms=10 + 5 * (n % 5),
                    placed=utc(2021, 6, 8 + n, 1, 30), payment_method="CASH_ON_DELIVERY" if n % 3 else "E_WALLET")
        delivered_and_paid(story, sale, f"{'EP' if marketplace == 'POSTMART' else 'VTP'}2021{n + 1:06d}VN",
                           hours=20 + 2 * n)


def czech_export(story: Story, campaign_id: UUID) -> None:
    """1,500 kg of Lục Ngạn lychee to Praha by air, harvest to the consignee's door in 65 of 96 hours."""
    app = story.app
    exporter = "MARKETPLACE:demo-postmart"
    partner_id = story.step_id("export:partner", "ADMIN:demo-admin", utc(2021, 6, 1, 2),
                               lambda: app.register_export_partner(**CZECH_PARTNER), "ExportPartner")
    importer = f"EXPORT_PARTNER:demo-{CZECH_PARTNER['country'].lower()}"
    order_id = story.step_id("export:order", exporter, utc(2021, 6, 7, 3), lambda: app.create_export_order(
        partner_id=partner_id, reference=EXPORT_REFERENCE, product="Vải thiều Lục Ngạn tươi", hs_code="081090",
        destination_country="CZ", consignee="Vietfood Praha s.r.o., Libušská 319, Praha 4", incoterm="CPT",
        quantity_kg=1500, unit_price="4.20", currency="EUR", harvest_to_door_hours=96, created_by="POSTMART",
        campaign_id=campaign_id),
        "ExportOrder")
    for h, kg in ((VAI, 600), (THIEU, 500), (LUC, 400)):
        household_id = app.household_id_of_national_id(h.national_id)
        story.step(f"export:lot:{h.key}", exporter, utc(2021, 6, 8, 3),
                   lambda hid=household_id, q=kg: app.allocate_export_lot(order_id, hid, q))
    harvested = utc(2021, 6, 10, 21)
    documents = (
        ("PHYTOSANITARY_CERTIFICATE", "KDTV-2021-06-1187", "Chi cục Kiểm dịch thực vật vùng I", 6),
        ("CERTIFICATE_OF_ORIGIN", "VN-CZ-21-0412", "Phòng Quản lý XNK khu vực Hà Nội", 6),
        ("COMMERCIAL_INVOICE", "INV-LYC-2021-001", "Bưu điện Việt Nam", 2),
        ("PACKING_LIST", "PL-LYC-2021-001", "Bưu điện Việt Nam", 5),
        ("AIR_WAYBILL", "738-21061101", "Vietnam Airlines Cargo", 14),
        ("EXPORT_DECLARATION", "304115872410", "Chi cục Hải quan Nội Bài", 13),
    )
    for kind, number, issuer, hours in documents:
        issued = harvested + timedelta(hours=hours)
        story.step(f"export:document:{kind}", exporter, issued, lambda k=kind, n=number, i=issuer, t=issued:
                   app.record_export_document(order_id, kind=k, number=n, issuer=i, issued_at=t))
    milestones = (
        ("HARVESTED", 0, "Lục Ngạn, Bắc Giang", exporter),
        ("PACKED", 5, "Lục Ngạn, Bắc Giang", exporter),
        ("PHYTOSANITARY_INSPECTED", 8, "Lục Ngạn, Bắc Giang", exporter),
        ("EXPORT_CLEARED", 15, "Sân bay Nội Bài", exporter),
        ("DEPARTED", 19, "Sân bay Nội Bài", exporter),
        ("ARRIVED", 33, "Letiště Václava Havla Praha", importer),
        ("IMPORT_CLEARED", 39, "Letiště Václava Havla Praha", importer),
        ("OUT_FOR_DELIVERY", 57, "Praha", importer),
        ("DELIVERED", 65, "Praha 4", importer),
    )
    for kind, hours, location, actor in milestones:
        moment = harvested + timedelta(hours=hours)
        if kind == "IMPORT_CLEARED":
            declared = moment - timedelta(hours=2)
            story.step("export:document:IMPORT_DECLARATION", importer, declared, lambda: app.record_export_document(
                order_id, kind="IMPORT_DECLARATION", number="21CZ5500000123456", issuer="Celní úřad pro Prahu",
                issued_at=declared))
        story.step(f"export:milestone:{kind}", actor, moment, lambda k=kind, t=moment, p=location:
                   app.record_export_milestone(order_id, kind=k, occurred_at=t, location=p))
    delivered = harvested + timedelta(hours=65)
    story.step("export:sla", "SYSTEM:export-sla", delivered + timedelta(minutes=5),
               lambda: app.refresh_export_sla(delivered + timedelta(minutes=5), [order_id]))


def lang_son_custard_apples(story: Story) -> UUID:
    """The storefronts of the June pilot, and August's orders to Hà Nội; returns the spoiled order's id."""
    for i, h in enumerate((NA, MAN, DAO)):
        onboard(story, h, utc(2021, 6, 18, 2) + timedelta(minutes=20 * i), utc(2021, 7, 25, 1))
    first = Sale("custard-01", NA, "POSTMART", CUSTARD_APPLE_BUYERS[0], 10, utc(2021, 8, 1, 1))
    delivered_and_paid(story, first, "EP2021080101VN", hours=27)
    spoiled = Sale("custard-02", NA, "POSTMART", CUSTARD_APPLE_BUYERS[1], 20, utc(2021, 8, 3, 1))
    order_id = spoiled_and_claimed(story, spoiled)
    third = Sale("custard-03", MAN, "POSTMART", CUSTARD_APPLE_BUYERS[2], 15, utc(2021, 8, 5, 1), "E_WALLET")
    delivered_and_paid(story, third, "EP2021080501VN", hours=40)
    return order_id


def spoiled_and_claimed(story: Story, sale: Sale) -> UUID:
    """3 August 2021: Hà Nội under Directive 16; the parcel cannot reach the buyer and spoils."""
    app = story.app
    carrier = carrier_actor(sale)
    order_id = place(story, sale)
    shipment_id = confirm_and_dispatch(story, sale, order_id, "EP2021080301VN")
    in_transit = sale.placed + timedelta(hours=8)
    story.step(f"order:{sale.key}:in-transit", carrier, in_transit,
               lambda: app.record_checkpoint(shipment_id, status="IN_TRANSIT", occurred_at=in_transit,
                                             location="Bưu cục Lạng Sơn"))
    out = sale.placed + timedelta(hours=24)
    story.step(f"order:{sale.key}:out-for-delivery", carrier, out,
               lambda: app.record_checkpoint(shipment_id, status="OUT_FOR_DELIVERY", occurred_at=out,
                                             location="Bưu cục Đống Đa, Hà Nội"))
    failed = sale.placed + timedelta(hours=26)
    story.step(f"order:{sale.key}:delivery-failed", carrier, failed + timedelta(minutes=10),
               lambda: app.record_delivery_failure(
                   shipment_id, reason="AREA_RESTRICTED", occurred_at=failed,
                   note="Chốt kiểm soát theo Chỉ thị 16: không vào được khu vực của người nhận"))
    story.follow_up()
    promised = sale.placed + timedelta(hours=48)
    # The promise watchdog's pass, as `farmgate worker` would have run it five minutes after the promise.
    story.step(f"order:{sale.key}:spoiled", "SYSTEM:promise-watchdog", promised + timedelta(minutes=5),
               lambda: app.declare_overdue_spoilage([shipment_id], promised + timedelta(minutes=5)))
    story.follow_up()
    grower = household_actor(sale.household)
    goods = app.load(Order, order_id).total
    amount = str(goods.amount)
    claim_id = story.step_id(
        f"order:{sale.key}:claim", grower, promised + timedelta(hours=8), lambda: app.file_claim(
            order_id=order_id, kind="SPOILED", claimant="HOUSEHOLD", amount=amount, currency=goods.currency,
            description="20 kg na dai hỏng sau khi không giao được vào Hà Nội (phong tỏa theo Chỉ thị 16)",
            evidence=[{"sha256": "5f1c0e0d8f6a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c",
                       "uri": "https://files.postmart.example/claims/na-dai-hong.jpg",
                       "description": "Ảnh thùng na hỏng, chụp khi nhận lại hàng"}]),
        "CompensationClaim")
    story.step(f"order:{sale.key}:claim-evidence", carrier, promised + timedelta(hours=20),
               lambda: app.add_claim_evidence(
                   claim_id, "a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2",
                   "https://files.vnpost.example/logs/EP2021080301VN.pdf", "Nhật ký phát: chốt kiểm soát Chỉ thị 16"))
    staff = "DISPUTE_STAFF:demo-minh"
    carrier_share = goods.amount * 6 / 10
    story.step(f"order:{sale.key}:claim-assessed", staff, promised + timedelta(hours=26),
               lambda: app.assess_claim(
                   claim_id, "Giao hàng thất bại do phong tỏa; hàng không được trả lại kịp trước hạn 48 giờ. "
                   "Bưu điện chịu 60% (không báo và hoàn hàng), sàn 40% (nhận đơn vào vùng phong tỏa).",
                   [{"party": "CARRIER", "basis_points": 6000}, {"party": "MARKETPLACE", "basis_points": 4000}],
                   amount, goods.currency))
    story.step(f"order:{sale.key}:claim-decided", staff, promised + timedelta(hours=30),
               lambda: app.decide_claim(claim_id, "APPROVED", (amount, goods.currency),
                                        "Bồi thường toàn bộ giá trị hàng cho hộ trồng na"))
    story.step(f"order:{sale.key}:claim-paid-carrier", staff, promised + timedelta(days=4),
               lambda: app.record_compensation_payment(claim_id, "CARRIER", str(carrier_share), goods.currency,
                                                       "VNPOST-BT-2021-0807"))
    story.step(f"order:{sale.key}:claim-paid-marketplace", staff, promised + timedelta(days=5),
               lambda: app.record_compensation_payment(claim_id, "MARKETPLACE", str(goods.amount - carrier_share),
                                                       goods.currency, "POSTMART-BT-2021-0808"))
    return order_id


def recorded_before_the_story(system: System) -> bool:
    """The earlier demo registered the first household without a step record."""
    first = DEMO_HOUSEHOLDS[0]
    digest = request_digest(DEMO_CALLER, f"household:{first.key}:register", "demo")
    household_id = system.app.household_id_of_national_id(first.national_id)
    return system.app.exists(household_id) and system.app.committed_request(digest) is None


def load_demo(system: System, clock: StoryClock) -> int:
    """Record the story (``system`` must run on ``clock``); return how many steps were new (0: all
    were recorded before). Raises EarlierDemo on a database of the earlier households-only demo."""
    if recorded_before_the_story(system):
        raise EarlierDemo("this database holds the earlier demo's households")
    story = Story(system, clock)
    tell(story)
    system.catch_up()
    return story.recorded


def tell(story: Story) -> None:
    """Every chapter, in the story's order (which fixes the order numbers the README names)."""
    campaign_id = launch_campaigns_and_plan_rollouts(story)
    bac_giang_lychee(story, campaign_id)
    czech_export(story, campaign_id)
    lang_son_custard_apples(story)
