"""Cross-border export over HTTP, as marketplaces, export partners and dispute staff use it: the
seed's lychee export (more than 1,000 households, Belgium and Czechia, 96 hours harvest-to-door),
who may record which side, and partner isolation through every read and write path."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import pytest

from farmgate.core.domain.export_order import MAX_LOT_KG, MAX_ORDER_KG
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.deploy.clock import FileClock
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.e2e.export_steps import (
    ALLOCATE,
    CREATE_ORDER,
    DOCUMENT,
    EXPORT_DOCUMENTS,
    EXPORT_MILESTONES,
    H,
    IMPORT_MILESTONES,
    MILESTONE,
    ORDER,
    REGISTER_PARTNER,
    create_order,
    error_code,
    file_export_documents,
    now,
    order_input,
    record_document,
    record_milestone,
    register_partner,
)
from tests.e2e.server import Api, running_on
from tests.personal_data import PersonalData

LOTS = """query($id: ID!) { exportOrder(id: $id) { householdCount allocatedKg
  lots { quantityKg household { id code name } } } }"""
LIST = """query($first: Int, $after: String, $status: ExportOrderStatus) {
  exportOrders(first: $first, after: $after, status: $status) {
    totalCount edges { cursor node { id reference status } } pageInfo { hasNextPage endCursor } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on ExportOrder { reference } ... on ExportPartner { name } } }"
PARTNER = "query($id: ID!) { exportPartner(id: $id) { id name country } }"
HISTORY = "query($id: ID!) { exportOrder(id: $id) { history { stream type version actor data } } }"


class World:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.admin = api.token("ADMIN", "root")
        self.postmart = api.token("MARKETPLACE", "postmart-export", marketplace="POSTMART")
        self.voso = api.token("MARKETPLACE", "voso-export", marketplace="VOSO")
        self.staff = api.token("DISPUTE_STAFF", "minh")
        self.officer = api.token("PROVINCE_OFFICER", "giang", province="24")
        self.carrier = api.token("CARRIER", "vnpost-bot", carrier="VNPost")
        self.be = register_partner(api, self.admin, "Lychee Import BV", "BE")
        self.cz = register_partner(api, self.admin, "Praha Ovoce s.r.o.", "CZ")
        self.be_token = api.token("EXPORT_PARTNER", "brussels-desk", partner=self.be["id"])
        self.cz_token = api.token("EXPORT_PARTNER", "praha-desk", partner=self.cz["id"])


@pytest.fixture(scope="module")
def clock(tmp_path_factory: pytest.TempPathFactory) -> FileClock:
    """The API's clock: the real time while its file is empty (see ``opened_at``)."""
    return FileClock(tmp_path_factory.mktemp("export-clock") / "clock.txt")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, clock: FileClock) -> Iterator[Api]:
    with running_on(request.param, tmp_path_factory, "test_export_api",
                    extra_env={"FARMGATE_TEST_CLOCK_FILE": str(clock.path)}) as server:
        yield server


@contextmanager
def opened_at(clock: FileClock, moment: datetime) -> Iterator[None]:
    """Orders created inside are opened at ``moment`` (no export fact may precede an order's opening
    by more than its harvest-to-door window); the real time again after."""
    clock.set(moment)
    try:
        yield
    finally:
        clock.path.write_text("")


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    return World(api)


def test_only_admin_registers_export_partners_and_a_partner_sees_itself_only(world: World) -> None:
    api = world.api
    variables = {"input": {"name": "Frische Früchte GmbH", "country": "DE"}}
    for refused in (world.postmart, world.staff, world.be_token, world.officer):
        assert error_code(api.post(REGISTER_PARTNER, variables)) == "UNAUTHENTICATED"
        assert error_code(api.post(REGISTER_PARTNER, variables, refused)) == "FORBIDDEN"
    again = api.data(REGISTER_PARTNER, {"input": {"name": " lychee import bv ", "country": "BE"}}, world.admin)
    assert again["registerExportPartner"]["userErrors"][0]["code"] == "ALREADY_EXISTS"
    bad = api.data(REGISTER_PARTNER, {"input": {"name": "Nowhere Ltd", "country": "XK"}}, world.admin)
    assert bad["registerExportPartner"]["userErrors"][0]["field"] == ["input", "country"]
    # Check marketplaces and dispute staff read partners; a partner reads itself, and not the other.
    for reader in (world.admin, world.postmart, world.staff, world.be_token):
        assert api.data(PARTNER, {"id": world.be["id"]}, reader)["exportPartner"] == world.be
    assert api.data(PARTNER, {"id": world.cz["id"]}, world.be_token)["exportPartner"] is None
    assert api.data(NODE, {"id": world.cz["id"]}, world.be_token)["node"] is None
    assert api.data(NODE, {"id": world.be["id"]}, world.be_token)["node"] == {"id": world.be["id"], "name": "Lychee Import BV"}
    assert api.data(PARTNER, {"id": world.be["id"]}, world.carrier)["exportPartner"] is None


