"""Personal data as people type it, through every input that takes some: a household's name, phone and
street; a buyer's; who signed for a parcel; an export consignee. Valid and invalid, so success and
error paths both run. No error message repeats a value, and (checked by the last test of the run,
tests/zz_last) no log line of either server carries one: these values are shaped so that the log
scrubber's pattern does not match them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.export_steps import CREATE_ORDER, order_input as export_order_input, register_partner
from tests.e2e.order_steps import DELIVER, DISPATCH, PLACE, a_seller, confirm, iso, now, on_shipment
from tests.e2e.server import Api
from tests.e2e.test_households_api import REGISTER
from tests.personal_data import PersonalData


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def person(pd: PersonalData) -> dict[str, Any]:
    return {"name": pd.name(), "phone": pd.typed_phone(),
            "address": {"scheme": 2021, "provinceCode": "01", "districtCode": "005", "street": pd.street()}}


def messages(payload: dict[str, Any]) -> str:
    return " ".join(error["message"] for error in payload["userErrors"])


def assert_no_value_repeated(payload: dict[str, Any], values: list[str]) -> None:
    said = messages(payload)
    assert not [value for value in values if value in said], said


def test_a_household_registered_with_a_typed_phone_and_its_bad_twins(api: Api, tokens: dict[str, str],
                                                                     personal_data: PersonalData) -> None:
    someone = person(personal_data)
    data = {"name": someone["name"], "nationalId": personal_data.national_id(), "phone": someone["phone"],
            "address": {"scheme": 2021, "provinceCode": "20", "districtCode": "187", "street": someone["address"]["street"]}}
    payload = api.data(REGISTER, {"input": data}, tokens["officer20"])["registerHousehold"]
    assert payload["userErrors"] == [] and payload["household"]["name"] == someone["name"]
    # The same person again (the national ID collides), and with a phone one digit short, a name too long.
    again = api.data(REGISTER, {"input": data}, tokens["officer20"])["registerHousehold"]
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_EXISTS"]
    short = api.data(REGISTER, {"input": {**data, "nationalId": personal_data.national_id(),
                                          "phone": someone["phone"][:-1]}}, tokens["officer20"])["registerHousehold"]
    assert [e["field"] for e in short["userErrors"]] == [["input", "phone"]]
    long_name = f"{someone['name']} " * 30
    too_long = api.data(REGISTER, {"input": {**data, "nationalId": personal_data.national_id(), "name": long_name}},
                        tokens["officer20"])["registerHousehold"]
    assert [e["field"] for e in too_long["userErrors"]] == [["input", "name"]]
    for refused in (again, short, too_long):
        assert_no_value_repeated(refused, [someone["name"], someone["phone"], someone["phone"][:-1],
                                           someone["address"]["street"], data["nationalId"]])


def test_a_buyer_as_typed_reaches_the_order_and_a_named_receiver_the_shipment(api: Api, tokens: dict[str, str],
                                                                              personal_data: PersonalData) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều Lục Ngạn loại 1")
    buyer = person(personal_data)
    order_input = {"lines": [{"listingId": seller["listing"]["id"], "quantity": 2}], "buyer": buyer,
                   "paymentMethod": "CASH_ON_DELIVERY"}
    bad_phone = {**order_input, "buyer": {**buyer, "phone": buyer["phone"][:-1]}}  # a digit short
    refused = api.data(PLACE, {"input": bad_phone}, tokens["postmart"])["placeOrder"]
    assert [e["field"] for e in refused["userErrors"]] == [["input", "buyer", "phone"]]
    assert_no_value_repeated(refused, [buyer["name"], bad_phone["buyer"]["phone"], buyer["address"]["street"]])
    placed = api.data(PLACE, {"input": order_input}, tokens["postmart"])["placeOrder"]
    assert placed["userErrors"] == [] and placed["order"]["buyer"]["name"] == buyer["name"]
    # A buyer reached on a landline, typed as an office writes it, and the same a digit short.
    office = {**buyer, "name": personal_data.name(), "phone": personal_data.typed_landline()}
    on_landline = api.data(PLACE, {"input": {**order_input, "buyer": office}}, tokens["postmart"])["placeOrder"]
    assert on_landline["userErrors"] == [] and on_landline["order"]["buyer"]["name"] == office["name"]
    short = {**office, "phone": office["phone"][:-1]}
    refused = api.data(PLACE, {"input": {**order_input, "buyer": short}}, tokens["postmart"])["placeOrder"]
    assert [e["field"] for e in refused["userErrors"]] == [["input", "buyer", "phone"]]
    assert_no_value_repeated(refused, [office["name"], office["phone"], short["phone"]])
    order_id = placed["order"]["id"]
    confirm(api, seller["household"]["token"], order_id)
    shipment = api.data(DISPATCH, {"input": {"orderId": order_id, "carrier": "VNPost", "trackingNumber": "EB-PD-0001"}},
                        seller["household"]["token"])["dispatchOrder"]["shipment"]
    receiver = personal_data.name()
    delivered = on_shipment(api, DELIVER, "confirmDelivery", tokens["carrier"], shipment["id"],
                            occurredAt=iso(now()), receivedBy=receiver)
    assert delivered["status"] == "DELIVERED"


def test_an_export_consignee_who_is_a_person(api: Api, tokens: dict[str, str], personal_data: PersonalData) -> None:
    partner = register_partner(api, tokens["admin"], f"Nhà nhập khẩu {personal_data.name()}", "CZ")
    consignee = f"{personal_data.name()}, {personal_data.street()}, Praha"
    created = api.data(CREATE_ORDER, {"input": export_order_input(partner["id"], consignee=consignee)},
                       tokens["postmart"])["createExportOrder"]
    assert created["userErrors"] == [] and created["exportOrder"]["consignee"] == consignee
    too_long = api.data(CREATE_ORDER, {"input": export_order_input(partner["id"], consignee=consignee * 20)},
                        tokens["postmart"])["createExportOrder"]
    assert [e["field"] for e in too_long["userErrors"]] == [["input", "consignee"]]
    assert_no_value_repeated(too_long, [consignee])
