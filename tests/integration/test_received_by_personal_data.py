"""Who signed for a parcel (``received_by`` on a shipment's delivery) is personal data of the order's
buyer, the same on SQLite and PostgreSQL: sealed under the buyer's key in the event and the shipments
read model, read back opened, and erased with the buyer (by the order id)."""

from __future__ import annotations

from typing import Any

import pytest

from farmgate.core.case_file import open_case_file
from farmgate.core.domain import aggregate
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.personal_data import ERASED
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.history import stream_records, verify
from farmgate.core.personal_cipher import subject_of
from farmgate.deploy.container import System
from tests.integration.test_personal_data_at_rest import a_household_with_an_order, raw_dump, sqlite_file_bytes
from tests.personal_data import PersonalData


def a_delivered_order(system: System, pd: PersonalData) -> dict[str, Any]:
    held = a_household_with_an_order(system, pd)
    app = system.app
    app.confirm_order(held["order"])
    shipment = app.dispatch_order(held["order"], carrier="VNPost", tracking_number="EB300000001VN")
    signer = pd.name()
    app.confirm_delivery(shipment, occurred_at=app.clock(), received_by=signer)
    system.catch_up()
    return dict(held, shipment=shipment, signer=signer)


def delivered_event(system: System, shipment: Any) -> Any:
    return next(e for e in system.app.stored_events(shipment) if type(e).__name__ == "Delivered")


def test_who_signed_for_a_parcel_is_sealed_under_the_buyers_key(system: System, backend_url: str,
                                                                 personal_data: PersonalData) -> None:
    held = a_delivered_order(system, personal_data)
    app = system.app
    # Check the API's read model, the event and the case file read the name back.
    assert system.orders.shipments_by_ids([held["shipment"]])[held["shipment"]]["received_by"] == held["signer"]
    delivered = delivered_event(system, held["shipment"])
    assert delivered.received_by == held["signer"]
    case = open_case_file(app, held["order"], [])
    shown = [r for r in case.timeline if r.type == "Delivered" and r.stream == "Shipment"]
    assert [r.data["received_by"] for r in shown] == [held["signer"]] and case.integrity.verified
    # Check it is sealed under the order's buyer's key, and the buyer's export holds it.
    buyer = app.buyer_subject_of_order(held["order"])
    assert subject_of(delivered.commitments["received_by"]["token"]) == buyer
    export = app.personal_data_export(buyer)
    shipments = [s for s in export["streams"] if s["id"] == str(held["shipment"])]
    assert [e["data"]["received_by"] for s in shipments for e in s["events"] if e["type"] == "Delivered"] == [
        held["signer"]]
    # Check the name is in no table, nor in the database file, in plain text.
    assert held["signer"] not in raw_dump(system)
    if backend_url.startswith("sqlite"):
        assert held["signer"].encode("utf-8") not in sqlite_file_bytes(backend_url)
    assert verify(app, [held["order"], held["shipment"]]).verified


def test_erasing_the_buyer_erases_who_signed_for_its_parcels(system: System, personal_data: PersonalData) -> None:
    held = a_delivered_order(system, personal_data)
    app = system.app
    before = system.orders.shipments_by_ids([held["shipment"]])[held["shipment"]]
    with recording(Provenance("ADMIN:dpo", "req-erase")):
        subject = app.subject_of_global("Order", held["order"])
        record = app.erase_personal_data(subject=subject, reason="ticket DSR-9")
    system.catch_up()
    assert record.streams == 2  # the order and its shipment
    # Check the read model, the event, the case file and the export show it erased.
    after = system.orders.shipments_by_ids([held["shipment"]])[held["shipment"]]
    assert after["received_by"] == ERASED
    assert {k: v for k, v in after.items() if k != "received_by"} == {
        k: v for k, v in before.items() if k != "received_by"}
    assert delivered_event(system, held["shipment"]).received_by == ERASED
    case = open_case_file(app, held["order"], [])
    shown = [r for r in case.timeline if r.type == "Delivered" and r.stream == "Shipment"]
    assert [r.data["received_by"] for r in shown] == [ERASED]
    # Check the streams still verify (the chain covers the stored commitments).
    assert case.integrity.verified
    assert verify(app, [held["order"], held["shipment"]]).verified
    assert all(r.intact for r in stream_records(app, held["shipment"]))
    export = app.personal_data_export(subject)
    assert export["erased"] and [
        e["data"]["received_by"] for s in export["streams"] if s["id"] == str(held["shipment"])
        for e in s["events"] if e["type"] == "Delivered"] == [ERASED]
    # Check a rebuild of the read models reproduces the erased view.
    for projection in system.projector.projections:
        system.projector.reset(projection)
    system.projector.catch_up()
    assert system.orders.shipments_by_ids([held["shipment"]])[held["shipment"]] == after
    assert held["signer"] not in raw_dump(system)


