"""Storefronts, listings, catalog search and the store locator over HTTP, as a frontend would use
them: public reads without a token (and never a phone number in them), every role's allowed and
refused mutation paths, bad input with the field at fault, cursors and page limits."""

from __future__ import annotations

import json
import math
import random
import uuid
from typing import Any

import pytest

from farmgate.core.domain.listing import MAX_STOCK
from tests.e2e.server import Api
from tests.e2e.test_households_api import REGISTER, error_code, registration
from tests.personal_data import PersonalData

ERRORS = "userErrors { field code message }"
ALL_DAY = [{"dayOfWeek": day, "opens": "00:00", "closes": "24:00"} for day in range(1, 8)]
LUC_NGAN = {"latitude": 21.3803, "longitude": 106.5838}
KM_PER_DEGREE_OF_LATITUDE = math.pi * 6371.0088 / 180

SELLER = "household { code name phoneMasked address { provinceCode } }"
STOREFRONT = f"""id name marketplace status isOpenNow contactPhoneMasked location {{ latitude longitude }}
  address {{ scheme provinceCode provinceName districtCode wardCode street }}
  openingHours {{ dayOfWeek opens closes }} {SELLER}"""
LISTING = f"""id title description category unit unitPrice {{ amount currency }} stockQuantity status
  shelfLifeHours publishedAt certifications {{ scheme number issuer }} storefront {{ id name }} {SELLER}"""

OPEN = f"""mutation($input: OpenStorefrontInput!, $key: String) {{ openStorefront(input: $input, idempotencyKey: $key) {{
  storefront {{ {STOREFRONT} }} {ERRORS} }} }}"""
SET_STATUS = f"""mutation($input: SetStorefrontStatusInput!) {{ setStorefrontStatus(input: $input) {{
  storefront {{ id status isOpenNow }} {ERRORS} }} }}"""
PUBLISH = f"""mutation($input: PublishListingInput!) {{ publishListing(input: $input) {{
  listing {{ {LISTING} }} {ERRORS} }} }}"""
ADJUST = f"""mutation($input: AdjustStockInput!) {{ adjustStock(input: $input) {{
  listing {{ id stockQuantity status }} {ERRORS} }} }}"""
CHANGE_PRICE = f"""mutation($input: ChangePriceInput!) {{ changePrice(input: $input) {{
  listing {{ id unitPrice {{ amount currency }} }} {ERRORS} }} }}"""
PAUSE, RESUME, DELIST = (
    f"""mutation($input: ListingStatusInput!) {{ {name}(input: $input) {{ listing {{ id status }} {ERRORS} }} }}"""
    for name in ("pauseListing", "resumeListing", "delistListing")
)
STOREFRONT_BY_ID = f"query($id: ID!) {{ storefront(id: $id) {{ {STOREFRONT} }} }}"
LISTING_BY_ID = f"query($id: ID!) {{ listing(id: $id) {{ {LISTING} }} }}"
SEARCH = """query($first: Int, $after: String, $search: String, $category: ProductCategory, $province: String,
                 $certification: CertificationScheme, $marketplace: Marketplace) {
  listings(first: $first, after: $after, search: $search, category: $category, provinceCode: $province,
           certification: $certification, marketplace: $marketplace) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title description storefront { name contactPhoneMasked }
                          household { code name phoneMasked } } } } }"""
CERTIFY = """mutation($input: AddCertificationInput!) { addCertification(input: $input) {
  certification { id } userErrors { field code message } } }"""


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


# -- steps ----------------------------------------------------------------------------------------


def a_household(api: Api, tokens: dict[str, str], pd: PersonalData, ward: str = "07528",
                name: str = "Hộ Nguyễn Văn Thiều") -> dict[str, Any]:
    """A registered household (by a province officer, so no marketplace sees it by channel), its
    token and its phone as given."""
    data = registration(pd, "24", name=name, address={"scheme": 2021, "provinceCode": "24", "districtCode": "219",
                                                      "wardCode": ward, "street": "Thôn Quý 2"})
    payload = api.data(REGISTER, {"input": data}, tokens["officer"])["registerHousehold"]
    assert payload["userErrors"] == []
    household = payload["household"]
    return {**household, "phone": data["phone"], "token": api.token("HOUSEHOLD", "ho", household=household["id"])}


