"""Erasing a data subject's personal data by destroying its key, the same on SQLite and PostgreSQL:
the fields read as erased everywhere, the streams stay intact and verified, a rebuild of every read
model gives the same views, and nothing else changed."""

from __future__ import annotations

from typing import Any

import pytest

from farmgate.core.case_file import open_case_file
from farmgate.core.domain.erasure import PersonalDataErasure, erasure_id_for
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.household import Household, household_id_for
from farmgate.core.domain.order import Order
from farmgate.core.domain.personal_data import ERASED
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.domain.storefront import storefront_id_for
from farmgate.core.event_tail import EventTail
from farmgate.core.history import stream_records, verify
from farmgate.deploy.container import System
from tests.integration.test_log_wakeups import wait_until
from tests.integration.test_personal_data_at_rest import (
    a_household_with_an_order,
    e164,
    plain_values,
    raw_dump,
    two_more_orders,
)
from tests.integration.test_received_by_personal_data import a_delivered_order
from tests.personal_data import PersonalData

SEALED_HOUSEHOLD = ("name", "phone", "street")
SEALED_ORDER = ("buyer_name", "buyer_phone")


def views(system: System, held: dict[str, Any]) -> dict[str, Any]:
    """What the read models answer about the case."""
    order = system.orders.orders_by_ids([held["order"]])[held["order"]]
    return {
        "household": system.households.by_ids([held["household"]])[held["household"]],
        "order": order,
        "lines": system.orders.lines_for_orders([held["order"]]),
        "storefront": system.catalog.storefront(held["storefront"]),
        "contact": system.catalog.storefront_contact_phones([held["storefront"]]),
    }


def without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def rebuilt_views(system: System, held: dict[str, Any]) -> dict[str, Any]:
    for projection in system.projector.projections:
        system.projector.reset(projection)
    system.projector.catch_up()
    return views(system, held)


def test_erasing_a_household_erases_its_fields_everywhere_and_nothing_else(system: System, personal_data) -> None:
    held = a_household_with_an_order(system, personal_data)
    before = views(system, held)
    with recording(Provenance("ADMIN:dpo", "req-erase")):
        subject = system.app.household_subject(held["household"])
        record = system.app.erase_personal_data(subject=subject, reason="ticket DSR-1")
    system.catch_up()
    after = views(system, held)
    # Check the household's fields read as erased, in the read models and the write side.
    assert [after["household"][k] for k in SEALED_HOUSEHOLD] == [ERASED] * 3
    assert after["storefront"]["street"] == ERASED and after["contact"] == {held["storefront"]: ERASED}
    assert system.app.load(Household, held["household"]).phone == ERASED
    records = stream_records(system.app, held["household"])
    assert records[0].data["name"] == ERASED and records[0].data["address"]["street"] == ERASED
    # Check nothing else changed: the household's other fields, and the buyer's data, untouched.
    assert without(after["household"], *SEALED_HOUSEHOLD) == without(before["household"], *SEALED_HOUSEHOLD)
    assert after["order"] == before["order"] and after["order"]["buyer_phone"] == e164(held["buyer_phone"])
    assert without(after["storefront"], "street", "is_open_now") == without(before["storefront"], "street", "is_open_now")
    # Check the streams are intact and still verify (the chain covers what is stored).
    assert verify(system.app, [held["household"], held["storefront"], held["order"]]).verified
    assert all(r.intact for r in records)
    # Check who erased what and when is itself an event, without the personal data.
    assert (record.subject, record.reason, record.streams) == (subject, "ticket DSR-1", 2)
    erased = stream_records(system.app, erasure_id_for(subject))
    assert [r.type for r in erased] == ["Erased"] and erased[0].actor == "ADMIN:dpo"
    for value in plain_values(held)[:2]:
        assert value not in repr(erased)
    # Check a rebuild of every read model gives the same views.
    assert rebuilt_views(system, held) == after
    # Check erasing again records nothing new and answers the first record.
    again = system.app.erase_personal_data(subject=subject, reason="ticket DSR-2")
    assert again.reason == "ticket DSR-1" and len(stream_records(system.app, erasure_id_for(subject))) == 1


