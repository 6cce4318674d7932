"""The API's perimeter over HTTP, as frontends, partners and attackers meet it: query cost, the body
limit, anonymous introspection and suggestions in production, tokens from several issuers' keys
with their limits, CORS and WebSocket origins, and WebSocket connections in /metrics."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from farmgate.core.domain.carrier import VIETTEL_POST, VNPOST
from farmgate.core.schema_migrations import migrate
from farmgate.graphql.ids import to_global_id
from tests.e2e.server import SECRET, Api, running_api
from tests.e2e.tokens import Issuer, make_issuer, new_private_key

# The report's query: anonymous, within the depth limit, no aliases; it ran 40 s and answered 52 MB.
NESTED = """query($s: ID!) { storefront(id: $s) { listings(first: 100) { edges { node { storefront {
  listings(first: 100) { edges { node { storefront { listings(first: 100) { edges { node { title } } } } } } } } } } } } }"""
MEDIUM = """{ listings(first: 100) { edges { node { storefront { listings(first: 30) { edges { node { title } } } } } } } }"""
SMALL = """{ listings(first: 10) { edges { node { title storefront { name } } } } }"""
INTROSPECTION = "{ __schema { queryType { name } types { name } } }"
PUBLIC = "{ provinces(scheme: 2021) { code } }"
VIEWER = "{ viewer { role subject marketplace provinceCode } }"
ORIGIN = "https://shop.postmart.example"


def code_of(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API as in development and tests (FARMGATE_ENV=test): GraphiQL on, HS256 tokens."""
    path = tmp_path_factory.mktemp("perimeter") / "farmgate.db"
    with running_api(f"sqlite:///{path}", name="test_perimeter-test",
                     extra_env={"FARMGATE_CORS_ORIGINS": f"{ORIGIN}, http://localhost:5173",
                                "FARMGATE_MAX_BODY_BYTES": "65536"}) as server:
        yield server


class Issuers:
    def __init__(self, directory: Path) -> None:
        self.postmart = make_issuer(directory, "https://id.postmart.example", "RS256", ["MARKETPLACE"],
                                    {"marketplace": ["POSTMART"]}, "postmart-2025")
        self.voso = make_issuer(directory, "https://id.voso.example", "EdDSA", ["MARKETPLACE", "CARRIER"],
                                {"marketplace": ["VOSO"], "carrier": ["Viettel Post"]}, "voso-1")
        self.langson = make_issuer(directory, "https://sso.langson.example", "ES256", ["PROVINCE_OFFICER"],
                                   {"province": ["20"]}, "ls-1")

    def env(self) -> str:
        return json.dumps([issuer.config() for issuer in (self.postmart, self.voso, self.langson)])


@pytest.fixture(scope="module")
def issuers(tmp_path_factory: pytest.TempPathFactory) -> Issuers:
    return Issuers(tmp_path_factory.mktemp("issuers"))


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, issuers: Issuers) -> Iterator[Api]:
    """The API as in production: only the configured issuers' keys, no GraphiQL."""
    path = tmp_path_factory.mktemp("perimeter-production") / "farmgate.db"
    migrate(f"sqlite:///{path}")  # production refuses a database that is behind: `farmgate migrate` first
    with running_api(f"sqlite:///{path}", name="test_perimeter-production",
                     extra_env={"FARMGATE_ENV": "production", "FARMGATE_PII_PEPPER": "p" * 40,
                                "FARMGATE_AUDIT_SIGNING_KEY": "5e" * 32, "FARMGATE_DATA_KEY": "k" * 40,
                                "FARMGATE_JWT_ISSUERS": issuers.env()}) as server:
        yield server


# -- query cost --------------------------------------------------------------------------------

def test_the_nested_query_is_refused_before_it_runs_with_its_cost(api: Api) -> None:
    storefront = "U3RvcmVmcm9udDowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDE"
    body = api.post(NESTED, {"s": storefront})
    assert code_of(body) == "LIMIT_EXCEEDED" and body.get("data") is None
    cost = body["extensions"]["cost"]
    assert cost["requested"] > 1_000_000 and cost["budget"] == 2_000
    assert body["errors"][0]["extensions"]["cost"] == cost["requested"]
    # ADMIN's larger budget does not make it affordable either.
    assert code_of(api.post(NESTED, {"s": storefront}, api.token("ADMIN"))) == "LIMIT_EXCEEDED"


