"""Cross-border export, the same on SQLite and PostgreSQL: the seed's lychee flight to Europe.

More than a thousand households' orchards filled one export, which reached Belgium, Germany and
Czechia within 96 hours of harvest. Times are set relative to now because the application's clock
refuses milestones in the future; an order whose harvest is more than its 96-hour window ago is opened
at its harvest (``an_order(opened_at=...)``), since no export fact may precede that window.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from farmgate.core.domain.errors import InvalidInput, InvalidTransition, LimitExceeded
from farmgate.core.domain.export_order import MILESTONES, REQUIRED_DOCUMENTS, ExportOrder
from farmgate.core.domain.export_sla import AT_RISK, BREACHED, MET, ON_TRACK, assess_clock
from farmgate.core.domain.provinces import PROVINCES
from farmgate.core.history import verify
from farmgate.core.projections.registry import projection_named
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.personal_data import PersonalData

H = timedelta(hours=1)
PROVINCE_CODES = sorted(PROVINCES[2025])


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class PinnableClock:
    """The wall clock, or ``pinned`` while it is set (to open an order in the past)."""

    def __init__(self) -> None:
        self.pinned: datetime | None = None

    def __call__(self) -> datetime:
        return self.pinned or datetime.now(timezone.utc)


@pytest.fixture
def system(backend_url: str) -> Iterator[System]:
    built = build_system(Settings(database_url=backend_url, env="test", projection_wait_seconds=10),
                         clock=PinnableClock())
    yield built
    built.close()


def register_households(system: System, pd: PersonalData, count: int) -> list[UUID]:
    # Spread over every province, as the seed's growers were: one code sequence per province.
    return [
        system.app.register_household(
            name=f"Hộ trồng vải số {i}", national_id=pd.national_id(), phone=pd.phone(),
            address={"province_code": PROVINCE_CODES[i % len(PROVINCE_CODES)]},
        )
        for i in range(count)
    ]


def a_partner(system: System, name: str = "Lychee Import BV", country: str = "BE") -> UUID:
    return system.app.register_export_partner(name=name, country=country)


def an_order(system: System, partner_id: UUID, reference: str = "BE-2021-001", quantity_kg: int = 1000,
             created_by: str | None = "POSTMART", destination: str = "BE", currency: str = "EUR",
             unit_price: str = "12.50", opened_at: datetime | None = None) -> UUID:
    """Open an order now, or at ``opened_at`` by the system's ``PinnableClock``."""
    clock = system.app.clock
    assert opened_at is None or isinstance(clock, PinnableClock)
    if opened_at is not None:
        clock.pinned = opened_at
    try:
        return system.app.create_export_order(
            partner_id=partner_id, reference=reference, product="Fresh lychee (vải thiều), Lục Ngạn", hs_code="081090",
            destination_country=destination, consignee="Vietnamese community association", incoterm="CPT",
            quantity_kg=quantity_kg, unit_price=unit_price, currency=currency, harvest_to_door_hours=96,
            created_by=created_by,
        )
    finally:
        if opened_at is not None:
            clock.pinned = None


def file_documents(system: System, order_id: UUID, kinds: tuple[str, ...] = REQUIRED_DOCUMENTS,
                   issued_at: datetime | None = None) -> None:
    for number, kind in enumerate(kinds):
        system.app.record_export_document(
            order_id, kind=kind, number=f"{kind[:3]}-{number:04d}", issuer="Bắc Giang authorities",
            issued_at=issued_at or now() - 90 * H, sha256=f"{number:064x}",
        )


def reach(system: System, order_id: UUID, harvested_at: datetime, schedule: list[tuple[str, float]]) -> None:
    for kind, hours in schedule:
        system.app.record_export_milestone(
            order_id, kind=kind, occurred_at=harvested_at + hours * H, location="HAN" if kind == "DEPARTED" else None
        )


def sla_events(system: System, order_id: UUID) -> list[ExportOrder.SlaStateChanged]:
    return [e for e in system.app.stored_events(order_id) if isinstance(e, ExportOrder.SlaStateChanged)]


