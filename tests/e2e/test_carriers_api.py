"""Carriers as reference data over HTTP, on SQLite and PostgreSQL: a shipment dispatched with
"Vietnam Post" is VNPost's whichever spelling its token uses, another carrier sees nothing of it,
ADMIN (and only ADMIN) adds carriers with their aliases, and dispatch refuses an unknown carrier."""

from __future__ import annotations

from typing import Any

import pytest

from farmgate.core.domain.carrier import VIETTEL_POST, VNPOST
from farmgate.graphql.ids import to_global_id
from tests.e2e.order_steps import (
    CHECKPOINT, DISPATCH, ERRORS, PAY, SHIPMENT, a_seller, confirm, dispatch, just_now, on_shipment, place, succeeded,
    user_error,
)
from tests.e2e.server import Api
from tests.e2e.test_households_api import error_code

CARRIERS = "{ carriers { id name aliases builtIn } }"
REGISTER = f"""mutation($input: RegisterCarrierInput!) {{ registerCarrier(input: $input) {{
  carrier {{ id name aliases builtIn }} {ERRORS} }} }}"""
VIEWER = "{ viewer { role carrier } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Shipment { trackingNumber carrier carrierId } ... on Carrier { name } } }"
CARRIER_OF = "query($id: ID!) { shipment(id: $id) { carrier carrierId } }"
FILE_CLAIM = f"""mutation($i: FileClaimInput!) {{ fileClaim(input: $i) {{ claim {{ id }} {ERRORS} }} }}"""
ADD_EVIDENCE = f"""mutation($i: AddClaimEvidenceInput!) {{ addClaimEvidence(input: $i) {{ claim {{ id }} {ERRORS} }} }}"""


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def a_confirmed_order(api: Api, tokens: dict[str, str], pd: Any, title: str) -> tuple[dict[str, Any], dict[str, Any]]:
    seller = a_seller(api, tokens, pd, title)
    order = place(api, tokens["postmart"], pd, [(seller["listing"]["id"], 2)])
    confirm(api, seller["household"]["token"], order["id"])
    return seller, order