def test_the_administrative_units_lists_are_costed_by_how_many_units_they_hold(api: Api) -> None:
    # Every ward of 2021, by district and by province, ten times over by aliases: anonymous, it cost 40
    # (lists without first counted once), ran 16 s, answered 11 MB and stalled /healthz as long.
    every_ward = "provinces(scheme: 2021) { districts { wards { code name } } wards { code name } }"
    aliased = "{ " + " ".join(f"a{n}: {every_ward}" for n in range(10)) + " }"
    for query in ("{ " + every_ward + " }", aliased):
        started = time.monotonic()
        body = api.post(query)
        assert code_of(body) == "LIMIT_EXCEEDED" and body.get("data") is None
        assert body["extensions"]["cost"]["requested"] > 10_035  # at least one per ward of 2021
        assert time.monotonic() - started < 5, "refused before it ran"
    # A frontend's address picker asks for one province's units, or the provinces alone: affordable.
    picker = api.post('{ province(scheme: 2021, code: "20") { districts { code name wards { code name } } } }')
    assert "errors" not in picker and len(picker["data"]["province"]["districts"]) == 11
    assert "errors" not in api.post("{ provinces(scheme: 2021) { code name } provinces2025: provinces(scheme: 2025) { code } }")


def test_budgets_are_per_role_and_every_answer_reports_the_cost(api: Api) -> None:
    small = api.post(SMALL)
    assert "errors" not in small and small["extensions"]["cost"]["requested"] <= small["extensions"]["cost"]["budget"]
    # A page of 100 listings each with 30 of its storefront's: too much for anonymous callers…
    anonymous = api.post(MEDIUM)
    assert code_of(anonymous) == "LIMIT_EXCEEDED" and anonymous["extensions"]["cost"]["budget"] == 2_000
    # …within a marketplace's budget.
    marketplace = api.post(MEDIUM, token=api.token("MARKETPLACE", "pm", marketplace="POSTMART"))
    assert "errors" not in marketplace
    assert anonymous["extensions"]["cost"]["requested"] == marketplace["extensions"]["cost"]["requested"] > 2_000
    # The page size may come from a variable: it is costed with the value sent.
    by_variable = "query($n: Int) { listings(first: $n) { edges { node { storefront { listings(first: $n) { edges { node { title } } } } } } } }"
    assert "errors" not in api.post(by_variable, {"n": 10})
    assert code_of(api.post(by_variable, {"n": 100})) == "LIMIT_EXCEEDED"


