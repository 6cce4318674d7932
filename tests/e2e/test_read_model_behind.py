"""With the projector stopped, every mutation still tells the client what it wrote: ids (and an
order's number) from the write side, and extensions.readModel saying the view is behind — never
a silent null. Over HTTP, on PostgreSQL (the projector process stopped) and SQLite (the embedded
projector unable to move: its tracking table refuses every update)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import export_steps
from tests.e2e.order_steps import ORDER, PAY, a_seller, buyer, confirm, just_now, place, succeeded
from tests.e2e.server import Api, running_on
from tests.e2e.standard_webhooks import new_secret
from tests.e2e.test_catalog_api import listing_input
from tests.e2e.test_households_api import registration
from tests.e2e.receiver import wait_until

ERRORS = "userErrors { field code message }"
PLACE = f"""mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{
  order {{ id number }} orderId orderNumber {ERRORS} }} }}"""
CONFIRM = f"""mutation($input: ConfirmOrderInput!) {{ confirmOrder(input: $input) {{
  order {{ id status }} orderId {ERRORS} }} }}"""
DISPATCH = f"""mutation($input: DispatchOrderInput!) {{ dispatchOrder(input: $input) {{
  order {{ id status }} shipment {{ id }} orderId shipmentId {ERRORS} }} }}"""
REGISTER = f"""mutation($input: RegisterHouseholdInput!) {{ registerHousehold(input: $input) {{
  household {{ id }} householdId {ERRORS} }} }}"""
PUBLISH = f"""mutation($input: PublishListingInput!) {{ publishListing(input: $input) {{
  listing {{ id }} listingId {ERRORS} }} }}"""
PARTNER = f"""mutation($input: RegisterExportPartnerInput!) {{ registerExportPartner(input: $input) {{
  partner {{ id }} partnerId {ERRORS} }} }}"""
REFUND = f"""mutation($input: RecordRefundInput!) {{ recordRefund(input: $input) {{
  order {{ id amountRefunded {{ amount }} }} orderId {ERRORS} }} }}"""
MARKETPLACE_ENDPOINT = f"""mutation($input: RegisterMarketplaceWebhookEndpointInput!) {{
  registerMarketplaceWebhookEndpoint(input: $input) {{ endpoint {{ id }} endpointId {ERRORS} }} }}"""
REGISTER_CARRIER = f"""mutation($input: RegisterCarrierInput!) {{ registerCarrier(input: $input) {{
  carrier {{ id }} carrierId {ERRORS} }} }}"""
CARRIERS = "{ carriers { id name } }"
BY_NUMBER = "query($number: String!) { orderByNumber(number: $number) { id number } }"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    wait = {"FARMGATE_PROJECTION_WAIT_SECONDS": "1"}
    with running_on(request.param, tmp_path_factory, "behind", extra_env=wait) as server:
        yield server


def written(api: Api, query: str, data: dict[str, Any], token: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payload and the response's readModel extension (asserted present and behind)."""
    body = api.post(query, {"input": data}, token)
    assert not body.get("errors"), body["errors"]
    payload = body["data"][name]
    assert payload["userErrors"] == [], payload["userErrors"]
    behind = (body.get("extensions") or {}).get("readModel")
    assert behind and behind["behind"] is True and behind["position"] > 0 and behind["projections"], body
    return payload, behind


