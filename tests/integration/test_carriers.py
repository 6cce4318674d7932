"""Carriers on SQLite and PostgreSQL: the built-in ones on a fresh database, ADMIN's additions, and
dispatches recorded while carriers were free text (no carrier id in the event) still loading,
verifying and projecting, resolved by spelling."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from farmgate.core.domain.audit import GENESIS
from farmgate.core.domain.carrier import VIETTEL_POST, VNPOST
from farmgate.core.domain.errors import AlreadyExists, InvalidInput
from farmgate.core.domain.order import Order
from farmgate.core.domain.shipment import Shipment
from farmgate.core.history import verify
from farmgate.deploy.container import System
from tests.integration.test_orders import a_shop, place


def _legacy_event(event_class: type, aggregate: Any, aggregate_id: UUID, version: int, previous_hash: str,
                  occurred_at: datetime, data: dict[str, Any]) -> Any:
    """An event shaped as recorded before carriers were reference data: its data has no carrier_id
    (the class now declares one, so it cannot be built through its constructor), its hash chained
    over the data it has."""
    fields = aggregate._enveloped(event_class, aggregate_id, version, previous_hash, occurred_at, data)
    event = object.__new__(event_class)
    event.__dict__.update(fields, originator_id=aggregate_id, originator_version=version)
    if version == 1:
        event.__dict__["originator_topic"] = f"{aggregate.__module__}:{aggregate.__qualname__}"
    return event


def record_free_text_dispatch(system: System, order_id: UUID, carrier: str, tracking_number: str) -> UUID:
    """Write an order's dispatch exactly as the old code recorded it: carrier as free text."""
    app = system.app
    order = app.load(Order, order_id)
    shipment_id, now = uuid4(), app.clock()
    shipment_event = _legacy_event(Shipment.Dispatched, Shipment, shipment_id, 1, GENESIS, now, dict(
        order_id=order.id, order_number=order.number, marketplace=order.marketplace,
        storefront_id=order.storefront_id, household_id=order.household_id, carrier=carrier,
        tracking_number=tracking_number, harvested_at=None, promised_by=order.promised_by,
        perishable=order.perishable))
    order_event = _legacy_event(Order.Dispatched, Order, order.id, order.version + 1, order.head_hash, now, dict(
        shipment_id=shipment_id, carrier=carrier, tracking_number=tracking_number))
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in (order_event, shipment_event)])
    return shipment_id


def confirmed_order(system: System, pd: Any) -> UUID:
    shop = a_shop(system, pd)
    order_id = place(system, pd, [(shop.listing_id, 1)])
    system.app.confirm_order(order_id)
    return order_id


def test_free_text_dispatches_load_verify_and_project_resolved_by_spelling(system: System, personal_data) -> None:
    vietnam_post = confirmed_order(system, personal_data)
    ghn = confirmed_order(system, personal_data)
    by_vietnam_post = record_free_text_dispatch(system, vietnam_post, "Vietnam Post", "EB500000001VN")
    by_ghn = record_free_text_dispatch(system, ghn, "Giao Hàng Nhanh", "GHN-0001")

    # Check the old events decode as they were, load, verify, and take new facts.
    shipment = system.app.load(Shipment, by_vietnam_post)
    assert (shipment.carrier, shipment.carrier_id) == ("Vietnam Post", None)
    order = system.app.load(Order, vietnam_post)
    assert (order.status, order.carrier, order.carrier_id) == ("DISPATCHED", "Vietnam Post", None)
    assert verify(system.app, [vietnam_post, by_vietnam_post, ghn, by_ghn]).verified
    system.app.record_checkpoint(by_vietnam_post, status="IN_TRANSIT", occurred_at=system.app.clock())

    # Check the read model resolved "Vietnam Post" to VNPost by spelling, and kept the text it was given.
    system.catch_up()

    def carriers() -> dict[str, Any]:
        shipments = system.orders.shipments_by_ids([by_vietnam_post, by_ghn])
        orders = system.orders.orders_by_ids([vietnam_post, ghn])
        return {"shipments": [(shipments[s]["carrier"], shipments[s]["carrier_id"]) for s in (by_vietnam_post, by_ghn)],
                "orders": [orders[o]["carrier_id"] for o in (vietnam_post, ghn)]}

    assert carriers() == {"shipments": [("Vietnam Post", str(VNPOST.id)), ("Giao Hàng Nhanh", None)],
                          "orders": [str(VNPOST.id), None]}

    # ADMIN registers the carrier the free text named: its old shipments are its own from then on.
    ghn_id = system.app.register_carrier(name="GHN", aliases=["Giao Hàng Nhanh"])
    system.catch_up()
    expected = {"shipments": [("Vietnam Post", str(VNPOST.id)), ("Giao Hàng Nhanh", str(ghn_id))],
                "orders": [str(VNPOST.id), str(ghn_id)]}
    assert carriers() == expected

    # Check a rebuild from the log gives the same rows.
    projection = next(p for p in system.projector.projections if p.name == "orders_and_shipments")
    system.projector.reset(projection)
    system.catch_up()
    assert carriers() == expected


def test_a_fresh_database_knows_the_built_in_carriers_and_admin_adds_more(system: System) -> None:
    rows = system.carriers.all()
    assert [(r["id"], r["name"], r["built_in"]) for r in rows] == [
        (str(VNPOST.id), "VNPost", True), (str(VIETTEL_POST.id), "Viettel Post", True)]
    assert system.carriers.id_named("Bưu điện Việt Nam") == VNPOST.id
    assert system.carriers.id_named("GHN") is None

    ghn = system.app.register_carrier(name="GHN", aliases=["Giao Hàng Nhanh", "ghn express"])
    with pytest.raises(AlreadyExists):
        system.app.register_carrier(name="Giao hang nhanh")
    with pytest.raises(InvalidInput):
        system.app.register_carrier(name="  ")
    system.catch_up()
    assert [r["name"] for r in system.carriers.all()] == ["VNPost", "Viettel Post", "GHN"]
    assert system.carriers.by_ids([ghn])[ghn]["aliases"] == ["Giao Hàng Nhanh", "ghn express"]
    assert system.carriers.id_named("GIAO HANG NHANH") == system.carriers.id_named("GHN-Express") == ghn

    # Check a rebuild keeps the built-in carriers and ADMIN's.
    projection = next(p for p in system.projector.projections if p.name == "carriers")
    system.projector.reset(projection)
    system.catch_up()
    assert [r["name"] for r in system.carriers.all()] == ["VNPost", "Viettel Post", "GHN"]


def test_dispatch_takes_a_carrier_by_id_or_spelling_and_refuses_an_unknown_one(system: System, personal_data) -> None:
    first, second, third = (confirmed_order(system, personal_data) for _ in range(3))
    by_spelling = system.app.dispatch_order(first, carrier="viet nam post", tracking_number="EB600000001VN")
    by_id = system.app.dispatch_order(second, carrier=VIETTEL_POST.id, tracking_number="VTP-600000002")
    for unknown in ("Giao Hàng Nhanh", uuid4()):
        with pytest.raises(InvalidInput) as refused:
            system.app.dispatch_order(third, carrier=unknown, tracking_number="GHN-600000003")
        assert refused.value.field == ["input", "carrier"]
    assert system.app.load(Order, third).status == "CONFIRMED"
    system.catch_up()
    shipments = system.orders.shipments_by_ids([by_spelling, by_id])
    assert [(shipments[s]["carrier"], shipments[s]["carrier_id"]) for s in (by_spelling, by_id)] == [
        ("VNPost", str(VNPOST.id)), ("Viettel Post", str(VIETTEL_POST.id))]
