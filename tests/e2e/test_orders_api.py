"""Orders, payments and deliveries over HTTP, as marketplaces, households, carriers and dispute staff
use them: the lychee season's flow from order to door, the custard apples that spoiled in Hà Nội's
lockdown, every role's allowed and refused paths, bad input with the field at fault, the buyer's
personal data masked per role, idempotent and concurrent ordering of the last kilos."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from farmgate.core.domain.order import MAX_LINE_QUANTITY
from tests.e2e.order_steps import (
    CANCEL, CHECKPOINT, CONFIRM, DELIVER, DISPATCH, FAIL, HANOI, ORDER, PAY, PLACE, SHIPMENT, SPOIL, a_seller, ago,
    buyer, confirm, dispatch, iso, just_now, now, on_shipment, order_input, place, succeeded, user_error,
)
from tests.e2e.server import Api
from tests.e2e.test_households_api import error_code
from tests.e2e.receiver import wait_until

LISTING_STOCK = "query($id: ID!) { listing(id: $id) { stockQuantity status } }"
ORDER_STATUS = "query($id: ID!) { order(id: $id) { status } }"
ORDER_BY_NUMBER = "query($number: String!) { orderByNumber(number: $number) { id number } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Order { number } ... on Shipment { trackingNumber } } }"
ORDERS = """query($first: Int, $after: String, $status: OrderStatus, $storefront: ID, $household: ID) {
  orders(first: $first, after: $after, status: $status, storefrontId: $storefront, householdId: $household) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number status } } } }"""


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def masked(phone: str) -> str:
    """How a local number (0…) shows masked: its E.164 form (+84…) with only the last 3 digits."""
    return "*" * 9 + phone[-3:]


def order_status_becomes(api: Api, token: str, order_id: str, status: str) -> None:
    """The order follows its shipment in a process step, a moment after the carrier's news."""
    wait_until(lambda: api.data(ORDER_STATUS, {"id": order_id}, token)["order"]["status"] == status,
               f"the order is {status}", timeout=30)


# -- the season's flows -----------------------------------------------------------------------------


