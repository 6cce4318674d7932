"""Partner webhooks end to end: a real receiver on 127.0.0.1, the real server, and real workers
(PostgreSQL: a `farmgate worker` process on Redis; SQLite: the API's embedded worker). Every event
of a partner's export orders arrives signed with its secret, in order per order, across an outage
of the receiver, and nothing arrives twice under one id without a recorded reason."""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.export_steps import H, create_order, now, record_document, record_milestone, register_partner
from tests.e2e.server import Api, running_api
from tests.e2e.receiver import Receiver, wait_until
from tests.e2e.standard_webhooks import Rejected, new_secret, verify
from tests.personal_data import LOG_DIR
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

REGISTER = """mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) {
  endpoint { id url registeredAt updatedAt partner { id } } userErrors { field code message } } }"""
DELIVERIES = """query($after: String, $status: WebhookDeliveryStatus) {
  webhookDeliveries(first: 100, after: $after, status: $status) { totalCount
    edges { node { id eventId eventType exportOrderId status attempts lastError nextAttemptAt deliveredAt } }
    pageInfo { hasNextPage endCursor } } }"""
REDELIVER = """mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) {
  delivery { id status lastError } userErrors { field code message } } }"""
HISTORY = "query($id: ID!) { exportOrder(id: $id) { history { version } } }"


def uuid_of(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(":", 1)[1]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API with workers: a real `farmgate worker` on Redis for PostgreSQL, embedded on SQLite."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("webhooks") / "farmgate.db"
        with running_api(f"sqlite:///{path}", name="test_webhooks-sqlite") as server:
            yield server
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name="test_webhooks-postgres", workers=True) as server:
            yield server


class Parties:
    def __init__(self, api: Api) -> None:
        self.admin = api.token("ADMIN", "root")
        self.postmart = api.token("MARKETPLACE", "postmart-export", marketplace="POSTMART")
        self.voso = api.token("MARKETPLACE", "voso-export", marketplace="VOSO")
        self.be = register_partner(api, self.admin, "Antwerp Fresh Lychee BV", "BE")
        self.cz = register_partner(api, self.admin, "Plzeň Tropical s.r.o.", "CZ")
        self.be_token = api.token("EXPORT_PARTNER", "antwerp-desk", partner=self.be["id"])
        self.cz_token = api.token("EXPORT_PARTNER", "plzen-desk", partner=self.cz["id"])
        self.be_secret = new_secret()
        self.cz_secret = new_secret()


@pytest.fixture(scope="module")
def parties(api: Api) -> Parties:
    return Parties(api)


