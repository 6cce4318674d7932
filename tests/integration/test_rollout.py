"""Province and national rollout dashboards and campaigns, the same on SQLite and PostgreSQL: every
number equals the one recomputed straight from the event log (tests/integration/rollout_log.py), across
the 2021/2025 scheme boundary, and again after `farmgate projections rebuild --all`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

import pytest

from farmgate.core.domain import provinces as units
from farmgate.core.domain.campaign import CAMPAIGN_NAMESPACE, Campaign, campaign_id_for
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, NotFound
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.province_rollout import PROVINCE_ROLLOUT_NAMESPACE, ProvinceRollout, checked_targets
from farmgate.core.projections.rollout import RolloutFigures
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.integration.rollout_log import Log, by_unit_counts
from tests.integration.test_cli import farmgate
from tests.personal_data import PersonalData

NOW = datetime.now(timezone.utc)
HANOI_2021 = {"scheme": 2021, "province_code": "01", "district_code": "005", "street": "Ngõ 12 Chùa Láng"}
HANOI_2025 = {"scheme": 2025, "province_code": "01", "street": "Ngõ 5 Kim Mã"}
HCMC_2021 = {"scheme": 2021, "province_code": "79", "district_code": "760", "street": "Đường Lê Lợi"}


def _ward_2025_of(code_2025: str, origin_2021: str) -> str:
    """A 2025 ward of a province whose land was in one given 2021 province."""
    return next(w.code for w in units.wards(2025, code_2025)
                if [p.code for p in units.ward_origins(w.code)] == [origin_2021])


def _district(code_2021: str, index: int = 0) -> str:
    return units.districts(code_2021)[index].code


@dataclass
class World:
    households: dict[str, UUID]
    campaign: UUID
    other_campaign: UUID


def _household(system: System, pd: PersonalData, address: dict[str, Any]) -> UUID:
    return system.app.register_household(name="Hộ Nông Văn Quả", national_id=pd.national_id(), phone=pd.phone(),
                                         address=address)


def _shop(system: System, household: UUID, *, unit: str = "kg", weight: Decimal | None = None,
          campaign: UUID | None = None, marketplace: str = "POSTMART") -> UUID:
    storefront = system.app.open_storefront(household_id=household, marketplace=marketplace, name="Vườn nhà",
                                            location={"latitude": 21.6, "longitude": 106.6}, opening_hours=[])
    return system.app.publish_listing(
        storefront_id=storefront, title="Quả tươi", description=None, category="FRUIT", unit=unit,
        unit_price={"amount": "45000", "currency": "VND"}, stock_quantity=1000, shelf_life_hours=48,
        campaign_id=campaign, weight_per_unit_kg=weight)


def _order(system: System, pd: PersonalData, listing: UUID, quantity: int, buyer: dict[str, Any]) -> UUID:
    return system.app.place_order(lines=[{"listing_id": listing, "quantity": quantity}], payment_method="E_WALLET",
                                  buyer={"name": "Trần Thị Mai", "phone": pd.phone(), "address": dict(buyer)})


def _deliver(system: System, order: UUID, tracking: str, *, pay: bool, refund: str | None = None) -> None:
    app = system.app
    app.confirm_order(order)
    shipment = app.dispatch_order(order, carrier="VNPost", tracking_number=tracking)
    if pay:
        amount = {"amount": str(_total(system, order)), "currency": "VND"}
        app.record_payment(order, amount=amount, reference=f"PAY-{tracking}", occurred_at=datetime.now(timezone.utc))
    app.confirm_delivery(shipment, occurred_at=datetime.now(timezone.utc))
    if refund is not None:
        app.record_refund(order, amount={"amount": refund, "currency": "VND"}, reference=f"RF-{tracking}",
                          occurred_at=datetime.now(timezone.utc))


def _total(system: System, order: UUID) -> Decimal:
    from farmgate.core.domain.order import Order

    return system.app.load(Order, order).total.amount


def build_world(system: System, pd: PersonalData) -> World:
    """Households of Lạng Sơn (2021:20 and 2025:20, one land), of Bắc Giang and Bắc Ninh recorded under 2021
    and of the merged 2025 Bắc Ninh on both old lands, and one of Hà Nội; storefronts, listings (two in a
    Bắc Giang lychee campaign), orders delivered, paid, refunded, cancelled; an export of the campaign."""
    app = system.app
    h = {
        "ls_2021_a": _household(system, pd, {"scheme": 2021, "province_code": "20", "district_code": "187"}),
        "ls_2021_b": _household(system, pd, {"scheme": 2021, "province_code": "20", "district_code": _district("20", 1)}),
        "ls_2025": _household(system, pd, {"scheme": 2025, "province_code": "20",
                                           "ward_code": units.wards(2025, "20")[0].code}),
        "bg_2021": _household(system, pd, {"scheme": 2021, "province_code": "24", "district_code": "219"}),
        "bn_2021": _household(system, pd, {"scheme": 2021, "province_code": "27", "district_code": _district("27")}),
        "bn_2025_on_bg": _household(system, pd, {"scheme": 2025, "province_code": "24",
                                                 "ward_code": _ward_2025_of("24", "24")}),
        "bn_2025_on_bn": _household(system, pd, {"scheme": 2025, "province_code": "24",
                                                 "ward_code": _ward_2025_of("24", "27")}),
        "hn": _household(system, pd, {"scheme": 2021, "province_code": "01", "district_code": "005"}),
    }
    app.verify_household(h["ls_2021_a"], "commune post office")
    app.verify_household(h["bn_2025_on_bg"], "province officer visit")
    for household, n in (("ls_2021_a", 2), ("ls_2025", 1), ("bg_2021", 1)):
        for i in range(n):
            app.link_payment_account(h[household], "E_WALLET", "MoMo", f"MOMO-{household.replace('_', '-')}-{i}")
    campaign = app.launch_campaign(name="Vải thiều Lục Ngạn 2021", product="Vải thiều",
                                   area=ProvinceArea(2021, "24"), target_kg=8_000_000, starts_at=NOW,
                                   ends_at=NOW + timedelta(days=60))
    other = app.launch_campaign(name="Na Chi Lăng", product="Na", area=ProvinceArea(2025, "20"), target_kg=500,
                                starts_at=NOW, ends_at=NOW + timedelta(days=30))
    custard = _shop(system, h["ls_2021_a"], campaign=other)
    boxes = _shop(system, h["ls_2025"], unit="hộp 5kg", weight=Decimal("5"), campaign=other)
    lychee = _shop(system, h["bg_2021"], campaign=campaign)
    lychee_2025 = _shop(system, h["bn_2025_on_bg"], unit="thùng", weight=Decimal("2.5"), campaign=campaign)
    paused = _shop(system, h["bn_2021"])
    app.pause_listing(paused)
    _shop(system, h["hn"])
    # Orders: delivered and paid (one refunded in part), delivered unpaid, cancelled, open, spoiled.
    o1 = _order(system, pd, custard, 10, HANOI_2021)
    _deliver(system, o1, "EB-1", pay=True, refund="45000")
    o2 = _order(system, pd, custard, 3, HANOI_2021)
    app.cancel_order(o2, "Khách đổi ý")
    _order(system, pd, boxes, 4, HANOI_2025)
    o4 = _order(system, pd, lychee, 20, HANOI_2021)
    _deliver(system, o4, "EB-4", pay=False)
    o5 = _order(system, pd, lychee_2025, 6, HANOI_2025)
    _deliver(system, o5, "EB-5", pay=True)
    o6 = _order(system, pd, lychee, 7, HCMC_2021)
    app.cancel_order(o6, "Hết hàng")
    _order(system, pd, lychee, 9, HCMC_2021)
    partner = app.register_export_partner(name="Praha Import", country="CZ")
    export = app.create_export_order(partner_id=partner, reference="CZ-LYCHEE-1", product="Vải thiều",
                                     hs_code="081090", destination_country="CZ", consignee="Hội người Việt",
                                     incoterm="CIP", quantity_kg=2000, unit_price="120000", currency="VND",
                                     harvest_to_door_hours=96, campaign_id=campaign)
    app.allocate_export_lot(export, h["bg_2021"], 300)
    app.allocate_export_lot(export, h["bn_2025_on_bg"], 200)
    system.catch_up()
    return World(h, campaign, other)


def _as_dict(figures: RolloutFigures) -> dict[str, Any]:
    return {name: getattr(figures, name) for name in ("households", "verified_households", "payment_accounts",
                                                      "storefronts", "listings", "orders", "revenue")}


AREAS = [ProvinceArea(2021, "20"), ProvinceArea(2025, "20"), ProvinceArea(2021, "24"), ProvinceArea(2021, "27"),
         ProvinceArea(2025, "24"), ProvinceArea(2021, "01"), ProvinceArea(2025, "01"), ProvinceArea(2025, "79")]


def check_dashboards_equal_the_log(system: System, world: World) -> None:
    log = Log.read(system.app)
    for area in AREAS:
        report = system.rollouts.province(area)
        # Check each province's numbers, and its districts/wards, against the log.
        assert _as_dict(report.figures) == log.figures(area), area.claim
        assert {(u.scheme, u.code): u.figures.households for u in report.units} == by_unit_counts(log, area)
        assert _sum_units(report) == _as_dict(report.figures)
    national = system.rollouts.national()
    assert _as_dict(national.figures) == log.figures(None)
    assert len(national.provinces) == 34
    # Check the 2025 provinces add up to the nation: each 2021 record counted once, in its successor.
    assert sum(p.figures.households for p in national.provinces) == national.figures.households
    for report in national.provinces:
        assert _as_dict(report.figures) == log.figures(report.area), report.area.claim
    for campaign in (world.campaign, world.other_campaign):
        found = system.campaigns.by_ids([campaign])[campaign]
        domestic, export, by = log.campaign_kilograms(str(campaign))
        assert (found.domestic_kg, found.export_kg, found.sold_kg) == (domestic // 1000, export // 1000,
                                                                       (domestic + export) // 1000)
        assert {d.destination: d.grams for d in found.destinations} == dict(by)


def _sum_units(report: Any) -> dict[str, Any]:
    total = RolloutFigures()
    for unit in report.units:
        for name, value in _as_dict(unit.figures).items():
            setattr(total, name, getattr(total, name) + value)
    return _as_dict(total)


def test_dashboards_equal_counts_recomputed_from_the_event_log_across_schemes(system: System, personal_data) -> None:
    world = build_world(system, personal_data)
    check_dashboards_equal_the_log(system, world)
    # Check the scheme boundary as the seed tells it: a merged 2025 province counts what was recorded under
    # the 2021 provinces it absorbed; a 2021 province counts 2025 records on its own land only.
    merged = system.rollouts.province(ProvinceArea(2025, "24")).figures
    bac_giang = system.rollouts.province(ProvinceArea(2021, "24")).figures
    bac_ninh = system.rollouts.province(ProvinceArea(2021, "27")).figures
    assert (merged.households, bac_giang.households, bac_ninh.households) == (4, 2, 2)
    lang_son = system.rollouts.province(ProvinceArea(2021, "20"))
    assert (lang_son.figures.households, lang_son.figures.payment_accounts, lang_son.figures.storefronts) == (3, 3, 2)
    assert system.rollouts.province(ProvinceArea(2025, "20")).figures == lang_son.figures
    # Check revenue: delivered and paid, net of refunds (10 kg × 45,000 − 45,000; 6 boxes × 45,000), and
    # the unpaid delivery and the cancelled order count for nothing.
    assert lang_son.figures.revenue == Decimal("405000") and lang_son.figures.orders == 2
    assert bac_giang.revenue == Decimal("270000") and bac_giang.orders == 3
    # Check the campaign: kg of listings sold by weight per unit, domestic by destination, export by country.
    lychee = system.campaigns.by_ids([world.campaign])[world.campaign]
    assert (lychee.domestic_kg, lychee.export_kg, lychee.sold_kg) == (20 + 15 + 9, 500, 544)
    assert {d.destination: d.kilograms for d in lychee.destinations} == {"01": 35, "79": 9, "CZ": 500}
    custard = system.campaigns.by_ids([world.other_campaign])[world.other_campaign]
    assert {d.destination: d.kilograms for d in custard.destinations} == {"01": 30}


def test_dashboards_are_the_same_after_rebuilding_every_read_model(backend_url: str, personal_data) -> None:
    system = build_system(Settings(database_url=backend_url, env="test"))
    try:
        world = build_world(system, personal_data)
        before = [system.rollouts.province(area) for area in AREAS]
        with system.store.transaction() as cur:  # damage the read models
            cur.execute("DELETE FROM rollout_orders_v1")
            cur.execute("DELETE FROM campaign_sales_v1")
        farmgate("projections", "rebuild", "--all", url=backend_url)
        after = [system.rollouts.province(area) for area in AREAS]
        assert [_as_dict(r.figures) for r in after] == [_as_dict(r.figures) for r in before]
        check_dashboards_equal_the_log(system, world)
    finally:
        system.close()


def test_targets_are_planned_revised_and_read_across_the_scheme_boundary(system: System) -> None:
    app = system.app
    deadline = datetime(2021, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=7)))
    first = app.plan_province_rollout(ProvinceArea(2021, "20"), households=90_000, storefronts=45_000,
                                      payment_accounts=45_000, deadline=deadline)
    system.catch_up()
    targets = system.rollouts.province(ProvinceArea(2021, "20")).targets
    assert (targets.households, targets.storefronts, targets.payment_accounts) == (90_000, 45_000, 45_000)
    assert targets.deadline == deadline
    # Check Lạng Sơn is one land in both schemes, while merged Bắc Ninh does not take one old province's plan.
    assert system.rollouts.province(ProvinceArea(2025, "20")).targets == targets
    national = {p.area.code: p.targets for p in system.rollouts.national().provinces}
    assert national["20"] == targets and national["24"] is None
    app.plan_province_rollout(ProvinceArea(2021, "24"), households=10, storefronts=5, payment_accounts=5)
    assert app.plan_province_rollout(ProvinceArea(2021, "20"), households=100_000, storefronts=45_000,
                                     payment_accounts=45_000, deadline=deadline) == first
    system.catch_up()
    assert system.rollouts.province(ProvinceArea(2025, "24")).targets is None
    assert system.rollouts.province(ProvinceArea(2021, "20")).targets.households == 100_000
    with pytest.raises(InvalidInput) as refused:
        app.plan_province_rollout(ProvinceArea(2021, "20"), households=-1, storefronts=0, payment_accounts=0)
    assert refused.value.field == ["input", "households"]


def test_a_campaign_takes_listings_of_its_own_province_only(system: System, personal_data) -> None:
    app = system.app
    campaign = app.launch_campaign(name="Vải thiều 2021", product="Vải thiều", area=ProvinceArea(2021, "24"),
                                   target_kg=1000, starts_at=NOW, ends_at=NOW + timedelta(days=5))
    with pytest.raises(AlreadyExists):
        app.launch_campaign(name="vải thiều  2021", product="Vải", area=ProvinceArea(2021, "24"), target_kg=5,
                            starts_at=NOW, ends_at=NOW + timedelta(days=5))
    with pytest.raises(InvalidInput) as late:
        app.launch_campaign(name="Na", product="Na", area=ProvinceArea(2021, "20"), target_kg=5, starts_at=NOW,
                            ends_at=NOW)
    assert late.value.field == ["input", "endsAt"]
    lang_son = _household(system, personal_data, {"scheme": 2021, "province_code": "20"})
    with pytest.raises(InvalidInput) as other_province:
        _shop(system, lang_son, campaign=campaign)
    assert other_province.value.field == ["input", "campaignId"]
    with pytest.raises(NotFound):
        _shop(system, lang_son, campaign=UUID(int=7), marketplace="VOSO")
    another = _household(system, personal_data, {"scheme": 2021, "province_code": "20"})
    with pytest.raises(InvalidInput) as weight:
        _shop(system, another, unit="kg", weight=Decimal("2"))
    assert weight.value.field == ["input", "weightPerUnitKg"]


def _launch(system: System, name: str, claim: str) -> UUID:
    return system.app.launch_campaign(name=name, product="Na", area=ProvinceArea.parse(claim), target_kg=500,
                                      starts_at=NOW, ends_at=NOW + timedelta(days=30))


@pytest.mark.parametrize(("first", "again"), [
    ("2021:20", "2025:20"), ("2025:20", "2021:20"),  # Lạng Sơn: one land under two codes
    ("2021:24", "2021:27"), ("2021:27", "2025:24"), ("2025:24", "2021:24"),  # both lie in 2025 Bắc Ninh
])
def test_a_campaign_name_is_unique_on_its_land_under_either_scheme(system: System, first: str, again: str) -> None:
    campaign = _launch(system, "Na Chi Lăng 2021", first)
    with pytest.raises(AlreadyExists) as refused:
        _launch(system, "na chi  LĂNG 2021", again)
    assert refused.value.field == ["input", "name"]
    assert system.app.exists(campaign)
    assert not system.app.exists(campaign_id_for(ProvinceArea.parse(again), "Na Chi Lăng 2025"))  # nothing saved
    # Other land, or another name on the same land, is another campaign.
    assert len({campaign, _launch(system, "Na Chi Lăng 2021", "2021:01"), _launch(system, "Na 2025", again)}) == 3
    system.catch_up()
    assert system.campaigns.by_ids([campaign])[campaign].row["name"] == "Na Chi Lăng 2021"


def test_campaigns_duplicated_before_names_were_unique_per_land_still_load_and_block_a_third(system: System) -> None:
    # Before, a campaign's id came from its own claim: "2021:20|na" and "2025:20|na" were two streams.
    legacy = {claim: Campaign._start(Campaign.Launched, uuid5(CAMPAIGN_NAMESPACE, f"{claim}|na chi lăng"),
                                     name="Na Chi Lăng", product="Na", scheme=int(claim[:4]), province_code=claim[5:],
                                     target_kg=500, starts_at=NOW, ends_at=NOW + timedelta(days=30))
              for claim in ("2021:20", "2025:20", "2021:27")}
    system.app.save(*legacy.values())
    system.catch_up()
    ids = [campaign.id for campaign in legacy.values()]
    found = system.campaigns.by_ids(ids)
    assert [(found[i].row["name"], int(found[i].row["scheme"]), found[i].row["province_code"]) for i in ids] == [
        ("Na Chi Lăng", 2021, "20"), ("Na Chi Lăng", 2025, "20"), ("Na Chi Lăng", 2021, "27")]
    assert system.app.load(Campaign, ids[0]).area == ProvinceArea(2021, "20")
    for claim in ("2021:20", "2025:20", "2021:24", "2025:24"):
        with pytest.raises(AlreadyExists):
            _launch(system, "Na Chi Lăng", claim)


def test_a_campaign_name_in_full_width_is_the_same_name_on_the_land_but_an_accent_is_another(system: System) -> None:
    # The reviewer's finding: "Ｎａ Chi Lăng 2026" was accepted next to "Na Chi Lăng 2026" in one province.
    campaign = _launch(system, "Na Chi Lăng 2026", "2021:20")
    for again, claim in (("Ｎａ Chi Lăng 2026", "2021:20"), ("ｎａ  CHI LĂNG ２０２６", "2025:20")):
        with pytest.raises(AlreadyExists) as refused:
            _launch(system, again, claim)
        assert refused.value.field == ["input", "name"]
    assert _launch(system, "Ná Chi Lăng 2026", "2021:20") != campaign  # accents tell names apart
    # A campaign launched under a full-width name before names took NFKC kept the id it got then.
    legacy = Campaign._start(Campaign.Launched, uuid5(CAMPAIGN_NAMESPACE, "2025:20|ｖải chín sớm"), name="Ｖải chín sớm",
                             product="Vải", scheme=2025, province_code="20", target_kg=500, starts_at=NOW,
                             ends_at=NOW + timedelta(days=30))
    system.app.save(legacy)
    with pytest.raises(AlreadyExists):
        _launch(system, "Ｖải chín sớm", "2021:20")


@pytest.mark.parametrize(("first", "again"), [("2021:20", "2025:20"), ("2025:20", "2021:20")])
def test_lang_son_has_one_plan_whichever_scheme_plans_it(system: System, first: str, again: str) -> None:
    app = system.app
    planned = app.plan_province_rollout(ProvinceArea.parse(first), households=90_000, storefronts=45_000,
                                        payment_accounts=45_000)
    assert app.plan_province_rollout(ProvinceArea.parse(again), households=100_000, storefronts=50_000,
                                     payment_accounts=45_000) == planned
    system.catch_up()
    for claim in ("2021:20", "2025:20"):
        targets = system.rollouts.province(ProvinceArea.parse(claim)).targets
        assert (targets.households, targets.storefronts) == (100_000, 50_000), claim
    assert len(system.rollouts._plans()) == 1
    # A merged 2021 province keeps its own plan for its part of the land, apart from its 2025 province's.
    part = app.plan_province_rollout(ProvinceArea(2021, "24"), households=10, storefronts=5, payment_accounts=5)
    assert part != app.plan_province_rollout(ProvinceArea(2025, "24"), households=30, storefronts=9,
                                             payment_accounts=9)


def test_plans_made_twice_for_lang_son_before_still_load_and_are_each_revised(system: System) -> None:
    app = system.app
    targets = checked_targets(1, 1, 1, None)
    legacy = {claim: ProvinceRollout._start(ProvinceRollout.Planned, uuid5(PROVINCE_ROLLOUT_NAMESPACE, claim),
                                            scheme=int(claim[:4]), province_code=claim[5:], **targets)
              for claim in ("2021:20", "2025:20")}
    app.save(*legacy.values())
    for claim, households in (("2021:20", 20), ("2025:20", 25)):
        assert app.plan_province_rollout(ProvinceArea.parse(claim), households=households, storefronts=1,
                                         payment_accounts=1) == legacy[claim].id
    system.catch_up()
    assert [system.rollouts.province(ProvinceArea.parse(c)).targets.households for c in ("2021:20", "2025:20")] == [
        20, 25]


def test_a_plan_made_under_2021_before_is_revised_from_2025_not_doubled(system: System) -> None:
    app = system.app
    old = ProvinceRollout._start(ProvinceRollout.Planned, uuid5(PROVINCE_ROLLOUT_NAMESPACE, "2021:20"), scheme=2021,
                                 province_code="20", **checked_targets(1, 1, 1, None))
    app.save(old)
    assert app.plan_province_rollout(ProvinceArea(2025, "20"), households=7, storefronts=1,
                                     payment_accounts=1) == old.id
    system.catch_up()
    assert system.rollouts.province(ProvinceArea(2025, "20")).targets.households == 7
    assert len(system.rollouts._plans()) == 1


def test_two_launches_of_one_name_racing_under_two_codes_of_one_land_make_one_campaign(system: System) -> None:
    import threading

    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def launch(claim: str) -> None:
        barrier.wait(timeout=10)
        try:
            outcomes.append(_launch(system, "Vải chín sớm", claim))
        except AlreadyExists as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=launch, args=(claim,)) for claim in ("2021:24", "2021:27")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyExists", "UUID"]
    assert system.app.exists(campaign_id_for(ProvinceArea(2025, "24"), "vải chín sớm"))
