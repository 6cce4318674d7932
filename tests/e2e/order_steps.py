"""Order steps over HTTP shared by the order end-to-end tests: sellers, orders, dispatch, carrier news."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tests.e2e.server import Api
from tests.e2e.test_catalog_api import a_household, open_storefront, publish
from tests.personal_data import PersonalData

ERRORS = "userErrors { field code message }"
BUYER = "buyer { name phoneMasked address { scheme provinceCode provinceName districtCode wardCode street } }"
ORDER_FIELDS = f"""id number marketplace status placedAt promisedBy paymentMethod paymentStatus
  total {{ amount currency }} amountPaid {{ amount currency }} {BUYER}
  storefront {{ id name }} household {{ id code name phoneMasked }}
  lines {{ title quantity unitPrice {{ amount currency }} lineTotal {{ amount currency }} listing {{ id title }} }}
  shipments {{ id carrier trackingNumber status }}"""
SHIPMENT_FIELDS = f"""id carrier trackingNumber status harvestedAt promisedBy deliveredAt spoiledAt
  checkpoints {{ status occurredAt recordedAt location note rawStatus }}
  failures {{ reason occurredAt recordedAt note }}
  order {{ id number status {BUYER} }}"""

PLACE = f"""mutation($input: PlaceOrderInput!, $key: String) {{ placeOrder(input: $input, idempotencyKey: $key) {{
  order {{ {ORDER_FIELDS} }} {ERRORS} }} }}"""
CONFIRM = f"""mutation($input: ConfirmOrderInput!) {{ confirmOrder(input: $input) {{
  order {{ id status }} {ERRORS} }} }}"""
CANCEL = f"""mutation($input: CancelOrderInput!) {{ cancelOrder(input: $input) {{
  order {{ id status lines {{ listing {{ stockQuantity }} }} }} {ERRORS} }} }}"""
PAY = f"""mutation($input: RecordPaymentInput!) {{ recordPayment(input: $input) {{
  order {{ id paymentStatus amountPaid {{ amount currency }} {BUYER} }} {ERRORS} }} }}"""
DISPATCH = f"""mutation($input: DispatchOrderInput!) {{ dispatchOrder(input: $input) {{
  order {{ id status shipments {{ id }} }} shipment {{ {SHIPMENT_FIELDS} }} {ERRORS} }} }}"""
CHECKPOINT = f"""mutation($input: RecordCheckpointInput!) {{ recordCheckpoint(input: $input) {{
  shipment {{ {SHIPMENT_FIELDS} }} {ERRORS} }} }}"""
FAIL = f"""mutation($input: RecordDeliveryFailureInput!) {{ recordDeliveryFailure(input: $input) {{
  shipment {{ {SHIPMENT_FIELDS} }} {ERRORS} }} }}"""
DELIVER = f"""mutation($input: ConfirmDeliveryInput!) {{ confirmDelivery(input: $input) {{
  shipment {{ {SHIPMENT_FIELDS} }} {ERRORS} }} }}"""
SPOIL = f"""mutation($input: DeclareSpoilageInput!) {{ declareSpoilage(input: $input) {{
  shipment {{ {SHIPMENT_FIELDS} }} {ERRORS} }} }}"""
ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
SHIPMENT = f"query($id: ID!) {{ shipment(id: $id) {{ {SHIPMENT_FIELDS} }} }}"

HANOI = {"scheme": 2021, "provinceCode": "01", "districtCode": "005", "wardCode": "00175", "street": "Ngõ 12 Chùa Láng"}


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def just_now() -> str:
    """This very moment, to the microsecond: after anything already recorded, never ahead of the server."""
    return iso(datetime.now(timezone.utc))


def ago(**delta: float) -> str:
    return iso(now() - timedelta(**delta))


def a_seller(api: Api, tokens: dict[str, str], pd: PersonalData, title: str, stock: int = 100,
             shelf_life_hours: int = 48, price: str = "35000", marketplace: str = "POSTMART") -> dict[str, Any]:
    """A household (its token, phone), its storefront on the marketplace and one listing."""
    household = a_household(api, tokens, pd, name="Hộ Nguyễn Văn Thiều")
    storefront = open_storefront(api, household["token"], household["id"], marketplace=marketplace)
    listing = publish(api, household["token"], storefront["id"], title, stockQuantity=stock,
                      shelfLifeHours=shelf_life_hours, unitPrice={"amount": price, "currency": "VND"})
    return {"household": household, "storefront": storefront, "listing": listing}


def buyer(pd: PersonalData, **overrides: Any) -> dict[str, Any]:
    data = {"name": "Trần Thị Mai", "phone": pd.phone(), "address": dict(HANOI)}
    data.update(overrides)
    return data


def order_input(pd: PersonalData, lines: list[tuple[str, int]], **overrides: Any) -> dict[str, Any]:
    data = {"lines": [{"listingId": listing_id, "quantity": quantity} for listing_id, quantity in lines],
            "buyer": buyer(pd), "paymentMethod": "CASH_ON_DELIVERY"}
    data.update(overrides)
    return data


def succeeded(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert not body.get("errors"), body["errors"]
    payload = body["data"][name]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def place(api: Api, token: str, pd: PersonalData, lines: list[tuple[str, int]], **overrides: Any) -> dict[str, Any]:
    return succeeded(api.post(PLACE, {"input": order_input(pd, lines, **overrides)}, token), "placeOrder")["order"]


def confirm(api: Api, token: str, order_id: str) -> dict[str, Any]:
    return succeeded(api.post(CONFIRM, {"input": {"orderId": order_id}}, token), "confirmOrder")["order"]


def dispatch(api: Api, token: str, order_id: str, tracking_number: str, carrier: str = "VNPost",
             **extra: Any) -> dict[str, Any]:
    data = {"orderId": order_id, "carrier": carrier, "trackingNumber": tracking_number, **extra}
    return succeeded(api.post(DISPATCH, {"input": data}, token), "dispatchOrder")


def on_shipment(api: Api, mutation: str, name: str, token: str, shipment_id: str, **data: Any) -> dict[str, Any]:
    """A carrier's (or marketplace's) fact about a shipment; the shipment after it."""
    return succeeded(api.post(mutation, {"input": {"shipmentId": shipment_id, **data}}, token), name)["shipment"]


def user_error(body: dict[str, Any], name: str) -> tuple[str, list[str] | None]:
    assert not body.get("errors"), body["errors"]
    payload = body["data"][name]
    [error] = payload["userErrors"]
    return error["code"], error["field"]