def register_households_directly(database_url: str, pd: PersonalData, count: int) -> list[str]:
    """Onboarding is not under test here: register through a system on the server's own database."""
    system = build_system(Settings(database_url=database_url, env="test"))
    try:
        with recording(Provenance(actor="PROVINCE_OFFICER:bulk-setup", correlation_id="e2e-export-setup")):
            ids = [
                system.app.register_household(name=f"Hộ trồng vải số {i}", national_id=pd.national_id(), phone=pd.phone(),
                                              address={"province_code": "24", "scheme": 2021})
                for i in range(count)
            ]
    finally:
        system.close()
    return [base64.urlsafe_b64encode(f"Household:{i}".encode()).decode().rstrip("=") for i in ids]


def test_a_thousand_households_fill_one_export_order_and_the_partner_sees_code_and_name_only(
    world: World, personal_data: PersonalData
) -> None:
    api = world.api
    households = register_households_directly(api.database_url, personal_data, 1000)
    lots = [(household, 1 + i % 9) for i, household in enumerate(households)]
    quantity = sum(kg for _, kg in lots)
    order = create_order(api, world.postmart, world.be["id"], quantityKg=quantity)

    def allocate(lot: tuple[str, int]) -> list[dict[str, Any]]:
        variables = {"input": {"exportOrderId": order["id"], "householdId": lot[0], "quantityKg": lot[1]}}
        return api.data(ALLOCATE, variables, world.postmart)["allocateExportLot"]["userErrors"]

    # Lots arrive together at harvest time: four clients at once on the one order.
    with ThreadPoolExecutor(4) as pool:
        assert [errors for errors in pool.map(allocate, lots) if errors] == []
    # Check the full order takes not one kilogram more.
    over = allocate((households[0], 1))
    assert over[0]["code"] == "LIMIT_EXCEEDED" and over[0]["field"] == ["input", "quantityKg"]

    seen = api.data(LOTS, {"id": order["id"]}, world.be_token)["exportOrder"]
    assert seen["householdCount"] == 1000 and seen["allocatedKg"] == quantity
    assert len(seen["lots"]) == 1000 and sum(lot["quantityKg"] for lot in seen["lots"]) == quantity
    first = seen["lots"][0]["household"]
    assert first["code"].startswith("HH-24-") and first["name"].startswith("Hộ trồng vải số")
    # Check nothing but code and name of a lot's household reaches the partner, by any field or path.
    for field in ("phoneMasked", "address { provinceCode }", "status", "paymentAccounts { kind }",
                  "history { type }", "registeredAt"):
        query = f"query($id: ID!) {{ exportOrder(id: $id) {{ lots {{ household {{ {field} }} }} }} }}"
        assert error_code(api.post(query, {"id": order["id"]}, world.be_token)) == "FORBIDDEN", field
    household_query = "query($id: ID!) { household(id: $id) { phoneMasked } node(id: $id) { id } }"
    assert api.data(household_query, {"id": first["id"]}, world.be_token) == {"household": None, "node": None}
    # Dispute staff read the households in full, phones masked; ADMIN sees the number.
    staff_view = api.data("query($id: ID!) { exportOrder(id: $id) { lots { household { phoneMasked address { provinceCode } } } } }",
                          {"id": order["id"]}, world.staff)["exportOrder"]["lots"][0]["household"]
    assert staff_view["phoneMasked"].startswith("*********") and staff_view["address"]["provinceCode"] == "24"


