"""Marketplace webhooks end to end: a real receiver on 127.0.0.1, the real server and real workers
(PostgreSQL: a `farmgate worker` process on Redis; SQLite: the API's embedded worker).

Postmart's endpoint receives its spoiled order's events — placed, confirmed, paid, dispatched,
delivery failed, spoiled, claim filed — in order, signed to the Standard Webhooks spec, retried through an
outage of the receiver, and nothing of Voso's orders; Voso registers late and asks for a backfill,
and gets its earlier events first. Registration refuses internal destinations over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.order_steps import (FAIL, PAY, SPOIL, a_seller, confirm, dispatch, just_now, on_shipment, place,
                                   succeeded)
from tests.e2e.receiver import Receiver, wait_until
from tests.e2e.server import Api, running_api
from tests.e2e.standard_webhooks import new_secret, verify
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

REGISTER = """mutation($input: RegisterMarketplaceWebhookEndpointInput!) {
  registerMarketplaceWebhookEndpoint(input: $input) {
    endpoint { id marketplace url topics } userErrors { field code message } } }"""
DELIVERIES = """{ webhookDeliveries(first: 100) { edges { node { id eventId orderId exportOrderId topic status attempts
  lastError } } } }"""
REDELIVER = """mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) {
  delivery { id status } userErrors { code } } }"""
FILE_CLAIM = """mutation($i: FileClaimInput!) { fileClaim(input: $i) { claim { id } userErrors { code message } } }"""
ALL_TOPICS = ["ORDER_PLACED", "ORDER_CONFIRMED", "ORDER_CANCELLED", "ORDER_DISPATCHED", "ORDER_DELIVERY_FAILED",
              "ORDER_SPOILED", "ORDER_DELIVERED", "ORDER_PAYMENT_RECORDED", "ORDER_REFUNDED", "CLAIM_FILED",
              "CLAIM_DECIDED", "CLAIM_PAID"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    resolver = tmp_path_factory.mktemp("resolver") / "hosts.json"
    # The test's DNS: names of internal addresses, to check registration refuses them.
    resolver.write_text(json.dumps({"metadata.postmart.example": ["169.254.169.254"],
                                    "intranet.postmart.example": ["10.0.0.5"]}))
    env = {"FARMGATE_TEST_RESOLVER_FILE": str(resolver)}
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("marketplace-webhooks") / "farmgate.db"
        with running_api(f"sqlite:///{path}", name="test_marketplace_webhooks-sqlite", extra_env=env) as server:
            yield server
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name="test_marketplace_webhooks-postgres", workers=True,
                            extra_env=env) as server:
            yield server


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def register(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    return api.data(REGISTER, {"input": fields}, token)["registerMarketplaceWebhookEndpoint"]


def deliveries_of(api: Api, token: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in api.data(DELIVERIES, token=token)["webhookDeliveries"]["edges"]]


def payloads(receiver: Receiver, path: str) -> list[tuple[dict[str, str], bytes, dict[str, Any]]]:
    return [(headers, body, json.loads(body)) for headers, body in receiver.received(path)]


def test_registration_refuses_internal_destinations_and_unknown_topics(api: Api, tokens: dict[str, str]) -> None:
    secret = new_secret()
    for url in ("https://10.0.0.5/hooks", "https://169.254.169.254/latest", "https://[fd00:ec2::254]/x",
                "https://100.64.0.1/hooks", "https://metadata.postmart.example/hooks",
                "https://intranet.postmart.example/hooks", "http://shop.postmart.example/hooks"):
        refused = register(api, tokens["postmart"], url=url, secret=secret, topics=["ORDER_PLACED"])
        assert refused["userErrors"][0]["field"] == ["input", "url"] and refused["endpoint"] is None, url
        assert "10.0.0.5" not in refused["userErrors"][0]["message"]
    assert register(api, tokens["postmart"], url="https://hooks.postmart.example/in", secret=secret,
                    topics=["EXPORT_ORDER_EVENT"])["userErrors"][0]["field"] == ["input", "topics"]
    assert register(api, tokens["postmart"], url="https://hooks.postmart.example/in", secret="whsec_short",
                    topics=["ORDER_PLACED"])["userErrors"][0]["field"] == ["input", "secret"]
    # Roles that are not a marketplace may not register one.
    body = api.post(REGISTER, {"input": {"url": "https://x.example/in", "secret": secret, "topics": ["ORDER_PLACED"]}},
                    tokens["partner"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_spoiled_orders_events_reach_its_marketplace_in_order_signed_through_an_outage(
    api: Api, tokens: dict[str, str], receiver: Receiver, personal_data
) -> None:
    postmart_secret, voso_secret = new_secret(), new_secret()
    registered = register(api, tokens["postmart"], url=f"http://127.0.0.1:{receiver.port}/postmart",
                          secret=postmart_secret, topics=ALL_TOPICS)
    assert registered["userErrors"] == [] and registered["endpoint"]["marketplace"] == "POSTMART"
    assert set(registered["endpoint"]["topics"]) == set(ALL_TOPICS)
    assert postmart_secret not in json.dumps(registered)

    # Voso's order is placed before Voso has an endpoint.
    voso_seller = a_seller(api, tokens, personal_data, "Sầu riêng Đắk Lắk", stock=20, marketplace="VOSO")
    voso_order = place(api, tokens["voso"], personal_data, [(voso_seller["listing"]["id"], 1)])
    seller = a_seller(api, tokens, personal_data, "Na dai Chi Lăng", stock=50, price="45000")
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 4)])
    confirm(api, tokens["postmart"], order["id"])
    succeeded(api.post(PAY, {"input": {"orderId": order["id"], "amount": {"amount": "180000", "currency": "VND"},
                                       "reference": "VNPAY-0901", "occurredAt": just_now()}}, tokens["postmart"]),
              "recordPayment")
    shipment = dispatch(api, tokens["postmart"], order["id"], "EB000000901VN")["shipment"]
    wait_until(lambda: len(receiver.received("/postmart")) >= 4, "placed, confirmed, paid and dispatched arrived")

    # The receiver goes away while the delivery fails and the fruit spoils.
    receiver.stop()
    on_shipment(api, FAIL, "recordDeliveryFailure", tokens["carrier"], shipment["id"], reason="AREA_RESTRICTED",
                occurredAt=just_now(), note="Phong tỏa theo Chỉ thị 16")
    wait_until(lambda: any(d["status"] == "PENDING" and d["attempts"] >= 1 and d["lastError"]
                           for d in deliveries_of(api, tokens["postmart"])), "a delivery failed and waits for its retry")
    on_shipment(api, SPOIL, "declareSpoilage", tokens["staff"], shipment["id"], occurredAt=just_now(),
                note="Na chín nẫu sau 3 ngày chờ")
    filed = api.data(FILE_CLAIM, {"i": {"orderId": order["id"], "kind": "SPOILED", "claimant": "BUYER",
                                        "amountClaimed": {"amount": "180000", "currency": "VND"},
                                        "description": "Na hỏng vì không giao được"}}, tokens["postmart"])
    assert filed["fileClaim"]["userErrors"] == []
    receiver.start()
    wanted = ["order.placed", "order.confirmed", "order.payment_recorded", "order.dispatched", "order.delivery_failed", "order.spoiled",
              "claim.filed"]
    wait_until(lambda: [p["type"] for _, _, p in payloads(receiver, "/postmart") if p["orderId"] == order["id"]][-1:]
               == ["claim.filed"], "every event reached Postmart after the outage")

    # Voso registers now and asks for everything since the start of the log: its earlier order first.
    assert register(api, tokens["voso"], url=f"http://localhost:{receiver.port}/voso", secret=voso_secret,
                    topics=["ORDER_PLACED", "ORDER_CONFIRMED"], backfillAfterPosition=0)["userErrors"] == []
    confirm(api, tokens["voso"], voso_order["id"])
    wait_until(lambda: len(receiver.received("/voso")) >= 2, "Voso's backfill and live event arrived")

    # Check what Postmart got: its order's events, each once, in the order recorded, signed, fresh.
    received = payloads(receiver, "/postmart")
    mine = [(headers, body, payload) for headers, body, payload in received if payload["orderId"] == order["id"]]
    first_arrivals = list(dict.fromkeys(payload["eventId"] for _, _, payload in mine))
    assert [next(p["type"] for _, _, p in mine if p["eventId"] == event_id) for event_id in first_arrivals] == wanted
    positions = [next(p["event"]["position"] for _, _, p in mine if p["eventId"] == e) for e in first_arrivals]
    assert positions == sorted(positions)
    for headers, body, payload in received:
        verify(postmart_secret, headers, body)
        assert payload["marketplace"] == "POSTMART" and headers["webhook-id"] == payload["eventId"]
    # Nothing of Voso's reached Postmart, and Voso got only its own, backfill first.
    assert voso_order["id"] not in {payload["orderId"] for _, _, payload in received}
    voso = payloads(receiver, "/voso")
    assert [p["type"] for _, _, p in voso][:2] == ["order.placed", "order.confirmed"]
    assert {p["orderId"] for _, _, p in voso} == {voso_order["id"]}
    for headers, body, _ in voso:
        verify(voso_secret, headers, body)

    # The delivery log: Postmart's deliveries show the outage's retries; it may send one again.
    deliveries = deliveries_of(api, tokens["postmart"])
    own = [d for d in deliveries if d["orderId"] == order["id"]]
    assert len(own) == len(wanted) and all(d["status"] == "DELIVERED" and d["exportOrderId"] is None for d in own)
    assert any(d["attempts"] >= 2 and d["lastError"] for d in own), "the outage forced retries"
    assert {d["topic"] for d in own} == {"ORDER_PLACED", "ORDER_CONFIRMED", "ORDER_PAYMENT_RECORDED", "ORDER_DISPATCHED",
                                         "ORDER_DELIVERY_FAILED", "ORDER_SPOILED", "CLAIM_FILED"}
    assert voso_order["id"] not in {d["orderId"] for d in deliveries}
    again = api.data(REDELIVER, {"input": {"deliveryId": own[0]["id"]}}, tokens["postmart"])["redeliverWebhook"]
    assert again["userErrors"] == []
    refused = api.data(REDELIVER, {"input": {"deliveryId": own[0]["id"]}}, tokens["voso"])["redeliverWebhook"]
    assert refused["userErrors"][0]["code"] == "NOT_FOUND"
    before = len(receiver.received("/postmart"))
    wait_until(lambda: len(receiver.received("/postmart")) > before, "the redelivery arrived")