def storefront_input(household_id: str, marketplace: str = "POSTMART", **overrides: Any) -> dict[str, Any]:
    data = {"householdId": household_id, "marketplace": marketplace, "name": "Vườn vải nhà Thiều",
            "location": LUC_NGAN, "openingHours": ALL_DAY}
    data.update(overrides)
    return data


def open_storefront(api: Api, token: str, household_id: str, **overrides: Any) -> dict[str, Any]:
    payload = api.data(OPEN, {"input": storefront_input(household_id, **overrides)}, token)["openStorefront"]
    assert payload["userErrors"] == []
    return payload["storefront"]


def listing_input(storefront_id: str, title: str, **overrides: Any) -> dict[str, Any]:
    data = {"storefrontId": storefront_id, "title": title, "description": None, "category": "FRUIT", "unit": "kg",
            "unitPrice": {"amount": "35000", "currency": "VND"}, "stockQuantity": 100, "shelfLifeHours": 48}
    data.update(overrides)
    return data


def publish(api: Api, token: str, storefront_id: str, title: str, **overrides: Any) -> dict[str, Any]:
    payload = api.data(PUBLISH, {"input": listing_input(storefront_id, title, **overrides)}, token)["publishListing"]
    assert payload["userErrors"] == []
    return payload["listing"]


def certify(api: Api, tokens: dict[str, str], household_id: str, scheme: str = "VIETGAP") -> str:
    cert = {"householdId": household_id, "scheme": scheme, "number": f"{scheme}-24-{uuid.uuid4().hex[:6]}",
            "issuer": "Sở NN&PTNT Bắc Giang", "validUntil": "2099-12-31T00:00:00+07:00"}
    payload = api.data(CERTIFY, {"input": cert}, tokens["officer"])["addCertification"]
    assert payload["userErrors"] == []
    return payload["certification"]["id"]


def a_seller(api: Api, tokens: dict[str, str], pd: PersonalData, **storefront: Any) -> dict[str, Any]:
    household = a_household(api, tokens, pd)
    return {"household": household, "storefront": open_storefront(api, household["token"], household["id"], **storefront)}


def titles(api: Api, token: str | None = None, **variables: Any) -> list[str]:
    return [e["node"]["title"] for e in api.data(SEARCH, variables, token)["listings"]["edges"]]


def masked(phone: str) -> str:
    return "*" * 9 + phone[-3:]


def north_of(point: dict[str, float], km: float) -> dict[str, float]:
    return {"latitude": point["latitude"] + km / KM_PER_DEGREE_OF_LATITUDE, "longitude": point["longitude"]}


# -- the public catalog ---------------------------------------------------------------------------


def test_public_search_is_accent_insensitive_and_shows_no_phone_number(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data)
    token, storefront_id = seller["household"]["token"], seller["storefront"]["id"]
    publish(api, token, storefront_id, "Vải thiều Lục Ngạn", description="Hái sáng, giao trong 48 giờ")
    publish(api, token, storefront_id, "Sầu riêng Ri6", description="Đặc sản Đắk Lắk, chín cây")
    phone = seller["household"]["phone"]
    for query in ("vai thieu", "VẢI THIỀU"):
        body = api.post(SEARCH, {"search": query, "first": 100})  # no token: the catalog is public
        assert not body.get("errors"), body
        found = [e["node"] for e in body["data"]["listings"]["edges"]]
        assert "Vải thiều Lục Ngạn" in [n["title"] for n in found]
        assert not any("Sầu riêng" in n["title"] for n in found)
        mine = next(n for n in found if n["title"] == "Vải thiều Lục Ngạn")
        assert mine["household"] == {"code": seller["household"]["code"], "name": "Hộ Nguyễn Văn Thiều",
                                     "phoneMasked": masked(phone)}
        assert mine["storefront"]["contactPhoneMasked"] == masked(phone)
        # Check no form of the number is anywhere in the answer.
        assert phone[1:] not in json.dumps(body)
    assert "Sầu riêng Ri6" in titles(api, search="sau rieng dak lak", first=100)


