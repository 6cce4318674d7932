"""Personal data is stored sealed under its subject's key, the same on SQLite and PostgreSQL: the raw
tables (events and read models) and the SQLite file hold no name, phone or street in plain text,
while the API's read models and the audit trail read them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from farmgate.core.domain.household import Household
from farmgate.core.domain.personal_data import ERASED
from farmgate.core.history import stream_records, verify
from farmgate.core.personal_cipher import subject_of
from farmgate.deploy.container import System
from tests.e2e.standard_webhooks import new_secret
from tests.personal_data import PersonalData


def raw_dump(system: System) -> str:
    """Every row of every table of the database, as text."""
    with system.store.transaction(commit=False) as cur:
        if cur.dialect == "sqlite":
            tables = [r["name"] for r in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
        else:
            tables = [r["table_name"] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").fetchall()]
        rows = {table: cur.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}
    return "\n".join(f"{table}: {row!r}" for table, table_rows in rows.items() for row in table_rows) + _bytes_text(rows)


def _bytes_text(rows: dict[str, list[dict[str, Any]]]) -> str:
    """Binary columns (the events' state) decoded as UTF-8, so a plain value inside them shows."""
    found = []
    for table_rows in rows.values():
        for row in table_rows:
            found += [bytes(v).decode("utf-8", "replace") for v in row.values() if isinstance(v, (bytes, memoryview))]
    return "\n".join(found)


def sqlite_file_bytes(backend_url: str) -> bytes:
    path = Path(backend_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def e164(local: str) -> str:
    return "+84" + local[1:]


def phone_forms(local: str) -> list[str]:
    return [local, e164(local), local[1:]]


def a_household_with_an_order(system: System, pd: PersonalData) -> dict[str, Any]:
    app = system.app
    held = {"name": pd.name(), "phone": pd.phone(), "street": pd.street(), "buyer_name": pd.name(),
            "buyer_phone": pd.phone(), "buyer_street": pd.street(), "contact": pd.phone()}
    household = app.register_household(name=held["name"], national_id=pd.national_id(), phone=held["phone"],
                                       address={"scheme": 2021, "province_code": "20", "district_code": "187",
                                                "street": held["street"]})
    storefront = app.open_storefront(household_id=household, marketplace="POSTMART", name="Vườn na Chi Lăng",
                                     location={"latitude": 21.66, "longitude": 106.61}, opening_hours=[],
                                     contact_phone=held["contact"])
    listing = app.publish_listing(storefront_id=storefront, title="Na dai", description=None, category="FRUIT",
                                  unit="kg", unit_price={"amount": "45000", "currency": "VND"}, stock_quantity=50,
                                  shelf_life_hours=48)
    order = app.place_order(
        lines=[{"listing_id": listing, "quantity": 2}], payment_method="CASH_ON_DELIVERY",
        buyer={"name": held["buyer_name"], "phone": held["buyer_phone"],
               "address": {"scheme": 2021, "province_code": "01", "district_code": "005", "street": held["buyer_street"]}},
    )
    system.catch_up()
    return dict(held, household=household, storefront=storefront, order=order)


def plain_values(held: dict[str, Any]) -> list[str]:
    values = [held["name"], held["street"], held["buyer_name"], held["buyer_street"]]
    for key in ("phone", "buyer_phone", "contact"):
        values += phone_forms(held[key])
    return values


def test_no_name_phone_or_street_is_stored_in_plain_text(system: System, backend_url: str, personal_data) -> None:
    held = a_household_with_an_order(system, personal_data)
    # Check the read models and the write side read them back.
    household = system.households.by_ids([held["household"]])[held["household"]]
    assert (household["name"], household["phone"], household["street"]) == (
        held["name"], e164(held["phone"]), held["street"])
    order = system.orders.orders_by_ids([held["order"]])[held["order"]]
    assert (order["buyer_name"], order["buyer_phone"], order["buyer_address"]["street"]) == (
        held["buyer_name"], e164(held["buyer_phone"]), held["buyer_street"])
    assert order["buyer_address"]["province_code"] == "01"
    assert system.catalog.storefront_contact_phones([held["storefront"]]) == {held["storefront"]: e164(held["contact"])}
    assert system.catalog.storefront(held["storefront"])["street"] == held["street"]
    assert system.app.load(Household, held["household"]).phone == e164(held["phone"])
    records = stream_records(system.app, held["order"])
    assert records[0].data["buyer_phone"] == e164(held["buyer_phone"]) and all(r.intact for r in records)
    assert verify(system.app, [held["household"], held["order"], held["storefront"]]).verified
    # Check none of it is in any table, nor in the database file.
    dump = raw_dump(system)
    for value in plain_values(held):
        assert value not in dump
    if backend_url.startswith("sqlite"):
        stored = sqlite_file_bytes(backend_url)
        for value in plain_values(held):
            assert value.encode("utf-8") not in stored
    # ...while the sealed tokens are there (the check above would have found plain values).
    assert "pd1:household:" + str(held["household"]) in dump and "pd1:buyer:" in dump


def two_more_orders(system: System, pd: PersonalData, held: dict[str, Any]) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Two more orders on ``held``'s storefront (see ``a_household_with_an_order``): the first by the
    same buyer (same phone), the second by another buyer (a new phone), of a new listing. Returns
    (same buyer's order id, other buyer's order id, the listing id, the first buyer's details)."""
    app = system.app
    buyer = {"name": held["buyer_name"], "phone": held["buyer_phone"],
             "address": {"scheme": 2021, "province_code": "01", "street": held["buyer_street"]}}
    listing = app.publish_listing(storefront_id=held["storefront"], title="Vải", description=None, category="FRUIT",
                                  unit="kg", unit_price={"amount": "30000", "currency": "VND"}, stock_quantity=9,
                                  shelf_life_hours=48)
    same = app.place_order(lines=[{"listing_id": listing, "quantity": 1}], payment_method="CASH_ON_DELIVERY",
                           buyer=buyer)
    other = app.place_order(lines=[{"listing_id": listing, "quantity": 1}], payment_method="CASH_ON_DELIVERY",
                            buyer=dict(buyer, phone=pd.phone()))
    return same, other, listing, buyer


def test_all_orders_of_one_buyer_share_one_data_subject(system: System, personal_data) -> None:
    first = a_household_with_an_order(system, personal_data)
    second, other, _, _ = two_more_orders(system, personal_data, first)
    system.catch_up()
    subjects = {order_id: buyer_subject(system, order_id) for order_id in (first["order"], second, other)}
    assert subjects[first["order"]] == subjects[second] != subjects[other]
    assert subjects[other].startswith("buyer:")


def buyer_subject(system: System, order_id: UUID) -> str:
    event = next(iter(system.app.stored_events(order_id)))
    return subject_of(event.commitments["buyer_phone"]["token"])


def test_keys_rotate_to_a_new_key_encryption_key_and_the_old_one_is_then_not_needed(backend_url: str,
                                                                                     personal_data) -> None:
    from farmgate.deploy.container import build_system
    from farmgate.deploy.settings import Settings

    old, new = "o" * 40, "n" * 40
    first = build_system(Settings(database_url=backend_url, env="test", data_key=old))
    try:
        held = a_household_with_an_order(first, personal_data)
    finally:
        first.close()
    # A process holding only the new key cannot open the subject keys (and says why, without data).
    wrong = build_system(Settings(database_url=backend_url, env="test", data_key=new))
    try:
        with pytest.raises(Exception, match="key-encryption key"):
            wrong.households.by_ids([held["household"]])
    finally:
        wrong.close()
    rotating = build_system(Settings(database_url=backend_url, env="test", data_key=new, data_key_previous=old))
    try:
        assert rotating.households.by_ids([held["household"]])[held["household"]]["name"] == held["name"]
        assert rotating.app.personal_keys.rewrap() >= 2  # the household and the buyer
        assert rotating.app.personal_keys.rewrap() == 0
    finally:
        rotating.close()
    rotated = build_system(Settings(database_url=backend_url, env="test", data_key=new))
    try:
        row = rotated.orders.orders_by_ids([held["order"]])[held["order"]]
        assert row["buyer_phone"] == e164(held["buyer_phone"])
    finally:
        rotated.close()


def test_an_export_orders_consignee_is_sealed_in_its_events_and_snapshots(system: System, personal_data) -> None:
    from farmgate.core.domain.export_order import ExportOrder
    from tests.integration.test_export import a_partner

    consignee = personal_data.name()
    app = system.app
    order_id = app.create_export_order(
        partner_id=a_partner(system), reference="BE-PD-1", product="Fresh lychee", hs_code="081090",
        destination_country="BE", consignee=consignee, incoterm="CPT", quantity_kg=1000, unit_price="12.50",
        currency="EUR", harvest_to_door_hours=96, created_by="POSTMART")
    app.take_snapshot(order_id)
    app.repository.cache = None  # read from the store: the snapshot, not the cached aggregate
    system.catch_up()
    assert app.repository.get(order_id).consignee == consignee
    assert system.exports.by_ids([order_id])[order_id]["consignee"] == consignee
    assert consignee not in raw_dump(system)
    # Erased (as the subject the consignee is), the snapshot and the events both read erased.
    app.erase_personal_data(subject=f"export-order:{order_id}", reason="ticket DSR-X")
    assert app.repository.get(order_id).consignee == ERASED
    assert app.load(ExportOrder, order_id).consignee == ERASED
    assert system.exports.by_ids([order_id])[order_id]["consignee"] == ERASED


def test_webhook_secrets_and_the_previous_one_are_sealed_at_rest(system: System, backend_url: str) -> None:
    """A marketplace's webhook secret, and the previous one after it is replaced, are in no table and
    not in the database file in plain text (base64 body included); the endpoint still reads them to sign."""
    app = system.app
    first, second = new_secret(), new_secret()
    endpoint = app.register_marketplace_webhook_endpoint(marketplace="POSTMART", url="https://hooks.example/pm",
                                                         secret=first, topics=["order.placed"])
    app.register_marketplace_webhook_endpoint(marketplace="POSTMART", url="https://hooks.example/pm", secret=second,
                                              topics=["order.placed"])
    system.catch_up()
    held = app.webhook_endpoint_by_id(endpoint)
    assert held is not None and (held.secret, held.previous_secret) == (second, first)
    dump = raw_dump(system)
    for secret in (first, second):
        body = secret.removeprefix("whsec_")
        assert body not in dump
        if backend_url.startswith("sqlite"):
            assert body.encode() not in sqlite_file_bytes(backend_url)
