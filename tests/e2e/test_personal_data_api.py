"""Erasure and access requests over HTTP, on SQLite and PostgreSQL: ADMIN exports what is held about a
buyer and a household, erases them, and the API and the case file show the fields as erased (never
an error) while the case still verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from farmgate.core.domain.personal_data import ERASED
from tests.e2e.export_steps import ORDER as EXPORT_ORDER
from tests.e2e.export_steps import create_order, register_partner
from tests.e2e.server import Api, running_api
from tests.e2e.test_catalog_api import open_storefront, publish
from tests.services import fresh_postgres_database, postgres_admin_url

ERRORS = "userErrors { field code message }"
ERASE = """mutation($i: ErasePersonalDataInput!) { erasePersonalData(input: $i) { erasedAt streams %s } }""" % ERRORS
EXPORT = "query($id: ID!) { personalDataExport(subjectId: $id) }"
ORDER = """query($id: ID!) { order(id: $id) { number status buyer { name phoneMasked address { provinceCode street } } } }"""
HOUSEHOLD = "query($id: ID!) { household(id: $id) { code name phoneMasked address { provinceCode street } } }"
CASE = """query($id: ID!) { caseFile(orderId: $id) { timeline { type data }
  integrity { verified eventCount headHash } } }"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder: Path = tmp_path_factory.mktemp("personal-data")
    if request.param == "sqlite":
        with running_api(f"sqlite:///{folder}/farmgate.db", name="personal-data-sqlite") as api:
            yield api
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, running_api(url, name="personal-data-postgres") as api:
            yield api


