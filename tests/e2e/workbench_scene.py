"""A second spoiled custard-apple order with an open claim, made over GraphQL on the demo's data, for
the workbench's claim forms (the demo's own claim on FG-2021-000014 is already assessed, decided and
paid in full)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.e2e.server import Api

ERRORS = "userErrors { field code message }"


def ok(api: Api, document: str, variables: dict[str, Any], token: str, name: str) -> dict[str, Any]:
    body = api.post(document, variables, token)
    assert not body.get("errors"), body["errors"]
    payload = body["data"][name]
    assert payload["userErrors"] == [], payload["userErrors"]
    return dict(payload)


def spoiled_order_with_an_open_claim(api: Api, buyer_phone: str) -> dict[str, str]:
    """Place, confirm and dispatch one unit of the demo's custard apples on Postmart, declare the
    shipment spoiled and file the household's claim for its value: {"order", "number", "claim"}."""
    postmart = api.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART")
    listing = api.data("""{ listings(search: "na chi lang", marketplace: POSTMART, first: 1) { edges { node {
        id unitPrice { amount } storefront { household { id } } } } } }""")["listings"]["edges"][0]["node"]
    household = api.token("HOUSEHOLD", "demo-na", household=listing["storefront"]["household"]["id"])
    order = ok(api, f"mutation($i: PlaceOrderInput!) {{ placeOrder(input: $i) {{ order {{ id number }} {ERRORS} }} }}",
               {"i": {"lines": [{"listingId": listing["id"], "quantity": 1}], "paymentMethod": "CASH_ON_DELIVERY",
                      "buyer": {"name": "Lê Thị Workbench", "phone": buyer_phone,
                                "address": {"scheme": 2021, "provinceCode": "01", "districtCode": "005",
                                            "wardCode": "00175", "street": "Ngõ 12 Chùa Láng"}}}},
               postmart, "placeOrder")["order"]
    ok(api, f"mutation($i: ConfirmOrderInput!) {{ confirmOrder(input: $i) {{ order {{ id }} {ERRORS} }} }}",
       {"i": {"orderId": order["id"]}}, postmart, "confirmOrder")
    dispatch = f"mutation($i: DispatchOrderInput!) {{ dispatchOrder(input: $i) {{ shipment {{ id }} {ERRORS} }} }}"
    shipment = ok(api, dispatch,
                  {"i": {"orderId": order["id"], "carrier": "VNPost", "trackingNumber": "EP2026WB0001VN"}},
                  postmart, "dispatchOrder")["shipment"]
    carrier = api.token("CARRIER", "vnpost-bot", carrier="VNPost")
    ok(api, f"mutation($i: DeclareSpoilageInput!) {{ declareSpoilage(input: $i) {{ shipment {{ id }} {ERRORS} }} }}",
       {"i": {"shipmentId": shipment["id"], "occurredAt": datetime.now(UTC).isoformat(),
              "note": "Na dập nát khi đến kho"}}, carrier, "declareSpoilage")
    claim = ok(api, f"mutation($i: FileClaimInput!) {{ fileClaim(input: $i) {{ claim {{ id }} {ERRORS} }} }}",
               {"i": {"orderId": order["id"], "kind": "SPOILED", "claimant": "HOUSEHOLD",
                      "amountClaimed": {"amount": listing["unitPrice"]["amount"], "currency": "VND"},
                      "description": "Na hỏng trên đường giao"}}, household, "fileClaim")["claim"]
    return {"order": order["id"], "number": order["number"], "claim": claim["id"],
            "amount": listing["unitPrice"]["amount"]}