def test_a_shipment_dispatched_with_vietnam_post_is_vnposts_whatever_its_token_calls_it(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller, order = a_confirmed_order(api, tokens, personal_data, "Na dai Chi Lăng")
    shipment = dispatch(api, seller["household"]["token"], order["id"], "EB700000001VN", carrier="Vietnam Post")["shipment"]
    vnpost_id = to_global_id("Carrier", VNPOST.id)
    assert api.data(CARRIER_OF, {"id": shipment["id"]}, tokens["staff"])["shipment"] == {
        "carrier": "VNPost", "carrierId": vnpost_id}

    # Check every spelling of VNPost, and its id, makes a token of the same carrier.
    vnpost_tokens = [tokens["carrier"]] + [api.token("CARRIER", "vnpost-ops", carrier=claim)
                                           for claim in ("Bưu điện Việt Nam", "vn post", vnpost_id)]
    for token in vnpost_tokens:
        assert api.data(VIEWER, token=token)["viewer"] == {"role": "CARRIER", "carrier": vnpost_id}
        assert api.data(CARRIER_OF, {"id": shipment["id"]}, token)["shipment"]["carrierId"] == vnpost_id
    # The carrier scans and takes the cash on delivery.
    scanned = on_shipment(api, CHECKPOINT, "recordCheckpoint", vnpost_tokens[1], shipment["id"],
                          status="IN_TRANSIT", occurredAt=just_now(), location="Bưu cục Chi Lăng")
    assert scanned["status"] == "IN_TRANSIT"
    paid = succeeded(api.post(PAY, {"input": {"orderId": order["id"], "amount": {"amount": "70000", "currency": "VND"},
                                              "reference": "COD-EB700000001VN", "occurredAt": just_now()}},
                              vnpost_tokens[3]), "recordPayment")["order"]
    assert paid["paymentStatus"] == "PAID"

    # Check Viettel Post sees nothing of it, through any path, and may do nothing to it.
    claim = succeeded(api.post(FILE_CLAIM, {"i": {
        "orderId": order["id"], "kind": "DAMAGED", "claimant": "BUYER",
        "amountClaimed": {"amount": "10000", "currency": "VND"}, "description": "Na dập"}}, tokens["postmart"]),
        "fileClaim")["claim"]
    other = tokens["other_carrier"]
    assert api.data(VIEWER, token=other)["viewer"]["carrier"] == to_global_id("Carrier", VIETTEL_POST.id)
    assert api.data(SHIPMENT, {"id": shipment["id"]}, other)["shipment"] is None
    assert api.data(NODE, {"id": shipment["id"]}, other)["node"] is None
    assert api.data("query($id: ID!) { claim(id: $id) { id } }", {"id": claim["id"]}, other)["claim"] is None
    assert user_error(api.post(CHECKPOINT, {"input": {"shipmentId": shipment["id"], "status": "DELIVERED",
                                                      "occurredAt": just_now()}}, other), "recordCheckpoint") == (
        "NOT_FOUND", ["input", "shipmentId"])
    assert user_error(api.post(PAY, {"input": {"orderId": order["id"], "amount": {"amount": "1", "currency": "VND"},
                                               "reference": "COD-x", "occurredAt": just_now()}}, other),
                      "recordPayment")[0] == "NOT_FOUND"
    assert user_error(api.post(ADD_EVIDENCE, {"i": {"claimId": claim["id"], "evidence": {
        "sha256": "ab" * 32, "uri": "https://evidence.example/x.jpg"}}}, other), "addClaimEvidence")[0] == "NOT_FOUND"
    # ...while VNPost adds its evidence to the claim about its shipment.
    succeeded(api.post(ADD_EVIDENCE, {"i": {"claimId": claim["id"], "evidence": {
        "sha256": "cd" * 32, "uri": "https://evidence.example/scan.jpg"}}}, vnpost_tokens[2]), "addClaimEvidence")
    assert api.data(SHIPMENT, {"id": shipment["id"]}, tokens["carrier"])["shipment"]["status"] == "IN_TRANSIT"


def test_a_token_naming_no_known_carrier_is_refused(api: Api) -> None:
    shipment_id = to_global_id("Shipment", "00000000-0000-0000-0000-000000000000")
    for claim in ("Giao Hàng Tiết Kiệm", to_global_id("Carrier", "00000000-0000-0000-0000-000000000000")):
        token = api.token("CARRIER", "stranger", carrier=claim)
        body = api.post(SHIPMENT, {"id": shipment_id}, token)
        assert error_code(body) == "UNAUTHENTICATED" and "names no known carrier" in body["errors"][0]["message"]
        # A token sent but invalid is refused even where no token is needed (issue 10's perimeter).
        viewer = api.post(VIEWER, token=token)
        assert error_code(viewer) == "UNAUTHENTICATED" and viewer.get("data") is None


def test_admin_adds_a_carrier_with_aliases_that_dispatch_and_tokens_then_use(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    listed = api.data(CARRIERS)["carriers"]  # reference data: no token needed
    assert [(c["name"], c["builtIn"]) for c in listed[:2]] == [("VNPost", True), ("Viettel Post", True)]
    assert {"Vietnam Post", "Bưu điện Việt Nam", "VN Post"} <= set(listed[0]["aliases"])

    # Check only ADMIN may add one, and nothing is added when refused.
    refused = {"name": "Giao Hàng Nhanh", "aliases": ["GHN"]}
    for who in ("postmart", "carrier", "staff", "officer20"):
        assert error_code(api.post(REGISTER, {"input": refused}, tokens[who])) == "FORBIDDEN", who
    assert error_code(api.post(REGISTER, {"input": refused})) == "UNAUTHENTICATED"
    assert api.data(CARRIERS)["carriers"] == listed

    added = succeeded(api.post(REGISTER, {"input": {"name": "Giao Hàng Nhanh", "aliases": ["GHN", "GHN Express"]}},
                               tokens["admin"]), "registerCarrier")["carrier"]
    assert (added["name"], added["aliases"], added["builtIn"]) == ("Giao Hàng Nhanh", ["GHN", "GHN Express"], False)
    assert api.data(CARRIERS)["carriers"] == [*listed, added]
    assert api.data(NODE, {"id": added["id"]})["node"] == {"id": added["id"], "name": "Giao Hàng Nhanh"}
    # Check a spelling that already names a carrier is refused, naming the carrier and the field.
    for name, aliases, field, named in (("giao hang nhanh", [], ["input", "name"], "Giao Hàng Nhanh"),
                                        ("J&T Express", ["J&T", "Viettel-Post"], ["input", "aliases", "1"], "Viettel Post")):
        body = api.data(REGISTER, {"input": {"name": name, "aliases": aliases}}, tokens["admin"])["registerCarrier"]
        [error] = body["userErrors"]
        assert (body["carrier"], error["code"], error["field"]) == (None, "ALREADY_EXISTS", field)
        assert named in error["message"]
    assert api.data(CARRIERS)["carriers"] == [*listed, added]

    # Dispatched by one of its aliases, the shipment is its, seen by a token naming it by another.
    seller, order = a_confirmed_order(api, tokens, personal_data, "Vải thiều Lục Ngạn")
    shipment = dispatch(api, seller["household"]["token"], order["id"], "GHN-700000002", carrier="ghn")["shipment"]
    assert shipment["carrier"] == "Giao Hàng Nhanh"
    ghn = api.token("CARRIER", "ghn-bot", carrier="GHN Express")
    assert api.data(CARRIER_OF, {"id": shipment["id"]}, ghn)["shipment"] == {
        "carrier": "Giao Hàng Nhanh", "carrierId": added["id"]}
    for other in (tokens["carrier"], tokens["other_carrier"]):
        assert api.data(CARRIER_OF, {"id": shipment["id"]}, other)["shipment"] is None


def test_dispatch_refuses_an_unknown_carrier_with_its_field_and_changes_nothing(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller, order = a_confirmed_order(api, tokens, personal_data, "Na dai Chi Lăng")
    for carrier in ("Giao Hàng Tiết Kiệm", "  ", to_global_id("Carrier", "00000000-0000-0000-0000-000000000000")):
        body = api.post(DISPATCH, {"input": {"orderId": order["id"], "carrier": carrier,
                                             "trackingNumber": "GHTK-700000003"}}, seller["household"]["token"])
        assert user_error(body, "dispatchOrder") == ("INVALID", ["input", "carrier"])
        assert body["data"]["dispatchOrder"]["shipment"] is None
    assert api.data("query($id: ID!) { order(id: $id) { status shipments { id } } }", {"id": order["id"]},
                    tokens["postmart"])["order"] == {"status": "CONFIRMED", "shipments": []}
    # Check it may then be dispatched by a carrier's id.
    by_id = dispatch(api, seller["household"]["token"], order["id"], "VTP-700000003",
                     carrier=to_global_id("Carrier", VIETTEL_POST.id))["shipment"]
    assert by_id["carrier"] == "Viettel Post"
    assert api.data(CARRIER_OF, {"id": by_id["id"]}, tokens["other_carrier"])["shipment"]["carrier"] == "Viettel Post"