def a_household_and_an_order(api: Api, pd: Any) -> dict[str, Any]:
    admin = api.token("ADMIN", "dpo")
    held = {"name": pd.name(), "phone": pd.phone(), "street": pd.street(), "buyer_name": pd.name(),
            "buyer_phone": pd.phone(), "buyer_street": pd.street()}
    household = api.data("""mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { household { id }
        %s } }""" % ERRORS, {"i": {"name": held["name"], "nationalId": pd.national_id(), "phone": held["phone"],
                                  "address": {"scheme": 2021, "provinceCode": "20", "districtCode": "187",
                                              "street": held["street"]}}}, admin)["registerHousehold"]["household"]
    storefront = open_storefront(api, admin, household["id"], marketplace="POSTMART")
    listing = publish(api, admin, storefront["id"], "Na dai Chi Lăng", stockQuantity=50)
    placed = api.data("""mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } %s } }""" % ERRORS, {"i": {
        "lines": [{"listingId": listing["id"], "quantity": 1}], "paymentMethod": "CASH_ON_DELIVERY",
        "buyer": {"name": held["buyer_name"], "phone": held["buyer_phone"],
                  "address": {"scheme": 2021, "provinceCode": "01", "street": held["buyer_street"]}}}},
        api.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART"))["placeOrder"]
    assert placed["userErrors"] == []
    return dict(held, household=household["id"], order=placed["order"]["id"], admin=admin)


def exported_values(export: dict[str, Any], stream: str, event_type: str) -> dict[str, Any]:
    return next(e["data"] for s in export["streams"] if s["stream"] == stream for e in s["events"]
                if e["type"] == event_type)


def test_an_admin_exports_then_erases_a_buyer_and_a_household(api: Api, personal_data) -> None:
    held = a_household_and_an_order(api, personal_data)
    admin = held["admin"]
    # Check the export holds what the API shows of the buyer.
    order = api.data(ORDER, {"id": held["order"]}, admin)["order"]
    export = api.data(EXPORT, {"id": held["order"]}, admin)["personalDataExport"]
    placed = exported_values(export, "Order", "Placed")
    assert (placed["buyer_name"], placed["buyer_phone"], placed["buyer_address"]["street"]) == (
        order["buyer"]["name"], order["buyer"]["phoneMasked"], order["buyer"]["address"]["street"])
    assert placed["buyer_name"] == held["buyer_name"] and export["erased"] is False
    assert export["subject"].startswith("buyer:") and [s["stream"] for s in export["streams"]] == ["Order"]
    case_before = api.data(CASE, {"id": held["order"]}, admin)["caseFile"]
    assert case_before["integrity"]["verified"] is True

    # Erase the buyer by its order.
    erased = api.data(ERASE, {"i": {"subjectId": held["order"], "reason": "ticket DSR-11"}}, admin)["erasePersonalData"]
    assert erased["userErrors"] == [] and erased["streams"] == 1 and erased["erasedAt"]
    order_after = api.data(ORDER, {"id": held["order"]}, admin)["order"]
    assert order_after["buyer"] == {"name": ERASED, "phoneMasked": ERASED,
                                    "address": {"provinceCode": "01", "street": ERASED}}
    assert (order_after["number"], order_after["status"]) == (order["number"], order["status"])
    # The masked view of a role that may not see the buyer says erased too, never fails.
    staff = api.data(ORDER, {"id": held["order"]}, api.token("DISPUTE_STAFF", "lan"))["order"]
    assert staff["buyer"]["name"] == ERASED and staff["buyer"]["phoneMasked"] == ERASED
    case = api.data(CASE, {"id": held["order"]}, admin)["caseFile"]
    placed_record = next(e for e in case["timeline"] if e["type"] == "Placed")
    assert placed_record["data"]["buyer_phone"] == ERASED and placed_record["data"]["buyer_name"] == ERASED
    assert case["integrity"] == case_before["integrity"]  # still verified, the same head: nothing else changed
    export_after = api.data(EXPORT, {"id": held["order"]}, admin)["personalDataExport"]
    assert export_after["erased"] is True and export_after["erasure"]["reason"] == "ticket DSR-11"
    assert exported_values(export_after, "Order", "Placed")["buyer_phone"] == ERASED
    # The household is another subject: untouched.
    household = api.data(HOUSEHOLD, {"id": held["household"]}, admin)["household"]
    assert household["name"] == held["name"] and household["address"]["street"] == held["street"]

    # Erase the household.
    gone = api.data(ERASE, {"i": {"subjectId": held["household"], "reason": "ticket DSR-12"}}, admin)["erasePersonalData"]
    assert gone["userErrors"] == [] and gone["streams"] == 1  # its storefront has no contact number of its own
    household_after = api.data(HOUSEHOLD, {"id": held["household"]}, admin)["household"]
    assert household_after == {"code": household["code"], "name": ERASED, "phoneMasked": ERASED,
                               "address": {"provinceCode": "20", "street": ERASED}}
    registered = exported_values(api.data(EXPORT, {"id": held["household"]}, admin)["personalDataExport"],
                                 "Household", "Registered")
    assert (registered["name"], registered["phone"]) == (ERASED, ERASED)
    assert "national_id_digest" not in registered, "never shown, not even in the subject's export"
    # Check nothing personal reached the server's logs.
    log = api.serve_log.read_text(encoding="utf-8", errors="replace")
    for value in (held["name"], held["street"], held["buyer_name"], held["buyer_street"]):
        assert value not in log


def test_an_erasure_names_a_household_or_an_order_and_gives_a_reason(api: Api, personal_data) -> None:
    held = a_household_and_an_order(api, personal_data)
    admin = held["admin"]
    unknown = api.data(ERASE, {"i": {"subjectId": "bm9wZQ", "reason": "ticket"}}, admin)["erasePersonalData"]
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [("NOT_FOUND", ["input", "subjectId"])]
    blank = api.data(ERASE, {"i": {"subjectId": held["order"], "reason": " "}}, admin)["erasePersonalData"]
    assert [(e["code"], e["field"]) for e in blank["userErrors"]] == [("INVALID", ["input", "reason"])]
    assert api.data(ORDER, {"id": held["order"]}, admin)["order"]["buyer"]["name"] == held["buyer_name"]
    assert api.data(EXPORT, {"id": "bm9wZQ"}, admin)["personalDataExport"] is None


def test_an_export_orders_consignee_is_exported_and_erased_by_the_export_order_id(api: Api, personal_data) -> None:
    admin = api.token("ADMIN", "dpo")
    partner = register_partner(api, admin, "Vietfood Praha s.r.o.", "CZ")
    consignee = f"{personal_data.name()}, {personal_data.street()}, Praha"
    order = create_order(api, api.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART"), partner["id"],
                         consignee=consignee)
    export = api.data(EXPORT, {"id": order["id"]}, admin)["personalDataExport"]
    assert export["subject"].startswith("export-order:") and export["erased"] is False
    assert exported_values(export, "ExportOrder", "Opened")["consignee"] == consignee

    erased = api.data(ERASE, {"i": {"subjectId": order["id"], "reason": "ticket DSR-13"}}, admin)["erasePersonalData"]
    assert erased["userErrors"] == [] and erased["streams"] == 1 and erased["erasedAt"]
    after = api.data(EXPORT_ORDER, {"id": order["id"]}, admin)["exportOrder"]
    assert after == {**order, "consignee": ERASED}  # nothing else changed
    export_after = api.data(EXPORT, {"id": order["id"]}, admin)["personalDataExport"]
    assert export_after["erased"] is True and export_after["erasure"]["reason"] == "ticket DSR-13"
    assert exported_values(export_after, "ExportOrder", "Opened")["consignee"] == ERASED
    # Check its consignee never reached the server's logs.
    assert consignee not in api.serve_log.read_text(encoding="utf-8", errors="replace")
