"""Households over HTTP, as a frontend would use them: every mutation's bad-input path, every
role's allowed and refused paths, idempotency, scope through every read path."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.server import Api
from tests.personal_data import PersonalData

HOUSEHOLD_FIELDS = "id code name status phoneMasked address { scheme provinceCode provinceName districtCode }"
REGISTER = f"""mutation($input: RegisterHouseholdInput!, $key: String) {{
  registerHousehold(input: $input, idempotencyKey: $key) {{
    household {{ {HOUSEHOLD_FIELDS} }}
    userErrors {{ field code message }}
  }}
}}"""
VERIFY = """mutation($input: VerifyHouseholdInput!) { verifyHousehold(input: $input) {
  household { id status verifiedAt } userErrors { field code message } } }"""
LINK = """mutation($input: LinkPaymentAccountInput!) { linkPaymentAccount(input: $input) {
  household { id paymentAccounts { kind provider referenceMasked } } userErrors { field code message } } }"""
CERTIFY = """mutation($input: AddCertificationInput!) { addCertification(input: $input) {
  household { id } certification { id scheme number validUntil } userErrors { field code message } } }"""
HOUSEHOLD = f"query($id: ID!) {{ household(id: $id) {{ {HOUSEHOLD_FIELDS} }} }}"
NODE = "query($id: ID!) { node(id: $id) { id ... on Household { code phoneMasked } } }"


#: a 2021 district of each province the tests register in (Chi Lăng, Lạng Sơn; Lục Nam, Bắc Giang)
DISTRICT_OF = {"20": "187", "24": "219"}


def registration(pd: PersonalData, province: str = "20", **overrides: Any) -> dict[str, Any]:
    data = {"name": "Hộ Hoàng Văn Na", "nationalId": pd.national_id(), "phone": pd.phone(),
            "address": {"scheme": 2021, "provinceCode": province, "districtCode": DISTRICT_OF[province]}}
    data.update(overrides)
    return data


def register(api: Api, token: str, pd: PersonalData, **overrides: Any) -> dict[str, Any]:
    payload = api.data(REGISTER, {"input": registration(pd, **overrides)}, token)["registerHousehold"]
    assert payload["userErrors"] == []
    return payload["household"]


def error_code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def test_who_may_register_a_household(api: Api, tokens: dict[str, str], personal_data) -> None:
    for allowed in ("admin", "postmart", "officer20"):
        household = register(api, tokens[allowed], personal_data)
        assert household["code"].startswith("HH-20-")
        assert household["address"]["provinceName"] == "Lạng Sơn"
    for refused in ("staff", "carrier", "partner"):
        body = api.post(REGISTER, {"input": registration(personal_data)}, tokens[refused])
        assert error_code(body) == "FORBIDDEN", refused
    household_token = api.token("HOUSEHOLD", "na", household="SG91c2Vob2xkOjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMQ")  # no such household
    assert error_code(api.post(REGISTER, {"input": registration(personal_data)}, household_token)) == "FORBIDDEN"
    # A province officer registers only in their own province.
    assert error_code(api.post(REGISTER, {"input": registration(personal_data, "24")}, tokens["officer20"])) == "FORBIDDEN"


def test_missing_or_bad_tokens_are_unauthenticated(api: Api, personal_data) -> None:
    assert error_code(api.post(REGISTER, {"input": registration(personal_data)})) == "UNAUTHENTICATED"
    forged = api.token("ADMIN")[:-4] + "AAAA"
    assert error_code(api.post(REGISTER, {"input": registration(personal_data)}, forged)) == "UNAUTHENTICATED"
    body = api.post(REGISTER, {"input": registration(personal_data)}, headers={"Authorization": "Basic abc"})
    assert error_code(body) == "UNAUTHENTICATED"
    # Public reference data needs no token.
    assert len(api.data("{ provinces(scheme: 2021) { code name scheme } }")["provinces"]) == 63
    assert len(api.data("{ provinces(scheme: 2025) { code } }")["provinces"]) == 34
    assert api.data("{ viewer { role } }")["viewer"]["role"] is None


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"nationalId": "12345"}, ["input", "nationalId"], "INVALID"),
        ({"phone": "+1 415 555 0100"}, ["input", "phone"], "INVALID"),
        ({"phone": "024 3942 1234"}, ["input", "phone"], "INVALID"),  # a landline: the household needs a mobile
        ({"address": {"scheme": 2021, "provinceCode": "99"}}, ["input", "address", "provinceCode"], "INVALID"),
        ({"address": {"scheme": 2030, "provinceCode": "20"}}, ["input", "address", "scheme"], "INVALID"),
        ({"address": {"provinceCode": "20", "districtCode": "187"}}, ["input", "address", "districtCode"], "INVALID"),
        # Districts and wards must exist in their province and scheme (2021: province/district/ward).
        ({"address": {"scheme": 2021, "provinceCode": "20", "districtCode": "999"}},
         ["input", "address", "districtCode"], "INVALID"),
        ({"address": {"scheme": 2021, "provinceCode": "20", "districtCode": "187", "wardCode": "99999"}},
         ["input", "address", "wardCode"], "INVALID"),
        ({"address": {"scheme": 2021, "provinceCode": "20", "districtCode": "005"}},  # Cầu Giấy, Hà Nội
         ["input", "address", "districtCode"], "INVALID"),
        ({"address": {"scheme": 2021, "provinceCode": "20", "districtCode": "187", "wardCode": "06280"}},  # Văn Quan
         ["input", "address", "wardCode"], "INVALID"),
        # 2025: province/ward, no district.
        ({"address": {"scheme": 2025, "provinceCode": "20", "wardCode": "99999"}},
         ["input", "address", "wardCode"], "INVALID"),
        ({"address": {"scheme": 2025, "provinceCode": "20", "wardCode": "00004"}},  # Ba Đình, Hà Nội
         ["input", "address", "wardCode"], "INVALID"),
        ({"address": {"scheme": 2025, "provinceCode": "77"}}, ["input", "address", "provinceCode"], "INVALID"),
        ({"name": " "}, ["input", "name"], "INVALID"),
        ({"location": {"latitude": 91, "longitude": 106}}, ["input", "location", "latitude"], "INVALID"),
    ],
)
def test_registration_bad_input_is_a_user_error_and_changes_nothing(
    api: Api, tokens: dict[str, str], personal_data, overrides: dict[str, Any], field: list[str], code: str
) -> None:
    before = api.data("{ households(first: 1) { totalCount } }", token=tokens["admin"])["households"]["totalCount"]
    data = registration(personal_data, **overrides)
    payload = api.data(REGISTER, {"input": data}, tokens["admin"])["registerHousehold"]
    assert payload["household"] is None
    assert payload["userErrors"][0]["field"] == field and payload["userErrors"][0]["code"] == code
    assert data["nationalId"] not in payload["userErrors"][0]["message"]
    after = api.data("{ households(first: 1) { totalCount } }", token=tokens["admin"])["households"]["totalCount"]
    assert after == before


def test_one_household_per_national_id(api: Api, tokens: dict[str, str], personal_data) -> None:
    first = registration(personal_data)
    assert api.data(REGISTER, {"input": first}, tokens["postmart"])["registerHousehold"]["household"]
    again = {**registration(personal_data), "nationalId": first["nationalId"]}
    payload = api.data(REGISTER, {"input": again}, tokens["voso"])["registerHousehold"]
    assert payload["household"] is None
    assert payload["userErrors"] == [{"field": ["input", "nationalId"], "code": "ALREADY_EXISTS",
                                      "message": "A household with this national ID is already registered"}]


DUPLICATE = """mutation($input: RegisterHouseholdInput!, $key: String) {
  registerHousehold(input: $input, idempotencyKey: $key) {
    household { id } existingHousehold { id code } userErrors { field code message } } }"""


def test_a_duplicate_registration_tells_who_may_register_it_the_existing_code_and_no_one_else(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    first = registration(personal_data, "20")
    household = api.data(REGISTER, {"input": first}, tokens["officer20"])["registerHousehold"]["household"]
    existing = {"id": household["id"], "code": household["code"]}
    assert existing["code"].startswith("HH-20-")

    duplicates = {province: {**registration(personal_data, province), "nationalId": first["nationalId"]}
                  for province in ("20", "24")}

    def again(token: str, province: str = "20", key: str | None = None) -> dict[str, Any]:
        data = duplicates[province]
        payload = api.data(DUPLICATE, {"input": data, "key": key}, token)["registerHousehold"]
        assert payload["household"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["input", "nationalId"], "ALREADY_EXISTS")]
        return payload

    # Check the roles that may register it learn its id and code — the other marketplace, the officer of
    # its province, ADMIN — and an idempotent replay tells it again.
    for token in (tokens["voso"], tokens["postmart"], tokens["officer20"], tokens["admin"]):
        assert again(token)["existingHousehold"] == existing
    key = f"dup-{uuid.uuid4()}"
    assert again(tokens["voso"], key=key) == again(tokens["voso"], key=key)
    assert again(tokens["voso"], key=key)["existingHousehold"] == existing
    # An officer of another province, registering the same person in its own, learns nothing more.
    told = again(tokens["officer24"], "24")
    assert told["existingHousehold"] is None and existing["code"] not in json.dumps(told)
    # Nothing personal in any answer: only the id and code.
    answer = json.dumps(again(tokens["voso"]), ensure_ascii=False)
    assert first["nationalId"] not in answer and first["phone"][1:] not in answer and first["name"] not in answer


def test_idempotent_replay_returns_the_first_response_and_records_nothing_new(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    key = f"reg-{uuid.uuid4()}"
    data = registration(personal_data)
    count = "{ households(first: 1) { totalCount } }"
    before = api.data(count, token=tokens["admin"])["households"]["totalCount"]
    first = api.data(REGISTER, {"input": data, "key": key}, tokens["postmart"])["registerHousehold"]
    replay = api.data(REGISTER, {"input": data, "key": key}, tokens["postmart"])["registerHousehold"]
    assert first == replay and first["household"]["id"]
    assert api.data(count, token=tokens["admin"])["households"]["totalCount"] == before + 1
    changed = {**data, "name": "Hộ khác"}
    reused = api.data(REGISTER, {"input": changed, "key": key}, tokens["postmart"])["registerHousehold"]
    assert reused["household"] is None
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert reused["userErrors"][0]["field"] == ["idempotencyKey"]
    # The same key from another caller is that caller's own key.
    other = api.data(REGISTER, {"input": registration(personal_data), "key": key}, tokens["voso"])["registerHousehold"]
    assert other["userErrors"] == [] and other["household"]["id"] != first["household"]["id"]
    # A replay of a refused request replays the refusal.
    bad = registration(personal_data, phone="123")
    refused = [api.data(REGISTER, {"input": bad, "key": key + "-bad"}, tokens["postmart"])["registerHousehold"]
               for _ in range(2)]
    assert refused[0] == refused[1] and refused[0]["userErrors"][0]["code"] == "INVALID"


def test_verify_link_certify_paths(api: Api, tokens: dict[str, str], personal_data) -> None:
    household = register(api, tokens["officer20"], personal_data)
    hid = household["id"]
    # Refused: other province's officer and marketplaces see no such household / may not verify.
    other = api.data(VERIFY, {"input": {"householdId": hid, "method": "visit"}}, tokens["officer24"])["verifyHousehold"]
    assert other["userErrors"][0]["code"] == "NOT_FOUND" and other["household"] is None
    assert error_code(api.post(VERIFY, {"input": {"householdId": hid, "method": "x"}}, tokens["postmart"])) == "FORBIDDEN"
    bad_id = api.data(VERIFY, {"input": {"householdId": "nonsense", "method": "x"}}, tokens["admin"])["verifyHousehold"]
    assert bad_id["userErrors"][0] == {"field": ["input", "householdId"], "code": "NOT_FOUND",
                                       "message": "No household with this id"}
    empty = api.data(VERIFY, {"input": {"householdId": hid, "method": " "}}, tokens["officer20"])["verifyHousehold"]
    assert empty["userErrors"][0]["field"] == ["input", "method"]
    verified = api.data(VERIFY, {"input": {"householdId": hid, "method": "commune post office"}},
                        tokens["officer20"])["verifyHousehold"]
    assert verified["household"]["status"] == "VERIFIED" and verified["household"]["verifiedAt"]
    twice = api.data(VERIFY, {"input": {"householdId": hid, "method": "again"}}, tokens["officer20"])["verifyHousehold"]
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"

    self_token = api.token("HOUSEHOLD", "na", household=hid)
    stranger = api.token("HOUSEHOLD", "other", household="SG91c2Vob2xkOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA")
    account = {"householdId": hid, "kind": "E_WALLET", "provider": "ViettelPay", "reference": "VTP-0099887766"}
    linked = api.data(LINK, {"input": account}, self_token)["linkPaymentAccount"]
    assert linked["household"]["paymentAccounts"] == [{"kind": "E_WALLET", "provider": "ViettelPay",
                                                       "referenceMasked": "****7766"}]
    assert api.data(LINK, {"input": account}, stranger)["linkPaymentAccount"]["userErrors"][0]["code"] == "NOT_FOUND"
    short = api.data(LINK, {"input": {**account, "reference": "x"}}, self_token)["linkPaymentAccount"]
    assert short["userErrors"][0]["field"] == ["input", "reference"]

    cert = {"householdId": hid, "scheme": "VIETGAP", "number": "VG-20-0001", "issuer": "Sở NN Lạng Sơn",
            "validUntil": "2099-12-31T00:00:00+07:00"}
    added = api.data(CERTIFY, {"input": cert}, tokens["officer20"])["addCertification"]
    assert added["certification"]["scheme"] == "VIETGAP" and added["userErrors"] == []
    past = api.data(CERTIFY, {"input": {**cert, "number": "VG-2", "validUntil": "2001-01-01T00:00:00+07:00"}},
                    tokens["officer20"])["addCertification"]
    assert past["userErrors"][0]["field"] == ["input", "validUntil"]
    naive = api.data(CERTIFY, {"input": {**cert, "number": "VG-3", "validUntil": "2099-01-01T00:00:00"}},
                     tokens["officer20"])["addCertification"]
    assert naive["userErrors"][0]["field"] == ["input", "validUntil"]
    assert error_code(api.post(CERTIFY, {"input": cert}, self_token)) == "FORBIDDEN"


def test_reads_are_scoped_and_personal_data_masked(api: Api, tokens: dict[str, str], personal_data) -> None:
    data = registration(personal_data)
    household = api.data(REGISTER, {"input": data}, tokens["postmart"])["registerHousehold"]["household"]
    hid, code = household["id"], household["code"]
    local = data["phone"][1:]
    full = "+84" + local
    self_token = api.token("HOUSEHOLD", "na", household=hid)
    expectations = {
        "admin": full, "staff": None, "officer20": None, "postmart": None,
    }
    for who, phone in expectations.items():
        seen = api.data(HOUSEHOLD, {"id": hid}, tokens[who])["household"]
        assert seen is not None, who
        assert seen["phoneMasked"] == (phone or "*" * 9 + full[-3:]), who
        assert api.data(NODE, {"id": hid}, tokens[who])["node"]["code"] == code
    assert api.data(HOUSEHOLD, {"id": hid}, self_token)["household"]["phoneMasked"] == full
    for who in ("officer24", "voso", "carrier", "partner"):
        assert api.data(HOUSEHOLD, {"id": hid}, tokens[who])["household"] is None, who
        assert api.data(NODE, {"id": hid}, tokens[who])["node"] is None, who
    assert error_code(api.post(HOUSEHOLD, {"id": hid})) == "UNAUTHENTICATED"
    # Marketplaces look households up by the shared code, on either marketplace.
    by_code = "query($code: String!) { householdByCode(code: $code) { id phoneMasked } }"
    assert api.data(by_code, {"code": code}, tokens["voso"])["householdByCode"]["id"] == hid
    assert local not in str(api.data(by_code, {"code": code}, tokens["voso"]))
    assert error_code(api.post(by_code, {"code": code}, tokens["carrier"])) == "FORBIDDEN"


def test_lists_are_scoped_filtered_searched_and_paged(api: Api, tokens: dict[str, str], personal_data) -> None:
    marker = uuid.uuid4().hex[:6]
    for n in range(5):
        register(api, tokens["admin"], personal_data, name=f"Hộ Đặng {marker} số {n}")
    register(api, tokens["admin"], personal_data, name=f"Hộ Đặng {marker} Bắc Giang",
             address={"scheme": 2021, "provinceCode": "24"})
    query = """query($first: Int, $after: String, $search: String, $province: String) {
      households(first: $first, after: $after, search: $search, provinceCode: $province) {
        totalCount edges { cursor node { name address { provinceCode } } }
        pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    search = f"dang {marker.upper()}"
    first = api.data(query, {"first": 4, "search": search}, tokens["admin"])["households"]
    assert first["totalCount"] == 6 and len(first["edges"]) == 4 and first["pageInfo"]["hasNextPage"]
    rest = api.data(query, {"first": 4, "search": search, "after": first["pageInfo"]["endCursor"]},
                    tokens["admin"])["households"]
    assert len(rest["edges"]) == 2 and not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    names = [e["node"]["name"] for e in first["edges"] + rest["edges"]]
    assert len(set(names)) == 6
    officer = api.data(query, {"first": 50, "search": search}, tokens["officer24"])["households"]
    assert [e["node"]["address"]["provinceCode"] for e in officer["edges"]] == ["24"]
    assert api.data(query, {"search": search, "province": "20"}, tokens["officer24"])["households"]["totalCount"] == 0
    assert error_code(api.post(query, {"first": 101}, tokens["admin"])) == "LIMIT_EXCEEDED"
    assert error_code(api.post(query, {"after": "bm90LWEtY3Vyc29y"}, tokens["admin"])) == "BAD_USER_INPUT"
    assert error_code(api.post(query, {}, tokens["carrier"])) == "FORBIDDEN"


def test_history_shows_every_event_with_a_hash_chain_to_those_allowed(api: Api, tokens: dict[str, str], personal_data) -> None:
    hid = register(api, tokens["officer20"], personal_data)["id"]
    api.data(VERIFY, {"input": {"householdId": hid, "method": "commune post office"}}, tokens["officer20"])
    history = "query($id: ID!) { household(id: $id) { history { stream version type actor occurredAt recordedAt hash data } } }"
    for who in ("admin", "staff", "officer20"):
        events = api.data(history, {"id": hid}, tokens[who])["household"]["history"]
        assert [e["type"] for e in events] == ["Registered", "Verified"]
        assert [e["version"] for e in events] == [1, 2] and events[0]["actor"] == "PROVINCE_OFFICER:lan"
        assert len({e["hash"] for e in events}) == 2 and all(len(e["hash"]) == 64 for e in events)
        assert events[0]["data"]["national_id_digest"] == "[redacted]"
        if who != "admin":
            assert events[0]["data"]["phone"].startswith("*")
    body = api.post(history, {"id": hid}, tokens["postmart"])
    assert body["data"]["household"] is None  # not visible to a marketplace it did not come through


def test_request_id_is_returned_and_oversized_queries_are_refused(api: Api, tokens: dict[str, str]) -> None:
    response = api.client.post(api.url + "/graphql", json={"query": "{ viewer { role } }"},
                               headers={"X-Request-ID": "frontend-req-12345"})
    assert response.headers["x-request-id"] == "frontend-req-12345"
    aliases = " ".join(f"a{n}: viewer {{ role }}" for n in range(40))
    assert api.post("{ " + aliases + " }")["errors"]
    deep = "{ households { edges { node { history { data } } } } }"
    assert api.post(deep, token=tokens["admin"]).get("errors") is None
    assert api.client.get(api.url + "/readyz").json()["database"] == "ok"
    assert "farmgate_projection_lag_events" in api.client.get(api.url + "/metrics").text