def test_every_mutation_says_what_it_wrote_while_the_projector_is_stopped(api: Api, personal_data) -> None:
    tokens = api.role_tokens()
    postmart, admin = tokens["postmart"], tokens["admin"]
    seller = a_seller(api, tokens, personal_data, "Vải thiều chờ projector", stock=20)
    placed_before = place(api, postmart, personal_data, [(seller["listing"]["id"], 1)])
    confirmed_before = place(api, postmart, personal_data, [(seller["listing"]["id"], 1)])
    confirm(api, postmart, confirmed_before["id"])
    paid_before = place(api, postmart, personal_data, [(seller["listing"]["id"], 1)], paymentMethod="E_WALLET")
    money = {"amount": "35000", "currency": "VND"}
    succeeded(api.post(PAY, {"input": {"orderId": paid_before["id"], "amount": money, "reference": "MOMO-BEHIND-1",
                                       "occurredAt": just_now()}}, postmart), "recordPayment")

    api.freeze_projections()
    try:
        order, behind = written(api, PLACE, {"lines": [{"listingId": seller["listing"]["id"], "quantity": 2}],
                                             "buyer": buyer(personal_data), "paymentMethod": "CASH_ON_DELIVERY"},
                                postmart, "placeOrder")
        assert order["order"] is None and order["orderId"] and order["orderNumber"].startswith("FG-")
        assert "orders_and_shipments_v3" in behind["projections"]

        confirmed, _ = written(api, CONFIRM, {"orderId": placed_before["id"]}, postmart, "confirmOrder")
        assert confirmed["orderId"] == placed_before["id"]
        assert confirmed["order"] == {"id": placed_before["id"], "status": "PLACED"}  # the view as it stood

        dispatched, _ = written(api, DISPATCH, {"orderId": confirmed_before["id"], "carrier": "VNPost",
                                                "trackingNumber": "EB424242424VN"}, postmart, "dispatchOrder")
        assert dispatched["orderId"] == confirmed_before["id"] and dispatched["shipmentId"]
        assert dispatched["shipment"] is None

        household, _ = written(api, REGISTER, registration(personal_data), admin, "registerHousehold")
        assert household["household"] is None and household["householdId"]

        listing, _ = written(api, PUBLISH, listing_input(seller["storefront"]["id"], "Vải thiều lô sau"),
                             seller["household"]["token"], "publishListing")
        assert listing["listing"] is None and listing["listingId"]

        partner, _ = written(api, PARTNER, {"name": "Praha Fresh", "country": "CZ"}, admin, "registerExportPartner")
        assert partner["partner"] is None and partner["partnerId"]

        refunded, _ = written(api, REFUND, {"orderId": paid_before["id"], "amount": money,
                                            "reference": "MOMO-BEHIND-RF-1", "occurredAt": just_now()},
                              postmart, "recordRefund")
        assert refunded["orderId"] == paid_before["id"]
        assert refunded["order"] == {"id": paid_before["id"], "amountRefunded": {"amount": "0"}}  # as it stood

        endpoint, _ = written(api, MARKETPLACE_ENDPOINT, {"url": "http://127.0.0.1:9/farmgate", "secret": new_secret(),
                                                          "topics": ["ORDER_PLACED"]},
                              postmart, "registerMarketplaceWebhookEndpoint")
        assert endpoint["endpoint"] is None and endpoint["endpointId"]

        carrier, _ = written(api, REGISTER_CARRIER, {"name": "Giao Hàng Nhanh", "aliases": ["GHN"]}, admin,
                             "registerCarrier")
        assert carrier["carrier"] is None and carrier["carrierId"]
    finally:
        api.thaw_projections()

    # Once the projector runs again, everything the client was told about is there, as told.
    shown = wait_until(lambda: api.data(ORDER, {"id": order["orderId"]}, postmart)["order"],
                       "the order to be projected", timeout=90)
    assert shown["number"] == order["orderNumber"]
    assert api.data(BY_NUMBER, {"number": order["orderNumber"]}, postmart)["orderByNumber"] == {
        "id": order["orderId"], "number": order["orderNumber"]}
    for query, global_id, name in (
        ("query($id: ID!) { household(id: $id) { id } }", household["householdId"], "household"),
        ("query($id: ID!) { listing(id: $id) { id } }", listing["listingId"], "listing"),
        ("query($id: ID!) { shipment(id: $id) { id } }", dispatched["shipmentId"], "shipment"),
        ("query($id: ID!) { exportPartner(id: $id) { id } }", partner["partnerId"], "exportPartner"),
    ):
        assert wait_until(lambda: api.data(query, {"id": global_id}, admin)[name], name)["id"] == global_id
    assert wait_until(lambda: api.data("query($id: ID!) { order(id: $id) { amountRefunded { amount } } }",
                                       {"id": paid_before["id"]}, postmart)["order"]["amountRefunded"]["amount"]
                      == "35000", "the refund to be projected")
    assert wait_until(lambda: api.data("query($id: ID!) { node(id: $id) { id } }", {"id": endpoint["endpointId"]},
                                       postmart)["node"], "the marketplace endpoint")["id"] == endpoint["endpointId"]
    assert wait_until(lambda: [c for c in api.data(CARRIERS)["carriers"] if c["id"] == carrier["carrierId"]],
                      "the carrier to be projected") == [{"id": carrier["carrierId"], "name": "Giao Hàng Nhanh"}]
    # And a mutation now answers whole, with no readModel note.
    body = api.post(export_steps.REGISTER_PARTNER, {"input": {"name": "Berlin Fresh", "country": "DE"}}, admin)
    assert body["data"]["registerExportPartner"]["partner"] is not None and "readModel" not in (
        body.get("extensions") or {})