def test_an_export_order_and_its_lots_take_at_most_their_documented_kilograms(
    world: World, personal_data: PersonalData
) -> None:
    api = world.api
    [household] = register_households_directly(api.database_url, personal_data, 1)
    order = create_order(api, world.postmart, world.be["id"], quantityKg=MAX_ORDER_KG)
    assert order["quantityKg"] == MAX_ORDER_KG

    def allocate(kilograms: int) -> list[dict[str, Any]]:
        variables = {"input": {"exportOrderId": order["id"], "householdId": household, "quantityKg": kilograms}}
        return api.data(ALLOCATE, variables, world.postmart)["allocateExportLot"]["userErrors"]

    assert [(e["field"], e["code"]) for e in allocate(MAX_LOT_KG + 1)] == [(["input", "quantityKg"], "INVALID")]
    assert allocate(MAX_LOT_KG) == []
    assert api.data(LOTS, {"id": order["id"]}, world.be_token)["exportOrder"]["allocatedKg"] == MAX_LOT_KG


def test_a_delivery_90_hours_after_harvest_meets_the_promise(world: World) -> None:
    api = world.api
    order = create_order(api, world.postmart, world.be["id"])
    assert order["slaState"] == "ON_TRACK" and order["status"] == "OPEN" and order["harvestedAt"] is None
    assert order["total"] == {"amount": "12500.00", "currency": "EUR"} and order["consignee"] == "Hội người Việt tại Brussels"
    harvested = now() - 95 * H
    assert record_milestone(api, world.postmart, order["id"], "HARVESTED", harvested)["userErrors"] == []
    # Check the partner may not record the export side, nor the marketplace the import side.
    body = api.post(MILESTONE, {"input": {"exportOrderId": order["id"], "kind": "PACKED",
                                          "occurredAt": (harvested + H).isoformat()}}, world.be_token)
    assert error_code(body) == "FORBIDDEN"
    body = api.post(DOCUMENT, {"input": {"exportOrderId": order["id"], "kind": "AIR_WAYBILL", "number": "AWB-1",
                                         "issuer": "VN Airlines", "issuedAt": harvested.isoformat()}}, world.be_token)
    assert error_code(body) == "FORBIDDEN"
    departed_early = record_milestone(api, world.postmart, order["id"], "DEPARTED", harvested + 2 * H)
    assert departed_early["userErrors"][0]["code"] == "INVALID_TRANSITION"
    file_export_documents(api, world.postmart, order["id"])
    for i, kind in enumerate(EXPORT_MILESTONES[1:], start=1):
        step = record_milestone(api, world.postmart, order["id"], kind, harvested + (i * 5) * H, "HAN" if kind == "DEPARTED" else None)
        assert step["userErrors"] == [], kind
    assert step["exportOrder"]["status"] == "IN_TRANSIT"
    body = api.post(MILESTONE, {"input": {"exportOrderId": order["id"], "kind": "ARRIVED",
                                          "occurredAt": (harvested + 36 * H).isoformat()}}, world.postmart)
    assert error_code(body) == "FORBIDDEN"
    declaration = record_document(api, world.be_token, order["id"], "IMPORT_DECLARATION", "BE-IMP-2021-77", harvested + 37 * H)
    assert declaration["userErrors"] == []
    for kind, hours in zip(IMPORT_MILESTONES, (36, 44, 70, 90)):
        step = record_milestone(api, world.be_token, order["id"], kind, harvested + hours * H, "BRU" if kind == "ARRIVED" else None)
        assert step["userErrors"] == [], kind

    done = api.data(ORDER, {"id": order["id"]}, world.be_token)["exportOrder"]
    assert done["status"] == "DELIVERED" and done["slaState"] == "MET" and done["missingDocuments"] == []
    assert done["harvestedAt"] == harvested.isoformat() and done["deliveredAt"] == (harvested + 90 * H).isoformat()
    assert done["dueBy"] == (harvested + 96 * H).isoformat()
    assert [m["kind"] for m in done["milestones"]] == [*EXPORT_MILESTONES, *IMPORT_MILESTONES]
    assert {d["kind"] for d in done["documents"]} == {*EXPORT_DOCUMENTS, "IMPORT_DECLARATION"}
    # Check the history says who recorded what, and masks the consignee for dispute staff only.
    history = api.data(HISTORY, {"id": order["id"]}, world.be_token)["exportOrder"]["history"]
    assert [r["version"] for r in history] == list(range(1, len(history) + 1))
    assert {r["actor"] for r in history} == {"MARKETPLACE:postmart-export", "EXPORT_PARTNER:brussels-desk"}
    assert history[0]["type"] == "Opened" and history[0]["data"]["consignee"] == "Hội người Việt tại Brussels"
    staff_history = api.data(HISTORY, {"id": order["id"]}, world.staff)["exportOrder"]["history"]
    assert staff_history[0]["data"]["consignee"] == "[redacted]"
    assert api.data(ORDER, {"id": order["id"]}, world.staff)["exportOrder"]["consignee"] == "[redacted]"


