"""Cancelling an export order: its creating marketplace may, while it is OPEN; nobody else can reach it."""

from __future__ import annotations

from typing import Any

from tests.e2e.export_steps import H, create_order, file_export_documents, now, record_milestone, register_partner
from tests.e2e.server import Api

CANCEL = """mutation($i: CancelExportOrderInput!) { cancelExportOrder(input: $i) {
  exportOrder { id status } userErrors { field code message } } }"""


def cancel(api: Api, token: str, order_id: str, reason: str = "buyer withdrew") -> dict[str, Any]:
    return api.post(CANCEL, {"i": {"exportOrderId": order_id, "reason": reason}}, token)


def test_only_the_creating_marketplace_cancels_an_open_export_order(api: Api) -> None:
    admin = api.token("ADMIN", "root")
    partner = register_partner(api, admin, "Praha Ovoce s.r.o.", "CZ")
    postmart = api.token("MARKETPLACE", "postmart-export", marketplace="POSTMART")
    voso = api.token("MARKETPLACE", "voso-export", marketplace="VOSO")
    partner_token = api.token("EXPORT_PARTNER", "praha-desk", partner=partner["id"])
    order = create_order(api, postmart, partner["id"], destinationCountry="CZ")
    # Refused: another marketplace sees no such order; the partner may not cancel; nothing changes.
    assert cancel(api, voso, order["id"])["data"]["cancelExportOrder"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert cancel(api, partner_token, order["id"])["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    blank = cancel(api, postmart, order["id"], reason=" ")["data"]["cancelExportOrder"]
    assert blank["userErrors"][0]["field"] == ["input", "reason"]
    cancelled = cancel(api, postmart, order["id"])["data"]["cancelExportOrder"]
    assert cancelled["userErrors"] == [] and cancelled["exportOrder"]["status"] == "CANCELLED"
    again = cancel(api, postmart, order["id"])["data"]["cancelExportOrder"]
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"
    # Once it has departed it can no longer be cancelled, not even by ADMIN.
    moving = create_order(api, postmart, partner["id"], destinationCountry="CZ")
    file_export_documents(api, postmart, moving["id"])
    assert record_milestone(api, postmart, moving["id"], "HARVESTED", now() - 5 * H)["userErrors"] == []
    assert record_milestone(api, postmart, moving["id"], "DEPARTED", now() - 1 * H)["userErrors"] == []
    late = cancel(api, admin, moving["id"])["data"]["cancelExportOrder"]
    assert late["userErrors"][0]["code"] == "INVALID_TRANSITION" and late["exportOrder"] is None