def test_erasing_a_buyer_by_one_order_erases_every_order_of_that_buyer(system: System, personal_data) -> None:
    held = a_household_with_an_order(system, personal_data)
    app = system.app
    second, other, listing, buyer = two_more_orders(system, personal_data, held)
    system.catch_up()
    before = system.orders.orders_by_ids([held["order"], second, other])
    with recording(Provenance("ADMIN:dpo", "req-erase")):
        subject = app.buyer_subject_of_order(second)
        record = app.erase_personal_data(subject=subject, reason="ticket DSR-7")
    system.catch_up()
    after = system.orders.orders_by_ids([held["order"], second, other])
    assert record.streams == 2
    for order_id in (held["order"], second):
        assert [after[order_id][k] for k in SEALED_ORDER] == [ERASED, ERASED]
        assert after[order_id]["buyer_address"]["street"] == ERASED
        assert after[order_id]["buyer_address"]["province_code"] == "01"  # not personal: kept
        assert without(after[order_id], *SEALED_ORDER, "buyer_address") == without(
            before[order_id], *SEALED_ORDER, "buyer_address")
        assert app.load(Order, order_id).buyer_name == ERASED
    # Check another buyer's order and the household are untouched.
    assert after[other] == before[other]
    assert system.households.by_ids([held["household"]])[held["household"]]["name"] == held["name"]
    # Check the case file shows the buyer erased and still verifies.
    case = open_case_file(app, held["order"], [])
    assert case.integrity.verified
    placed = case.timeline[0]
    assert placed.type == "Placed" and placed.data["buyer_phone"] == ERASED
    assert verify(app, [held["order"], second, other]).verified
    # Check a new order from the same phone is a new data subject, readable.
    third = app.place_order(lines=[{"listing_id": listing, "quantity": 1}], payment_method="CASH_ON_DELIVERY",
                            buyer=buyer)
    system.catch_up()
    assert app.buyer_subject_of_order(third) != subject
    assert system.orders.orders_by_ids([third])[third]["buyer_phone"] == e164(held["buyer_phone"])
    assert app.load(PersonalDataErasure, erasure_id_for(subject)).streams == 2
    # Check the raw tables still hold no plain value.
    dump = raw_dump(system)
    for value in plain_values(held):
        assert value not in dump


def test_an_erasure_needs_a_reason_and_changes_nothing_without_one(system: System, personal_data) -> None:
    held = a_household_with_an_order(system, personal_data)
    subject = system.app.household_subject(held["household"])
    with pytest.raises(InvalidInput) as refused:
        system.app.erase_personal_data(subject=subject, reason="  ")
    assert refused.value.field == ["input", "reason"]
    system.catch_up()
    assert system.households.by_ids([held["household"]])[held["household"]]["name"] == held["name"]
    assert system.app.personal_keys.record(subject).erased_at is None


def a_household_recorded_before_sealing(system: System, pd: PersonalData) -> dict[str, Any]:
    """A household as releases before issue 13 recorded it: no commitments, so its name, phone and
    street are stored in plain text (the mapper seals only committed fields)."""
    held = {"name": pd.name(), "phone": e164(pd.phone()), "street": pd.street()}
    digest = system.app.national_id_digest(pd.national_id())
    with recording(Provenance(actor="PROVINCE_OFFICER:lan", correlation_id="old-release")):
        household = Household._start(
            Household.Registered, household_id_for(digest), code="HH-20-999998", name=held["name"],
            national_id_digest=digest, phone=held["phone"],
            address={"scheme": 2021, "province_code": "20", "street": held["street"]}, location=None, channel=None)
        for event in household.pending_events:
            object.__setattr__(event, "commitments", {})
        system.app.save(household)
    system.catch_up()
    return dict(held, household=household.id)


