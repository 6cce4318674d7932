"""Every operation of the served schema × every principal, from one table (tests/rules.py WHO_MAY):
who may not is refused — UNAUTHENTICATED, FORBIDDEN or NOT_FOUND as the table says — and nothing is
recorded (the event log's head does not move); who may is let through.

A refused mutation is sent with a fresh idempotency key, so a refusal that went missing would run it
and move the head. An allowed one is sent with a key one character too long: the key is checked only
once the caller has passed the role and scope checks and before anything runs, so INVALID on
``idempotencyKey`` proves it was let through, and the world stays as it was for the next cell.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from farmgate.core.domain.carrier import VNPOST
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql.commands import MAX_KEY_LENGTH
from farmgate.graphql.ids import to_global_id, uuid_of
from farmgate.graphql.schema import schema
from tests.e2e.export_steps import create_order as create_export_order
from tests.e2e.export_steps import order_input as export_order_input
from tests.e2e.export_steps import register_partner
from tests.e2e.order_steps import PAY, a_seller, confirm, dispatch, place, succeeded
from tests.e2e.server import Api
from tests.e2e.standard_webhooks import new_secret
from tests.e2e.test_households_api import register
from tests.e2e.ws import subscribed
from tests.personal_data import PersonalData
from tests.rules import (
    ALLOWED, ANONYMOUS, CARRIER, CARRIER_OTHER, HOUSEHOLD, HOUSEHOLD_OTHER, MARKETPLACE, MARKETPLACE_OTHER,
    NOT_FOUND, OFFICER, OFFICER_OTHER, PARTNER, PARTNER_OTHER, PRINCIPALS, STAFF, WHO_MAY, ADMIN,
)

ROOTS = ("Query", "Mutation", "Subscription")
LUC_NGAN = {"latitude": 21.3803, "longitude": 106.5838}
VNPOST_ID = to_global_id("Carrier", str(VNPOST.id))
POSTMART_ENDPOINT = to_global_id("MarketplaceWebhookEndpoint", "POSTMART")
TOO_LONG_KEY = "k" * (MAX_KEY_LENGTH + 1)


def served_operations() -> set[str]:
    """Every root field of the served schema, and node(id:) once per Node type."""
    served = schema._schema
    names = {name for root in ROOTS for name in (served.get_type(root).fields if served.get_type(root) else {})}
    names.discard("node")
    node_types = {t.name for t in served.type_map.values()
                  if getattr(t, "interfaces", None) and any(i.name == "Node" for i in t.interfaces)}
    return names | {f"node:{type_name}" for type_name in node_types}


def test_the_table_covers_every_operation_of_the_served_schema_and_nothing_else() -> None:
    table = {name.split(":")[0] if not name.startswith("node:") else name for name in WHO_MAY}
    missing, stale = served_operations() - table, table - served_operations()
    assert not missing, f"add rows to tests/rules.py WHO_MAY for {sorted(missing)}"
    assert not stale, f"tests/rules.py WHO_MAY has rows for operations no longer served: {sorted(stale)}"
    for name, access in WHO_MAY.items():
        assert set(access.allowed) | set(access.refusals) <= set(PRINCIPALS), name


# -- the world the table is read against -------------------------------------------------------------


@dataclass
class World:
    api: Api
    system: System  # the same database, read from this process: the event log's head
    pd: PersonalData
    tokens: dict[str, str | None]
    household: str
    household_code: str
    storefront: str
    listing: str
    order: str
    order_number: str
    shipment: str
    claim: str
    partner: str
    export_order: str
    delivery: str
    campaign: str
    household_import: str

    def head(self) -> int:
        return int(self.system.app.recorder.max_notification_id() or 0)


def _first_delivery(api: Api, token: str, deadline_seconds: float = 30) -> str:
    query = "{ webhookDeliveries(first: 10) { edges { node { id } } } }"
    deadline = datetime.now(timezone.utc) + timedelta(seconds=deadline_seconds)
    while datetime.now(timezone.utc) < deadline:
        edges = api.data(query, token=token)["webhookDeliveries"]["edges"]
        if edges:
            return str(edges[0]["node"]["id"])
        import time

        time.sleep(0.1)  # polling for the outbox projection, with a deadline
    raise AssertionError("the export order's first event never became a webhook delivery")


@pytest.fixture(scope="module")
def world(api: Api, personal_data: PersonalData) -> Iterator[World]:
    pd = personal_data
    roles = api.role_tokens()
    postmart, admin = roles["postmart"], roles["admin"]
    household = register(api, postmart, pd, province="24", name=pd.name())  # joined through POSTMART
    other_household = register(api, roles["officer20"], pd, province="20", name=pd.name())
    household_token = api.token("HOUSEHOLD", "ho", household=household["id"])
    storefront_id, listing = _shop(api, household["id"], household_token)
    order = place(api, postmart, pd, [(listing, 2)], paymentMethod="CASH_ON_DELIVERY")
    confirm(api, household_token, order["id"])
    shipment = dispatch(api, household_token, order["id"], "EB-RP-0001", carrier="VNPost")["shipment"]
    paid = {"orderId": order["id"], "amount": order["total"], "reference": "COD-RP-1",
            "occurredAt": datetime.now(timezone.utc).isoformat()}
    succeeded(api.post(PAY, {"input": paid}, roles["carrier"]), "recordPayment")
    claim = api.data(FILE_CLAIM, {"input": _claim_input(order["id"], "BUYER")}, postmart)["fileClaim"]
    assert claim["userErrors"] == []
    partner = register_partner(api, admin, f"Importer {uuid.uuid4().hex[:8]}", "BE")
    other_partner = register_partner(api, admin, f"Importer {uuid.uuid4().hex[:8]}", "DE")
    partner_token = api.token("EXPORT_PARTNER", "brussels", partner=partner["id"])
    registered = api.data(REGISTER_ENDPOINT, {"input": {"url": "http://127.0.0.1:9/hooks", "secret": new_secret()}},
                          partner_token)["registerWebhookEndpoint"]
    assert registered["userErrors"] == []
    marketplace_endpoint = api.data(REGISTER_MARKETPLACE_ENDPOINT, {"input": {
        "url": "http://127.0.0.1:9/postmart-hooks", "secret": new_secret(), "topics": ["ORDER_PLACED"]}},
        postmart)["registerMarketplaceWebhookEndpoint"]
    assert marketplace_endpoint["userErrors"] == [] and marketplace_endpoint["endpointId"] == POSTMART_ENDPOINT
    export_order = create_export_order(api, postmart, partner["id"])
    launched = api.data(LAUNCH_CAMPAIGN, {"input": _campaign_input()}, admin)["launchCampaign"]
    assert launched["userErrors"] == []
    tokens: dict[str, str | None] = {
        ANONYMOUS: None, ADMIN: admin, MARKETPLACE: postmart, MARKETPLACE_OTHER: roles["voso"],
        HOUSEHOLD: household_token, HOUSEHOLD_OTHER: api.token("HOUSEHOLD", "ho2", household=other_household["id"]),
        CARRIER: roles["carrier"], CARRIER_OTHER: roles["other_carrier"],
        OFFICER: roles["officer24"], OFFICER_OTHER: roles["officer20"], STAFF: roles["staff"],
        PARTNER: partner_token, PARTNER_OTHER: api.token("EXPORT_PARTNER", "berlin", partner=other_partner["id"]),
    }
    household_import = _upload(api, roles["officer24"], _import_lines(pd), None, dry_run=True)
    job = household_import.json()["data"]["startHouseholdImport"]
    assert job["userErrors"] == [], job
    system = build_system(Settings(database_url=api.database_url, env="test"), create_tables=False)
    try:
        yield World(api, system, pd, tokens, household["id"], household["code"], storefront_id, listing,
                    order["id"], order["number"], shipment["id"], claim["claim"]["id"], partner["id"],
                    export_order["id"], _first_delivery(api, partner_token), launched["campaign"]["id"],
                    job["householdImport"]["id"])
    finally:
        system.close()


def _shop(api: Api, household_id: str, token: str) -> tuple[str, str]:
    from tests.e2e.test_catalog_api import open_storefront, publish

    storefront = open_storefront(api, token, household_id, marketplace="POSTMART")
    listing = publish(api, token, storefront["id"], "Vải thiều Lục Ngạn", stockQuantity=100, shelfLifeHours=48,
                      unitPrice={"amount": "35000", "currency": "VND"})
    return storefront["id"], listing["id"]


# -- one request per operation ----------------------------------------------------------------------

FILE_CLAIM = """mutation($input: FileClaimInput!, $key: String) { fileClaim(input: $input, idempotencyKey: $key) {
  claim { id } userErrors { field code message } } }"""
REGISTER_ENDPOINT = """mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) {
  endpoint { id } userErrors { field code message } } }"""
REGISTER_MARKETPLACE_ENDPOINT = """mutation($input: RegisterMarketplaceWebhookEndpointInput!) {
  registerMarketplaceWebhookEndpoint(input: $input) { endpointId userErrors { field code message } } }"""


LAUNCH_CAMPAIGN = """mutation($input: LaunchCampaignInput!) { launchCampaign(input: $input) {
  campaign { id } userErrors { field code message } } }"""


def _campaign_input() -> dict[str, Any]:
    return {"name": f"Vải thiều {uuid.uuid4().hex[:8]}", "product": "Vải thiều", "provinceCode": "24",
            "targetKg": 1000, "startsAt": _now(), "endsAt": _now(24 * 30)}


def _vnd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "VND"}


def _claim_input(order_id: str, claimant: str) -> dict[str, Any]:
    return {"orderId": order_id, "kind": "LATE_DELIVERY", "claimant": claimant, "amountClaimed": _vnd("1000"),
            "description": "Giao muộn"}


def _now(hours: float = 0) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()


#: mutation -> (input type, the input acting on the world's objects)
MUTATION_INPUTS: dict[str, tuple[str, Callable[[World], dict[str, Any]]]] = {
    "registerHousehold": ("RegisterHouseholdInput", lambda w: {
        "name": w.pd.name(), "nationalId": w.pd.national_id(), "phone": w.pd.typed_phone(),
        "address": {"scheme": 2021, "provinceCode": "24", "districtCode": "219", "street": w.pd.street()}}),
    "verifyHousehold": ("VerifyHouseholdInput", lambda w: {"householdId": w.household, "method": "commune post office"}),
    "addCertification": ("AddCertificationInput", lambda w: {
        "householdId": w.household, "scheme": "VIETGAP", "number": f"VG-{uuid.uuid4().hex[:6]}",
        "issuer": "Sở NN&PTNT Bắc Giang", "validUntil": _now(24 * 365)}),
    "linkPaymentAccount": ("LinkPaymentAccountInput", lambda w: {
        "householdId": w.household, "kind": "E_WALLET", "provider": "MoMo", "reference": f"MOMO-{uuid.uuid4().hex[:8]}"}),
    "openStorefront": ("OpenStorefrontInput", lambda w: {
        "householdId": w.household, "marketplace": "POSTMART", "name": "Vườn vải", "location": LUC_NGAN,
        "openingHours": []}),
    "setStorefrontStatus": ("SetStorefrontStatusInput", lambda w: {"storefrontId": w.storefront,
                                                                    "status": "TEMPORARILY_CLOSED"}),
    "publishListing": ("PublishListingInput", lambda w: {
        "storefrontId": w.storefront, "title": "Vải thiều loại 2", "category": "FRUIT", "unit": "kg",
        "unitPrice": _vnd("30000"), "stockQuantity": 10, "shelfLifeHours": 48}),
    "adjustStock": ("AdjustStockInput", lambda w: {"listingId": w.listing, "delta": 5, "reason": "Thu hoạch thêm"}),
    "changePrice": ("ChangePriceInput", lambda w: {"listingId": w.listing, "unitPrice": _vnd("36000")}),
    "pauseListing": ("ListingStatusInput", lambda w: {"listingId": w.listing}),
    "resumeListing": ("ListingStatusInput", lambda w: {"listingId": w.listing}),
    "delistListing": ("ListingStatusInput", lambda w: {"listingId": w.listing}),
    "placeOrder": ("PlaceOrderInput", lambda w: {
        "lines": [{"listingId": w.listing, "quantity": 1}], "paymentMethod": "CASH_ON_DELIVERY",
        "buyer": {"name": w.pd.name(), "phone": w.pd.typed_phone(),
                  "address": {"scheme": 2021, "provinceCode": "01", "street": w.pd.street()}}}),
    "confirmOrder": ("ConfirmOrderInput", lambda w: {"orderId": w.order}),
    "dispatchOrder": ("DispatchOrderInput", lambda w: {"orderId": w.order, "carrier": "VNPost",
                                                       "trackingNumber": "EB-RP-0002"}),
    "cancelOrder": ("CancelOrderInput", lambda w: {"orderId": w.order, "reason": "Khách đổi ý"}),
    "recordPayment": ("RecordPaymentInput", lambda w: {"orderId": w.order, "amount": _vnd("1000"),
                                                       "reference": f"COD-{uuid.uuid4().hex[:8]}", "occurredAt": _now()}),
    "recordRefund": ("RecordRefundInput", lambda w: {"orderId": w.order, "amount": _vnd("1000"),
                                                     "reference": f"RF-{uuid.uuid4().hex[:8]}", "occurredAt": _now()}),
    "registerCarrier": ("RegisterCarrierInput", lambda w: {"name": f"Giao hàng {uuid.uuid4().hex[:8]}",
                                                           "aliases": [f"GH {uuid.uuid4().hex[:8]}"]}),
    "registerMarketplaceWebhookEndpoint": ("RegisterMarketplaceWebhookEndpointInput", lambda w: {
        "marketplace": "POSTMART", "url": "http://127.0.0.1:9/postmart-hooks-2", "secret": new_secret(),
        "topics": ["ORDER_PLACED", "ORDER_REFUNDED"]}),
    "recordCheckpoint": ("RecordCheckpointInput", lambda w: {"shipmentId": w.shipment, "status": "IN_TRANSIT",
                                                             "occurredAt": _now()}),
    "recordDeliveryFailure": ("RecordDeliveryFailureInput", lambda w: {"shipmentId": w.shipment, "reason": "WEATHER",
                                                                       "occurredAt": _now()}),
    "confirmDelivery": ("ConfirmDeliveryInput", lambda w: {"shipmentId": w.shipment, "occurredAt": _now()}),
    "declareSpoilage": ("DeclareSpoilageInput", lambda w: {"shipmentId": w.shipment, "occurredAt": _now(),
                                                           "note": "Quả hỏng"}),
    "fileClaim": ("FileClaimInput", lambda w: _claim_input(w.order, "HOUSEHOLD")),
    "addClaimEvidence": ("AddClaimEvidenceInput", lambda w: {"claimId": w.claim, "evidence": {
        "sha256": uuid.uuid4().hex * 2, "uri": "https://evidence.example/anh-qua-hong.jpg"}}),
    "assessClaim": ("AssessClaimInput", lambda w: {"claimId": w.claim, "findings": "Giao muộn do phong tỏa",
                                                   "liability": [{"party": "CARRIER", "basisPoints": 10000}],
                                                   "recommendedPayout": _vnd("1000")}),
    "decideClaim": ("DecideClaimInput", lambda w: {"claimId": w.claim, "outcome": "REJECTED", "reason": "Không đủ căn cứ"}),
    "recordCompensationPayment": ("RecordCompensationPaymentInput", lambda w: {
        "claimId": w.claim, "payer": "CARRIER", "amount": _vnd("1000"), "reference": "PAY-RP-1"}),
    "withdrawClaim": ("WithdrawClaimInput", lambda w: {"claimId": w.claim, "reason": "Đã thỏa thuận"}),
    "registerExportPartner": ("RegisterExportPartnerInput", lambda w: {"name": f"Importer {uuid.uuid4().hex[:8]}",
                                                                       "country": "CZ"}),
    "createExportOrder": ("CreateExportOrderInput", lambda w: export_order_input(w.partner)),
    "allocateExportLot": ("AllocateExportLotInput", lambda w: {"exportOrderId": w.export_order,
                                                               "householdId": w.household, "quantityKg": 10}),
    "recordExportDocument:EXPORT": ("RecordExportDocumentInput", lambda w: {
        "exportOrderId": w.export_order, "kind": "PHYTOSANITARY_CERTIFICATE", "number": f"PC-{uuid.uuid4().hex[:6]}",
        "issuer": "Cục Bảo vệ thực vật", "issuedAt": _now(-24)}),
    "recordExportDocument:IMPORT": ("RecordExportDocumentInput", lambda w: {
        "exportOrderId": w.export_order, "kind": "IMPORT_DECLARATION", "number": f"ID-{uuid.uuid4().hex[:6]}",
        "issuer": "Douane Belge", "issuedAt": _now(-24)}),
    "recordExportMilestone:EXPORT": ("RecordExportMilestoneInput", lambda w: {
        "exportOrderId": w.export_order, "kind": "HARVESTED", "occurredAt": _now(-1)}),
    "recordExportMilestone:IMPORT": ("RecordExportMilestoneInput", lambda w: {
        "exportOrderId": w.export_order, "kind": "ARRIVED", "occurredAt": _now(-1)}),
    "cancelExportOrder": ("CancelExportOrderInput", lambda w: {"exportOrderId": w.export_order, "reason": "Hủy"}),
    "registerWebhookEndpoint": ("RegisterWebhookEndpointInput", lambda w: {
        "url": "http://127.0.0.1:9/other-hooks", "secret": new_secret(), "partnerId": w.partner}),
    "redeliverWebhook": ("RedeliverWebhookInput", lambda w: {"deliveryId": w.delivery}),
    "planProvinceRollout": ("PlanProvinceRolloutInput", lambda w: {"provinceCode": "24", "households": 100,
                                                                   "storefronts": 50, "paymentAccounts": 50}),
    "launchCampaign": ("LaunchCampaignInput", lambda w: _campaign_input()),
    "startHouseholdImport": ("StartHouseholdImportInput", lambda w: {}),  # a file upload: see _start_import
    "erasePersonalData": ("ErasePersonalDataInput", lambda w: {"subjectId": w.household, "reason": "ticket RP-1"}),
}


START_IMPORT = """mutation($input: StartHouseholdImportInput!, $key: String) {
  startHouseholdImport(input: $input, idempotencyKey: $key) { householdImport { id } userErrors { field code message } } }"""


def _import_lines(pd: PersonalData) -> list[str]:
    return ["name,national_id,phone,scheme,province_code,district_code,ward_code,street,latitude,longitude",
            f"{pd.name()},{pd.national_id()},{pd.phone()},2025,24,,,,,"]


def _upload(api: Api, token: str | None, lines: list[str], key: str | None, dry_run: bool = False) -> Any:
    """startHouseholdImport as the GraphQL multipart request spec sends it."""
    import json

    operations = {"query": START_IMPORT, "variables": {"input": {"file": None, "dryRun": dry_run}, "key": key}}
    return api.client.post(api.url + "/graphql", headers={} if token is None else {"Authorization": f"Bearer {token}"},
                           data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
                           files={"0": ("households.csv", ("\n".join(lines) + "\n").encode(), "text/csv")})


def _import_jobs(world: World) -> int:
    return int(world.system.store.query_one("SELECT count(*) AS n FROM household_imports")["n"])  # type: ignore[index]


def _start_import(world: World, expected: str) -> tuple[str, dict[str, Any]]:
    """A refused upload stages no job (it records no event either way); an allowed one is stopped by its key."""
    key = TOO_LONG_KEY if expected == ALLOWED else f"refused-{uuid.uuid4().hex}"
    jobs = _import_jobs(world)
    response = _upload(world.api, world.tokens_for, _import_lines(world.pd), key)
    body = response.json()
    if _import_jobs(world) != jobs:
        return "STAGED A JOB", body
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code")), body
    errors = body["data"]["startHouseholdImport"]["userErrors"]
    if [(e["code"], e["field"]) for e in errors] == [("INVALID", ["idempotencyKey"])]:
        return ALLOWED, body
    return f"userErrors {errors}", body


def _mutation(world: World, operation: str, expected: str) -> tuple[str, dict[str, Any]]:
    name = operation.split(":")[0]
    if name == "startHouseholdImport":
        return _start_import(world, expected)
    input_type, make = MUTATION_INPUTS[operation]
    query = (f"mutation($input: {input_type}!, $key: String) {{ {name}(input: $input, idempotencyKey: $key) "
             "{ userErrors { field code message } } }")
    key = TOO_LONG_KEY if expected == ALLOWED else f"refused-{uuid.uuid4().hex}"
    body = world.api.post(query, {"input": make(world), "key": key}, world.tokens_for)
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code")), body
    errors = body["data"][name]["userErrors"]
    if expected == ALLOWED and [(e["code"], e["field"]) for e in errors] == [("INVALID", ["idempotencyKey"])]:
        return ALLOWED, body
    if [e["code"] for e in errors] == ["NOT_FOUND"]:
        return NOT_FOUND, body
    return "RAN" if not errors else f"userErrors {errors}", body


def _contains(found: Any, wanted: str) -> bool:
    return wanted in str(found)


#: query -> (query text, variables, what in the answer shows the world's object)
QUERIES: dict[str, Callable[[World], tuple[str, dict[str, Any], str]]] = {
    "household": lambda w: ("query($id: ID!) { household(id: $id) { id } }", {"id": w.household}, w.household),
    "householdByCode": lambda w: ("query($c: String!) { householdByCode(code: $c) { id } }", {"c": w.household_code},
                                  w.household),
    "households": lambda w: ("{ households(first: 100) { edges { node { id } } } }", {}, w.household),
    "householdImport": lambda w: ("query($id: ID!) { householdImport(id: $id) { id } }", {"id": w.household_import},
                                  w.household_import),
    "storefront": lambda w: ("query($id: ID!) { storefront(id: $id) { id } }", {"id": w.storefront}, w.storefront),
    "storefronts": lambda w: ("{ storefronts(first: 100) { edges { node { id } } } }", {}, w.storefront),
    "nearbyStorefronts": lambda w: ("query($near: GeoPointInput!) { nearbyStorefronts(near: $near, radiusKm: 5) "
                                    "{ storefront { id } } }", {"near": LUC_NGAN}, w.storefront),
    "listing": lambda w: ("query($id: ID!) { listing(id: $id) { id } }", {"id": w.listing}, w.listing),
    "listings": lambda w: ("{ listings(first: 100) { edges { node { id } } } }", {}, w.listing),
    "provinces": lambda w: ("{ provinces(scheme: 2021) { code } }", {}, "'24'"),
    "province": lambda w: ('{ province(scheme: 2021, code: "24") { code } }', {}, "'24'"),
    "district": lambda w: ('{ district(code: "219") { code } }', {}, "'219'"),
    "ward": lambda w: ('{ ward(scheme: 2021, code: "06466") { code } }', {}, "'06466'"),
    "carriers": lambda w: ("{ carriers { id } }", {}, VNPOST_ID),
    "viewer": lambda w: ("{ viewer { role } }", {}, "role"),
    "order": lambda w: ("query($id: ID!) { order(id: $id) { id } }", {"id": w.order}, w.order),
    "orderByNumber": lambda w: ("query($n: String!) { orderByNumber(number: $n) { id } }", {"n": w.order_number},
                                w.order),
    "orders": lambda w: ("{ orders(first: 100) { edges { node { id } } } }", {}, w.order),
    "shipment": lambda w: ("query($id: ID!) { shipment(id: $id) { id } }", {"id": w.shipment}, w.shipment),
    "claim": lambda w: ("query($id: ID!) { claim(id: $id) { id } }", {"id": w.claim}, w.claim),
    "claims": lambda w: ("{ claims(first: 100) { edges { node { id } } } }", {}, w.claim),
    "caseFile": lambda w: ("query($id: ID!) { caseFile(orderId: $id) { order { id } } }", {"id": w.order}, w.order),
    "exportPartner": lambda w: ("query($id: ID!) { exportPartner(id: $id) { id } }", {"id": w.partner}, w.partner),
    "exportOrder": lambda w: ("query($id: ID!) { exportOrder(id: $id) { id } }", {"id": w.export_order},
                              w.export_order),
    "exportOrders": lambda w: ("{ exportOrders(first: 100) { edges { node { id } } } }", {}, w.export_order),
    "webhookEndpoint": lambda w: ("query($p: ID) { webhookEndpoint(partnerId: $p) { id } }", {"p": w.partner},
                                  to_global_id("WebhookEndpoint", str(uuid_of(w.partner, "ExportPartner")))),
    "webhookDeliveries": lambda w: ("{ webhookDeliveries(first: 100) { edges { node { id } } } }", {}, w.delivery),
    "marketplaceWebhookEndpoint": lambda w: ("{ marketplaceWebhookEndpoint(marketplace: POSTMART) { id } }", {},
                                             POSTMART_ENDPOINT),
    "provinceRollout": lambda w: ('{ provinceRollout(provinceCode: "24") { provinceCode households } }', {},
                                  "provinceCode"),
    "nationalRollout": lambda w: ("{ nationalRollout { targetHouseholds } }", {}, "targetHouseholds"),
    "campaign": lambda w: ("query($id: ID!) { campaign(id: $id) { id } }", {"id": w.campaign}, w.campaign),
    "personalDataExport": lambda w: ("query($id: ID!) { personalDataExport(subjectId: $id) }", {"id": w.household},
                                     f"household:{uuid_of(w.household, 'Household')}"),
}

NODE_IDS: dict[str, Callable[[World], str]] = {
    "Household": lambda w: w.household, "Storefront": lambda w: w.storefront, "Listing": lambda w: w.listing,
    "Order": lambda w: w.order, "Shipment": lambda w: w.shipment, "CompensationClaim": lambda w: w.claim,
    "ExportPartner": lambda w: w.partner, "ExportOrder": lambda w: w.export_order,
    "WebhookEndpoint": lambda w: to_global_id("WebhookEndpoint", str(uuid_of(w.partner, "ExportPartner"))),
    "WebhookDelivery": lambda w: w.delivery,
    "MarketplaceWebhookEndpoint": lambda w: POSTMART_ENDPOINT, "Carrier": lambda w: VNPOST_ID,
    "Campaign": lambda w: w.campaign,
}

SUBSCRIPTIONS: dict[str, Callable[[World], tuple[str, dict[str, Any]]]] = {
    "orderEvents": lambda w: ("subscription($id: ID!) { orderEvents(orderId: $id, afterPosition: 0) { type } }",
                              {"id": w.order}),
    "exportOrderEvents": lambda w: ("subscription($id: ID!) { exportOrderEvents(exportOrderId: $id, afterVersion: 0) "
                                    "{ type } }", {"id": w.export_order}),
}


def _query(world: World, operation: str) -> tuple[str, dict[str, Any]]:
    if operation.startswith("node:"):
        wanted = NODE_IDS[operation.split(":")[1]](world)
        query, variables = "query($id: ID!) { node(id: $id) { id } }", {"id": wanted}
    else:
        query, variables, wanted = QUERIES[operation](world)
    body = world.api.post(query, variables, world.tokens_for)
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code")), body
    return (ALLOWED if _contains(body["data"], wanted) else NOT_FOUND), body


def _subscription(world: World, operation: str) -> tuple[str, dict[str, Any]]:
    query, variables = SUBSCRIPTIONS[operation](world)
    with subscribed(world.api, world.tokens_for, query, variables, operation) as subscription:
        message = subscription.message()
    if message["type"] == "next" and not message["payload"].get("errors"):
        return ALLOWED, message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return str(errors[0].get("extensions", {}).get("code")), message


def outcome(world: World, operation: str, expected: str) -> tuple[str, dict[str, Any]]:
    name = operation.split(":")[0]
    if name in SUBSCRIPTIONS:
        return _subscription(world, operation)
    if operation in MUTATION_INPUTS:
        return _mutation(world, operation, expected)
    return _query(world, operation)


def test_every_request_of_the_table_is_written() -> None:
    covered = set(MUTATION_INPUTS) | set(QUERIES) | set(SUBSCRIPTIONS) | {f"node:{t}" for t in NODE_IDS}
    assert covered == set(WHO_MAY)


@pytest.mark.parametrize("operation", sorted(WHO_MAY))
def test_each_principal_is_refused_or_let_through_as_the_table_says(world: World, operation: str) -> None:
    access = WHO_MAY[operation]
    wrong = []
    for principal in PRINCIPALS:
        expected = access.expected(principal)
        world.tokens_for = world.tokens[principal]
        before = world.head()
        got, body = outcome(world, operation, expected)
        after = world.head()
        if got != expected or after != before:
            wrong.append((principal, f"expected {expected}, got {got}", f"head {before} -> {after}", str(body)[:300]))
    assert wrong == []