def test_lychee_from_order_to_door_paid_cash_on_delivery(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều Lục Ngạn", stock=100)
    household = seller["household"]
    listing_id = seller["listing"]["id"]
    the_buyer = buyer(personal_data)
    order = place(api, tokens["postmart"], personal_data, [(listing_id, 3)], buyer=the_buyer)

    # Check what the marketplace is told at once: number, money, the promise, its buyer whole.
    placed_at = datetime.fromisoformat(order["placedAt"])
    assert re.fullmatch(r"FG-\d{4}-\d{6}", order["number"])
    assert (order["status"], order["marketplace"], order["paymentStatus"]) == ("PLACED", "POSTMART", "PENDING")
    assert order["total"] == {"amount": "105000", "currency": "VND"}
    assert datetime.fromisoformat(order["promisedBy"]) - placed_at == timedelta(hours=48)
    assert order["lines"] == [{"title": "Vải thiều Lục Ngạn", "quantity": 3,
                               "unitPrice": {"amount": "35000", "currency": "VND"},
                               "lineTotal": {"amount": "105000", "currency": "VND"},
                               "listing": {"id": listing_id, "title": "Vải thiều Lục Ngạn"}}]
    assert order["buyer"]["name"] == "Trần Thị Mai" and order["buyer"]["phoneMasked"] == "+84" + the_buyer["phone"][1:]
    assert order["buyer"]["address"]["street"] == HANOI["street"]
    assert (order["storefront"]["id"], order["household"]["id"]) == (seller["storefront"]["id"], household["id"])
    assert order["shipments"] == []
    assert api.data(LISTING_STOCK, {"id": listing_id})["listing"]["stockQuantity"] == 97
    found = api.data(ORDER_BY_NUMBER, {"number": order["number"].lower()}, tokens["postmart"])["orderByNumber"]
    assert found == {"id": order["id"], "number": order["number"]}

    # The household confirms and hands it to VNPost.
    assert confirm(api, household["token"], order["id"])["status"] == "CONFIRMED"
    harvested = ago(hours=3)
    dispatched = dispatch(api, household["token"], order["id"], "EB123456789VN", harvestedAt=harvested)
    shipment = dispatched["shipment"]
    assert dispatched["order"] == {"id": order["id"], "status": "DISPATCHED", "shipments": [{"id": shipment["id"]}]}
    assert (shipment["status"], shipment["carrier"], shipment["trackingNumber"]) == (
        "INFO_RECEIVED", "VNPost", "EB123456789VN")
    assert datetime.fromisoformat(shipment["harvestedAt"]) == datetime.fromisoformat(harvested)
    assert shipment["promisedBy"] == order["promisedBy"]

    # The carrier's scans; one arrives late and stands where it happened.
    carrier = tokens["carrier"]
    on_shipment(api, CHECKPOINT, "recordCheckpoint", carrier, shipment["id"], status="OUT_FOR_DELIVERY",
                occurredAt=ago(minutes=1), location="Bưu cục Đống Đa")
    # (No earlier than the dispatch, give or take the 5-minute clock skew: the world-time policy.)
    late = on_shipment(api, CHECKPOINT, "recordCheckpoint", carrier, shipment["id"], status="IN_TRANSIT",
                       occurredAt=ago(minutes=4), location="Kho Bắc Ninh", rawStatus="Đang vận chuyển")
    assert late["status"] == "OUT_FOR_DELIVERY"
    occurred = [datetime.fromisoformat(c["occurredAt"]) for c in late["checkpoints"]]
    assert occurred == sorted(occurred)
    assert sorted(c["status"] for c in late["checkpoints"]) == ["INFO_RECEIVED", "IN_TRANSIT", "OUT_FOR_DELIVERY"]
    [scan] = [c for c in late["checkpoints"] if c["status"] == "IN_TRANSIT"]
    assert (scan["location"], scan["rawStatus"]) == ("Kho Bắc Ninh", "Đang vận chuyển")
    assert datetime.fromisoformat(scan["recordedAt"]) - datetime.fromisoformat(scan["occurredAt"]) >= timedelta(minutes=4)

    delivered_at = ago(minutes=1)
    delivered = on_shipment(api, DELIVER, "confirmDelivery", carrier, shipment["id"], occurredAt=delivered_at,
                            receivedBy="Chị Mai")
    assert delivered["status"] == "DELIVERED"
    assert datetime.fromisoformat(delivered["deliveredAt"]) == datetime.fromisoformat(delivered_at)
    # Check the carrier sees the order only through its shipment, and the buyer masked.
    assert delivered["order"]["buyer"]["name"] == "T***"
    assert delivered["order"]["buyer"]["phoneMasked"] == masked(the_buyer["phone"])
    assert the_buyer["phone"][1:] not in json.dumps(delivered)

    # The cash it collected, recorded by the carrier.
    paid = succeeded(api.post(PAY, {"input": {"orderId": order["id"], "amount": {"amount": "105000", "currency": "VND"},
                                               "reference": "COD-EB123456789VN", "occurredAt": just_now()}},
                              carrier), "recordPayment")["order"]
    assert (paid["paymentStatus"], paid["amountPaid"]) == ("PAID", {"amount": "105000", "currency": "VND"})
    assert paid["buyer"]["name"] == "T***"
    order_status_becomes(api, tokens["postmart"], order["id"], "DELIVERED")


def test_custard_apples_stuck_in_the_lockdown_spoil_and_a_delivery_afterwards_is_kept_as_a_contradiction(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data, "Na dai Chi Lăng", stock=50, price="45000")
    household = seller["household"]
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 4)])
    confirm(api, tokens["postmart"], order["id"])
    shipment = dispatch(api, tokens["postmart"], order["id"], "EB000000801VN")["shipment"]
    failed = on_shipment(api, FAIL, "recordDeliveryFailure", tokens["carrier"], shipment["id"],
                         reason="AREA_RESTRICTED", occurredAt=ago(minutes=4), note="Phong tỏa theo Chỉ thị 16")
    assert failed["status"] == "ATTEMPT_FAILED"
    assert [(f["reason"], f["note"]) for f in failed["failures"]] == [("AREA_RESTRICTED", "Phong tỏa theo Chỉ thị 16")]
    order_status_becomes(api, household["token"], order["id"], "DELIVERY_FAILED")

    spoiled_at = ago(minutes=1)
    spoiled = on_shipment(api, SPOIL, "declareSpoilage", tokens["staff"], shipment["id"], occurredAt=spoiled_at,
                          note="Na chín nẫu sau 3 ngày chờ")
    assert spoiled["status"] == "SPOILED"
    assert datetime.fromisoformat(spoiled["spoiledAt"]) == datetime.fromisoformat(spoiled_at)
    assert [c["note"] for c in spoiled["checkpoints"] if c["status"] == "SPOILED"] == ["Na chín nẫu sau 3 ngày chờ"]
    order_status_becomes(api, tokens["staff"], order["id"], "SPOILED")

    # The issue changes this: a delivery or a second spoilage reported after a person declared it spoiled is
    # a fact, kept as a contradiction the case file flags; spoiled produce still reads spoiled.
    after = on_shipment(api, DELIVER, "confirmDelivery", tokens["carrier"], shipment["id"], occurredAt=ago(seconds=5))
    assert after["status"] == "SPOILED" and after["deliveredAt"] is None
    on_shipment(api, SPOIL, "declareSpoilage", tokens["postmart"], shipment["id"], occurredAt=ago(seconds=5), note="x")
    assert api.data(SHIPMENT, {"id": shipment["id"]}, tokens["carrier"])["shipment"]["status"] == "SPOILED"
    flags = api.data("query($id: ID!) { caseFile(orderId: $id) { flags { kind summary event { type actor } } } }",
                     {"id": order["id"]}, tokens["staff"])["caseFile"]["flags"]
    assert [(f["kind"], f["event"]["actor"]) for f in flags] == [
        ("CONTRADICTION", "CARRIER:vnpost-bot"), ("CONTRADICTION", "MARKETPLACE:postmart-ops")]
    assert flags[0]["summary"].startswith("DELIVERED reported by CARRIER:vnpost-bot contradicts the SpoilageDeclared")


