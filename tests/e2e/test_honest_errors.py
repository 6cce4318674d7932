"""Client mistakes are answered as client mistakes, over HTTP on SQLite and PostgreSQL: variables
that do not coerce, documents that do not parse or validate, limits, forged cursors and malformed
bodies each get their code (or HTTP 400) and a message, never INTERNAL, never a traceback, and are
not logged as faults."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.server import Api
from tests.e2e.ws import subscribed
from tests.personal_data import LOG_DIR

ORDERS = "query($first: Int, $after: String) { orders(first: $first, after: $after) { totalCount } }"


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def only_error(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def raw(api: Api, content: bytes, token: str | None = None) -> httpx.Response:
    headers = {"content-type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return api.client.post(api.url + "/graphql", content=content, headers=headers)


def internal_errors_logged(api: Api) -> int:
    log = Path(LOG_DIR) / f"{api.name}-serve.log"
    return sum(1 for line in log.read_text(encoding="utf-8").splitlines() if "graphql_internal_error" in line)


def test_variables_that_do_not_coerce_are_bad_user_input_in_graphql_cores_words(
    api: Api, tokens: dict[str, str]
) -> None:
    faults_before = internal_errors_logged(api)
    household = "query($id: ID!) { household(id: $id) { id } }"
    cases = [
        (household, {"id": None}, "$id"),
        (household, {}, "$id"),
        (ORDERS, {"first": "abc"}, "$first"),
        (ORDERS, {"first": 2**40}, "$first"),
        (ORDERS, {"first": 1.5}, "$first"),
        ("query($s: OrderStatus) { orders(status: $s) { totalCount } }", {"s": "KING"}, "$s"),
    ]
    for query, variables, name in cases:
        code, said = only_error(api.post(query, variables, tokens["staff"]))
        assert (code, said.startswith(f"Variable '{name}'")) == ("BAD_USER_INPUT", True), (variables, said)
    assert internal_errors_logged(api) == faults_before, "a client's mistake was logged as a fault"


REGISTER_INPUT = """mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) {
  userErrors { code } } }"""


def test_a_value_that_does_not_coerce_is_never_repeated_in_the_message(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    """graphql-core repeats what it refused (a whole input object when one field is missing): the
    message keeps its words, which variable, path, type and rule, but not the personal data."""
    national_id, phone = personal_data.national_id(), personal_data.phone()
    person = {"name": "Hộ Lê Văn Riêng", "nationalId": national_id, "phone": phone}
    literal = ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in person.items())
    cases = [
        # variables: a required field missing, an unknown field, a wrong type, a scalar, an enum, a time
        (REGISTER_INPUT, {"input": person}, "BAD_USER_INPUT", "to include required field 'address'"),
        (REGISTER_INPUT, {"input": {**person, "address": {"scheme": 2021, "provinceCode": "20"}, "note": phone}},
         "BAD_USER_INPUT", "not to include unknown field 'note'"),
        (REGISTER_INPUT, {"input": phone}, "BAD_USER_INPUT", "to be an object"),
        (REGISTER_INPUT, {"input": {**person, "nationalId": int(national_id),
                                    "address": {"scheme": 2021, "provinceCode": "20"}}},
         "BAD_USER_INPUT", "at .nationalId: String cannot represent a non string value"),
        ("query($s: OrderStatus) { orders(status: $s) { totalCount } }", {"s": phone}, "BAD_USER_INPUT",
         "does not exist in 'OrderStatus' enum"),
        ("query($s: OrderStatus) { orders(status: $s) { totalCount } }", {"s": int(phone)}, "BAD_USER_INPUT",
         "cannot represent non-string value"),
        ("""mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }""",
         {"input": {"orderId": "x", "amount": {"amount": "1", "currency": "VND"}, "reference": "r",
                    "occurredAt": phone}}, "BAD_USER_INPUT", "at .occurredAt: Value cannot represent a DateTime"),
        # literals in the document
        (f"mutation {{ registerHousehold(input: {{ {literal} }}) {{ userErrors {{ code }} }} }}", {},
         "GRAPHQL_VALIDATION_FAILED", "to include required field 'address'"),
        (f"{{ orders(status: X{phone}) {{ totalCount }} }}", {}, "GRAPHQL_VALIDATION_FAILED",
         "does not exist in 'OrderStatus' enum"),
    ]
    for query, variables, expected_code, says in cases:
        body = api.post(query, variables, tokens["admin"])
        code, message = only_error(body)
        assert (code, says in message) == (expected_code, True), (says, message)
        text = json.dumps(body, ensure_ascii=False)
        for private in (national_id, national_id.lstrip("0"), phone, phone.lstrip("0"), "Riêng"):
            assert private not in text, (says, message)
    # A subscription's variables over the WebSocket, the same.
    events = "subscription($o: ID!, $a: Int) { orderEvents(orderId: $o, afterPosition: $a) { type } }"
    with subscribed(api, tokens["admin"], events, {"o": "x", "a": national_id}, "orderEvents") as subscription:
        message = subscription.message()
    assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT", message
    assert "Int cannot represent non-integer value" in message["payload"][0]["message"]
    assert national_id not in json.dumps(message) and national_id.lstrip("0") not in json.dumps(message)


def test_parse_validation_and_limit_errors_carry_their_codes(api: Api, tokens: dict[str, str]) -> None:
    assert only_error(api.post("{ orders { ", token=tokens["staff"]))[0] == "GRAPHQL_PARSE_FAILED"
    assert only_error(api.post("{ nope }", token=tokens["staff"]))[0] == "GRAPHQL_VALIDATION_FAILED"
    assert only_error(api.post("query($x: Int) { viewer { role } }", {"x": 1}, tokens["staff"]))[0] == (
        "GRAPHQL_VALIDATION_FAILED")  # unused variable
    deep = "{ node(id: \"x\") { " + "... on Order { shipments { order { " * 7 + "id" + " } } }" * 7 + " } }"
    assert only_error(api.post(deep, token=tokens["staff"]))[0] == "LIMIT_EXCEEDED"
    aliases = "{ " + " ".join(f"a{n}: viewer {{ role }}" for n in range(31)) + " }"
    assert only_error(api.post(aliases, token=tokens["staff"]))[0] == "LIMIT_EXCEEDED"
    tokens_4001 = "{ viewer { " + "role " * 4001 + "} }"
    assert only_error(api.post(tokens_4001, token=tokens["staff"]))[0] == "LIMIT_EXCEEDED"
    nested = "{" + "a{" * 600 + "b" + "}" * 601
    assert only_error(api.post(nested, token=tokens["staff"]))[0] == "LIMIT_EXCEEDED"
    # A page beyond the cap keeps its own code.
    assert only_error(api.post(ORDERS, {"first": 101}, tokens["staff"]))[0] == "LIMIT_EXCEEDED"


@pytest.mark.parametrize("after", [
    cursor("cursor:orders:99999999999999999999"),  # past BIGINT: PostgreSQL would overflow
    cursor("cursor:orders:9223372036854775808"),
    cursor("cursor:orders:-1"),
    cursor("cursor:orders:٤٢"),  # Arabic-Indic digits: not our shape
    cursor("cursor:orders:42\u0000"),
    cursor("cursor:orders:"),
    cursor("cursor:households:5"),  # another list's cursor
    cursor("cursor:orders:5") + "=",  # padding we never write
    cursor("cursor:orders:5") + "!",
    "not base64 at all ✓",
    "",
])
def test_every_cursor_we_did_not_write_is_bad_user_input(api: Api, tokens: dict[str, str], after: str) -> None:
    assert only_error(api.post(ORDERS, {"after": after}, tokens["staff"])) == (
        "BAD_USER_INPUT", "after is not a cursor of this list")


def test_listing_and_other_connections_decode_cursors_the_same_way(api: Api, tokens: dict[str, str]) -> None:
    cases = [
        ("query($a: String) { listings(after: $a) { totalCount } }", cursor("cursor:listings:1:99999999999999999999")),
        ("query($a: String) { listings(after: $a) { totalCount } }", cursor("cursor:listings:5")),
        ("query($a: String) { storefronts(after: $a) { totalCount } }", cursor("cursor:storefronts:1:2")),
        ("query($a: String) { households(after: $a) { totalCount } }", cursor("cursor:households:１")),
        ("query($a: String) { claims(after: $a) { totalCount } }", cursor("cursor:claims:99999999999999999999")),
        ("query($a: String) { exportOrders(after: $a) { totalCount } }", cursor("cursor:exportOrders:x")),
    ]
    for query, after in cases:
        assert only_error(api.post(query, {"a": after}, tokens["admin"]))[0] == "BAD_USER_INPUT", query
    # and the cursors we wrote still work
    page = api.data("{ listings(first: 1) { pageInfo { endCursor } } }")["listings"]["pageInfo"]["endCursor"]
    if page is not None:
        assert "errors" not in api.post("query($a: String) { listings(after: $a) { totalCount } }", {"a": page})


@pytest.mark.parametrize(("body", "says"), [
    (b"5", "must be an object"),
    (b'"query"', "must be an object"),
    (b"null", "must be an object"),
    (b"true", "must be an object"),
    (b"\xff\xfe{", "not valid UTF-8"),
    (b'{"query": "{ viewer { role } }", "variables": {"x": "\xc3\x28"}}', "not valid UTF-8"),
    (b"[" * 100_000, "nested"),
    (json.dumps({"query": "{ viewer { role } }", "variables": {"x": json.loads("[" * 40 + "]" * 40)}}).encode(),
     "nested"),
    (b'{"query": "{ viewer { role } }", "variables": {"x": "\\ud800"}}', "surrogate"),
    (b'{"query": ', "Unable to parse"),
    (b'{"query": 5}', "query"),
    (b'{"query": "{ viewer { role } }", "variables": 5}', "variables"),
    # Python refuses to read an integer of more than 4300 digits (CVE-2020-10735's limit)
    (b'{"query": "{ viewer { role } }", "variables": {"n": 1' + b"0" * 5000 + b"}}", "number"),
])
def test_malformed_bodies_get_400_with_a_message_and_no_traceback(api: Api, body: bytes, says: str) -> None:
    response = raw(api, body)
    assert response.status_code == 400, response.text
    assert says in response.text and "Traceback" not in response.text and len(response.text) < 300


def test_a_number_too_long_to_read_in_get_variables_is_400_with_a_message(api: Api) -> None:
    params = {"query": "query($n: Int) { listings(first: $n) { totalCount } }",
              "variables": '{"n": 1' + "0" * 5000 + "}"}
    response = api.client.get(api.url + "/graphql", params=params, headers={"accept": "application/json"})
    assert response.status_code == 400, response.text
    assert "number" in response.text and "Traceback" not in response.text and len(response.text) < 300


@pytest.mark.parametrize("message", [
    "5",
    "null",
    "[]",
    "{}",
    '{"type": "subscribe"}',
    '{"id": "1", "type": "subscribe", "payload": {"query": "subscription { orderEvents(orderId: \\"x\\")'
    ' { position } }", "variables": {"n": 1' + "0" * 5000 + "}}}",
], ids=["scalar", "null", "list", "empty", "no payload", "number too long"])
def test_a_malformed_websocket_message_closes_with_4400_and_no_traceback(api: Api, tokens: dict[str, str],
                                                                         message: str) -> None:
    """graphql-transport-ws: "If the server receives a message it cannot parse or understand, it
    closes the socket with 4400"; the HTTP body rules (a JSON object, numbers Python can read)
    hold for WebSocket messages too, without an HTTP answer on a socket (a traceback in the log)."""
    log = Path(LOG_DIR) / f"{api.name}-serve.log"
    before = log.read_text(encoding="utf-8").count("Traceback")
    url = api.url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {tokens['staff']}"}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400, closed.value
    assert log.read_text(encoding="utf-8").count("Traceback") == before