def test_a_delivery_past_96_hours_is_breached_and_the_clock_is_live(world: World, clock: FileClock) -> None:
    api = world.api
    harvested = now() - 120 * H
    with opened_at(clock, harvested):
        late = create_order(api, world.voso, world.cz["id"], destinationCountry="CZ",
                            unitPrice={"amount": "310000", "currency": "CZK"})
    file_export_documents(api, world.voso, late["id"])
    for kind, hours in (("HARVESTED", 0), ("DEPARTED", 30)):
        assert record_milestone(api, world.voso, late["id"], kind, harvested + hours * H)["userErrors"] == []
    for kind, hours in (("ARRIVED", 50), ("DELIVERED", 100)):
        assert record_milestone(api, world.cz_token, late["id"], kind, harvested + hours * H)["userErrors"] == []
    seen = api.data(ORDER, {"id": late["id"]}, world.cz_token)["exportOrder"]
    assert seen["slaState"] == "BREACHED" and seen["status"] == "DELIVERED"
    assert seen["total"] == {"amount": "310000000.00", "currency": "CZK"}
    # Undelivered orders: the state is computed now, from harvest and the promise.
    states = {}
    for label, hours_ago in (("at risk", 80), ("overdue", 100)):
        with opened_at(clock, now() - hours_ago * H):
            order = create_order(api, world.voso, world.cz["id"], destinationCountry="CZ")
        record_milestone(api, world.voso, order["id"], "HARVESTED", now() - hours_ago * H)
        states[label] = api.data(ORDER, {"id": order["id"]}, world.cz_token)["exportOrder"]["slaState"]
    assert states == {"at risk": "AT_RISK", "overdue": "BREACHED"}


def test_another_partners_or_marketplaces_order_reads_and_writes_as_not_found(world: World) -> None:
    api = world.api
    order = create_order(api, world.postmart, world.be["id"])
    absent = base64.urlsafe_b64encode(f"ExportOrder:{uuid.uuid4()}".encode()).decode().rstrip("=")
    assert api.data(ORDER, {"id": order["id"]}, world.be_token)["exportOrder"]["id"] == order["id"]
    for outsider in (world.cz_token, world.voso):
        for target in (order["id"], absent):
            assert api.data(ORDER, {"id": target}, outsider) == {"exportOrder": None}
            assert api.data(NODE, {"id": target}, outsider) == {"node": None}
        listed = [e["node"]["id"] for e in api.data(LIST, {"first": 100}, outsider)["exportOrders"]["edges"]]
        assert order["id"] not in listed
    # Writes: the same answer as for an order that does not exist, word for word.
    writes = [
        (world.cz_token, MILESTONE, "recordExportMilestone",
         {"kind": "ARRIVED", "occurredAt": (now() - H).isoformat()}),
        (world.cz_token, DOCUMENT, "recordExportDocument",
         {"kind": "IMPORT_DECLARATION", "number": "CZ-1", "issuer": "Celní úřad", "issuedAt": (now() - H).isoformat()}),
        (world.voso, MILESTONE, "recordExportMilestone", {"kind": "HARVESTED", "occurredAt": (now() - H).isoformat()}),
        (world.voso, DOCUMENT, "recordExportDocument",
         {"kind": "AIR_WAYBILL", "number": "AWB-9", "issuer": "VN Airlines", "issuedAt": (now() - H).isoformat()}),
        (world.voso, ALLOCATE, "allocateExportLot", {"householdId": "SG91c2Vob2xkOng", "quantityKg": 1}),
    ]
    for token, mutation, name, fields in writes:
        answers = [api.data(mutation, {"input": {"exportOrderId": target, **fields}}, token)[name] for target in (order["id"], absent)]
        assert answers[0] == answers[1] == {"exportOrder": None, "userErrors": [
            {"field": ["input", "exportOrderId"], "code": "NOT_FOUND", "message": "No export order with this id"}]}
    # Check nothing was recorded by any of those attempts.
    history = api.data(HISTORY, {"id": order["id"]}, world.admin)["exportOrder"]["history"]
    assert [r["type"] for r in history] == ["Opened"]
    # Roles without export business are refused outright.
    assert error_code(api.post(LIST, {}, world.carrier)) == "FORBIDDEN"
    assert error_code(api.post(CREATE_ORDER, {"input": order_input(world.be["id"])}, world.be_token)) == "FORBIDDEN"
    assert api.data(ORDER, {"id": order["id"]}, world.officer) == {"exportOrder": None}