# -- who may do what --------------------------------------------------------------------------------


def test_who_may_place_confirm_dispatch_and_cancel(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều sớm", stock=20)
    other = a_seller(api, tokens, personal_data, "Vải thiều muộn", stock=20)
    listing_id = seller["listing"]["id"]
    request = {"input": order_input(personal_data, [(listing_id, 1)])}

    # placeOrder: a marketplace on its own marketplace's listings (another's read as not found); ADMIN.
    assert error_code(api.post(PLACE, request)) == "UNAUTHENTICATED"
    for refused in ("staff", "carrier", "officer", "partner"):
        assert error_code(api.post(PLACE, request, tokens[refused])) == "FORBIDDEN", refused
    assert error_code(api.post(PLACE, request, seller["household"]["token"])) == "FORBIDDEN"
    body = api.post(PLACE, request, tokens["voso"])
    assert user_error(body, "placeOrder") == ("NOT_FOUND", ["input", "lines", "0", "listingId"])
    by_admin = succeeded(api.post(PLACE, request, tokens["admin"]), "placeOrder")["order"]
    order = place(api, tokens["postmart"], personal_data, [(listing_id, 2)])

    # confirm, dispatch, cancel: the order's marketplace or its household; others are told not found.
    confirm_request = {"input": {"orderId": order["id"]}}
    assert user_error(api.post(CONFIRM, confirm_request, tokens["voso"]), "confirmOrder")[0] == "NOT_FOUND"
    assert user_error(api.post(CONFIRM, confirm_request, other["household"]["token"]), "confirmOrder") == (
        "NOT_FOUND", ["input", "orderId"])
    for refused in ("staff", "carrier", "officer", "partner"):
        assert error_code(api.post(CONFIRM, confirm_request, tokens[refused])) == "FORBIDDEN", refused
    assert confirm(api, seller["household"]["token"], order["id"])["status"] == "CONFIRMED"
    assert user_error(api.post(CONFIRM, confirm_request, tokens["postmart"]), "confirmOrder") == (
        "INVALID_TRANSITION", ["input", "orderId"])

    dispatch_request = {"input": {"orderId": order["id"], "carrier": "VNPost", "trackingNumber": "EB777000001VN"}}
    assert user_error(api.post(DISPATCH, dispatch_request, tokens["voso"]), "dispatchOrder")[0] == "NOT_FOUND"
    assert error_code(api.post(DISPATCH, dispatch_request, tokens["carrier"])) == "FORBIDDEN"

    # Cancelling before dispatch puts the stock back (the household cancels the admin's order).
    cancelled = succeeded(api.post(CANCEL, {"input": {"orderId": by_admin["id"], "reason": "Người mua đổi ý"}},
                                   seller["household"]["token"]), "cancelOrder")["order"]
    assert cancelled["status"] == "CANCELLED" and cancelled["lines"][0]["listing"]["stockQuantity"] == 18
    assert user_error(api.post(CANCEL, {"input": {"orderId": order["id"], "reason": "x"}}, tokens["voso"]),
                      "cancelOrder")[0] == "NOT_FOUND"
    dispatch(api, tokens["postmart"], order["id"], "EB777000001VN")
    body = api.post(CANCEL, {"input": {"orderId": order["id"], "reason": "Hết hàng"}}, tokens["postmart"])
    assert user_error(body, "cancelOrder") == ("INVALID_TRANSITION", ["input", "orderId"])
    assert user_error(api.post(DISPATCH, dispatch_request, tokens["postmart"]), "dispatchOrder")[0] == (
        "INVALID_TRANSITION")


def test_who_may_record_payments_and_carrier_news(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều Thanh Hà", stock=20, price="40000")
    cod = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)])
    wallet = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)], paymentMethod="E_WALLET")
    shipments = {}
    for order, tracking in ((cod, "EB888000001VN"), (wallet, "EB888000002VN")):
        confirm(api, tokens["postmart"], order["id"])
        shipments[order["id"]] = dispatch(api, tokens["postmart"], order["id"], tracking)["shipment"]["id"]

    def pay(order_id: str, reference: str, amount: str = "10000") -> dict[str, Any]:
        return {"input": {"orderId": order_id, "amount": {"amount": amount, "currency": "VND"},
                          "reference": reference, "occurredAt": just_now()}}

    # recordPayment: the marketplace; the carrier for cash on delivery on its own shipments only.
    assert succeeded(api.post(PAY, pay(cod["id"], "COD-1"), tokens["carrier"]), "recordPayment")["order"] is not None
    assert error_code(api.post(PAY, pay(wallet["id"], "MOMO-1"), tokens["carrier"])) == "FORBIDDEN"
    assert user_error(api.post(PAY, pay(cod["id"], "COD-2"), tokens["other_carrier"]), "recordPayment") == (
        "NOT_FOUND", ["input", "orderId"])
    assert user_error(api.post(PAY, pay(cod["id"], "COD-3"), tokens["voso"]), "recordPayment")[0] == "NOT_FOUND"
    for refused in ("staff", "officer", "partner"):
        assert error_code(api.post(PAY, pay(cod["id"], "X"), tokens[refused])) == "FORBIDDEN", refused
    assert error_code(api.post(PAY, pay(cod["id"], "X"), seller["household"]["token"])) == "FORBIDDEN"
    paid = succeeded(api.post(PAY, pay(wallet["id"], "MOMO-1"), tokens["postmart"]), "recordPayment")["order"]
    assert paid["amountPaid"]["amount"] == "10000" and paid["paymentStatus"] == "PENDING"

    # Carrier news: the marketplace and the shipment's carrier; declareSpoilage also dispute staff.
    shipment_id = shipments[cod["id"]]
    scan = {"input": {"shipmentId": shipment_id, "status": "IN_TRANSIT", "occurredAt": ago(minutes=1)}}
    assert succeeded(api.post(CHECKPOINT, scan, tokens["carrier"]), "recordCheckpoint")["shipment"]["status"] == (
        "IN_TRANSIT")
    assert succeeded(api.post(CHECKPOINT, scan, tokens["postmart"]), "recordCheckpoint")["shipment"] is not None
    for outsider in ("other_carrier", "voso"):
        assert user_error(api.post(CHECKPOINT, scan, tokens[outsider]), "recordCheckpoint") == (
            "NOT_FOUND", ["input", "shipmentId"]), outsider
    for refused in ("staff", "officer", "partner"):
        assert error_code(api.post(CHECKPOINT, scan, tokens[refused])) == "FORBIDDEN", refused
    assert error_code(api.post(CHECKPOINT, scan, seller["household"]["token"])) == "FORBIDDEN"
    failure = {"input": {"shipmentId": shipment_id, "reason": "WEATHER", "occurredAt": ago(seconds=30)}}
    assert user_error(api.post(FAIL, failure, tokens["other_carrier"]), "recordDeliveryFailure")[0] == "NOT_FOUND"
    delivery = {"input": {"shipmentId": shipment_id, "occurredAt": ago(seconds=20)}}
    assert user_error(api.post(DELIVER, delivery, tokens["voso"]), "confirmDelivery")[0] == "NOT_FOUND"
    assert error_code(api.post(DELIVER, delivery, tokens["staff"])) == "FORBIDDEN"
    spoilage = {"input": {"shipmentId": shipments[wallet["id"]], "occurredAt": ago(seconds=20), "note": "Dập nát"}}
    assert user_error(api.post(SPOIL, spoilage, tokens["other_carrier"]), "declareSpoilage")[0] == "NOT_FOUND"
    assert error_code(api.post(SPOIL, spoilage, seller["household"]["token"])) == "FORBIDDEN"
    assert succeeded(api.post(SPOIL, spoilage, tokens["staff"]), "declareSpoilage")["shipment"]["status"] == "SPOILED"