def test_a_body_over_the_limit_is_413_announced_or_streamed(api: Api) -> None:
    padding = "#" + "x" * 70_000 + "\n"
    announced = api.client.post(api.url + "/graphql", content=json.dumps({"query": padding + PUBLIC}),
                                headers={"Content-Type": "application/json"})
    assert announced.status_code == 413 and announced.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "' + b"#" * 40_000
        yield b"#" * 40_000 + b'"}'

    streamed = api.client.post(api.url + "/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert api.client.get(api.url + "/healthz").status_code == 200


# -- introspection and suggestions -------------------------------------------------------------

def test_introspection_and_suggestions_answer_anonymous_callers_only_outside_production(
    api: Api, production: Api, issuers: Issuers
) -> None:
    typo = "{ provinces(scheme: 2021) { nam } }"
    assert api.data(INTROSPECTION)["__schema"]["queryType"]["name"] == "Query"
    assert "Did you mean 'name'?" in api.post(typo)["errors"][0]["message"]

    refused = production.post(INTROSPECTION)
    assert code_of(refused) == "FORBIDDEN" and refused.get("data") is None
    assert code_of(production.post('{ __type(name: "Household") { fields { name } } }')) == "FORBIDDEN"
    message = production.post(typo)["errors"][0]["message"]
    assert "Cannot query field 'nam'" in message and "Did you mean" not in message
    # A caller with a token may introspect (the tools frontend teams use), and public data still answers.
    token = issuers.postmart.token("MARKETPLACE", marketplace="POSTMART")
    assert production.data(INTROSPECTION, token=token)["__schema"]["queryType"]["name"] == "Query"
    assert len(production.data(PUBLIC)["provinces"]) == 63


# -- tokens from several issuers ---------------------------------------------------------------

def test_each_issuers_key_mints_only_its_roles_and_scope_values(production: Api, issuers: Issuers) -> None:
    postmart = issuers.postmart.token("MARKETPLACE", "pm-ops", marketplace="POSTMART")
    voso = issuers.voso.token("MARKETPLACE", "vs-ops", marketplace="VOSO")
    carrier = issuers.voso.token("CARRIER", "viettel-bot", carrier="Viettel Post")
    officer = issuers.langson.token("PROVINCE_OFFICER", "lan", province="20")
    assert production.data(VIEWER, token=postmart)["viewer"] == {
        "role": "MARKETPLACE", "subject": "pm-ops", "marketplace": "POSTMART", "provinceCode": None}
    assert production.data(VIEWER, token=voso)["viewer"]["marketplace"] == "VOSO"
    assert production.data(VIEWER, token=carrier)["viewer"]["role"] == "CARRIER"
    assert production.data(VIEWER, token=officer)["viewer"]["provinceCode"] == "20"

    refused = {
        # Postmart's key cannot mint a Voso token, nor ADMIN, nor a role it was not given.
        "another marketplace": issuers.postmart.token("MARKETPLACE", marketplace="VOSO"),
        "ADMIN": issuers.postmart.token("ADMIN"),
        "dispute staff": issuers.postmart.token("DISPUTE_STAFF"),
        "another province": issuers.langson.token("PROVINCE_OFFICER", province="24"),
        # Signed by Postmart's key but claiming to come from Voso: Voso's keys do not verify it.
        "cross-issuer": issuers.postmart.token("MARKETPLACE", marketplace="VOSO", issuer=issuers.voso.name),
        "expired": issuers.postmart.token("MARKETPLACE", marketplace="POSTMART", ttl=-120),
        "over-long": issuers.postmart.token("MARKETPLACE", marketplace="POSTMART", ttl=10 * 24 * 3600),
        "wrong audience": issuers.postmart.token("MARKETPLACE", marketplace="POSTMART", audience="voso-api"),
        "unknown issuer": issuers.postmart.token("MARKETPLACE", marketplace="POSTMART", issuer="https://evil.example"),
        # The development HS256 secret means nothing in production.
        "HS256": production.token("ADMIN"),
    }
    # A key nobody published, under Postmart's kid: the signature does not verify.
    forger = Issuer(issuers.postmart.name, "RS256", [], {}, issuers.postmart.jwks_path.with_name("forged.json"))
    forger.keys[issuers.postmart.kid] = new_private_key("RS256")
    refused["forged"] = forger.token("ADMIN")
    claims = jwt.decode(postmart, options={"verify_signature": False})
    refused["no audience"] = jwt.encode({k: v for k, v in claims.items() if k != "aud"},
                                        issuers.postmart.keys[issuers.postmart.kid], algorithm="RS256",
                                        headers={"kid": issuers.postmart.kid})
    for what, token in refused.items():
        body = production.post(VIEWER, token=token)
        assert code_of(body) == "UNAUTHENTICATED" and body.get("data") is None, what
        # Refused even where no token is needed: a broken token is reported, not ignored.
        assert code_of(production.post(PUBLIC, token=token)) == "UNAUTHENTICATED", what


def test_an_issuers_allowed_carrier_is_read_like_the_claim_and_grants_every_spelling_of_it(
        production: Api, issuers: Issuers) -> None:
    # Voso's issuer is allowed "Viettel Post": any spelling or the id of that carrier is the same grant,
    # and the principal carries the carrier's global ID whichever the token used.
    viettel = to_global_id("Carrier", str(VIETTEL_POST.id))
    for spelling in ("Viettel Post", "ViettelPost", "Bưu chính Viettel", viettel):
        token = issuers.voso.token("CARRIER", "viettel-bot", carrier=spelling)
        assert production.data("{ viewer { role carrier } }", token=token)["viewer"] == {
            "role": "CARRIER", "carrier": viettel}, spelling
    # Another carrier, under any of its spellings or its id, is not Voso's to grant; nor is no carrier.
    for spelling in ("VNPost", "Vietnam Post", to_global_id("Carrier", str(VNPOST.id)), "Giao Hàng Nhanh"):
        body = production.post(VIEWER, token=issuers.voso.token("CARRIER", "impostor", carrier=spelling))
        assert code_of(body) == "UNAUTHENTICATED" and body.get("data") is None, spelling
        assert "carrier" in body["errors"][0]["message"], spelling


def test_an_issuer_rotates_its_key_and_both_keys_verify(production: Api, issuers: Issuers) -> None:
    old = issuers.postmart.token("MARKETPLACE", "before", marketplace="POSTMART")
    assert production.data(VIEWER, token=old)["viewer"]["subject"] == "before"
    issuers.postmart.rotate("postmart-2026")
    new = issuers.postmart.token("MARKETPLACE", "after", marketplace="POSTMART")
    assert jwt.get_unverified_header(new)["kid"] == "postmart-2026"
    assert production.data(VIEWER, token=new)["viewer"]["subject"] == "after"
    assert production.data(VIEWER, token=old)["viewer"]["subject"] == "before"


def test_scope_claim_values_are_checked_for_development_tokens_too(api: Api) -> None:
    def hs256(**claims: object) -> str:
        now = int(time.time())
        return jwt.encode({"iss": "farmgate-development", "aud": "farmgate", "sub": "x", "iat": now,
                           "exp": now + 600, **claims}, SECRET, algorithm="HS256")

    assert api.data(VIEWER, token=hs256(role="MARKETPLACE", marketplace="POSTMART"))["viewer"]["role"] == "MARKETPLACE"
    for claims in ({"role": "MARKETPLACE", "marketplace": "LAZADA"}, {"role": "PROVINCE_OFFICER", "province": "99"},
                   {"role": "HOUSEHOLD", "household": "not-a-global-id"}, {"role": "EXPORT_PARTNER", "partner": 7},
                   {"role": "MARKETPLACE"}, {"role": "SUPERUSER"}, {"role": "ADMIN", "exp": int(time.time()) + 9**9},
                   # a time as a string was an HTTP 500; a subject becomes an event's actor, so it is canonical text
                   {"role": "ADMIN", "exp": str(int(time.time()) + 600)}, {"role": "ADMIN", "sub": "lan\nADMIN:root"},
                   {"role": "ADMIN", "sub": "lan\u202e"}, {"role": "ADMIN", "sub": " "}):
        assert code_of(api.post(PUBLIC, token=hs256(**claims))) == "UNAUTHENTICATED", claims


# -- browsers ------------------------------------------------------------------------------------

def test_a_cors_preflight_is_answered_for_an_allowed_origin_only(api: Api) -> None:
    def preflight(origin: str) -> httpx.Response:
        return api.client.options(api.url + "/graphql", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})

    allowed = preflight(ORIGIN)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in allowed.headers
    refused = preflight("https://evil.example")
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    # The request itself: the allowed origin may read the answer, another origin may not.
    query = {"query": PUBLIC}
    assert api.client.post(api.url + "/graphql", json=query, headers={"Origin": ORIGIN}).headers[
        "access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in api.client.post(
        api.url + "/graphql", json=query, headers={"Origin": "https://evil.example"}).headers