def test_a_household_recorded_in_plain_text_before_sealing_is_not_claimed_erased(system: System,
                                                                                  personal_data) -> None:
    held = a_household_recorded_before_sealing(system, personal_data)
    assert held["name"] in raw_dump(system)  # what an older release left: plain text, no key to destroy
    subject = system.app.household_subject(held["household"])
    with recording(Provenance("ADMIN:dpo", "req-erase-old")), pytest.raises(InvalidInput) as refused:
        system.app.erase_personal_data(subject=subject, reason="ticket DSR-OLD")
    # Check it says why, names the subject id field, repeats no value, and changed nothing.
    assert refused.value.field == ["input", "subjectId"] and "before" in str(refused.value)
    assert not [v for v in held.values() if isinstance(v, str) and v in str(refused.value)]
    assert system.app.personal_keys.record(subject) is None and system.app.erasure_of(subject) is None
    system.catch_up()
    assert system.households.by_ids([held["household"]])[held["household"]]["name"] == held["name"]
    # The access request still gives what is held.
    export = system.app.personal_data_export(subject)
    assert export["erased"] is False
    registered = next(s for s in export["streams"] if s["stream"] == "Household")["events"][0]["data"]
    assert (registered["name"], registered["phone"]) == (held["name"], held["phone"])


def test_a_live_feed_resumed_after_an_erasure_shows_the_fields_erased(system: System, personal_data) -> None:
    """A process's followers share decoded events (on PostgreSQL, ``RecentLog``): what it holds must
    not keep a buyer's data past the buyer's erasure (a subscription resumed near the head read who
    signed for the parcel in plain text, seconds after the erasure)."""
    tail = EventTail(system.app, recent=system.recent_log)
    start = tail.head()
    tail.after(start)  # the shared log, if any, now follows from here
    held = a_delivered_order(system, personal_data)

    def signers() -> list[Any]:
        return [getattr(e.event, "received_by", None) for e in tail.after(start).events
                if type(e.event).__qualname__ == "Shipment.Delivered"]

    wait_until(lambda: signers() == [held["signer"]], 10.0, "the delivery in the live feed")
    with recording(Provenance("ADMIN:dpo", "req-erase-live")):
        system.app.erase_personal_data(subject=system.app.subject_of_global("Order", held["order"]),
                                       reason="ticket DSR-LIVE")
    assert signers() == [ERASED]
    placed = [e.event for e in tail.after(start).events if type(e.event).__qualname__ == "Order.Placed"]
    assert [(e.buyer_name, e.buyer_phone) for e in placed] == [(ERASED, ERASED)]


def test_a_contact_number_for_an_erased_household_is_refused_not_silently_dropped(system: System,
                                                                                   personal_data) -> None:
    held = a_household_with_an_order(system, personal_data)
    app = system.app
    with recording(Provenance("ADMIN:dpo", "req-erase-shop")):
        app.erase_personal_data(subject=app.household_subject(held["household"]), reason="ticket DSR-SHOP")
    phone = personal_data.phone()
    where = {"latitude": 21.66, "longitude": 106.61}
    with pytest.raises(InvalidInput) as refused:
        app.open_storefront(household_id=held["household"], marketplace="VOSO", name="Vườn na Voso", location=where,
                            opening_hours=[], contact_phone=phone)
    # Check it says why on the contact number, repeats nothing of it, and opened nothing.
    assert refused.value.field == ["input", "contactPhone"] and "erased" in str(refused.value)
    assert not [form for form in (phone, e164(phone)) if form in str(refused.value)]
    assert not app.exists(storefront_id_for(held["household"], "VOSO"))
    # Without a number of its own, the storefront opens.
    opened = app.open_storefront(household_id=held["household"], marketplace="VOSO", name="Vườn na Voso",
                                 location=where, opening_hours=[])
    system.catch_up()
    assert system.catalog.storefront(opened)["name"] == "Vườn na Voso"


def test_the_personal_data_export_leaves_out_the_national_id_digest(system: System, personal_data) -> None:
    """PERSONAL_FIELDS says the national ID's keyed digest is never shown, not even to ADMIN: the
    export holds the household's registration without it (its other fields still there)."""
    import json

    held = a_household_with_an_order(system, personal_data)
    digest = system.app.load(Household, held["household"]).national_id_digest
    assert digest
    export = system.app.personal_data_export(system.app.household_subject(held["household"]))
    registered = next(e["data"] for s in export["streams"] if s["stream"] == "Household" for e in s["events"]
                      if e["type"] == "Registered")
    assert "national_id_digest" not in registered
    assert registered["name"] == held["name"] and registered["address"]["street"] == held["street"]
    assert digest not in json.dumps(export, default=str)