def test_who_reads_which_order_and_shipment_through_every_path(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều u hồng", stock=20)
    other = a_seller(api, tokens, personal_data, "Vải thiều lai", stock=20, marketplace="VOSO")
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)])
    voso_order = place(api, tokens["voso"], personal_data, [(other["listing"]["id"], 1)])
    confirm(api, tokens["postmart"], order["id"])
    shipment_id = dispatch(api, tokens["postmart"], order["id"], "EB999000001VN")["shipment"]["id"]
    own_household, other_household = seller["household"]["token"], other["household"]["token"]

    readers = {"admin": tokens["admin"], "postmart": tokens["postmart"], "household": own_household,
               "staff": tokens["staff"]}
    outsiders = {"voso": tokens["voso"], "other household": other_household, "carrier": tokens["carrier"],
                 "officer": tokens["officer"], "partner": tokens["partner"], "other carrier": tokens["other_carrier"]}
    for who, token in readers.items():
        assert api.data(ORDER, {"id": order["id"]}, token)["order"]["number"] == order["number"], who
        assert api.data(ORDER_BY_NUMBER, {"number": order["number"]}, token)["orderByNumber"] is not None, who
        assert api.data(NODE, {"id": order["id"]}, token)["node"] == {"id": order["id"], "number": order["number"]}
        assert api.data(SHIPMENT, {"id": shipment_id}, token)["shipment"]["trackingNumber"] == "EB999000001VN", who
    for who, token in outsiders.items():
        # The carrier reads its shipment (below), but an order only through it.
        assert api.data(ORDER, {"id": order["id"]}, token)["order"] is None, who
        assert api.data(ORDER_BY_NUMBER, {"number": order["number"]}, token)["orderByNumber"] is None, who
        assert api.data(NODE, {"id": order["id"]}, token)["node"] is None, who
    for who in ("voso", "other household", "officer", "partner", "other carrier"):
        assert api.data(SHIPMENT, {"id": shipment_id}, outsiders[who])["shipment"] is None, who
        assert api.data(NODE, {"id": shipment_id}, outsiders[who])["node"] is None, who
    carried = api.data(SHIPMENT, {"id": shipment_id}, tokens["carrier"])["shipment"]
    assert carried["order"]["number"] == order["number"] and carried["order"]["buyer"]["name"] == "T***"
    assert api.data(NODE, {"id": shipment_id}, tokens["carrier"])["node"]["trackingNumber"] == "EB999000001VN"
    assert error_code(api.post(ORDER, {"id": order["id"]})) == "UNAUTHENTICATED"
    assert error_code(api.post(SHIPMENT, {"id": shipment_id})) == "UNAUTHENTICATED"

    # The list: each marketplace its own, a household its own, dispute staff all; no carrier list.
    def numbers(token: str, **variables: Any) -> set[str]:
        return {e["node"]["number"] for e in api.data(ORDERS, {"first": 100, **variables}, token)["orders"]["edges"]}

    storefront = seller["storefront"]["id"]
    assert numbers(tokens["postmart"], storefront=storefront) == {order["number"]}
    assert numbers(tokens["voso"], storefront=storefront) == set()
    assert order["number"] not in numbers(tokens["voso"]) and voso_order["number"] in numbers(tokens["voso"])
    assert numbers(own_household) == {order["number"]}
    assert numbers(own_household, household=other["household"]["id"]) == set()
    assert numbers(tokens["staff"], storefront=storefront, status="DISPATCHED") == {order["number"]}
    assert numbers(tokens["staff"], storefront=storefront, status="PLACED") == set()
    for refused in ("carrier", "officer", "partner"):
        assert error_code(api.post(ORDERS, {}, tokens[refused])) == "FORBIDDEN", refused
    assert error_code(api.post(ORDERS, {"first": 101}, tokens["staff"])) == "LIMIT_EXCEEDED"
    assert error_code(api.post(ORDERS, {"storefront": order["id"]}, tokens["staff"])) == "BAD_USER_INPUT"