def test_websocket_origins_follow_the_same_list_and_connections_are_counted_by_close_code(api: Api) -> None:
    url = api.url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, subprotocols=["graphql-transport-ws"], origin="https://evil.example", open_timeout=10)
    assert refused.value.response.status_code == 403
    with connect(url, subprotocols=["graphql-transport-ws"], origin=ORIGIN, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
    metrics = api.client.get(api.url + "/metrics").text

    def count(close_code: str) -> float:
        found = re.search(rf'farmgate_websocket_connections_total{{close_code="{close_code}",path="/graphql"}} (\S+)',
                          metrics)
        return float(found.group(1)) if found else 0.0

    def wait_for(close_code: str) -> None:
        nonlocal metrics
        deadline = time.monotonic() + 10
        while count(close_code) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # the server records a connection once it has closed; poll with a deadline
            metrics = api.client.get(api.url + "/metrics").text

    wait_for("1000")
    wait_for("403")
    assert count("1000") >= 1 and count("403") >= 1
    assert not re.search(r'farmgate_http_requests_total{path="/graphql",status="500"}', metrics)


def test_graphiql_opens_on_a_farmgate_operation_with_an_authorization_template(api: Api, production: Api) -> None:
    page = api.client.get(api.url + "/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "query Catalog" in page.text and "listings(search:" in page.text
    assert "Bearer <token from: farmgate token" in page.text and "connection_init" in page.text
    assert production.client.get(production.url + "/graphql", headers={"Accept": "text/html"}).status_code == 404
