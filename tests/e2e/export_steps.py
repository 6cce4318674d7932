"""Export steps over HTTP shared by the export end-to-end tests: partners, orders, documents, milestones."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.e2e.server import Api

H = timedelta(hours=1)
EXPORT_DOCUMENTS = ("PHYTOSANITARY_CERTIFICATE", "CERTIFICATE_OF_ORIGIN", "COMMERCIAL_INVOICE", "PACKING_LIST",
                    "AIR_WAYBILL", "EXPORT_DECLARATION")
EXPORT_MILESTONES = ("HARVESTED", "PACKED", "PHYTOSANITARY_INSPECTED", "EXPORT_CLEARED", "DEPARTED")
IMPORT_MILESTONES = ("ARRIVED", "IMPORT_CLEARED", "OUT_FOR_DELIVERY", "DELIVERED")

ORDER_FIELDS = """id reference status product hsCode destinationCountry consignee incoterm quantityKg allocatedKg
  unitPrice { amount currency } total { amount currency } harvestToDoorHours harvestedAt dueBy deliveredAt slaState
  householdCount missingDocuments partner { id name country }
  documents { kind number issuer issuedAt sha256 } milestones { kind occurredAt recordedAt location note }"""
ERRORS = "userErrors { field code message }"

REGISTER_PARTNER = f"""mutation($input: RegisterExportPartnerInput!) {{ registerExportPartner(input: $input) {{
  partner {{ id name country }} {ERRORS} }} }}"""
CREATE_ORDER = f"""mutation($input: CreateExportOrderInput!, $key: String) {{
  createExportOrder(input: $input, idempotencyKey: $key) {{ exportOrder {{ {ORDER_FIELDS} }} {ERRORS} }} }}"""
ALLOCATE = f"""mutation($input: AllocateExportLotInput!) {{ allocateExportLot(input: $input) {{
  exportOrder {{ id allocatedKg householdCount }} {ERRORS} }} }}"""
DOCUMENT = f"""mutation($input: RecordExportDocumentInput!) {{ recordExportDocument(input: $input) {{
  exportOrder {{ id missingDocuments }} {ERRORS} }} }}"""
MILESTONE = f"""mutation($input: RecordExportMilestoneInput!) {{ recordExportMilestone(input: $input) {{
  exportOrder {{ id status slaState harvestedAt dueBy deliveredAt }} {ERRORS} }} }}"""
ORDER = f"query($id: ID!) {{ exportOrder(id: $id) {{ {ORDER_FIELDS} }} }}"


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def register_partner(api: Api, admin: str, name: str, country: str) -> dict[str, Any]:
    payload = api.data(REGISTER_PARTNER, {"input": {"name": name, "country": country}}, admin)["registerExportPartner"]
    assert payload["userErrors"] == []
    return payload["partner"]


def order_input(partner_id: str, **overrides: Any) -> dict[str, Any]:
    data = {"partnerId": partner_id, "reference": f"EXP-{uuid.uuid4().hex[:10]}",
            "product": "Fresh lychee (vải thiều), Lục Ngạn", "hsCode": "081090", "destinationCountry": "BE",
            "consignee": "Hội người Việt tại Brussels", "incoterm": "CPT", "quantityKg": 1000,
            "unitPrice": {"amount": "12.50", "currency": "EUR"}, "harvestToDoorHours": 96}
    data.update(overrides)
    return data


def create_order(api: Api, token: str, partner_id: str, **overrides: Any) -> dict[str, Any]:
    payload = api.data(CREATE_ORDER, {"input": order_input(partner_id, **overrides)}, token)["createExportOrder"]
    assert payload["userErrors"] == []
    return payload["exportOrder"]


def record_document(api: Api, token: str, order_id: str, kind: str, number: str,
                    issued_at: datetime | None = None) -> dict[str, Any]:
    return api.data(DOCUMENT, {"input": {"exportOrderId": order_id, "kind": kind, "number": number,
                                         "issuer": "Cục Bảo vệ thực vật", "issuedAt": (issued_at or now() - 90 * H).isoformat(),
                                         "sha256": uuid.uuid4().hex * 2}}, token)["recordExportDocument"]


def record_milestone(api: Api, token: str, order_id: str, kind: str, occurred_at: datetime,
                     location: str | None = None) -> dict[str, Any]:
    variables = {"input": {"exportOrderId": order_id, "kind": kind, "occurredAt": occurred_at.isoformat(),
                           "location": location}}
    return api.data(MILESTONE, variables, token)["recordExportMilestone"]


def file_export_documents(api: Api, marketplace: str, order_id: str) -> None:
    for number, kind in enumerate(EXPORT_DOCUMENTS):
        assert record_document(api, marketplace, order_id, kind, f"{kind[:4]}-{number:03d}")["userErrors"] == []


def error_code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]
