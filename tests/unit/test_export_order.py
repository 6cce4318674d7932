"""Export partners and export orders on POPO: given events, when command, then events or a refusal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farmgate.core.application import Farmgate
from farmgate.core.domain.countries import COUNTRIES
from farmgate.core.domain.text import CLOCK_SKEW
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition, LimitExceeded, NotFound
from farmgate.core.domain.export_order import (
    DOCUMENT_KINDS,
    MILESTONES,
    REQUIRED_DOCUMENTS,
    ExportOrder,
    document_side,
    milestone_side,
)
from farmgate.core.domain.export_partner import ExportPartner
from farmgate.core.domain.provenance import world_clock
from farmgate.core.domain.export_sla import AT_RISK, BREACHED, MET
from tests.personal_data import PersonalData

HARVEST = datetime(2021, 6, 1, 5, 0, tzinfo=timezone.utc)
NOW = HARVEST + timedelta(days=30)
#: when ``an_order`` opens its order (world time): the day of the harvest, so HARVEST is plausible
OPENED = HARVEST
PARTNER = UUID("00000000-0000-0000-0000-0000000000be")


def an_order(**overrides: object) -> ExportOrder:
    args: dict[str, object] = dict(
        partner_id=PARTNER,
        created_by="POSTMART",
        reference="BE-2021-001",
        product="Fresh lychee (vải thiều), Lục Ngạn",
        hs_code="081090",
        destination_country="BE",
        consignee="Brussels importer",
        incoterm="CPT",
        quantity_kg=1000,
        unit_price="12.50",
        currency="EUR",
        harvest_to_door_hours=96,
    )
    args.update(overrides)
    with world_clock(lambda: OPENED):
        return ExportOrder.open(**args)  # type: ignore[arg-type]


def file_all_required(order: ExportOrder, except_for: tuple[str, ...] = ()) -> None:
    for number, kind in enumerate(REQUIRED_DOCUMENTS):
        if kind not in except_for:
            order.file_document(kind, f"DOC-{number}", "Plant Protection Department", HARVEST, None, NOW)


def walk(order: ExportOrder, *kinds: str, start: datetime = HARVEST, step: timedelta = timedelta(hours=1)) -> None:
    for i, kind in enumerate(kinds):
        order.record_milestone(kind, start + i * step, None, None, NOW)


# -- partners --------------------------------------------------------------------------------------


def test_a_partner_country_is_an_iso_alpha2_code_from_the_shipped_list() -> None:
    partner = ExportPartner.register(name="Lychee Import BV", country=" be ")
    assert partner.country == "BE"
    # Check the shipped list is the full ISO 3166-1 set, not a handful of favourites.
    assert len(COUNTRIES) == 249 and {"BE", "DE", "CZ", "VN"} <= COUNTRIES
    for bad in ("XK", "EU", "BEL", "", "ZZ"):
        with pytest.raises(InvalidInput) as refused:
            ExportPartner.register(name="Lychee Import BV", country=bad)
        assert refused.value.field == ["input", "country"]


# -- opening ---------------------------------------------------------------------------------------


def test_an_order_opens_with_an_exact_price_and_every_document_missing() -> None:
    order = an_order(unit_price="12.5")
    assert order.status == "OPEN" and order.created_by == "POSTMART"
    assert order.unit_price.amount == Decimal("12.50") and order.unit_price.amount_text == "12.50"
    # Check the total is exact: price times kilograms, not a float product.
    assert order.total.amount_text == "12500.00" and order.total.currency == "EUR"
    assert order.missing_documents == list(REQUIRED_DOCUMENTS)
    (opened,) = order.pending_events
    assert isinstance(opened, ExportOrder.Opened) and opened.unit_price == Decimal("12.50")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hs_code": "08109"}, ["input", "hsCode"]),
        ({"hs_code": "08109012345"}, ["input", "hsCode"]),
        ({"hs_code": "0810.90"}, ["input", "hsCode"]),
        ({"destination_country": "XX"}, ["input", "destinationCountry"]),
        ({"incoterm": "FAS"}, ["input", "incoterm"]),
        ({"unit_price": "12.505"}, ["input", "unitPrice", "amount"]),
        ({"unit_price": "1.5", "currency": "VND"}, ["input", "unitPrice", "amount"]),
        ({"unit_price": 12.5}, ["input", "unitPrice", "amount"]),
        ({"unit_price": "0"}, ["input", "unitPrice", "amount"]),
        ({"unit_price": "-3.00"}, ["input", "unitPrice", "amount"]),
        ({"currency": "EURO"}, ["input", "unitPrice", "currency"]),
        ({"currency": "XYZ"}, ["input", "unitPrice", "currency"]),
        ({"quantity_kg": 0}, ["input", "quantityKg"]),
        ({"quantity_kg": True}, ["input", "quantityKg"]),
        ({"quantity_kg": 2**31}, ["input", "quantityKg"]),
        ({"harvest_to_door_hours": 0}, ["input", "harvestToDoorHours"]),
        ({"reference": "  "}, ["input", "reference"]),
        ({"consignee": ""}, ["input", "consignee"]),
    ],
)
def test_an_order_with_bad_input_is_refused_naming_the_field(overrides: dict[str, object], field: list[str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        an_order(**overrides)
    assert refused.value.field == field


def test_hs_codes_of_six_to_ten_digits_and_other_currencies_are_accepted() -> None:
    assert an_order(hs_code="0810901000").hs_code == "0810901000"
    assert an_order(unit_price="310", currency="czk").unit_price.amount_text == "310.00"
    assert an_order(unit_price="250000", currency="VND").total.amount_text == "250000000"
    assert an_order(unit_price=Decimal("9.90")).unit_price.amount == Decimal("9.90")


# -- lots ------------------------------------------------------------------------------------------


def test_lots_fill_the_order_and_a_household_may_contribute_twice() -> None:
    order = an_order(quantity_kg=100)
    first, second = uuid4(), uuid4()
    order.allocate_lot(first, "HH-24-000001", 30)
    order.allocate_lot(second, "HH-24-000002", 50)
    order.allocate_lot(first, "HH-24-000001", 20)
    assert order.allocated_kg == 100
    assert order.lots == {str(first): 50, str(second): 50}
    # Check the order is full: not one more kilogram.
    with pytest.raises(LimitExceeded) as refused:
        order.allocate_lot(second, "HH-24-000002", 1)
    assert refused.value.field == ["input", "quantityKg"] and refused.value.code == "LIMIT_EXCEEDED"
    assert order.allocated_kg == 100


def test_a_lot_must_be_a_positive_quantity() -> None:
    order = an_order()
    for bad in (0, -5):
        with pytest.raises(InvalidInput):
            order.allocate_lot(uuid4(), "HH-24-000001", bad)


@settings(max_examples=200, deadline=None)
@given(quantity=st.integers(1, 500), attempts=st.lists(st.integers(-10, 200), max_size=40))
def test_the_allocated_total_never_exceeds_the_order(quantity: int, attempts: list[int]) -> None:
    order = an_order(quantity_kg=quantity)
    accepted = 0
    for kilograms in attempts:
        try:
            order.allocate_lot(uuid4(), "HH-24-000001", kilograms)
            accepted += kilograms
        except (InvalidInput, LimitExceeded):
            pass
        assert order.allocated_kg == accepted <= quantity
    assert sum(order.lots.values()) == accepted


# -- documents -------------------------------------------------------------------------------------


def test_documents_are_checked_and_not_filed_twice() -> None:
    order = an_order()
    digest = "AB" * 32
    order.file_document("AIR_WAYBILL", "738-12345675", "Vietnam Airlines Cargo", HARVEST, digest, NOW)
    # Check the digest is kept in lower-case hex, as sha256sum prints it.
    assert order.pending_events[-1].sha256 == "ab" * 32
    with pytest.raises(AlreadyExists) as repeated:
        order.file_document("AIR_WAYBILL", "738-12345675", "Vietnam Airlines Cargo", HARVEST, None, NOW)
    assert repeated.value.field == ["input", "number"]
    # A second waybill with another number is fine (a split consignment).
    order.file_document("AIR_WAYBILL", "738-12345686", "Vietnam Airlines Cargo", HARVEST, None, NOW)
    cases = [
        (("BILL_OF_LADING", "1", "x", HARVEST, None, NOW), ["input", "kind"]),
        (("PACKING_LIST", "1", "x", HARVEST, "abc", NOW), ["input", "sha256"]),
        (("PACKING_LIST", "1", "x", HARVEST, "g" * 64, NOW), ["input", "sha256"]),
        (("PACKING_LIST", "1", "x", NOW + CLOCK_SKEW + timedelta(seconds=1), None, NOW), ["input", "issuedAt"]),
        (("PACKING_LIST", "1", "x", HARVEST.replace(tzinfo=None), None, NOW), ["input", "issuedAt"]),
        (("PACKING_LIST", " ", "x", HARVEST, None, NOW), ["input", "number"]),
    ]
    for args, field in cases:
        with pytest.raises(InvalidInput) as refused:
            order.file_document(*args)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert order.missing_documents == [k for k in REQUIRED_DOCUMENTS if k != "AIR_WAYBILL"]


# -- milestones ------------------------------------------------------------------------------------


def test_departure_is_refused_while_a_required_document_is_missing() -> None:
    order = an_order()
    file_all_required(order, except_for=("PHYTOSANITARY_CERTIFICATE", "EXPORT_DECLARATION"))
    walk(order, "HARVESTED", "PACKED")
    with pytest.raises(InvalidTransition) as refused:
        order.record_milestone("DEPARTED", HARVEST + timedelta(hours=5), "HAN", None, NOW)
    assert refused.value.field == ["input", "kind"]
    assert "PHYTOSANITARY_CERTIFICATE" in refused.value.message and "EXPORT_DECLARATION" in refused.value.message
    assert order.missing_documents == ["PHYTOSANITARY_CERTIFICATE", "EXPORT_DECLARATION"]
    # Check the import declaration is not what departure waits for.
    order.file_document("PHYTOSANITARY_CERTIFICATE", "PC-1", "Plant Protection Department", HARVEST, None, NOW)
    order.file_document("EXPORT_DECLARATION", "ED-1", "Bac Giang Customs", HARVEST, None, NOW)
    order.record_milestone("DEPARTED", HARVEST + timedelta(hours=5), "HAN", None, NOW)
    assert order.status == "IN_TRANSIT" and order.missing_documents == []


def test_a_full_journey_moves_the_status_open_in_transit_delivered() -> None:
    order = an_order()
    file_all_required(order)
    walk(order, *MILESTONES[:5])
    assert order.status == "IN_TRANSIT"
    walk(order, *MILESTONES[5:], start=HARVEST + timedelta(hours=10))
    assert order.status == "DELIVERED"
    assert list(order.milestones) == list(MILESTONES)
    with pytest.raises(InvalidTransition):
        order.record_milestone("DELIVERED", HARVEST + timedelta(hours=20), None, None, NOW)


def test_only_harvest_and_departure_may_not_be_skipped() -> None:
    order = an_order()
    file_all_required(order)
    with pytest.raises(InvalidTransition) as before_harvest:
        order.record_milestone("PACKED", HARVEST, None, None, NOW)
    assert before_harvest.value.field == ["input", "kind"]
    walk(order, "HARVESTED", "EXPORT_CLEARED")
    with pytest.raises(InvalidTransition):
        order.record_milestone("DELIVERED", HARVEST + timedelta(hours=3), None, None, NOW)
    with pytest.raises(InvalidTransition):
        order.record_milestone("ARRIVED", HARVEST + timedelta(hours=3), None, None, NOW)
    walk(order, "DEPARTED", "DELIVERED", start=HARVEST + timedelta(hours=3))
    assert order.status == "DELIVERED" and list(order.milestones) == ["HARVESTED", "EXPORT_CLEARED", "DEPARTED", "DELIVERED"]


def test_milestones_never_go_backwards_nor_repeat() -> None:
    order = an_order()
    walk(order, "HARVESTED", "PHYTOSANITARY_INSPECTED")
    for kind in ("HARVESTED", "PACKED", "PHYTOSANITARY_INSPECTED"):
        with pytest.raises(InvalidTransition) as refused:
            order.record_milestone(kind, HARVEST + timedelta(hours=3), None, None, NOW)
        assert refused.value.field == ["input", "kind"]
    with pytest.raises(InvalidInput) as unknown:
        order.record_milestone("LOADED", HARVEST + timedelta(hours=3), None, None, NOW)
    assert unknown.value.field == ["input", "kind"]


def test_occurred_at_is_neither_in_the_future_nor_before_the_previous_milestone() -> None:
    order = an_order()
    with pytest.raises(InvalidInput) as future:
        order.record_milestone("HARVESTED", NOW + CLOCK_SKEW + timedelta(seconds=1), None, None, NOW)
    assert future.value.field == ["input", "occurredAt"]
    with pytest.raises(InvalidInput) as naive:
        order.record_milestone("HARVESTED", HARVEST.replace(tzinfo=None), None, None, NOW)
    assert naive.value.field == ["input", "occurredAt"]
    order.record_milestone("HARVESTED", NOW, None, None, NOW)  # now, or within the clock skew, is not the future
    with pytest.raises(InvalidInput) as earlier:
        order.record_milestone("PACKED", NOW - timedelta(seconds=1), None, None, NOW)
    assert earlier.value.field == ["input", "occurredAt"]
    # Check an equal moment is fine, and that an offset other than UTC is compared as an instant.
    order.record_milestone("PACKED", NOW.astimezone(timezone(timedelta(hours=7))), "Lục Ngạn", "  ", NOW)
    packed = order.pending_events[-1]
    assert packed.location == "Lục Ngạn" and packed.note is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(MILESTONES), max_size=15))
def test_whatever_is_attempted_the_recorded_milestones_keep_the_rules(attempts: list[str]) -> None:
    order = an_order()
    file_all_required(order)
    for i, kind in enumerate(attempts):
        try:
            order.record_milestone(kind, HARVEST + timedelta(hours=i), None, None, NOW)
        except (InvalidInput, InvalidTransition):
            pass
    recorded = list(order.milestones)
    ranks = [MILESTONES.index(k) for k in recorded]
    assert ranks == sorted(set(ranks))
    assert not recorded or recorded[0] == "HARVESTED"
    if any(milestone_side(k) == "IMPORT" for k in recorded):
        assert "DEPARTED" in recorded
    assert order.status == ("DELIVERED" if "DELIVERED" in recorded else "IN_TRANSIT" if "DEPARTED" in recorded else "OPEN")


# -- cancelling ------------------------------------------------------------------------------------


def test_an_order_can_be_cancelled_only_before_it_departs() -> None:
    open_order = an_order()
    open_order.cancel("Partner withdrew the order")
    assert open_order.status == "CANCELLED"
    for command in (
        lambda: open_order.allocate_lot(uuid4(), "HH-24-000001", 1),
        lambda: open_order.record_milestone("HARVESTED", HARVEST, None, None, NOW),
        lambda: open_order.file_document("PACKING_LIST", "1", "x", HARVEST, None, NOW),
        lambda: open_order.cancel("again"),
    ):
        with pytest.raises(InvalidTransition) as refused:
            command()
        assert refused.value.field == ["input", "exportOrderId"]
    departed = an_order()
    file_all_required(departed)
    walk(departed, "HARVESTED", "DEPARTED")
    with pytest.raises(InvalidTransition) as late:
        departed.cancel("too late")
    assert late.value.message == "A IN_TRANSIT export order cannot be cancelled"  # status after DEPARTED
    with pytest.raises(InvalidInput):
        an_order().cancel(" ")


# -- sides -----------------------------------------------------------------------------------------


def test_the_partner_side_is_arrival_onwards_and_the_import_declaration() -> None:
    assert [milestone_side(k) for k in MILESTONES] == ["EXPORT"] * 5 + ["IMPORT"] * 4
    assert {k: document_side(k) for k in DOCUMENT_KINDS} == {
        **{k: "EXPORT" for k in REQUIRED_DOCUMENTS},
        "IMPORT_DECLARATION": "IMPORT",
    }
    for unknown in (milestone_side, document_side):
        with pytest.raises(InvalidInput):
            unknown("SOMETHING_ELSE")
    with pytest.raises(InvalidInput) as kind:
        document_side("INVOICE_COPY")
    assert (kind.value.message, kind.value.field) == (
        f"The document kind must be one of {', '.join(DOCUMENT_KINDS)}", ["input", "kind"])
    with pytest.raises(InvalidInput) as milestone:
        milestone_side("LOST_AT_SEA")
    assert (milestone.value.message, milestone.value.field) == (
        f"The milestone kind must be one of {', '.join(MILESTONES)}", ["input", "kind"])


# -- the SLA observation ---------------------------------------------------------------------------


def test_an_sla_observation_is_recorded_only_when_the_state_changes_and_never_stale() -> None:
    order = an_order()
    due = HARVEST + timedelta(hours=96)
    assert order.observe_sla("ON_TRACK", None, HARVEST) is False
    assert order.observe_sla(AT_RISK, due, HARVEST + timedelta(hours=80)) is True
    assert order.observe_sla(AT_RISK, due, HARVEST + timedelta(hours=81)) is False
    # Check a watcher with a slower clock cannot flap the state back.
    assert order.observe_sla("ON_TRACK", due, HARVEST + timedelta(hours=10)) is False
    assert order.observe_sla(BREACHED, due, HARVEST + timedelta(hours=97)) is True
    changes = [e for e in order.pending_events if isinstance(e, ExportOrder.SlaStateChanged)]
    assert [(e.previous_state, e.state) for e in changes] == [("ON_TRACK", AT_RISK), (AT_RISK, BREACHED)]
    assert changes[-1].occurred_at == HARVEST + timedelta(hours=97) and changes[-1].due_by == due


# -- the use cases on POPO -------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(HARVEST)


@pytest.fixture
def app(clock: Clock) -> Farmgate:
    return Farmgate({"PERSISTENCE_MODULE": "eventsourcing.popo"}, pii_pepper="test", clock=clock)


def a_household(app: Farmgate, pd: PersonalData) -> UUID:
    return app.register_household(
        name="Hộ Nguyễn Văn Vải", national_id=pd.national_id(), phone=pd.phone(), address={"province_code": "24"}
    )


def open_order(app: Farmgate, partner_id: UUID, reference: str = "BE-1", quantity_kg: int = 1000) -> UUID:
    return app.create_export_order(
        partner_id=partner_id, reference=reference, product="Fresh lychee", hs_code="081090",
        destination_country="BE", consignee="Brussels importer", incoterm="CPT", quantity_kg=quantity_kg,
        unit_price="12.50", currency="EUR", harvest_to_door_hours=96, created_by="POSTMART",
    )


def test_partners_and_order_references_are_unique(app: Farmgate) -> None:
    partner = app.register_export_partner(name="Lychee Import BV", country="BE")
    with pytest.raises(AlreadyExists) as again:
        app.register_export_partner(name="  lychee import  bv ", country="be")
    assert again.value.field == ["input", "name"]
    # The same name in another country is another partner.
    assert app.register_export_partner(name="Lychee Import BV", country="NL") != partner
    order = open_order(app, partner)
    with pytest.raises(AlreadyExists) as repeated:
        open_order(app, partner)
    assert repeated.value.field == ["input", "reference"]
    # Check one marketplace's reference does not block (nor reveal) another's.
    other = app.create_export_order(
        partner_id=partner, reference="BE-1", product="Fresh lychee", hs_code="081090", destination_country="BE",
        consignee="Brussels importer", incoterm="CPT", quantity_kg=10, unit_price="1.00", currency="EUR",
        harvest_to_door_hours=96, created_by="VOSO",
    )
    assert other != order and app.repository.get(other).created_by == "VOSO"


def test_an_order_needs_an_existing_partner_and_lots_an_existing_household(
    app: Farmgate, personal_data: PersonalData
) -> None:
    with pytest.raises(NotFound) as no_partner:
        open_order(app, uuid4())
    assert no_partner.value.field == ["input", "partnerId"]
    order = open_order(app, app.register_export_partner(name="Prague Fruit s.r.o.", country="CZ"))
    with pytest.raises(NotFound) as no_household:
        app.allocate_export_lot(order, uuid4(), 10)
    assert no_household.value.field == ["input", "householdId"]
    # A partner's id is not a household's.
    with pytest.raises(NotFound):
        app.allocate_export_lot(order, app.repository.get(order).partner_id, 10)
    with pytest.raises(NotFound) as no_order:
        app.allocate_export_lot(uuid4(), a_household(app, personal_data), 10)
    assert no_order.value.field == ["input", "exportOrderId"]


def test_refreshing_the_sla_records_each_change_once(app: Farmgate, clock: Clock, personal_data: PersonalData) -> None:
    partner = app.register_export_partner(name="Lychee Import BV", country="BE")
    order_id = open_order(app, partner)
    app.record_export_milestone(order_id, kind="HARVESTED", occurred_at=HARVEST, location="Lục Ngạn")
    assert app.refresh_export_sla(HARVEST + timedelta(hours=10), [order_id]) == []
    assert app.refresh_export_sla(HARVEST + timedelta(hours=72), [order_id]) == [order_id]
    # Check a second run at the same (or a later, same-state) moment records nothing.
    assert app.refresh_export_sla(HARVEST + timedelta(hours=72), [order_id]) == []
    assert app.refresh_export_sla(HARVEST + timedelta(hours=80), [order_id]) == []
    # The configured share decides AT_RISK: at 0.5 a fresh order is at risk after 48 h.
    second = open_order(app, partner, reference="BE-2")
    app.record_export_milestone(second, kind="HARVESTED", occurred_at=HARVEST)
    assert app.refresh_export_sla(HARVEST + timedelta(hours=50), [second], at_risk_share=0.5) == [second]
    order = app.repository.get(order_id)
    assert order.sla_state == AT_RISK
    events = [e for e in app.stored_events(order_id) if isinstance(e, ExportOrder.SlaStateChanged)]
    assert len(events) == 1 and events[0].occurred_at == HARVEST + timedelta(hours=72)


def test_a_delivered_order_is_observed_met_once_and_then_left_alone(app: Farmgate, clock: Clock) -> None:
    order_id = open_order(app, app.register_export_partner(name="Lychee Import BV", country="BE"))
    for number, kind in enumerate(REQUIRED_DOCUMENTS):
        app.record_export_document(order_id, kind=kind, number=f"D{number}", issuer="x", issued_at=HARVEST)
    clock.now = HARVEST + timedelta(hours=100)
    for hours, kind in ((0, "HARVESTED"), (20, "DEPARTED"), (90, "DELIVERED")):
        app.record_export_milestone(order_id, kind=kind, occurred_at=HARVEST + timedelta(hours=hours))
    assert app.refresh_export_sla(clock.now, [order_id]) == [order_id]
    assert app.repository.get(order_id).sla_state == MET
    assert app.refresh_export_sla(clock.now + timedelta(days=30), [order_id]) == []


def test_the_application_clock_decides_what_is_the_future(app: Farmgate, clock: Clock) -> None:
    order_id = open_order(app, app.register_export_partner(name="Lychee Import BV", country="BE"))
    with pytest.raises(InvalidInput) as refused:
        app.record_export_milestone(order_id, kind="HARVESTED", occurred_at=HARVEST + CLOCK_SKEW + timedelta(seconds=1))
    assert refused.value.field == ["input", "occurredAt"]
    clock.now += timedelta(seconds=1)
    app.record_export_milestone(order_id, kind="HARVESTED", occurred_at=HARVEST + CLOCK_SKEW + timedelta(seconds=1))


def test_a_cancelled_order_is_not_watched(app: Farmgate) -> None:
    order_id = open_order(app, app.register_export_partner(name="Lychee Import BV", country="BE"))
    app.record_export_milestone(order_id, kind="HARVESTED", occurred_at=HARVEST)
    app.cancel_export_order(order_id, "Flight cancelled; fruit sold domestically")
    assert app.refresh_export_sla(HARVEST + timedelta(hours=200), [order_id]) == []


def test_a_long_order_rebuilt_from_a_snapshot_equals_one_replayed_from_scratch(personal_data: PersonalData) -> None:
    # A thousand lots make a long stream: the aggregate must survive a snapshot's JSON round trip.
    app = Farmgate({"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"}, clock=Clock(HARVEST))
    order_id = open_order(app, app.register_export_partner(name="Lychee Import BV", country="BE"), quantity_kg=500)
    households = [a_household(app, personal_data) for _ in range(3)]
    for i in range(240):
        app.allocate_export_lot(order_id, households[i % 3], 2)
    app.record_export_document(order_id, kind="PACKING_LIST", number="PL-1", issuer="x", issued_at=HARVEST)
    app.record_export_milestone(order_id, kind="HARVESTED", occurred_at=HARVEST)
    app.refresh_export_sla(HARVEST + timedelta(hours=80), [order_id])
    app.take_snapshot(order_id)
    app.allocate_export_lot(order_id, households[0], 20)
    version = app.repository.get(order_id).version
    # Check the rebuild really started from the snapshot, then compare it with a replay of every event.
    # (Automatic snapshots every 100 events come first; the explicit one is the last.)
    assert app.snapshots is not None and [s.originator_version for s in app.snapshots.get(order_id)][-1] == version - 1
    from_snapshot = app.repository.get(order_id, version=version)
    replayed = None
    for event in app.events.get(order_id):
        replayed = event.mutate(replayed)
    for order in (from_snapshot, replayed):
        assert order.allocated_kg == 500 and sorted(order.lots.values()) == [160, 160, 180]
        assert order.documents == {"PACKING_LIST": ["PL-1"]} and order.milestones == {"HARVESTED": HARVEST}
        assert order.sla_state == AT_RISK and order.unit_price.amount_text == "12.50"
    assert vars(from_snapshot) == vars(replayed)
    with pytest.raises(LimitExceeded):
        app.allocate_export_lot(order_id, households[0], 1)
