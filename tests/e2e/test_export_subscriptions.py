"""`exportOrderEvents` over a real WebSocket (graphql-transport-ws) against the real server: the
partner follows its own order live, resumes after a version, and another partner is refused as if
the order did not exist."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.e2e.export_steps import H, create_order, now, record_document, record_milestone, register_partner
from tests.e2e.server import Api
from tests.e2e.ws import Subscription
from tests.e2e.ws import subscribed as subscribed_to

EVENTS = """subscription($id: ID!, $after: Int) { exportOrderEvents(exportOrderId: $id, afterVersion: $after) {
  stream aggregateId version type actor data hash occurredAt recordedAt } }"""


@contextmanager
def subscribed(api: Api, token: str | None, order_id: str, after: int | None = None) -> Iterator[Subscription]:
    with subscribed_to(api, token, EVENTS, {"id": order_id, "after": after}, "exportOrderEvents") as subscription:
        yield subscription


def refusal(subscription: Subscription) -> tuple[str, str]:
    return subscription.refusal()


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
