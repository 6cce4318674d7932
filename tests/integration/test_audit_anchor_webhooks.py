"""The audit.anchor webhook topic on SQLite and PostgreSQL: each sealed anchor is queued, in the
sealing transaction, for every endpoint that chose the topic — a marketplace's or an export
partner's — and delivered signed (Standard Webhooks) with the anchor exactly as exported, in order.
Endpoints that did not choose it get nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from types import ModuleType

import pytest
from standardwebhooks import Webhook

from farmgate.core.audit_signing import signature_valid
from farmgate.core.domain.audit_anchor import SignedAnchor
from farmgate.core.projections.webhook_outbox import AUDIT_ANCHORS_SUBJECT, DELIVERIES
from farmgate.deploy.container import System
from farmgate.workers.broker import make_broker
from tests.e2e.receiver import Receiver
from tests.integration.test_tampering import a_household_stream

SECRET = "whsec_" + base64.b64encode(b"audit-anchor-webhook-key-32bytes").decode()


@pytest.fixture(scope="module")
def webhooks_module() -> ModuleType:
    make_broker("memory://")
    from farmgate.workers import webhooks

    return webhooks


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    started.start()
    yield started
    started.stop()


def anchor_deliveries(system: System) -> list[dict[str, object]]:
    return system.store.query(f"SELECT * FROM {DELIVERIES} WHERE topic = 'audit.anchor' ORDER BY position, endpoint_id")


def test_each_sealed_anchor_is_delivered_signed_to_the_endpoints_that_chose_the_topic(
        system: System, receiver: Receiver, webhooks_module: ModuleType, personal_data) -> None:
    app = system.app
    base = f"http://127.0.0.1:{receiver.port}"
    app.register_marketplace_webhook_endpoint(marketplace="POSTMART", url=f"{base}/postmart", secret=SECRET,
                                              topics=["audit.anchor", "order.placed"])
    app.register_marketplace_webhook_endpoint(marketplace="VOSO", url=f"{base}/voso", secret=SECRET,
                                              topics=["order.placed"])
    partner = app.register_export_partner(name="Brno Exotic a.s.", country="CZ")
    app.register_webhook_endpoint(partner_id=partner, url=f"{base}/partner", secret=SECRET,
                                  topics=["export_order.event", "audit.anchor"])
    quiet = app.register_export_partner(name="Gent Fruit NV", country="BE")
    app.register_webhook_endpoint(partner_id=quiet, url=f"{base}/quiet", secret=SECRET)
    system.catch_up()
    a_household_stream(system, personal_data)
    [first] = system.anchors.seal(app, app.clock())
    a_household_stream(system, personal_data)
    [second] = system.anchors.seal(app, app.clock())
    rows = anchor_deliveries(system)
    # Check only the endpoints that chose the topic got deliveries: two anchors each.
    assert sorted((r["marketplace"] or "partner", r["event_id"]) for r in rows) == [
        ("POSTMART", "audit-anchor:1"), ("POSTMART", "audit-anchor:2"),
        ("partner", "audit-anchor:1"), ("partner", "audit-anchor:2")]
    later = app.clock() + timedelta(seconds=1)
    sent = 0
    while due := system.webhooks.due(later, 10, order_id=AUDIT_ANCHORS_SUBJECT):
        for delivery in due:
            sent += webhooks_module.send_delivery(system, delivery)
        assert sent <= 4, "each is delivered once"
    assert sent == 4
    assert receiver.received("/voso") == [] and receiver.received("/quiet") == []
    for path in ("/postmart", "/partner"):
        received = receiver.received(path)
        assert [headers["webhook-id"] for headers, _ in received] == ["audit-anchor:1", "audit-anchor:2"], "in order"
        for (headers, body), anchor in zip(received, (first, second)):
            Webhook(SECRET).verify(body, headers)  # raises unless signed with the endpoint's secret
            document = json.loads(body)
            assert (document["type"], document["timestamp"]) == ("audit.anchor", anchor.anchor.sealed_at)
            assert SignedAnchor.from_document(document) == anchor
            assert document["hash"] == anchor.anchor.hash
            # The copy verifies on its own with the audit public key.
            assert signature_valid(system.anchors.signer.public_key, anchor.anchor.message, document["signature"])


def test_a_partner_that_chose_only_anchors_receives_no_export_order_events(system: System, personal_data) -> None:
    app = system.app
    partner = app.register_export_partner(name="Brno Exotic a.s.", country="CZ")
    app.register_webhook_endpoint(partner_id=partner, url="http://127.0.0.1:9/in", secret=SECRET,
                                  topics=["audit.anchor"])
    app.create_export_order(partner_id=partner, reference="ANCHORS-ONLY", product="Lychee", hs_code="081090",
                            destination_country="CZ", consignee="Ms Lan", incoterm="CPT", quantity_kg=100,
                            unit_price="12.50", currency="EUR", harvest_to_door_hours=96, created_by="POSTMART")
    system.catch_up()
    system.anchors.seal(app, app.clock())
    topics = [r["topic"] for r in system.store.query(f"SELECT topic FROM {DELIVERIES}")]
    assert topics == ["audit.anchor"]


def test_a_topic_a_partner_may_not_choose_is_refused(system: System) -> None:
    from farmgate.core.domain.errors import InvalidInput

    partner = system.app.register_export_partner(name="Brno Exotic a.s.", country="CZ")
    with pytest.raises(InvalidInput, match="unknown topics: order.placed"):
        system.app.register_webhook_endpoint(partner_id=partner, url="http://127.0.0.1:9/in", secret=SECRET,
                                             topics=["order.placed"])