def test_a_thousand_households_fill_one_export_order(system: System, personal_data: PersonalData) -> None:
    households = register_households(system, personal_data, 1000)
    # Lots of 1 to 9 kg; the first household brings a second lot the next morning.
    lots = [(household, 1 + i % 9) for i, household in enumerate(households)] + [(households[0], 4)]
    quantity = sum(kg for _, kg in lots)
    order_id = an_order(system, a_partner(system), quantity_kg=quantity)
    for household, kg in lots:
        system.app.allocate_export_lot(order_id, household, kg)
    # Check the full order takes not one kilogram more, and the refusal changed nothing.
    version = system.app.repository.get(order_id).version
    with pytest.raises(LimitExceeded) as over:
        system.app.allocate_export_lot(order_id, households[1], 1)
    assert over.value.field == ["input", "quantityKg"]
    assert system.app.repository.get(order_id).version == version
    system.catch_up()

    row = system.exports.by_ids([order_id])[order_id]
    assert row["allocated_kg"] == row["quantity_kg"] == quantity and row["household_count"] == 1000
    assert row["unit_price"] == "12.50" and row["currency"] == "EUR"
    assert row["total"] == str(Decimal("12.50") * quantity)
    assert row["created_by"] == "POSTMART" and row["status"] == "OPEN"
    order_lots = system.exports.lots_for([order_id])[order_id]
    assert len(order_lots) == 1000 and sum(lot["quantity_kg"] for lot in order_lots) == quantity
    first = order_lots[0]
    # Check a household's two lots are one row, and a lot shows the household's code and name only.
    assert first["household_id"] == households[0] and first["quantity_kg"] == 1 + 4 and first["allocations"] == 2
    assert first["household_name"] == "Hộ trồng vải số 0" and first["household_code"].startswith("HH-")
    assert set(first) == {"household_id", "household_code", "household_name", "quantity_kg", "allocations"}


def test_delivery_90_hours_after_harvest_meets_the_promise(system: System) -> None:
    partner = a_partner(system, "Frische Früchte GmbH", "DE")
    harvested_at = now() - 100 * H
    order_id = an_order(system, partner, destination="DE", opened_at=harvested_at)
    file_documents(system, order_id)
    system.app.record_export_document(
        order_id, kind="IMPORT_DECLARATION", number="DE-IMP-1", issuer="Zoll Frankfurt", issued_at=harvested_at + 40 * H
    )
    reach(system, order_id, harvested_at, [
        ("HARVESTED", 0), ("PACKED", 6), ("PHYTOSANITARY_INSPECTED", 10), ("EXPORT_CLEARED", 14), ("DEPARTED", 20),
        ("ARRIVED", 36), ("IMPORT_CLEARED", 44), ("OUT_FOR_DELIVERY", 70), ("DELIVERED", 90),
    ])
    system.catch_up()
    row = system.exports.by_ids([order_id])[order_id]
    assert row["status"] == "DELIVERED" and row["missing_documents"] == []
    assert datetime.fromisoformat(row["harvested_at"]) == harvested_at
    assert datetime.fromisoformat(row["due_by"]) == harvested_at + 96 * H
    assert datetime.fromisoformat(row["delivered_at"]) == harvested_at + 90 * H
    milestones = system.exports.milestones_for([order_id])[order_id]
    assert [m["kind"] for m in milestones] == list(MILESTONES)
    assert milestones[4]["location"] == "HAN" and milestones[4]["recorded_at"]
    documents = system.exports.documents_for([order_id])[order_id]
    assert [d["kind"] for d in documents] == [*REQUIRED_DOCUMENTS, "IMPORT_DECLARATION"]
    assert documents[0]["sha256"] == "0" * 64
    # Check the read model's instants give the same state as the domain, and the watcher records MET once.
    live = assess_clock(
        datetime.fromisoformat(row["harvested_at"]), datetime.fromisoformat(row["delivered_at"]), 96, now()
    )
    assert live.state == MET
    assert system.exports.sla_watchlist() == [order_id]
    assert system.app.refresh_export_sla(now(), system.exports.sla_watchlist()) == [order_id]
    assert system.app.refresh_export_sla(now(), [order_id]) == []
    system.catch_up()
    assert system.exports.by_ids([order_id])[order_id]["sla_state"] == MET
    assert system.exports.sla_watchlist() == []
    assert [e.state for e in sla_events(system, order_id)] == [MET]
    # Check the order's history survives storage byte for byte: its hash chain verifies.
    report = verify(system.app, [order_id])
    assert report.verified and report.event_count == 1 + 7 + 9 + 1


