"""`exportOrderEvents` over a real WebSocket (graphql-transport-ws) against the real server: the
partner follows its own order live, resumes after a version, and another partner is refused as if
the order did not exist."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.export_steps import H, create_order, now, record_document, record_milestone, register_partner
from tests.e2e.server import Api

EVENTS = """subscription($id: ID!, $after: Int) { exportOrderEvents(exportOrderId: $id, afterVersion: $after) {
  stream aggregateId version type actor data hash occurredAt recordedAt } }"""


class Subscription:
    """One graphql-transport-ws operation on its own connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def message(self, timeout: float = 15.0) -> dict[str, Any]:
        message = json.loads(self.ws.recv(timeout=timeout))
        while message["type"] == "ping":
            self.ws.send(json.dumps({"type": "pong"}))
            message = json.loads(self.ws.recv(timeout=timeout))
        return message

    def events(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        received = []
        while len(received) < count:
            message = self.message(max(0.1, deadline - time.monotonic()))
            assert message["type"] == "next" and "errors" not in message["payload"], message
            received.append(message["payload"]["data"]["exportOrderEvents"])
        return received


@contextmanager
def subscribed(api: Api, token: str | None, order_id: str, after: int | None = None) -> Iterator[Subscription]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = api.url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe",
                            "payload": {"query": EVENTS, "variables": {"id": order_id, "after": after}}}))
        yield Subscription(ws)


def refusal(subscription: Subscription) -> tuple[str, str]:
    """The error code the operation ended with, and that it then completed with no event."""
    message = subscription.message()
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
    assert errors and not (message["payload"].get("data") if message["type"] == "next" else None), message
    following = subscription.message()["type"] if message["type"] == "next" else "complete"
    return errors[0]["extensions"]["code"], following


@pytest.fixture(scope="module")
def parties(api: Api) -> dict[str, Any]:
    admin = api.token("ADMIN", "root")
    be = register_partner(api, admin, "Vlaamse Lychee NV", "BE")
    cz = register_partner(api, admin, "Brno Exotic a.s.", "CZ")
    return {
        "be": be, "cz": cz,
        "postmart": api.token("MARKETPLACE", "postmart-export", marketplace="POSTMART"),
        "be_token": api.token("EXPORT_PARTNER", "gent-desk", partner=be["id"]),
        "cz_token": api.token("EXPORT_PARTNER", "brno-desk", partner=cz["id"]),
        "staff": api.token("DISPUTE_STAFF", "minh"),
        "carrier": api.token("CARRIER", "vnpost-bot", carrier="VNPost"),
    }


def test_a_partner_follows_its_own_order_live_from_a_version(api: Api, parties: dict[str, Any]) -> None:
    order = create_order(api, parties["postmart"], parties["be"]["id"])
    harvested = now() - 10 * H
    with subscribed(api, parties["be_token"], order["id"], after=0) as partner, \
            subscribed(api, parties["staff"], order["id"], after=1) as staff:
        # Check the order's recorded events are replayed after the version asked for.
        opened = partner.events(1)[0]
        assert (opened["type"], opened["version"], opened["aggregateId"]) == ("Opened", 1, order["id"])
        assert opened["data"]["consignee"] == "Hội người Việt tại Brussels" and opened["stream"] == "ExportOrder"
        # Then every new event, in the order recorded, from whichever side recorded it.
        assert record_milestone(api, parties["postmart"], order["id"], "HARVESTED", harvested)["userErrors"] == []
        assert record_document(api, parties["postmart"], order["id"], "PACKING_LIST", "PL-7")["userErrors"] == []
        assert record_document(api, parties["be_token"], order["id"], "IMPORT_DECLARATION", "BE-IMP-7")["userErrors"] == []
        live = partner.events(3)
        assert [(e["type"], e["version"]) for e in live] == [("MilestoneReached", 2), ("DocumentFiled", 3), ("DocumentFiled", 4)]
        assert [e["actor"] for e in live] == ["MARKETPLACE:postmart-export"] * 2 + ["EXPORT_PARTNER:gent-desk"]
        assert live[0]["data"]["kind"] == "HARVESTED" and live[0]["occurredAt"] == harvested.isoformat()
        # Check dispute staff get the same events, the consignee masked, nothing replayed twice.
        assert [e["version"] for e in staff.events(3)] == [2, 3, 4]
    history = api.data("query($id: ID!) { exportOrder(id: $id) { history { hash } } }", {"id": order["id"]},
                       parties["be_token"])["exportOrder"]["history"]
    assert [r["hash"] for r in history][1:] == [e["hash"] for e in live]


def test_another_partner_is_refused_as_if_the_order_did_not_exist(api: Api, parties: dict[str, Any]) -> None:
    order = create_order(api, parties["postmart"], parties["be"]["id"])
    absent = base64.urlsafe_b64encode(f"ExportOrder:{uuid.uuid4()}".encode()).decode().rstrip("=")
    answers = []
    for target in (order["id"], absent):
        with subscribed(api, parties["cz_token"], target) as other:
            answers.append(refusal(other))
    assert answers == [("NOT_FOUND", "complete"), ("NOT_FOUND", "complete")]
    # Roles that never read export orders, and callers without a token, are refused outright.
    with subscribed(api, parties["carrier"], order["id"]) as carrier:
        assert refusal(carrier) == ("FORBIDDEN", "complete")
    with subscribed(api, None, order["id"]) as anonymous:
        assert refusal(anonymous) == ("UNAUTHENTICATED", "complete")
    # Check the partner that owns the order is not refused on the same server.
    with subscribed(api, parties["be_token"], order["id"], after=0) as own:
        assert own.events(1)[0]["type"] == "Opened"