def test_export_order_lists_are_scoped_paged_and_filtered(world: World) -> None:
    api = world.api
    created = [create_order(api, world.voso, world.cz["id"], destinationCountry="CZ")["id"] for _ in range(3)]
    cz_ids = [e["node"]["id"] for e in api.data(LIST, {"first": 100}, world.cz_token)["exportOrders"]["edges"]]
    assert set(created) <= set(cz_ids)
    total = api.data(LIST, {"first": 1}, world.cz_token)["exportOrders"]["totalCount"]
    assert total == len(cz_ids)
    # Check every listed order is the partner's own, and the marketplace lists what it created.
    for order_id in cz_ids:
        assert api.data(ORDER, {"id": order_id}, world.cz_token)["exportOrder"]["partner"]["id"] == world.cz["id"]
    voso_ids = {e["node"]["id"] for e in api.data(LIST, {"first": 100}, world.voso)["exportOrders"]["edges"]}
    assert set(created) <= voso_ids
    all_ids = {e["node"]["id"] for e in api.data(LIST, {"first": 100}, world.staff)["exportOrders"]["edges"]}
    assert voso_ids <= all_ids and set(cz_ids) <= all_ids
    # Pages follow one another without gaps or repeats.
    paged, after = [], None
    while True:
        page = api.data(LIST, {"first": 2, "after": after}, world.cz_token)["exportOrders"]
        paged += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == cz_ids
    open_ids = [e["node"]["id"] for e in api.data(LIST, {"first": 100, "status": "OPEN"}, world.cz_token)["exportOrders"]["edges"]]
    assert set(created) <= set(open_ids) and all(
        api.data(ORDER, {"id": i}, world.cz_token)["exportOrder"]["status"] == "OPEN" for i in open_ids)
    assert error_code(api.post(LIST, {"first": 101}, world.staff)) == "LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"quantityKg": 0}, ["input", "quantityKg"], "INVALID"),
        ({"quantityKg": MAX_ORDER_KG + 1}, ["input", "quantityKg"], "INVALID"),
        ({"quantityKg": 2_147_483_647}, ["input", "quantityKg"], "INVALID"),
        ({"hsCode": "lychee"}, ["input", "hsCode"], "INVALID"),
        ({"destinationCountry": "EU"}, ["input", "destinationCountry"], "INVALID"),
        ({"unitPrice": {"amount": "-1", "currency": "EUR"}}, ["input", "unitPrice", "amount"], "INVALID"),
        ({"harvestToDoorHours": 0}, ["input", "harvestToDoorHours"], "INVALID"),
        ({"partnerId": "RXhwb3J0UGFydG5lcjpub3BlCg"}, ["input", "partnerId"], "NOT_FOUND"),
    ],
)
def test_bad_export_order_input_is_a_user_error(world: World, overrides: dict[str, Any], field: list[str], code: str) -> None:
    payload = world.api.data(CREATE_ORDER, {"input": order_input(world.be["id"], **overrides)}, world.postmart)["createExportOrder"]
    assert payload["exportOrder"] is None
    assert payload["userErrors"][0]["field"] == field and payload["userErrors"][0]["code"] == code