def test_past_96_hours_the_promise_is_breached(system: System) -> None:
    partner = a_partner(system, "Praha Ovoce s.r.o.", "CZ")
    opened_at = now() - 120 * H
    late, overdue, at_risk, fresh = (
        an_order(system, partner, reference=f"CZ-{n}", destination="CZ", currency="CZK", unit_price="310",
                 opened_at=opened_at)
        for n in range(4)
    )
    for order_id in (late, overdue, at_risk, fresh):
        file_documents(system, order_id)
    moment = now()
    reach(system, late, moment - 120 * H, [("HARVESTED", 0), ("DEPARTED", 30), ("DELIVERED", 97)])
    reach(system, overdue, moment - 100 * H, [("HARVESTED", 0), ("DEPARTED", 30), ("ARRIVED", 60)])
    reach(system, at_risk, moment - 80 * H, [("HARVESTED", 0), ("DEPARTED", 30)])
    reach(system, fresh, moment - 10 * H, [("HARVESTED", 0)])
    system.catch_up()
    watch = system.exports.sla_watchlist()
    assert watch == [late, overdue, at_risk, fresh]
    # Check the worker's step records each change once, however often it runs.
    changed = system.app.refresh_export_sla(moment, watch)
    assert changed == [late, overdue, at_risk]
    assert system.app.refresh_export_sla(moment, watch) == []
    system.catch_up()
    rows = system.exports.by_ids(watch)
    assert {o: rows[o]["sla_state"] for o in watch} == {late: BREACHED, overdue: BREACHED, at_risk: AT_RISK, fresh: ON_TRACK}
    assert system.exports.sla_watchlist() == [at_risk, fresh]
    assert rows[late]["total"] == "310000.00" and rows[late]["currency"] == "CZK"
    assert [e.state for e in sla_events(system, overdue)] == [BREACHED]
    assert sla_events(system, overdue)[0].due_by == moment - 4 * H


def test_departure_is_refused_while_a_required_document_is_missing(system: System) -> None:
    order_id = an_order(system, a_partner(system))
    harvested_at = now() - 30 * H
    file_documents(system, order_id, kinds=("COMMERCIAL_INVOICE", "PACKING_LIST", "AIR_WAYBILL"))
    reach(system, order_id, harvested_at, [("HARVESTED", 0), ("PACKED", 5)])
    with pytest.raises(InvalidTransition) as refused:
        reach(system, order_id, harvested_at, [("DEPARTED", 20)])
    assert refused.value.field == ["input", "kind"]
    system.catch_up()
    row = system.exports.by_ids([order_id])[order_id]
    assert row["missing_documents"] == ["PHYTOSANITARY_CERTIFICATE", "CERTIFICATE_OF_ORIGIN", "EXPORT_DECLARATION"]
    assert row["status"] == "OPEN"
    file_documents(system, order_id, kinds=("PHYTOSANITARY_CERTIFICATE", "CERTIFICATE_OF_ORIGIN", "EXPORT_DECLARATION"))
    reach(system, order_id, harvested_at, [("DEPARTED", 20)])
    system.catch_up()
    row = system.exports.by_ids([order_id])[order_id]
    assert row["missing_documents"] == [] and row["status"] == "IN_TRANSIT" and row["departed_at"]