def deliveries(api: Api, token: str, status: str | None = None) -> list[dict[str, Any]]:
    found, after = [], None
    while True:
        page = api.data(DELIVERIES, {"after": after, "status": status}, token)["webhookDeliveries"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def expected_event_ids(api: Api, token: str, order_ids: list[str]) -> set[str]:
    ids = set()
    for order_id in order_ids:
        history = api.data(HISTORY, {"id": order_id}, token)["exportOrder"]["history"]
        ids |= {f"{uuid_of(order_id)}:{r['version']}" for r in history}
    return ids


def test_endpoints_are_https_or_loopback_with_a_long_secret_that_is_never_shown(
    api: Api, parties: Parties, receiver: Receiver
) -> None:
    def register(token: str, **fields: Any) -> dict[str, Any]:
        return api.data(REGISTER, {"input": {"url": f"http://127.0.0.1:{receiver.port}/be",
                                             "secret": parties.be_secret, **fields}}, token)["registerWebhookEndpoint"]

    for url in ("http://partner.example/hooks", "ftp://127.0.0.1/hooks", "https://user:pw@partner.example/h", "hooks"):
        assert register(parties.be_token, url=url)["userErrors"][0]["field"] == ["input", "url"], url
    short = register(parties.be_token, secret="too-short-for-a-signing-secret")
    assert short["userErrors"][0]["field"] == ["input", "secret"]
    assert "too-short" not in json.dumps(short)
    # A Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes.
    for refused in ("whsec_" + "A" * 20, "whsec_not base64!", secrets.token_urlsafe(36), parties.be_secret[6:]):
        assert register(parties.be_token, secret=refused)["userErrors"][0]["field"] == ["input", "secret"], refused
    assert register(parties.admin)["userErrors"][0]["code"] == "INVALID"  # ADMIN must name the partner
    assert register(parties.be_token, partnerId=parties.cz["id"])["userErrors"][0]["code"] == "NOT_FOUND"
    body = api.post(REGISTER, {"input": {"url": "https://partner.example/h", "secret": parties.be_secret}}, parties.postmart)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    first = register(parties.be_token, url="https://hooks.antwerp-fresh.example/farmgate")
    assert first["userErrors"] == [] and first["endpoint"]["partner"]["id"] == parties.be["id"]
    rotated = register(parties.be_token)
    assert rotated["endpoint"]["url"] == f"http://127.0.0.1:{receiver.port}/be"
    assert rotated["endpoint"]["id"] == first["endpoint"]["id"]
    assert rotated["endpoint"]["updatedAt"] > first["endpoint"]["updatedAt"]
    by_admin = api.data(REGISTER, {"input": {"url": f"http://localhost:{receiver.port}/cz", "secret": parties.cz_secret,
                                             "partnerId": parties.cz["id"]}}, parties.admin)["registerWebhookEndpoint"]
    assert by_admin["userErrors"] == []
    # Check the secret is in no answer: not the payloads, not the endpoint as read back.
    read = api.data("{ webhookEndpoint { id url } }", token=parties.be_token)["webhookEndpoint"]
    assert read == {"id": first["endpoint"]["id"], "url": f"http://127.0.0.1:{receiver.port}/be"}
    assert api.data("query($id: ID!) { node(id: $id) { id } }", {"id": read["id"]}, parties.cz_token)["node"] is None
    for answer in (first, rotated, by_admin, read):
        assert parties.be_secret not in json.dumps(answer) and parties.cz_secret not in json.dumps(answer)


def test_every_event_arrives_signed_in_order_across_a_receiver_outage(
    api: Api, parties: Parties, receiver: Receiver
) -> None:
    order_a = create_order(api, parties.postmart, parties.be["id"])["id"]
    order_b = create_order(api, parties.postmart, parties.be["id"])["id"]
    order_c = create_order(api, parties.voso, parties.cz["id"], destinationCountry="CZ")["id"]
    assert record_milestone(api, parties.postmart, order_a, "HARVESTED", now() - 20 * H)["userErrors"] == []
    for n in range(2):
        for order_id, token in ((order_a, parties.postmart), (order_b, parties.postmart), (order_c, parties.voso)):
            assert record_document(api, token, order_id, "PACKING_LIST", f"PL-{n}")["userErrors"] == []
    be_orders = [order_a, order_b]
    wanted = expected_event_ids(api, parties.be_token, be_orders)
    wait_until(lambda: wanted <= set(receiver.event_ids("/be")), "the first events reached the partner")

    # The partner's endpoint goes away mid-stream; events keep being recorded.
    receiver.stop()
    for n in range(2, 5):
        for order_id in be_orders:
            assert record_document(api, parties.postmart, order_id, "PACKING_LIST", f"PL-{n}")["userErrors"] == []
    wait_until(lambda: any(d["attempts"] >= 1 and d["lastError"] for d in deliveries(api, parties.be_token, "PENDING")),
               "a delivery failed and waits for its retry")
    receiver.start()
    assert record_document(api, parties.postmart, order_a, "AIR_WAYBILL", "AWB-1")["userErrors"] == []
    wanted = expected_event_ids(api, parties.be_token, be_orders)
    wait_until(lambda: wanted <= set(receiver.event_ids("/be")), "every event reached the partner after the outage")
    wait_until(lambda: len(deliveries(api, parties.be_token, "DELIVERED")) == len(wanted), "every delivery is recorded")

    received = receiver.received("/be")
    # Check each request is signed to the Standard Webhooks spec with the partner's secret (id,
    # timestamp and raw body), is fresh, and says what it carries.
    for headers, body in received:
        verify(parties.be_secret, headers, body)
        with pytest.raises(Rejected):
            verify(parties.cz_secret, headers, body)
        payload = json.loads(body)
        assert payload["eventId"] == headers["webhook-id"] and payload["exportOrderId"] in be_orders
        assert payload["event"]["aggregateId"] == payload["exportOrderId"]
        assert payload["eventId"] == f"{uuid_of(payload['exportOrderId'])}:{payload['event']['version']}"
        assert payload["type"] == f"export_order.{payload['event']['type']}"
    # Check the order per export order: versions never go back, and each arrives first in sequence.
    for order_id in be_orders:
        versions = [json.loads(body)["event"]["version"] for _, body in received if json.loads(body)["exportOrderId"] == order_id]
        assert versions == sorted(versions)
        assert list(dict.fromkeys(versions)) == list(range(1, max(versions) + 1))
    # Check a second arrival under one id is a recorded retry: another attempt, with its reason kept.
    by_event = {d["eventId"]: d for d in deliveries(api, parties.be_token)}
    assert set(by_event) == wanted
    arrivals = Counter(receiver.event_ids("/be"))
    for event_id, times in arrivals.items():
        if times > 1:
            attempts = [h["x-farmgate-delivery-attempt"] for h, _ in received if h["webhook-id"] == event_id]
            assert len(set(attempts)) == times and by_event[event_id]["lastError"], event_id
    assert any(d["attempts"] >= 2 and d["lastError"] for d in by_event.values()), "the outage forced retries"
    assert all(d["status"] == "DELIVERED" and d["nextAttemptAt"] is None for d in by_event.values())

    # The other partner: its own order's events only, signed with its own secret.
    cz_wanted = expected_event_ids(api, parties.cz_token, [order_c])
    wait_until(lambda: cz_wanted <= set(receiver.event_ids("/cz")), "the other partner's events arrived")
    for headers, body in receiver.received("/cz"):
        verify(parties.cz_secret, headers, body)
        assert json.loads(body)["exportOrderId"] == order_c
    assert {d["exportOrderId"] for d in deliveries(api, parties.cz_token)} == {order_c}


def test_another_partners_deliveries_are_not_found_and_a_partner_may_ask_for_one_again(
    api: Api, parties: Parties, receiver: Receiver
) -> None:
    delivered = deliveries(api, parties.be_token, "DELIVERED")
    assert delivered, "the previous test delivered events to this partner"
    target = delivered[0]
    # Another partner: not in its list, not by node(id:), not to redeliver, as if it did not exist.
    assert target["id"] not in {d["id"] for d in deliveries(api, parties.cz_token)}
    assert api.data("query($id: ID!) { node(id: $id) { id } }", {"id": target["id"]}, parties.cz_token)["node"] is None
    refused = api.data(REDELIVER, {"input": {"deliveryId": target["id"]}}, parties.cz_token)["redeliverWebhook"]
    assert refused == {"delivery": None, "userErrors": [
        {"field": ["input", "deliveryId"], "code": "NOT_FOUND", "message": "No webhook delivery with this id"}]}
    # Marketplaces read their own orders' deliveries; no one else's, and they may not redeliver.
    postmart = api.token("MARKETPLACE", "postmart-export", marketplace="POSTMART")
    assert target["id"] in {d["id"] for d in deliveries(api, postmart)}
    assert api.post(REDELIVER, {"input": {"deliveryId": target["id"]}}, postmart)["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    before = receiver.event_ids("/be").count(target["eventId"])
    again = api.data(REDELIVER, {"input": {"deliveryId": target["id"]}}, parties.be_token)["redeliverWebhook"]
    assert again["userErrors"] == [] and again["delivery"]["lastError"] == "Redelivery requested"
    wait_until(lambda: receiver.event_ids("/be").count(target["eventId"]) == before + 1, "the redelivery arrived")
    last = [h for h, _ in receiver.received("/be") if h["webhook-id"] == target["eventId"]][-1]
    assert last["x-farmgate-delivery-attempt"] == "1"


def test_no_webhook_secret_reached_a_log_line(parties: Parties) -> None:
    logs = sorted(Path(LOG_DIR).glob("*.log"))
    leaks = [f.name for f in logs for secret in (parties.be_secret, parties.cz_secret)
             if secret in f.read_text(encoding="utf-8", errors="replace")]
    assert leaks == []