def test_times_without_an_offset_or_in_the_future_are_refused(world: World) -> None:
    order = create_order(world.api, world.postmart, world.be["id"])
    naive = record_milestone(world.api, world.postmart, order["id"], "HARVESTED", now().replace(tzinfo=None))
    future = record_milestone(world.api, world.postmart, order["id"], "HARVESTED", now() + H)
    assert naive["userErrors"][0]["field"] == future["userErrors"][0]["field"] == ["input", "occurredAt"]


@pytest.mark.parametrize("year", [1, 2099])
def test_an_export_fact_dated_implausibly_early_or_late_is_refused_and_nothing_is_recorded(world: World, year: int) -> None:
    """The world-time policy: no milestone or document before the order's harvest-to-door window
    (year 0001 would make the order BREACHED from its birth), none in the future."""
    api = world.api
    order = create_order(api, world.postmart, world.be["id"])
    moment = datetime(year, 6, 1, 5, 0, tzinfo=timezone.utc)
    milestone = record_milestone(api, world.postmart, order["id"], "HARVESTED", moment)
    document = record_document(api, world.postmart, order["id"], "PACKING_LIST", "PL-1", moment)
    assert milestone["exportOrder"] is None and document["exportOrder"] is None
    assert [(e["field"], e["code"]) for e in milestone["userErrors"]] == [(["input", "occurredAt"], "INVALID")]
    assert [(e["field"], e["code"]) for e in document["userErrors"]] == [(["input", "issuedAt"], "INVALID")]
    seen = api.data(ORDER, {"id": order["id"]}, world.postmart)["exportOrder"]
    assert seen["milestones"] == [] and seen["documents"] == [] and seen["harvestedAt"] is None
    assert seen["slaState"] == "ON_TRACK"
    history = api.data(HISTORY, {"id": order["id"]}, world.admin)["exportOrder"]["history"]
    assert [h["type"] for h in history] == ["Opened"]


def test_an_idempotent_create_returns_the_first_order_and_refuses_a_changed_request(world: World) -> None:
    api, key = world.api, f"create-{uuid.uuid4()}"
    data = order_input(world.be["id"])
    first = api.data(CREATE_ORDER, {"input": data, "key": key}, world.postmart)["createExportOrder"]
    replay = api.data(CREATE_ORDER, {"input": data, "key": key}, world.postmart)["createExportOrder"]
    assert first["userErrors"] == [] and replay["exportOrder"]["id"] == first["exportOrder"]["id"]
    changed = api.data(CREATE_ORDER, {"input": {**data, "quantityKg": 7}, "key": key}, world.postmart)["createExportOrder"]
    assert changed["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    again = api.data(CREATE_ORDER, {"input": data}, world.postmart)["createExportOrder"]
    assert again["userErrors"][0]["code"] == "ALREADY_EXISTS"


def test_a_reference_again_in_another_case_width_or_with_outer_spaces_is_the_same_order(world: World) -> None:
    api = world.api

    def listed(token: str) -> int:
        return api.data(LIST, {"first": 1}, token)["exportOrders"]["totalCount"]

    first = create_order(api, world.postmart, world.be["id"], reference="BE-2021-001")
    assert first["reference"] == "BE-2021-001"
    before = listed(world.staff)
    for again in ("be-2021-001", "ＢＥ-2021-001", " BE-2021-001 ", "ｂｅ-２０２１-００１"):
        payload = api.data(CREATE_ORDER, {"input": order_input(world.be["id"], reference=again)},
                           world.postmart)["createExportOrder"]
        assert payload["exportOrder"] is None, again
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("ALREADY_EXISTS", ["input", "reference"])]
    assert listed(world.staff) == before, "nothing recorded"
    history = api.data(HISTORY, {"id": first["id"]}, world.admin)["exportOrder"]["history"]
    assert [h["type"] for h in history] == ["Opened"]
    # Another partner, or another marketplace, may use the same reference, as before.
    other_partner = create_order(api, world.postmart, world.cz["id"], reference="be-2021-001", destinationCountry="CZ")
    other_marketplace = create_order(api, world.voso, world.be["id"], reference="ＢＥ-2021-001")
    assert other_marketplace["reference"] == "BE-2021-001"  # stored as typed after NFKC
    assert len({first["id"], other_partner["id"], other_marketplace["id"]}) == 3
    assert listed(world.staff) == before + 2