def test_filters_cursors_and_page_limits(api: Api, tokens: dict[str, str], personal_data) -> None:
    marker = "m" + uuid.uuid4().hex[:7]
    postmart = a_seller(api, tokens, personal_data)
    household = postmart["household"]
    voso = open_storefront(api, household["token"], household["id"], marketplace="VOSO")
    vietgap = certify(api, tokens, household["id"])
    token = household["token"]
    publish(api, token, postmart["storefront"]["id"], f"Vải {marker} VietGAP", certificationIds=[vietgap])
    publish(api, token, postmart["storefront"]["id"], f"Vải {marker} sấy", category="PROCESSED_FOOD")
    for n in range(3):
        publish(api, token, voso["id"], f"Vải {marker} lô {n}")

    assert titles(api, search=marker, category="PROCESSED_FOOD") == [f"Vải {marker} sấy"]
    assert titles(api, search=marker, certification="VIETGAP") == [f"Vải {marker} VietGAP"]
    assert titles(api, search=marker, certification="OCOP") == []
    assert sorted(titles(api, search=marker, marketplace="VOSO")) == [f"Vải {marker} lô {n}" for n in range(3)]
    assert len(titles(api, search=marker, province="24")) == 5 and titles(api, search=marker, province="20") == []

    # Pages of two, newest first, walked by cursor: each listing once, and the last page says so.
    seen, after, pages = [], None, 0
    while True:
        page = api.data(SEARCH, {"search": marker, "first": 2, "after": after})["listings"]
        assert page["totalCount"] == 5 and page["pageInfo"]["hasPreviousPage"] == (after is not None)
        seen += [e["node"]["title"] for e in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3 and len(seen) == len(set(seen)) == 5
    assert seen[0] == f"Vải {marker} lô 2"

    assert error_code(api.post(SEARCH, {"first": 101})) == "LIMIT_EXCEEDED"
    assert error_code(api.post(SEARCH, {"first": -1})) == "BAD_USER_INPUT"
    assert error_code(api.post(SEARCH, {"after": "bm90LWEtY3Vyc29y"})) == "BAD_USER_INPUT"
    assert error_code(api.post(SEARCH, {"search": "vải " * 100})) == "BAD_USER_INPUT"


def test_storefronts_by_admin_unit_with_their_hours_and_listings(api: Api, tokens: dict[str, str], personal_data) -> None:
    ward = "07582"  # Phì Điền, Lục Ngạn: a ward no other test of the module registers in
    household = a_household(api, tokens, personal_data, ward=ward)
    always = open_storefront(api, household["token"], household["id"], name="Vải luôn mở")
    never = open_storefront(api, household["token"], household["id"], marketplace="VOSO", name="Chợ phiên",
                            openingHours=[])
    for n in range(3):
        publish(api, household["token"], always["id"], f"Vải thiều túi {n}")
    assert always["isOpenNow"] is True and never["isOpenNow"] is False
    assert always["address"] == {"scheme": 2021, "provinceCode": "24", "provinceName": "Bắc Giang",
                                 "districtCode": "219", "wardCode": ward, "street": "Thôn Quý 2"}
    assert always["openingHours"][6] == {"dayOfWeek": 7, "opens": "00:00", "closes": "24:00"}

    directory = """query($ward: String, $marketplace: Marketplace, $first: Int, $after: String) {
      storefronts(provinceCode: "24", districtCode: "219", wardCode: $ward, marketplace: $marketplace,
                  first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { name isOpenNow } } } }"""
    first = api.data(directory, {"ward": ward, "first": 1})["storefronts"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"]
    rest = api.data(directory, {"ward": ward, "first": 1, "after": first["pageInfo"]["endCursor"]})["storefronts"]
    assert [e["node"] for e in first["edges"] + rest["edges"]] == [
        {"name": "Vải luôn mở", "isOpenNow": True}, {"name": "Chợ phiên", "isOpenNow": False}]
    assert not rest["pageInfo"]["hasNextPage"]
    assert api.data(directory, {"ward": ward, "marketplace": "VOSO"})["storefronts"]["totalCount"] == 1
    assert error_code(api.post(directory, {"ward": ward, "first": 500})) == "LIMIT_EXCEEDED"

    shop = """query($id: ID!, $after: String) { storefront(id: $id) {
      listings(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { title } } }
      household { storefronts { name } } } }"""
    page = api.data(shop, {"id": always["id"]})["storefront"]
    assert page["listings"]["totalCount"] == 3 and page["listings"]["pageInfo"]["hasNextPage"]
    more = api.data(shop, {"id": always["id"], "after": page["listings"]["pageInfo"]["endCursor"]})["storefront"]
    assert [e["node"]["title"] for e in page["listings"]["edges"] + more["listings"]["edges"]] == [
        "Vải thiều túi 2", "Vải thiều túi 1", "Vải thiều túi 0"]
    assert [s["name"] for s in page["household"]["storefronts"]] == ["Vải luôn mở", "Chợ phiên"]
    # Check the Relay entry point reaches both types, publicly.
    node = "query($id: ID!) { node(id: $id) { id ... on Storefront { name } ... on Listing { title } } }"
    assert api.data(node, {"id": always["id"]})["node"]["name"] == "Vải luôn mở"
    listing_id = publish(api, household["token"], always["id"], "Na dai")["id"]
    assert api.data(node, {"id": listing_id})["node"]["title"] == "Na dai"


def test_nearby_storefronts_nearest_first_with_distances_and_open_now(api: Api, tokens: dict[str, str], personal_data) -> None:
    # Somewhere no other test puts a storefront.
    center = {"latitude": round(random.uniform(9.0, 11.0), 5), "longitude": round(random.uniform(104.5, 106.0), 5)}
    placed = {}
    for km, name, hours in ((3.0, "Ba cây số", ALL_DAY), (0.5, "Nửa cây số", ALL_DAY), (1.5, "Đóng giờ này", []),
                            (12.0, "Xa", ALL_DAY)):
        seller = a_seller(api, tokens, personal_data, name=name, location=north_of(center, km), openingHours=hours)
        placed[name] = seller
    paused = a_seller(api, tokens, personal_data, name="Tạm nghỉ", location=north_of(center, 1.0))
    api.data(SET_STATUS, {"input": {"storefrontId": paused["storefront"]["id"], "status": "TEMPORARILY_CLOSED"}},
             paused["household"]["token"])

    nearby = """query($near: GeoPointInput!, $radius: Float!, $first: Int, $openNow: Boolean) {
      nearbyStorefronts(near: $near, radiusKm: $radius, first: $first, openNow: $openNow) {
        distanceKm storefront { name isOpenNow contactPhoneMasked } } }"""
    hits = api.data(nearby, {"near": center, "radius": 10.0})["nearbyStorefronts"]
    assert [h["storefront"]["name"] for h in hits] == ["Nửa cây số", "Đóng giờ này", "Ba cây số"]
    assert [h["distanceKm"] for h in hits] == pytest.approx([0.5, 1.5, 3.0], rel=1e-3)
    open_now = api.data(nearby, {"near": center, "radius": 10.0, "openNow": True})["nearbyStorefronts"]
    assert [h["storefront"]["name"] for h in open_now] == ["Nửa cây số", "Ba cây số"]
    assert all(h["storefront"]["isOpenNow"] for h in open_now)
    assert len(api.data(nearby, {"near": center, "radius": 20.0, "first": 1})["nearbyStorefronts"]) == 1
    assert [h["storefront"]["name"] for h in api.data(nearby, {"near": center, "radius": 20.0})["nearbyStorefronts"]][-1] == "Xa"
    phones = [s["household"]["phone"][1:] for s in placed.values()]
    assert not any(p in json.dumps(hits) for p in phones)

    assert error_code(api.post(nearby, {"near": center, "radius": 5000.0})) == "LIMIT_EXCEEDED"
    assert error_code(api.post(nearby, {"near": center, "radius": 10.0, "first": 101})) == "LIMIT_EXCEEDED"
    assert error_code(api.post(nearby, {"near": center, "radius": -1.0})) == "BAD_USER_INPUT"
    assert error_code(api.post(nearby, {"near": {"latitude": 95.0, "longitude": 105.0}, "radius": 1.0})) == "BAD_USER_INPUT"


# -- who may do what ------------------------------------------------------------------------------


def test_who_may_open_a_storefront(api: Api, tokens: dict[str, str], personal_data) -> None:
    household = a_household(api, tokens, personal_data)
    other = a_household(api, tokens, personal_data)
    hid = household["id"]
    for refused in ("officer", "staff", "carrier", "partner"):
        assert error_code(api.post(OPEN, {"input": storefront_input(hid)}, tokens[refused])) == "FORBIDDEN", refused
    assert error_code(api.post(OPEN, {"input": storefront_input(hid)})) == "UNAUTHENTICATED"
    # A marketplace opens storefronts on itself only; a household for itself only.
    assert error_code(api.post(OPEN, {"input": storefront_input(hid, "VOSO")}, tokens["postmart"])) == "FORBIDDEN"
    stranger = api.data(OPEN, {"input": storefront_input(hid)}, other["token"])["openStorefront"]
    assert stranger == {"storefront": None, "userErrors": [
        {"field": ["input", "householdId"], "code": "NOT_FOUND", "message": "No household with this id"}]}

    assert open_storefront(api, tokens["postmart"], hid)["marketplace"] == "POSTMART"
    assert open_storefront(api, household["token"], hid, marketplace="VOSO")["marketplace"] == "VOSO"
    again = api.data(OPEN, {"input": storefront_input(hid)}, tokens["admin"])["openStorefront"]
    assert again["userErrors"][0]["field"] == ["input", "marketplace"] and again["userErrors"][0]["code"] == "ALREADY_EXISTS"
    assert open_storefront(api, tokens["admin"], other["id"], marketplace="VOSO")["household"]["code"] == other["code"]
    missing = api.data(OPEN, {"input": storefront_input("SG91c2Vob2xkOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA")},
                       tokens["admin"])["openStorefront"]
    assert missing["userErrors"][0]["code"] == "NOT_FOUND" and missing["userErrors"][0]["field"] == ["input", "householdId"]


def test_opening_a_storefront_is_idempotent_per_key(api: Api, tokens: dict[str, str], personal_data) -> None:
    household = a_household(api, tokens, personal_data)
    key, data = f"open-{uuid.uuid4()}", storefront_input(household["id"])
    first = api.data(OPEN, {"input": data, "key": key}, tokens["postmart"])["openStorefront"]
    replay = api.data(OPEN, {"input": data, "key": key}, tokens["postmart"])["openStorefront"]
    assert first == replay and first["userErrors"] == []
    reused = api.data(OPEN, {"input": {**data, "name": "Khác"}, "key": key}, tokens["postmart"])["openStorefront"]
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_who_may_manage_a_storefront_and_its_listings(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data)  # on POSTMART
    own, storefront_id = seller["household"]["token"], seller["storefront"]["id"]
    stranger = a_household(api, tokens, personal_data)["token"]
    listing_id = publish(api, own, storefront_id, "Vải thiều quyền")["id"]

    def user_error(document: str, variables: dict[str, Any], token: str) -> list[dict[str, Any]]:
        body = api.data(document, {"input": variables}, token)
        return next(iter(body.values()))["userErrors"]

    cases = [
        (SET_STATUS, {"storefrontId": storefront_id, "status": "TEMPORARILY_CLOSED"}, "storefrontId"),
        (PUBLISH, listing_input(storefront_id, "Vải lạ"), "storefrontId"),
        (ADJUST, {"listingId": listing_id, "delta": 5, "reason": "thu hoạch"}, "listingId"),
        (CHANGE_PRICE, {"listingId": listing_id, "unitPrice": {"amount": "1000", "currency": "VND"}}, "listingId"),
        (PAUSE, {"listingId": listing_id}, "listingId"),
    ]
    for document, variables, field in cases:
        # Out of scope reads as not found: another marketplace, another household.
        for outsider in (tokens["voso"], stranger):
            errors = user_error(document, variables, outsider)
            assert errors and errors[0]["code"] == "NOT_FOUND" and errors[0]["field"] == ["input", field], document
        for refused in ("officer", "staff", "carrier", "partner"):
            assert error_code(api.post(document, {"input": variables}, tokens[refused])) == "FORBIDDEN", refused
        assert error_code(api.post(document, {"input": variables})) == "UNAUTHENTICATED"
    assert publish(api, tokens["postmart"], storefront_id, "Vải của sàn")["title"] == "Vải của sàn"

    adjusted = api.data(ADJUST, {"input": {"listingId": listing_id, "delta": -100, "reason": "mưa đá"}}, own)["adjustStock"]
    assert adjusted["listing"] == {"id": listing_id, "stockQuantity": 0, "status": "SOLD_OUT"}
    restocked = api.data(ADJUST, {"input": {"listingId": listing_id, "delta": 40, "reason": "lứa mới"}},
                         tokens["postmart"])["adjustStock"]
    assert restocked["listing"]["stockQuantity"] == 40 and restocked["listing"]["status"] == "ACTIVE"
    price = {"amount": "42000", "currency": "VND"}
    repriced = api.data(CHANGE_PRICE, {"input": {"listingId": listing_id, "unitPrice": price}}, tokens["admin"])
    assert repriced["changePrice"]["listing"]["unitPrice"] == price
    for document, token, status in ((PAUSE, own, "PAUSED"), (RESUME, tokens["postmart"], "ACTIVE"),
                                    (DELIST, own, "DELISTED")):
        payload = next(iter(api.data(document, {"input": {"listingId": listing_id}}, token).values()))
        assert payload["listing"]["status"] == status and payload["userErrors"] == []
    twice = api.data(DELIST, {"input": {"listingId": listing_id}}, own)["delistListing"]
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"
    closed = api.data(SET_STATUS, {"input": {"storefrontId": storefront_id, "status": "CLOSED"}}, tokens["postmart"])
    assert closed["setStorefrontStatus"]["storefront"]["status"] == "CLOSED"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"unitPrice": {"amount": "-35000", "currency": "VND"}}, ["input", "unitPrice", "amount"], "INVALID"),
        ({"unitPrice": {"amount": "35000.5", "currency": "VND"}}, ["input", "unitPrice", "amount"], "INVALID"),
        ({"unitPrice": {"amount": "35000", "currency": "XYZ"}}, ["input", "unitPrice", "currency"], "INVALID"),
        ({"stockQuantity": 0}, ["input", "stockQuantity"], "INVALID"),
        ({"shelfLifeHours": 0}, ["input", "shelfLifeHours"], "INVALID"),
        ({"title": " "}, ["input", "title"], "INVALID"),
        ({"certificationIds": ["not-a-certification"]}, ["input", "certificationIds", "0"], "INVALID"),
        ({"campaignId": "Q2FtcGFpZ246MQ"}, ["input", "campaignId"], "NOT_FOUND"),
    ],
)
def test_bad_listings_are_refused_with_the_field_at_fault_and_change_nothing(
    api: Api, tokens: dict[str, str], personal_data, overrides: dict[str, Any], field: list[str], code: str
) -> None:
    seller = a_seller(api, tokens, personal_data)
    storefront_id, token = seller["storefront"]["id"], seller["household"]["token"]
    data = {**listing_input(storefront_id, "Vải thiều"), **overrides}
    payload = api.data(PUBLISH, {"input": data}, token)["publishListing"]
    assert payload["listing"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    count = "query($id: ID!) { storefront(id: $id) { listings { totalCount } } }"
    assert api.data(count, {"id": storefront_id}, token)["storefront"]["listings"]["totalCount"] == 0


def test_other_bad_input_is_refused_with_the_field_at_fault(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data)
    household, storefront_id = seller["household"], seller["storefront"]["id"]
    token = household["token"]

    def refused(document: str, variables: dict[str, Any]) -> tuple[list[str], str]:
        payload = next(iter(api.data(document, {"input": variables}, token).values()))
        assert len(payload["userErrors"]) == 1, payload
        return payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]

    late = [{"dayOfWeek": 1, "opens": "18:00", "closes": "25:00"}]
    assert refused(OPEN, storefront_input(household["id"], "VOSO", openingHours=late)) == (
        ["input", "openingHours", "0", "closes"], "INVALID")
    sunday8 = [{"dayOfWeek": 8, "opens": "07:00", "closes": "09:00"}]
    assert refused(OPEN, storefront_input(household["id"], "VOSO", openingHours=sunday8)) == (
        ["input", "openingHours", "0", "dayOfWeek"], "INVALID")
    assert refused(OPEN, storefront_input(household["id"], "VOSO", location={"latitude": 121.0, "longitude": 106.0})) == (
        ["input", "location", "latitude"], "INVALID")

    # A certification of another household, next to one of its own.
    own_cert = certify(api, tokens, household["id"])
    their_cert = certify(api, tokens, a_household(api, tokens, personal_data)["id"])
    assert refused(PUBLISH, listing_input(storefront_id, "Vải VietGAP", certificationIds=[own_cert, their_cert])) == (
        ["input", "certificationIds", "1"], "INVALID")
    certified = publish(api, token, storefront_id, "Vải VietGAP", certificationIds=[own_cert])
    assert [c["scheme"] for c in certified["certifications"]] == ["VIETGAP"]

    listing_id = certified["id"]
    assert refused(ADJUST, {"listingId": listing_id, "delta": -101, "reason": "sâu"}) == (["input", "delta"], "INVALID")
    assert refused(ADJUST, {"listingId": listing_id, "delta": 0, "reason": "sâu"}) == (["input", "delta"], "INVALID")
    assert refused(CHANGE_PRICE, {"listingId": listing_id, "unitPrice": {"amount": "0", "currency": "VND"}}) == (
        ["input", "unitPrice", "amount"], "INVALID")
    assert refused(CHANGE_PRICE, {"listingId": listing_id, "unitPrice": {"amount": "1.5", "currency": "VND"}}) == (
        ["input", "unitPrice", "amount"], "INVALID")
    api.data(SET_STATUS, {"input": {"storefrontId": storefront_id, "status": "CLOSED"}}, token)
    assert refused(SET_STATUS, {"storefrontId": storefront_id, "status": "TEMPORARILY_CLOSED"}) == (
        ["input", "status"], "INVALID_TRANSITION")
    assert refused(PUBLISH, listing_input(storefront_id, "Vải muộn")) == (["input", "storefrontId"], "INVALID_TRANSITION")


