"""What a hostile (or careless) client types, over HTTP, on SQLite and on PostgreSQL: control
characters, bidi overrides, zero-width-only text and decomposed Vietnamese in the free-text fields of
every kind of aggregate; national IDs, phones, codes and amounts in non-ASCII digits. Each is either
made canonical or refused as INVALID with its field path, nothing recorded — identically on both
backends — and nothing of it can stall the read side afterwards."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from tests.e2e import export_steps
from tests.e2e.order_steps import (
    CHECKPOINT, DISPATCH, PAY, PLACE, a_seller, buyer, confirm, dispatch, just_now, order_input, place,
)
from tests.e2e.server import Api
from tests.e2e.test_catalog_api import OPEN, PUBLISH, SEARCH, a_household, listing_input, storefront_input
from tests.e2e.test_households_api import REGISTER, error_code, registration
from tests.personal_data import PersonalData

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
FILE_CLAIM = """mutation($input: FileClaimInput!) { fileClaim(input: $input) {
  claim { id description } userErrors { field code message } } }"""
HOUSEHOLD = """query($id: ID!) { household(id: $id) { id code name phoneMasked
  address { provinceCode districtCode wardCode street } } }"""
BY_CODE = "query($code: String!) { householdByCode(code: $code) { id } }"
BY_NUMBER = "query($number: String!) { orderByNumber(number: $number) { id } }"
STATUS = """{ households(first: 1) { totalCount } }"""

#: a sample of what must never reach an event: each with what it is
NASTY = {
    "NUL": "Na\u0000Chi Lăng",
    "ESC sequence": "\x1b[2J\x1b[31mNa Chi Lăng",
    "BEL": "Na Chi Lăng\x07",
    "C1 control": "Na\x9bChi Lăng",
    "right-to-left override": "Na \u202egnăL ihC",
    "bidi isolate": "Na \u2067Chi\u2069 Lăng",
    "zero-width only": "\u200b\u200c\u200d",
    "unassigned code point": "Na Chi L\u0378ăng",
    "line break in a one-line field": "Na\nChi Lăng",
}


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def refused(body: dict[str, Any], name: str) -> tuple[str, list[str]]:
    assert not body.get("errors"), body["errors"]
    payload = body["data"][name]
    [error] = payload["userErrors"]
    return error["code"], error["field"]


def households_count(api: Api, token: str) -> int:
    return api.data(STATUS, token=token)["households"]["totalCount"]


@pytest.mark.parametrize("kind", list(NASTY))
def test_a_household_name_with_controls_bidi_or_nothing_visible_is_refused_and_nothing_recorded(
    api: Api, tokens: dict[str, str], personal_data, kind: str
) -> None:
    before = households_count(api, tokens["admin"])
    body = api.post(REGISTER, {"input": registration(personal_data, name=NASTY[kind])}, tokens["admin"])
    assert refused(body, "registerHousehold") == ("INVALID", ["input", "name"]), kind
    assert body["data"]["registerHousehold"]["household"] is None
    assert NASTY[kind] not in json.dumps(body, ensure_ascii=False)
    assert households_count(api, tokens["admin"]) == before


def test_free_text_of_every_kind_of_aggregate_is_checked_with_its_field_path(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    admin, postmart = tokens["admin"], tokens["postmart"]
    household = a_household(api, tokens, personal_data)
    token = household["token"]
    nul, rlo, esc = NASTY["NUL"], NASTY["right-to-left override"], NASTY["ESC sequence"]

    # Household: the street of its address.
    body = api.post(REGISTER, {"input": registration(personal_data, address={
        "scheme": 2021, "provinceCode": "20", "street": "Thôn\u0000 Quý"})}, admin)
    assert refused(body, "registerHousehold") == ("INVALID", ["input", "address", "street"])
    # Storefront: its name.
    body = api.post(OPEN, {"input": storefront_input(household["id"], name=rlo)}, token)
    assert refused(body, "openStorefront") == ("INVALID", ["input", "name"])
    storefront = api.data(OPEN, {"input": storefront_input(household["id"])}, token)["openStorefront"]["storefront"]
    # Listing: title, unit, description (a multi-line field: line breaks yes, escapes no).
    for field, value in (("title", nul), ("unit", "kg\t"), ("description", f"Ngọt\n{esc}")):
        body = api.post(PUBLISH, {"input": {**listing_input(storefront["id"], "Vải"), field: value}}, token)
        assert refused(body, "publishListing") == ("INVALID", ["input", field]), field
    described = api.data(PUBLISH, {"input": listing_input(storefront["id"], "Vải thiều hai dòng",
                                                          description="Dòng một\r\nDòng hai")}, token)
    assert described["publishListing"]["listing"]["description"] == "Dòng một\nDòng hai"
    listing = described["publishListing"]["listing"]

    # Order: the buyer's name; the cancel reason; the payment reference.
    body = api.post(PLACE, {"input": order_input(personal_data, [(listing["id"], 1),],
                                                 buyer=buyer(personal_data, name="Mai\x07"))}, postmart)
    assert refused(body, "placeOrder") == ("INVALID", ["input", "buyer", "name"])
    order = place(api, postmart, personal_data, [(listing["id"], 1)])
    body = api.post(PAY, {"input": {"orderId": order["id"], "amount": {"amount": "35000", "currency": "VND"},
                                    "reference": "MOMO\u202e-1", "occurredAt": just_now()}}, postmart)
    assert refused(body, "recordPayment") == ("INVALID", ["input", "reference"])
    # Shipment: the carrier's name, a checkpoint's note and raw status.
    confirm(api, postmart, order["id"])
    body = api.post(DISPATCH, {"input": {"orderId": order["id"], "carrier": "VN\u0000Post",
                                         "trackingNumber": "EB100200300VN"}}, postmart)
    assert refused(body, "dispatchOrder") == ("INVALID", ["input", "carrier"])
    shipment = dispatch(api, postmart, order["id"], "EB100200300VN")["shipment"]
    for field, value in (("note", f"Giao lần 1\n{nul}"), ("rawStatus", rlo), ("location", "\u200b")):
        body = api.post(CHECKPOINT, {"input": {"shipmentId": shipment["id"], "status": "IN_TRANSIT",
                                               "occurredAt": just_now(), field: value}}, tokens["carrier"])
        assert refused(body, "recordCheckpoint") == ("INVALID", ["input", field]), field
    # Compensation claim: its description (multi-line) and an evidence URI.
    api.data(PAY, {"input": {"orderId": order["id"], "amount": {"amount": "35000", "currency": "VND"},
                             "reference": "MOMO-2", "occurredAt": just_now()}}, postmart)
    claim = {"orderId": order["id"], "kind": "DAMAGED", "claimant": "BUYER",
             "amountClaimed": {"amount": "35000", "currency": "VND"}, "description": f"Dập\n{esc}"}
    assert refused(api.post(FILE_CLAIM, {"input": claim}, postmart), "fileClaim") == ("INVALID", ["input", "description"])
    claim |= {"description": "Dập nát", "evidence": [{"sha256": "a" * 64, "uri": "https://x.example/\u0000.jpg"}]}
    assert refused(api.post(FILE_CLAIM, {"input": claim}, postmart), "fileClaim") == (
        "INVALID", ["input", "evidence", "0", "uri"])
    # Export partner and export order: a name of nothing visible, a product with a control character.
    body = api.post(export_steps.REGISTER_PARTNER, {"input": {"name": "\u3164\u200b", "country": "BE"}}, admin)
    assert refused(body, "registerExportPartner") == ("INVALID", ["input", "name"])
    partner = export_steps.register_partner(api, admin, "Brussels Fresh", "BE")
    body = api.post(export_steps.CREATE_ORDER, {"input": export_steps.order_input(partner["id"], product=esc)},
                    postmart)
    assert refused(body, "createExportOrder") == ("INVALID", ["input", "product"])


def test_decomposed_vietnamese_is_stored_composed_and_found_either_way(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    nfd_name = unicodedata.normalize("NFD", "Hộ Đặng Thị Thiều")
    household = a_household(api, tokens, personal_data, name=nfd_name)
    assert household["name"] == "Hộ Đặng Thị Thiều" and unicodedata.is_normalized("NFC", household["name"])
    seller = a_seller(api, tokens, personal_data, "Vải thiều đỏ")
    nfd_title = unicodedata.normalize("NFD", "Vải thiều Thanh Hà loại đặc biệt")
    listing = api.data(PUBLISH, {"input": listing_input(seller["storefront"]["id"], nfd_title)},
                       seller["household"]["token"])["publishListing"]["listing"]
    assert listing["title"] == "Vải thiều Thanh Hà loại đặc biệt"
    for query in ("thanh ha loai dac biet", unicodedata.normalize("NFD", "Thanh Hà loại đặc biệt"), "THANH HÀ"):
        found = [e["node"]["title"] for e in api.data(SEARCH, {"search": query, "first": 100})["listings"]["edges"]]
        assert "Vải thiều Thanh Hà loại đặc biệt" in found, query


@pytest.mark.parametrize("script", [ARABIC_INDIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_one_citizen_is_one_household_whatever_digits_the_id_is_typed_in(
    api: Api, tokens: dict[str, str], personal_data: PersonalData, script: dict[int, str]
) -> None:
    national_id = personal_data.national_id()
    first = api.data(REGISTER, {"input": registration(personal_data, nationalId=national_id)},
                     tokens["admin"])["registerHousehold"]
    assert first["userErrors"] == []
    again = registration(personal_data, nationalId=national_id.translate(script))
    body = api.post(REGISTER, {"input": again}, tokens["postmart"])
    assert refused(body, "registerHousehold") == ("ALREADY_EXISTS", ["input", "nationalId"])
    assert national_id not in json.dumps(body) and national_id.translate(script) not in json.dumps(body,
                                                                                                   ensure_ascii=False)


def test_phones_codes_and_amounts_in_other_digits_are_stored_in_ascii(
    api: Api, tokens: dict[str, str], personal_data: PersonalData
) -> None:
    phone = personal_data.phone()
    data = registration(personal_data, phone=phone.translate(ARABIC_INDIC), address={
        "scheme": 2021, "provinceCode": "２０", "districtCode": "１８７".translate(FULL_WIDTH), "wardCode": "٠٦٤٦٦"})
    # A province officer of "20" may register it: the code is compared as it will be stored.
    created = api.data(REGISTER, {"input": data}, tokens["officer20"])["registerHousehold"]
    assert created["userErrors"] == []
    household = api.data(HOUSEHOLD, {"id": created["household"]["id"]}, tokens["admin"])["household"]
    assert household["phoneMasked"] == "+84" + phone[1:]
    assert household["address"] == {"provinceCode": "20", "districtCode": "187", "wardCode": "06466", "street": None}
    code = household["code"]
    assert api.data(BY_CODE, {"code": code.translate(FULL_WIDTH)}, tokens["admin"])["householdByCode"] == {
        "id": household["id"]}

    seller = a_seller(api, tokens, personal_data, "Nhãn lồng Hưng Yên",
                      price="٣٥٠٠٠")  # Arabic-Indic 35000
    assert seller["listing"]["unitPrice"] == {"amount": "35000", "currency": "VND"}
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)])
    assert api.data(BY_NUMBER, {"number": order["number"].translate(FULL_WIDTH)}, tokens["postmart"])[
        "orderByNumber"] == {"id": order["id"]}


def test_query_arguments_are_held_to_the_same_rule(api: Api, tokens: dict[str, str]) -> None:
    for query, variables in ((SEARCH, {"search": "vải\u0000"}), (BY_CODE, {"code": "HH-20\u202e"}),
                             (BY_NUMBER, {"number": "FG-\x00"}),
                             ("query($p: String) { storefronts(provinceCode: $p) { totalCount } }", {"p": "2\x000"})):
        body = api.post(query, variables, tokens["admin"])
        assert error_code(body) == "BAD_USER_INPUT", (query, body)


def test_an_idempotency_key_with_control_characters_is_refused(api: Api, tokens: dict[str, str], personal_data) -> None:
    body = api.post(REGISTER, {"input": registration(personal_data), "key": "key\u0000"}, tokens["admin"])
    assert refused(body, "registerHousehold") == ("INVALID", ["idempotencyKey"])


def test_references_and_numbers_typed_in_other_digits_are_one_reference(
    api: Api, tokens: dict[str, str], personal_data: PersonalData
) -> None:
    """A payment, a refund, a certificate or an export document is one fact however its reference's
    digits were typed: the second recording of it is ALREADY_EXISTS, not more money or another paper."""
    postmart = tokens["postmart"]
    seller = a_seller(api, tokens, personal_data, "Vải thiều tham chiếu", price="10000")
    order = place(api, postmart, personal_data, [(seller["listing"]["id"], 3)], paymentMethod="E_WALLET")

    def pay(mutation: str, name: str, reference: str) -> dict[str, Any]:
        return api.post(mutation, {"input": {"orderId": order["id"], "amount": {"amount": "10000", "currency": "VND"},
                                             "reference": reference, "occurredAt": just_now()}}, postmart)

    refund = """mutation($input: RecordRefundInput!) { recordRefund(input: $input) {
      order { amountRefunded { amount } } userErrors { field code message } } }"""
    assert pay(PAY, "recordPayment", "MOMO-2021-0042")["data"]["recordPayment"]["userErrors"] == []
    for script in (ARABIC_INDIC, FULL_WIDTH):
        body = pay(PAY, "recordPayment", "MOMO-2021-0042".translate(script))
        assert refused(body, "recordPayment") == ("ALREADY_EXISTS", ["input", "reference"])
    assert api.data("query($id: ID!) { order(id: $id) { amountPaid { amount } } }", {"id": order["id"]},
                    postmart)["order"]["amountPaid"]["amount"] == "10000"
    assert pay(refund, "recordRefund", "MOMO-RF-7")["data"]["recordRefund"]["userErrors"] == []
    assert refused(pay(refund, "recordRefund", "MOMO-RF-7".translate(FULL_WIDTH)), "recordRefund") == (
        "ALREADY_EXISTS", ["input", "reference"])

    certificate = {"householdId": seller["household"]["id"], "scheme": "VIETGAP", "number": "VG-24-0731",
                   "issuer": "Sở NN&PTNT Bắc Giang", "validUntil": "2099-12-31T00:00:00+07:00"}
    certify = """mutation($input: AddCertificationInput!) { addCertification(input: $input) {
      certification { number } userErrors { field code message } } }"""
    first = api.data(certify, {"input": {**certificate, "number": "VG-24-0731".translate(ARABIC_INDIC)}},
                     tokens["officer"])["addCertification"]
    assert first["userErrors"] == [] and first["certification"]["number"] == "VG-24-0731"
    assert refused(api.post(certify, {"input": certificate}, tokens["officer"]), "addCertification") == (
        "ALREADY_EXISTS", ["input", "number"])

    partner = export_steps.register_partner(api, tokens["admin"], "Praha Digits", "CZ")
    export = export_steps.create_order(api, postmart, partner["id"])
    filed = export_steps.record_document(api, postmart, export["id"], "PACKING_LIST", "PL-٢٠٢١-٠٠٧")
    assert filed["userErrors"] == []
    again = export_steps.record_document(api, postmart, export["id"], "PACKING_LIST", "PL-2021-007")
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [("ALREADY_EXISTS", ["input", "number"])]
