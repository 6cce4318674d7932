"""Audit anchors over HTTP, on the embedded default (SQLite: the API process's own scheduler seals)
and on PostgreSQL with a `farmgate worker` on Redis: the case file's `integrity.anchoredAt` appears
once the log is sealed, the public key is served at the well-known URL, and a payment edited in the
database with the order's hashes recomputed is `verified: false` with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from farmgate.deploy.clock import FileClock
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.e2e.receiver import wait_until
from tests.e2e.server import Api, running_api
from tests.e2e.test_dispute_case import T0, set_the_scene
from tests.e2e.test_dispute_case import uuid_of as order_uuid
from tests.integration.test_audit_anchors import rewrite_and_rechain
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

INTEGRITY = """query($id: ID!) { caseFile(orderId: $id) { integrity {
  verified eventCount anchoredAt reason firstBrokenEvent { stream version type } } } }"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, FileClock]]:
    folder = tmp_path_factory.mktemp("anchors")
    clock = FileClock(folder / "clock")
    clock.set(T0)
    env = {"FARMGATE_TEST_CLOCK_FILE": str(clock.path), "FARMGATE_AUDIT_ANCHOR_SECONDS": "1"}
    if request.param == "sqlite":
        with running_api(f"sqlite:///{folder}/farmgate.db", name="anchors-sqlite", extra_env=env) as served:
            yield served, clock
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name="anchors-postgres", workers=True, extra_env=env) as served:
            yield served, clock


def test_the_public_key_is_served_as_a_jwk_set(api: tuple[Api, Any]) -> None:
    served, _ = api
    response = served.client.get(served.url + "/.well-known/farmgate-audit-key")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/jwk-set+json")
    [key] = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert key["kid"] == Settings(env="test").audit_signer().key_id
    pem = served.client.get(served.url + "/.well-known/farmgate-audit-key.pem")
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN PUBLIC KEY-----")


def test_the_sealing_job_anchors_the_case_and_a_rechained_edit_is_caught(api: tuple[Api, Any], personal_data) -> None:
    served, clock = api
    clock.set(T0)
    scene = set_the_scene(served, clock, personal_data)
    order_id, staff = scene["order"]["id"], scene["staff"]

    def integrity() -> dict[str, Any]:
        return served.data(INTEGRITY, {"id": order_id}, staff)["caseFile"]["integrity"]

    # The job runs every second (FARMGATE_AUDIT_ANCHOR_SECONDS=1) in the API process or the worker.
    # (The running server made the tables: a second writer creating them again races its writes on SQLite.)
    system = build_system(Settings(database_url=served.database_url, env="test"), create_tables=False)
    try:
        head = system.app.recorder.max_notification_id()

        def sealed_up_to() -> int:
            latest = system.anchors.latest()
            return 0 if latest is None else latest.anchor.last_position

        wait_until(lambda: sealed_up_to() >= head, "the log sealed past the case", timeout=60)
        sealed = integrity()
        assert sealed["verified"] and sealed["reason"] is None and sealed["anchoredAt"] is not None
        # Sealed on the app's clock (the shared test clock), after the case's events were recorded.
        assert datetime.fromisoformat(sealed["anchoredAt"]) >= T0.astimezone(timezone.utc)
        # Someone with write access raises the payment and recomputes the order's hashes.
        order = order_uuid(order_id)
        paid = next(e for e in system.app.stored_events(order) if type(e).__name__ == "PaymentRecorded")
        rewrite_and_rechain(system, order, paid.originator_version,
                            lambda e: object.__setattr__(e, "amount", {**e.amount, "amount": "4500000"}))
    finally:
        system.close()
    tampered = integrity()
    assert tampered["verified"] is False
    assert "altered after it was anchored" in tampered["reason"]
    assert tampered["firstBrokenEvent"] == {"stream": "Order", "version": paid.originator_version,
                                            "type": "PaymentRecorded"}


REGISTER_PARTNER = """mutation($input: RegisterExportPartnerInput!) { registerExportPartner(input: $input) {
  partner { id } userErrors { code message } } }"""
REGISTER_ENDPOINT = """mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) {
  endpoint { url topics } userErrors { field code message } } }"""
ANCHOR_DELIVERIES = """{ webhookDeliveries(first: 100) { edges { node { eventId eventType topic status orderId } } } }"""


def test_a_partner_chooses_the_audit_anchor_topic_and_receives_the_anchors(api: tuple[Api, Any]) -> None:
    import base64
    import json

    from tests.e2e.receiver import Receiver
    from tests.e2e.standard_webhooks import verify

    served, clock = api
    secret = "whsec_" + base64.b64encode(b"partner-anchor-copies-32-bytes!!").decode()
    receiver = Receiver()
    receiver.start()
    try:
        admin = served.token("ADMIN", "root")
        partner = served.data(REGISTER_PARTNER, {"input": {"name": "Brno Exotic a.s.", "country": "CZ"}},
                              admin)["registerExportPartner"]["partner"]
        url = f"http://127.0.0.1:{receiver.port}/anchors"
        refused = served.data(REGISTER_ENDPOINT, {"input": {"url": url, "secret": secret, "partnerId": partner["id"],
                                                            "topics": ["ORDER_PLACED"]}}, admin)["registerWebhookEndpoint"]
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input", "topics"], "INVALID")]
        registered = served.data(REGISTER_ENDPOINT, {"input": {"url": url, "secret": secret, "partnerId": partner["id"],
                                                               "topics": ["AUDIT_ANCHOR"]}}, admin)
        payload = registered["registerWebhookEndpoint"]
        assert payload["userErrors"] == [] and payload["endpoint"]["topics"] == ["AUDIT_ANCHOR"]
        # Anchors sealed from now on are sent to it: one more event, and the next seal has something to seal.
        served.data(REGISTER_PARTNER, {"input": {"name": "Gent Fruit NV", "country": "BE"}}, admin)
        wait_until(lambda: receiver.received("/anchors"), "an anchor delivered to the partner", timeout=60)
        headers, body = receiver.received("/anchors")[0]
        verify(secret, headers, body, now=clock().timestamp())  # signed at the servers' (test) clock
        document = json.loads(body)
        assert document["type"] == "audit.anchor" and headers["webhook-id"] == f"audit-anchor:{document['anchor']['sequence']}"
        assert document["anchor"]["key_id"] == Settings(env="test").audit_signer().key_id
        partner_token = served.token("EXPORT_PARTNER", "brno", partner=partner["id"])
        nodes = [e["node"] for e in served.data(ANCHOR_DELIVERIES, {}, partner_token)["webhookDeliveries"]["edges"]]
        assert nodes and {(n["topic"], n["eventType"], n["orderId"]) for n in nodes} == {("AUDIT_ANCHOR", "AnchorSealed", None)}
    finally:
        receiver.stop()