def test_orders_page_by_cursor(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều chín sớm", stock=20)
    placed = [place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)])["number"]
              for _ in range(3)]
    variables = {"first": 2, "storefront": seller["storefront"]["id"]}
    first = api.data(ORDERS, variables, tokens["postmart"])["orders"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = api.data(ORDERS, {**variables, "after": first["pageInfo"]["endCursor"]}, tokens["postmart"])["orders"]
    assert not rest["pageInfo"]["hasNextPage"]
    assert [e["node"]["number"] for e in first["edges"] + rest["edges"]] == placed


# -- the buyer's personal data -----------------------------------------------------------------------


def test_the_buyer_is_whole_for_admin_and_the_marketplace_and_masked_for_everyone_else(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều hữu cơ", stock=20)
    the_buyer = buyer(personal_data, name="Lê Thu Hà")
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)], buyer=the_buyer)
    confirm(api, tokens["postmart"], order["id"])
    shipment_id = dispatch(api, tokens["postmart"], order["id"], "EB555000001VN")["shipment"]["id"]
    e164 = "+84" + the_buyer["phone"][1:]
    whole = {"name": "Lê Thu Hà", "phoneMasked": e164,
             "address": {"scheme": 2021, "provinceCode": "01", "provinceName": "Hà Nội", "districtCode": "005",
                         "wardCode": "00175", "street": "Ngõ 12 Chùa Láng"}}
    hidden = {"name": "L***", "phoneMasked": masked(the_buyer["phone"]),
              "address": {"scheme": 2021, "provinceCode": "01", "provinceName": "Hà Nội", "districtCode": None,
                          "wardCode": None, "street": None}}
    for who in ("admin", "postmart"):
        assert api.data(ORDER, {"id": order["id"]}, tokens[who])["order"]["buyer"] == whole, who
    for who, token in (("household", seller["household"]["token"]), ("staff", tokens["staff"])):
        body = api.post(ORDER, {"id": order["id"]}, token)
        assert body["data"]["order"]["buyer"] == hidden, who
        shown = json.dumps(body, ensure_ascii=False)
        assert the_buyer["phone"][1:] not in shown and "Chùa Láng" not in shown and "Thu Hà" not in shown, who
    body = api.post(SHIPMENT, {"id": shipment_id}, tokens["carrier"])
    assert body["data"]["shipment"]["order"]["buyer"] == hidden
    assert the_buyer["phone"][1:] not in json.dumps(body)
    # Check the seller shows the carrier its public face only.
    seller_view = api.data("query($id: ID!) { shipment(id: $id) { order { household { code phoneMasked } } } }",
                           {"id": shipment_id}, tokens["carrier"])["shipment"]["order"]["household"]
    assert seller_view == {"code": seller["household"]["code"], "phoneMasked": masked(seller["household"]["phone"])}