def test_a_storefront_may_give_a_landline_as_its_contact_and_otherwise_shows_the_households_number(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    household = a_household(api, tokens, personal_data)
    landline = personal_data.landline()
    e164 = "+84" + landline[1:].replace(" ", "")
    post_office = open_storefront(api, household["token"], household["id"], marketplace="VOSO", contactPhone=landline)
    own_phone = open_storefront(api, household["token"], household["id"], marketplace="POSTMART")
    assert post_office["contactPhoneMasked"] == e164  # the household sees its own storefront's number
    public = api.data(STOREFRONT_BY_ID, {"id": post_office["id"]})["storefront"]["contactPhoneMasked"]
    assert public == "*" * (len(e164) - 3) + e164[-3:] and landline[1:].replace(" ", "") not in public
    assert api.data(STOREFRONT_BY_ID, {"id": own_phone["id"]})["storefront"]["contactPhoneMasked"] == masked(
        household["phone"])
    other = a_household(api, tokens, personal_data)
    refused = api.data(OPEN, {"input": storefront_input(other["id"], contactPhone=landline[:-1])},
                       other["token"])["openStorefront"]
    assert refused["storefront"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input", "contactPhone"], "INVALID")]


def test_a_domestic_listing_is_priced_in_vnd_keeps_its_currency_and_its_stock_is_bounded(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data)
    storefront_id, token = seller["storefront"]["id"], seller["household"]["token"]

    def errors(document: str, variables: dict[str, Any]) -> list[tuple[list[str], str]]:
        payload = next(iter(api.data(document, {"input": variables}, token).values()))
        return [(e["field"], e["code"]) for e in payload["userErrors"]]

    euros = {"amount": "12.50", "currency": "EUR"}
    assert errors(PUBLISH, listing_input(storefront_id, "Vải thiều", unitPrice=euros)) == [
        (["input", "unitPrice", "currency"], "INVALID")]
    # The most a listing holds is accepted; one more is refused.
    assert errors(PUBLISH, listing_input(storefront_id, "Vải thiều", stockQuantity=MAX_STOCK + 1)) == [
        (["input", "stockQuantity"], "INVALID")]
    listing = publish(api, token, storefront_id, "Vải thiều", stockQuantity=MAX_STOCK)
    assert listing["stockQuantity"] == MAX_STOCK
    assert errors(ADJUST, {"listingId": listing["id"], "delta": 1, "reason": "thu hoạch"}) == [
        (["input", "delta"], "INVALID")]
    # A new price in another currency is refused, and the listing keeps its price in VND.
    assert errors(CHANGE_PRICE, {"listingId": listing["id"], "unitPrice": euros}) == [
        (["input", "unitPrice", "currency"], "INVALID")]
    after = api.data(LISTING_BY_ID, {"id": listing["id"]})["listing"]
    assert (after["unitPrice"], after["stockQuantity"]) == ({"amount": "35000", "currency": "VND"}, MAX_STOCK)


# -- scope of reads -------------------------------------------------------------------------------


def test_a_household_reached_from_the_catalog_is_shown_as_the_caller_may_see_it(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data)  # registered by an officer, selling on POSTMART
    household = seller["household"]
    phone, full = household["phone"], "+84" + household["phone"][1:]
    listing_id = publish(api, household["token"], seller["storefront"]["id"], "Vải thiều phạm vi")["id"]
    stranger = a_household(api, tokens, personal_data)["token"]
    shown = {None: masked(phone), "carrier": masked(phone), "voso": masked(phone), "postmart": masked(phone),
             "staff": masked(phone), "stranger": masked(phone), "admin": full, "self": full}
    token_of = {**tokens, "self": household["token"], "stranger": stranger, None: None}
    for who, expected in shown.items():
        listing = api.data(LISTING_BY_ID, {"id": listing_id}, token_of[who])["listing"]
        assert listing["household"]["code"] == household["code"], who
        assert listing["household"]["phoneMasked"] == expected, who
        storefront = api.data(STOREFRONT_BY_ID, {"id": seller["storefront"]["id"]}, token_of[who])["storefront"]
        assert storefront["contactPhoneMasked"] == expected, who
        if expected != full:
            assert phone[1:] not in json.dumps(listing) + json.dumps(storefront), who

    # The public sees a seller, not the household's record: no history, no payment accounts.
    for field in ("history { type }", "paymentAccounts { provider }"):
        query = f"query($id: ID!) {{ listing(id: $id) {{ household {{ code {field} }} }} }}"
        for who in (None, "carrier", "voso", "stranger"):
            assert error_code(api.post(query, {"id": listing_id}, token_of[who])) == "FORBIDDEN", (field, who)
    history = "query($id: ID!) { listing(id: $id) { household { history { type } } } }"
    assert api.data(history, {"id": listing_id}, tokens["admin"])["listing"]["household"]["history"][0]["type"] == "Registered"
    # The marketplace the storefront sells on reads its household (masked), as the design table says.
    accounts = "query($id: ID!) { storefront(id: $id) { household { paymentAccounts { provider } } } }"
    assert api.data(accounts, {"id": seller["storefront"]["id"]}, tokens["postmart"])["storefront"]["household"] == {
        "paymentAccounts": []}
    # Other household paths are unchanged: a carrier still reads no household by id.
    by_id = "query($id: ID!) { household(id: $id) { code } }"
    assert api.data(by_id, {"id": household["id"]}, tokens["carrier"])["household"] is None


def test_a_closed_storefront_leaves_the_public_catalog(api: Api, tokens: dict[str, str], personal_data) -> None:
    marker = "c" + uuid.uuid4().hex[:7]
    seller = a_seller(api, tokens, personal_data)
    token, storefront_id = seller["household"]["token"], seller["storefront"]["id"]
    listing_id = publish(api, token, storefront_id, f"Vải {marker}")["id"]
    assert titles(api, search=marker) == [f"Vải {marker}"]

    # Temporarily closed: still shown (closed now), its listings out of search.
    paused = api.data(SET_STATUS, {"input": {"storefrontId": storefront_id, "status": "TEMPORARILY_CLOSED"}}, token)
    assert paused["setStorefrontStatus"]["storefront"] == {"id": storefront_id, "status": "TEMPORARILY_CLOSED",
                                                           "isOpenNow": False}
    assert titles(api, search=marker) == []
    assert api.data(STOREFRONT_BY_ID, {"id": storefront_id})["storefront"]["status"] == "TEMPORARILY_CLOSED"

    api.data(SET_STATUS, {"input": {"storefrontId": storefront_id, "status": "CLOSED"}}, token)
    for who in (None, tokens["carrier"], tokens["voso"]):
        assert api.data(STOREFRONT_BY_ID, {"id": storefront_id}, who)["storefront"] is None
        assert api.data(LISTING_BY_ID, {"id": listing_id}, who)["listing"] is None
    household_storefronts = "query($id: ID!) { household(id: $id) { storefronts { id status } } }"
    assert api.data(household_storefronts, {"id": seller["household"]["id"]}, tokens["officer"])["household"] == {
        "storefronts": []}
    # Those who manage it, ADMIN and dispute staff still read it, and the household still lists it.
    for who in (token, tokens["postmart"], tokens["admin"], tokens["staff"]):
        assert api.data(STOREFRONT_BY_ID, {"id": storefront_id}, who)["storefront"]["status"] == "CLOSED"
        assert api.data(LISTING_BY_ID, {"id": listing_id}, who)["listing"]["household"]["code"]
    assert api.data(household_storefronts, {"id": seller["household"]["id"]}, token)["household"]["storefronts"] == [
        {"id": storefront_id, "status": "CLOSED"}]