def test_a_signer_recorded_as_a_contradiction_is_sealed_and_erased_the_same(system: System,
                                                                            personal_data: PersonalData) -> None:
    held = a_household_with_an_order(system, personal_data)
    app = system.app
    app.confirm_order(held["order"])
    shipment = app.dispatch_order(held["order"], carrier="VNPost", tracking_number="EB300000002VN")
    with recording(Provenance("DISPUTE_STAFF:minh", "req-spoil")):
        app.declare_spoilage(shipment, occurred_at=app.clock(), note="Hàng hỏng")
    signer = personal_data.name()
    app.confirm_delivery(shipment, occurred_at=app.clock(), received_by=signer)  # contradicts the spoilage
    system.catch_up()
    [contradiction] = [e for e in app.stored_events(shipment) if type(e).__name__ == "ContradictionRecorded"]
    assert contradiction.details == {"received_by": signer}
    assert signer not in raw_dump(system)
    with recording(Provenance("ADMIN:dpo", "req-erase")):
        app.erase_personal_data(subject=app.buyer_subject_of_order(held["order"]), reason="ticket DSR-10")
    [contradiction] = [e for e in app.stored_events(shipment) if type(e).__name__ == "ContradictionRecorded"]
    assert contradiction.details == {"received_by": ERASED}
    assert verify(app, [held["order"], shipment]).verified


def an_order_recorded_before_sealing_then_delivered(system: System, pd: PersonalData,
                                                     monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An order placed by a release before issue 13 (its buyer in plain text: no commitments), delivered
    after sealing existed to a named signer, who then has a data subject of its own (``shipment:<id>``)."""
    real = aggregate.commit_personal
    with monkeypatch.context() as old_release:
        old_release.setattr(aggregate, "commit_personal",
                            lambda stream, data: {} if stream == "Order" else real(stream, data))
        held = a_household_with_an_order(system, pd)
    app = system.app
    app.confirm_order(held["order"])
    shipment = app.dispatch_order(held["order"], carrier="VNPost", tracking_number="EB300000002VN")
    signer = pd.name()
    app.confirm_delivery(shipment, occurred_at=app.clock(), received_by=signer)
    system.catch_up()
    return dict(held, shipment=shipment, signer=signer)


def test_who_signed_for_a_parcel_of_an_order_recorded_before_sealing_is_erased_by_the_shipment_id(
        system: System, personal_data: PersonalData, monkeypatch: pytest.MonkeyPatch) -> None:
    held = an_order_recorded_before_sealing_then_delivered(system, personal_data, monkeypatch)
    app = system.app
    assert held["buyer_name"] in raw_dump(system) and held["signer"] not in raw_dump(system)
    # Check the order's buyer cannot be erased (plain text, no key) and says so.
    with pytest.raises(InvalidInput) as refused:
        app.subject_of_global("Order", held["order"])
    assert refused.value.field == ["input", "subjectId"]
    # The signer is its own subject, named by the shipment's id; its export holds the name.
    subject = app.subject_of_global("Shipment", held["shipment"])
    assert subject == f"shipment:{held['shipment']}"
    signed = [e["data"]["received_by"] for s in app.personal_data_export(subject)["streams"]
              for e in s["events"] if e["type"] == "Delivered"]
    assert signed == [held["signer"]]
    before = system.orders.shipments_by_ids([held["shipment"]])[held["shipment"]]
    with recording(Provenance("ADMIN:dpo", "req-erase-signer")):
        record = app.erase_personal_data(subject=subject, reason="ticket DSR-SIGNER")
    system.catch_up()
    assert record.streams == 1
    after = system.orders.shipments_by_ids([held["shipment"]])[held["shipment"]]
    assert after == {**before, "received_by": ERASED}  # nothing else changed
    assert delivered_event(system, held["shipment"]).received_by == ERASED
    assert verify(app, [held["order"], held["shipment"]]).verified
    # A shipment of a sealed buyer names that buyer, as its order's id does, delivered or not yet.
    sealed = a_delivered_order(system, personal_data)
    assert app.subject_of_global("Shipment", sealed["shipment"]) == app.subject_of_global("Order", sealed["order"])
    undelivered = a_household_with_an_order(system, personal_data)
    app.confirm_order(undelivered["order"])
    in_transit = app.dispatch_order(undelivered["order"], carrier="VNPost", tracking_number="EB300000003VN")
    assert app.subject_of_global("Shipment", in_transit) == app.subject_of_global("Order", undelivered["order"])