def test_a_buyer_reached_on_a_landline_is_stored_in_e164_and_masked_like_a_mobile(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data, "Na Chi Lăng", stock=5)
    landline = personal_data.landline()  # e.g. 024 3942 1234, as an office in Hà Nội writes it
    e164 = "+84" + landline[1:].replace(" ", "")
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)],
                  buyer=buyer(personal_data, phone=landline))
    assert api.data(ORDER, {"id": order["id"]}, tokens["postmart"])["order"]["buyer"]["phoneMasked"] == e164
    hidden = api.data(ORDER, {"id": order["id"]}, tokens["staff"])["order"]["buyer"]["phoneMasked"]
    assert hidden == "*" * (len(e164) - 3) + e164[-3:]
    # A landline one digit short is no number at all.
    body = api.post(PLACE, {"input": order_input(personal_data, [(seller["listing"]["id"], 1)],
                                                 buyer=buyer(personal_data, phone=landline[:-1]))}, tokens["postmart"])
    assert user_error(body, "placeOrder") == ("INVALID", ["input", "buyer", "phone"])


# -- bad input ---------------------------------------------------------------------------------------


def test_bad_input_is_refused_with_the_field_at_fault_and_records_nothing(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều loại 1", stock=5, price="50000")
    listing_id, postmart = seller["listing"]["id"], tokens["postmart"]

    def place_refused(lines: list[tuple[str, int]], **overrides: Any) -> tuple[str, list[str] | None]:
        body = api.post(PLACE, {"input": order_input(personal_data, lines, **overrides)}, postmart)
        assert body["data"]["placeOrder"]["order"] is None
        return user_error(body, "placeOrder")

    assert place_refused([(listing_id, 6)]) == ("OUT_OF_STOCK", ["input", "lines", "0", "quantity"])
    assert place_refused([(listing_id, 0)]) == ("INVALID", ["input", "lines", "0", "quantity"])
    assert place_refused([("not-an-id", 1)]) == ("NOT_FOUND", ["input", "lines", "0", "listingId"])
    assert place_refused([]) == ("INVALID", ["input", "lines"])
    bad_phone = "0" + "1" * 9
    body = api.post(PLACE, {"input": order_input(personal_data, [(listing_id, 1)], buyer=buyer(personal_data,
                                                                                                phone=bad_phone))},
                    postmart)
    assert user_error(body, "placeOrder")[1] == ["input", "buyer", "phone"] and bad_phone not in json.dumps(body)
    assert place_refused([(listing_id, 1)], buyer=buyer(personal_data, address={"provinceCode": "99"}))[1] == [
        "input", "buyer", "address", "provinceCode"]
    assert api.data(LISTING_STOCK, {"id": listing_id})["listing"]["stockQuantity"] == 5

    order = place(api, postmart, personal_data, [(listing_id, 2)])
    confirm(api, postmart, order["id"])
    # Naive times are ambiguous; the future has not happened.
    naive = (now() - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    body = api.post(DISPATCH, {"input": {"orderId": order["id"], "carrier": "VNPost", "trackingNumber": "EB1"}},
                    postmart)
    assert user_error(body, "dispatchOrder") == ("INVALID", ["input", "trackingNumber"])
    body = api.post(DISPATCH, {"input": {"orderId": order["id"], "carrier": "VNPost", "trackingNumber": "EB444000001VN",
                                         "harvestedAt": naive}}, postmart)
    assert user_error(body, "dispatchOrder") == ("INVALID", ["input", "harvestedAt"])
    shipment_id = dispatch(api, postmart, order["id"], "EB444000001VN")["shipment"]["id"]
    for when in (naive, iso(now() + timedelta(hours=2))):
        body = api.post(CHECKPOINT, {"input": {"shipmentId": shipment_id, "status": "IN_TRANSIT", "occurredAt": when}},
                        tokens["carrier"])
        assert user_error(body, "recordCheckpoint") == ("INVALID", ["input", "occurredAt"]), when
    delivered = {"shipmentId": shipment_id, "status": "DELIVERED", "occurredAt": ago(minutes=1)}
    body = api.post(CHECKPOINT, {"input": delivered}, tokens["carrier"])
    assert user_error(body, "recordCheckpoint") == ("INVALID", ["input", "status"])

    # A payment in the future or naive is refused (an over-payment is a fact, recorded: test_dispute_money).
    def pay(amount: str, occurred_at: str, reference: str) -> dict[str, Any]:
        return api.post(PAY, {"input": {"orderId": order["id"], "amount": {"amount": amount, "currency": "VND"},
                                        "reference": reference, "occurredAt": occurred_at}}, postmart)

    assert succeeded(pay("60000", just_now(), "BANK-1"), "recordPayment")["order"]["paymentStatus"] == "PENDING"
    assert user_error(pay("100", iso(now() + timedelta(days=1)), "BANK-3"), "recordPayment") == (
        "INVALID", ["input", "occurredAt"])
    assert user_error(pay("100", naive, "BANK-4"), "recordPayment") == ("INVALID", ["input", "occurredAt"])
    assert user_error(pay("100", just_now(), "BANK-1"), "recordPayment") == ("ALREADY_EXISTS", ["input", "reference"])
    assert succeeded(pay("40000", just_now(), "BANK-5"), "recordPayment")["order"]["paymentStatus"] == "PAID"
    assert user_error(api.post(CONFIRM, {"input": {"orderId": "T3JkZXI6bm9wZQ"}}, postmart), "confirmOrder") == (
        "NOT_FOUND", ["input", "orderId"])


def test_an_order_line_takes_at_most_its_documented_quantity(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Gạo Bao Thai", stock=MAX_LINE_QUANTITY + 1, shelf_life_hours=8760)
    listing_id = seller["listing"]["id"]
    body = api.post(PLACE, {"input": order_input(personal_data, [(listing_id, MAX_LINE_QUANTITY + 1)])},
                    tokens["postmart"])
    assert user_error(body, "placeOrder") == ("INVALID", ["input", "lines", "0", "quantity"])
    assert api.data(LISTING_STOCK, {"id": listing_id})["listing"]["stockQuantity"] == MAX_LINE_QUANTITY + 1
    order = place(api, tokens["postmart"], personal_data, [(listing_id, MAX_LINE_QUANTITY)])
    assert order["lines"][0]["quantity"] == MAX_LINE_QUANTITY and order["total"]["currency"] == "VND"


# -- idempotency and the last kilos --------------------------------------------------------------------


def test_a_replayed_place_order_takes_the_stock_once(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều hộp 5kg", stock=10)
    listing_id = seller["listing"]["id"]
    request = {"input": order_input(personal_data, [(listing_id, 4)]), "key": "checkout-7f3a"}
    first = succeeded(api.post(PLACE, request, tokens["postmart"]), "placeOrder")["order"]
    again = succeeded(api.post(PLACE, request, tokens["postmart"]), "placeOrder")["order"]
    assert again["id"] == first["id"] and again["number"] == first["number"]
    assert api.data(LISTING_STOCK, {"id": listing_id})["listing"]["stockQuantity"] == 6
    changed = {"input": order_input(personal_data, [(listing_id, 5)]), "key": "checkout-7f3a"}
    assert user_error(api.post(PLACE, changed, tokens["postmart"]), "placeOrder") == (
        "IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
    # Check the key is the caller's own: another caller's same key is a new request.
    other = succeeded(api.post(PLACE, request, tokens["admin"]), "placeOrder")["order"]
    assert other["id"] != first["id"]
    assert api.data(LISTING_STOCK, {"id": listing_id})["listing"]["stockQuantity"] == 2


def test_buyers_racing_for_the_last_kilos_are_never_oversold(api: Api, tokens: dict[str, str], personal_data) -> None:
    stock, buyers = 5, 12
    seller = a_seller(api, tokens, personal_data, "Vải thiều cuối vụ", stock=stock)
    listing_id = seller["listing"]["id"]
    requests = [{"query": PLACE, "variables": {"input": order_input(personal_data, [(listing_id, 1)])}}
                for _ in range(buyers)]
    start = threading.Barrier(buyers, timeout=30)

    def buy(request: dict[str, Any]) -> tuple[str, str | None]:
        with httpx.Client(timeout=60) as client:
            start.wait()
            body = client.post(api.url + "/graphql", json=request,
                               headers={"Authorization": f"Bearer {tokens['postmart']}"}).json()
        payload = body["data"]["placeOrder"]
        if payload["order"] is not None:
            return "ACCEPTED", payload["order"]["number"]
        return payload["userErrors"][0]["code"], None

    with ThreadPoolExecutor(buyers) as pool:
        outcomes = list(pool.map(buy, requests))
    accepted = [number for code, number in outcomes if code == "ACCEPTED"]
    assert len(accepted) == stock and len(set(accepted)) == stock
    assert {code for code, _ in outcomes} - {"ACCEPTED"} <= {"OUT_OF_STOCK", "CONFLICT"}
    assert api.data(LISTING_STOCK, {"id": listing_id})["listing"] == {"stockQuantity": 0, "status": "SOLD_OUT"}
    listed = api.data(ORDERS, {"first": 100, "storefront": seller["storefront"]["id"]}, tokens["postmart"])["orders"]
    assert sorted(e["node"]["number"] for e in listed["edges"]) == sorted(accepted)