def test_milestones_out_of_order_or_in_the_future_are_refused_and_change_nothing(system: System) -> None:
    order_id = an_order(system, a_partner(system))
    harvested_at = now() - 30 * H
    file_documents(system, order_id)
    with pytest.raises(InvalidTransition):
        reach(system, order_id, harvested_at, [("PACKED", 0)])  # before HARVESTED
    reach(system, order_id, harvested_at, [("HARVESTED", 0), ("EXPORT_CLEARED", 5)])
    cases = [
        (("PACKED", 6), InvalidTransition, ["input", "kind"]),  # backwards
        (("EXPORT_CLEARED", 6), InvalidTransition, ["input", "kind"]),  # repeated
        (("DELIVERED", 7), InvalidTransition, ["input", "kind"]),  # before DEPARTED
        (("DEPARTED", 4), InvalidInput, ["input", "occurredAt"]),  # before the previous milestone
        (("DEPARTED", 31), InvalidInput, ["input", "occurredAt"]),  # an hour in the future
    ]
    version = system.app.repository.get(order_id).version
    for (kind, hours), error, field in cases:
        with pytest.raises(error) as refused:
            reach(system, order_id, harvested_at, [(kind, hours)])
        assert refused.value.field == field, kind
    assert system.app.repository.get(order_id).version == version
    system.catch_up()
    assert [m["kind"] for m in system.exports.milestones_for([order_id])[order_id]] == ["HARVESTED", "EXPORT_CLEARED"]


def test_racing_lots_never_overfill_an_order(system: System, personal_data: PersonalData) -> None:
    households = register_households(system, personal_data, 8)
    order_id = an_order(system, a_partner(system), quantity_kg=100)
    barrier = threading.Barrier(len(households))
    outcomes: list[str] = []

    def allocate(household: UUID) -> None:
        barrier.wait(timeout=10)
        try:
            system.app.allocate_export_lot(order_id, household, 20)
            outcomes.append("allocated")
        except LimitExceeded:
            outcomes.append("full")

    threads = [threading.Thread(target=allocate, args=(h,)) for h in households]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["allocated"] * 5 + ["full"] * 3
    system.catch_up()
    row = system.exports.by_ids([order_id])[order_id]
    assert row["allocated_kg"] == 100 and row["household_count"] == 5


def test_reads_are_scoped_by_partner_and_creator_and_rebuild_from_the_log(system: System) -> None:
    brussels, prague = a_partner(system), a_partner(system, "Praha Ovoce s.r.o.", "CZ")
    ours = [an_order(system, brussels, reference=f"BE-{n}") for n in range(3)]
    theirs = an_order(system, prague, reference="CZ-1", destination="CZ", created_by="VOSO")
    system.app.cancel_export_order(ours[1], "Flight cancelled")
    system.catch_up()
    rows, total = system.exports.page(after_position=0, limit=2, partner_id=brussels)
    assert total == 3 and [UUID(r["id"]) for r in rows] == ours[:2]
    rest, _ = system.exports.page(after_position=rows[-1]["position"], limit=2, partner_id=brussels)
    assert [UUID(r["id"]) for r in rest] == ours[2:]
    assert system.exports.page(after_position=0, limit=10, partner_id=prague)[1] == 1
    cancelled, count = system.exports.page(after_position=0, limit=10, status="CANCELLED")
    assert count == 1 and UUID(cancelled[0]["id"]) == ours[1]
    by_voso, _ = system.exports.page(after_position=0, limit=10, created_by="VOSO")
    assert [UUID(r["id"]) for r in by_voso] == [theirs]
    partners = system.exports.partners_by_ids([brussels, prague])
    assert partners[prague]["country"] == "CZ" and partners[brussels]["name"] == "Lychee Import BV"
    # Batched reads answer for every id asked, with an empty list for an order with nothing yet.
    assert system.exports.lots_for(ours) == {o: [] for o in ours}
    # Check the read model is rebuilt to the same rows from the event log.
    before = system.exports.by_ids([*ours, theirs])
    projection = projection_named("export_tracking")
    system.projector.reset(projection)
    assert system.exports.by_ids([*ours, theirs]) == {}
    system.catch_up()
    assert system.exports.by_ids([*ours, theirs]) == before
