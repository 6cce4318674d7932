"""The seed incident end to end over HTTP, as dispute staff live it: custard apples from Chi Lăng
ordered to Hà Nội, dispatched, held by the Directive 16 lockdown (AREA_RESTRICTED), spoiled after the
48-hour promise, claimed, assessed, paid out split between the parties; the case file replayed at
three moments, verified, then tampered with in the database and caught — and the API keeps answering."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from farmgate.deploy.clock import FileClock
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.e2e.server import Api, running_api
from tests.e2e.ws import subscribed
from tests.personal_data import PersonalData
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

T0 = datetime(2021, 8, 3, 8, 0, tzinfo=timezone(timedelta(hours=7)))
ERRORS = "userErrors { field code message }"


@contextmanager
def dispute_world(backend: str, folder: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[Api, FileClock]]:
    """An API on ``backend`` (sqlite or postgres) whose processes all read one clock file, set to T0."""
    clock = FileClock(folder / "clock")
    clock.set(T0)
    env = {"FARMGATE_TEST_CLOCK_FILE": str(clock.path), **(extra_env or {})}
    if backend == "sqlite":
        with running_api(f"sqlite:///{folder}/farmgate.db", name="dispute-sqlite", extra_env=env) as api:
            yield api, clock
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name="dispute-postgres", extra_env=env) as api:
            yield api, clock


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, FileClock]]:
    with dispute_world(request.param, tmp_path_factory.mktemp("dispute")) as world:
        yield world


def ok(api: Api, query: str, variables: dict[str, Any], token: str, field: str) -> dict[str, Any]:
    payload = api.data(query, variables, token)[field]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def set_the_scene(api: Api, clock: FileClock, pd: PersonalData) -> dict[str, Any]:
    admin = api.token("ADMIN", "root")
    household = ok(api, """mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) {
        household { id code } %s } }""" % ERRORS, {"i": {
        "name": "Hộ Hoàng Văn Na", "nationalId": pd.national_id(), "phone": pd.phone(),
        "address": {"scheme": 2021, "provinceCode": "20", "districtCode": "187"}}}, admin,
        "registerHousehold")["household"]
    grower = api.token("HOUSEHOLD", "na", household=household["id"])
    postmart = api.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART")
    storefront = ok(api, """mutation($i: OpenStorefrontInput!) { openStorefront(input: $i) { storefront { id } %s } }"""
                    % ERRORS, {"i": {"householdId": household["id"], "marketplace": "POSTMART",
                                     "name": "Vườn na Chi Lăng", "location": {"latitude": 21.66, "longitude": 106.61},
                                     "openingHours": []}}, grower, "openStorefront")["storefront"]
    listing = ok(api, """mutation($i: PublishListingInput!) { publishListing(input: $i) { listing { id } %s } }"""
                 % ERRORS, {"i": {"storefrontId": storefront["id"], "title": "Na dai Chi Lăng", "category": "FRUIT",
                                  "unit": "kg", "unitPrice": {"amount": "45000", "currency": "VND"},
                                  "stockQuantity": 500, "shelfLifeHours": 48}}, grower, "publishListing")["listing"]
    order = ok(api, """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) {
        order { id number promisedBy total { amount } } %s } }""" % ERRORS, {"i": {
        "lines": [{"listingId": listing["id"], "quantity": 10}], "paymentMethod": "E_WALLET",
        "buyer": {"name": "Trần Thị Mai", "phone": pd.phone(),
                  "address": {"scheme": 2021, "provinceCode": "01", "street": "Ngõ 12 Chùa Láng"}}}},
        postmart, "placeOrder")["order"]
    assert datetime.fromisoformat(order["promisedBy"]) == T0 + timedelta(hours=48)
    clock.set(T0 + timedelta(minutes=10))
    ok(api, """mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { order { paymentStatus } %s } }""" % ERRORS,
       {"i": {"orderId": order["id"], "amount": {"amount": "450000", "currency": "VND"}, "reference": "MOMO-88",
              "occurredAt": (T0 + timedelta(minutes=9)).isoformat()}}, postmart, "recordPayment")
    ok(api, "mutation($i: ConfirmOrderInput!) { confirmOrder(input: $i) { order { status } %s } }" % ERRORS,
       {"i": {"orderId": order["id"]}}, grower, "confirmOrder")
    clock.set(T0 + timedelta(hours=2))
    shipment = ok(api, """mutation($i: DispatchOrderInput!) { dispatchOrder(input: $i) { shipment { id } %s } }"""
                  % ERRORS, {"i": {"orderId": order["id"], "carrier": "VNPost", "trackingNumber": "EL123456789VN",
                                   "harvestedAt": (T0 - timedelta(hours=6)).isoformat()}},
                  postmart, "dispatchOrder")["shipment"]
    return {"order": order, "shipment": shipment, "household": household, "grower": grower, "postmart": postmart,
            "carrier": api.token("CARRIER", "vnpost-bot", carrier="VNPost"), "staff": api.token("DISPUTE_STAFF", "minh"),
            "admin": admin}


CASE_FILE = """query($id: ID!, $a: DateTime!, $b: DateTime!, $c: DateTime!) { caseFile(orderId: $id) {
  order { number status paymentStatus }
  timeline { stream aggregateId version type actor occurredAt recordedAt data hash }
  slaBreaches { kind dueBy breachedAt }
  integrity { verified eventCount headHash firstBrokenEvent { stream version type } }
  dispatched: asOf(at: $a) { status shipmentStatus paymentStatus version claimStatuses }
  failed: asOf(at: $b) { status shipmentStatus version claimStatuses }
  claimed: asOf(at: $c) { status shipmentStatus version claimStatuses } } }"""


def test_the_custard_apple_incident_from_order_to_tampered_case_file(world: tuple[Api, FileClock], personal_data) -> None:
    api, clock = world
    s = set_the_scene(api, clock, personal_data)
    order_id, shipment_id = s["order"]["id"], s["shipment"]["id"]
    events = "subscription($id: ID!) { orderEvents(orderId: $id) { stream type version actor } }"
    with subscribed(api, s["staff"], events, {"id": order_id}, "orderEvents", token_in_payload=True) as live:
        clock.set(T0 + timedelta(hours=30))
        failure = ok(api, """mutation($i: RecordDeliveryFailureInput!) { recordDeliveryFailure(input: $i) {
            shipment { status failures { reason occurredAt recordedAt } } %s } }""" % ERRORS, {"i": {
            "shipmentId": shipment_id, "reason": "AREA_RESTRICTED", "note": "Directive 16: ward sealed",
            "occurredAt": (T0 + timedelta(hours=26)).isoformat()}}, s["carrier"], "recordDeliveryFailure")
        assert failure["shipment"]["status"] == "ATTEMPT_FAILED"
        # Check the subscriber saw the failure as it was recorded (and the order following it).
        seen = live.events(2)
        assert ("Shipment", "DeliveryFailed") in {(e["stream"], e["type"]) for e in seen}
    clock.set(T0 + timedelta(hours=49))
    spoiled = ok(api, """mutation($i: DeclareSpoilageInput!) { declareSpoilage(input: $i) {
        shipment { status spoiledAt } %s } }""" % ERRORS, {"i": {
        "shipmentId": shipment_id, "occurredAt": (T0 + timedelta(hours=48)).isoformat(),
        "note": "Na quá hạn 48 giờ, không còn bán được"}}, s["carrier"], "declareSpoilage")
    assert spoiled["shipment"]["status"] == "SPOILED"
    # The order follows its shipment as a process step: the buyer's marketplace sees it spoiled, then claims.
    wait_until(lambda: api.data("query($id: ID!) { order(id: $id) { status } }", {"id": order_id},
                                s["postmart"])["order"]["status"] == "SPOILED", "the order to follow its shipment")
    late = api.data("""mutation($i: ConfirmDeliveryInput!) { confirmDelivery(input: $i) { shipment { status } %s } }"""
                    % ERRORS, {"i": {"shipmentId": shipment_id, "occurredAt": (T0 + timedelta(hours=49)).isoformat()}},
                    s["carrier"])["confirmDelivery"]
    # The issue changes this: a delivery reported after a person declared spoilage is kept, as a contradiction
    # the case file flags; the shipment stays SPOILED.
    assert late["userErrors"] == [] and late["shipment"]["status"] == "SPOILED"

    claim = ok(api, """mutation($i: FileClaimInput!) { fileClaim(input: $i) {
        claim { id status respondBy amountClaimed { amount currency } evidence { sha256 addedBy } } %s } }"""
               % ERRORS, {"i": {"orderId": order_id, "kind": "SPOILED", "claimant": "BUYER",
                                "amountClaimed": {"amount": "450000", "currency": "VND"},
                                "description": "Na hỏng vì không giao được trong phong tỏa",
                                "evidence": [{"sha256": "ab" * 32, "uri": "https://evidence.example/na-hong.jpg"}]}},
               s["postmart"], "fileClaim")["claim"]
    assert claim["status"] == "OPEN" and datetime.fromisoformat(claim["respondBy"]) == T0 + timedelta(hours=49 + 72)
    over = api.data("""mutation($i: FileClaimInput!) { fileClaim(input: $i) { claim { id } %s } }""" % ERRORS,
                    {"i": {"orderId": order_id, "kind": "SPOILED", "claimant": "BUYER",
                           "amountClaimed": {"amount": "450001", "currency": "VND"}, "description": "x"}},
                    s["postmart"])["fileClaim"]
    assert over["userErrors"][0]["field"] == ["input", "amountClaimed", "amount"]
    ok(api, """mutation($i: AddClaimEvidenceInput!) { addClaimEvidence(input: $i) { claim { id } %s } }""" % ERRORS,
       {"i": {"claimId": claim["id"], "evidence": {"sha256": "cd" * 32, "uri": "https://evidence.example/gps.log",
                                                  "description": "carrier GPS log"}}}, s["carrier"], "addClaimEvidence")
    clock.set(T0 + timedelta(hours=60))
    bad_split = api.data("""mutation($i: AssessClaimInput!) { assessClaim(input: $i) { claim { id } %s } }""" % ERRORS,
                         {"i": {"claimId": claim["id"], "findings": "x", "recommendedPayout": {"amount": "1", "currency": "VND"},
                                "liability": [{"party": "CARRIER", "basisPoints": 6000}]}}, s["staff"])["assessClaim"]
    assert bad_split["userErrors"][0]["field"] == ["input", "liability"]
    ok(api, """mutation($i: AssessClaimInput!) { assessClaim(input: $i) { claim { status } %s } }""" % ERRORS, {"i": {
        "claimId": claim["id"], "findings": "Lockdown held the parcel past the promise; no return was arranged",
        "recommendedPayout": {"amount": "450000", "currency": "VND"},
        "liability": [{"party": "CARRIER", "basisPoints": 5000}, {"party": "MARKETPLACE", "basisPoints": 3000},
                      {"party": "HOUSEHOLD", "basisPoints": 2000}]}}, s["staff"], "assessClaim")
    assert api.post("""mutation($i: DecideClaimInput!) { decideClaim(input: $i) { claim { id } } }""",
                    {"i": {"claimId": claim["id"], "outcome": "APPROVED", "reason": "x",
                           "payout": {"amount": "1", "currency": "VND"}}}, s["postmart"])["errors"][0][
        "extensions"]["code"] == "FORBIDDEN"
    ok(api, """mutation($i: DecideClaimInput!) { decideClaim(input: $i) { claim { status } %s } }""" % ERRORS,
       {"i": {"claimId": claim["id"], "outcome": "APPROVED", "reason": "Shared liability under Directive 16",
              "payout": {"amount": "400000", "currency": "VND"}}}, s["staff"], "decideClaim")
    pay = """mutation($i: RecordCompensationPaymentInput!) { recordCompensationPayment(input: $i) {
        claim { status payments { payer amount { amount } } } %s } }""" % ERRORS
    # The carrier pays a dong more than its 200,000 share: a fact, recorded and flagged, not refused.
    too_much = ok(api, pay, {"i": {"claimId": claim["id"], "payer": "CARRIER", "reference": "VTP-1",
                                   "amount": {"amount": "200001", "currency": "VND"}}}, s["staff"],
                  "recordCompensationPayment")
    assert too_much["claim"]["status"] == "APPROVED"
    again = api.data(pay, {"i": {"claimId": claim["id"], "payer": "CARRIER", "reference": "VTP-1",
                                 "amount": {"amount": "200001", "currency": "VND"}}}, s["staff"])
    assert again["recordCompensationPayment"]["userErrors"][0]["code"] == "ALREADY_EXISTS"
    flags = api.data("query($id: ID!) { caseFile(orderId: $id) { flags { kind summary } } }", {"id": order_id},
                     s["staff"])["caseFile"]["flags"]
    assert [f["summary"] for f in flags if f["kind"] == "CLAIM_OVERPAID"] == [
        "CARRIER owed 200000 VND of its share; 200001 VND was paid (VTP-1): 1 VND overpaid"]
    for payer, amount in (("MARKETPLACE", "120000"), ("HOUSEHOLD", "80000")):
        paid = ok(api, pay, {"i": {"claimId": claim["id"], "payer": payer, "reference": f"PAY-{payer}",
                                   "amount": {"amount": amount, "currency": "VND"}}}, s["staff"],
                  "recordCompensationPayment")
    assert paid["claim"]["status"] == "PAID"
    # The refund follows the approval as a process step: wait for it (bounded), do not assume it.
    wait_until(lambda: api.data("query($id: ID!) { order(id: $id) { paymentStatus } }", {"id": order_id},
                                s["staff"])["order"]["paymentStatus"] == "PARTIALLY_REFUNDED", "the refund")

    timeline = api.data("query($id: ID!) { caseFile(orderId: $id) { timeline { type stream recordedAt } } }",
                        {"id": order_id}, s["staff"])["caseFile"]["timeline"]

    def recorded(stream: str, kind: str) -> str:
        return next(e["recordedAt"] for e in timeline if (e["stream"], e["type"]) == (stream, kind))

    # Three moments as the order's own stream recorded them: dispatched, failed (as followed), claimed.
    moments = {"a": recorded("Order", "Dispatched"), "b": recorded("Order", "DeliveryFailed"),
               "c": recorded("CompensationClaim", "Filed")}
    case = api.data(CASE_FILE, {"id": order_id, **moments}, s["staff"])["caseFile"]
    assert case["order"]["paymentStatus"] == "PARTIALLY_REFUNDED" and case["order"]["status"] == "SPOILED"
    assert (case["dispatched"]["status"], case["dispatched"]["shipmentStatus"], case["dispatched"]["paymentStatus"]) == (
        "DISPATCHED", "INFO_RECEIVED", "PAID")
    assert (case["failed"]["status"], case["failed"]["shipmentStatus"]) == ("DELIVERY_FAILED", "ATTEMPT_FAILED")
    assert (case["claimed"]["status"], case["claimed"]["shipmentStatus"], case["claimed"]["claimStatuses"]) == (
        "SPOILED", "SPOILED", ["OPEN"])
    assert case["dispatched"]["version"] < case["failed"]["version"] < case["claimed"]["version"]
    kinds = [(e["stream"], e["type"]) for e in case["timeline"]]
    for expected in [("Order", "Placed"), ("Shipment", "DeliveryFailed"), ("Shipment", "SpoilageDeclared"),
                     ("CompensationClaim", "Assessed"), ("CompensationClaim", "CompensationPaid"), ("Order", "Refunded")]:
        assert expected in kinds
    failure_record = next(e for e in case["timeline"] if e["type"] == "DeliveryFailed")
    assert failure_record["actor"] == "CARRIER:vnpost-bot"
    assert datetime.fromisoformat(failure_record["occurredAt"]) == T0 + timedelta(hours=26)
    placed = next(e for e in case["timeline"] if e["type"] == "Placed")
    assert placed["data"]["buyer_name"] == "[redacted]"  # dispute staff do not see the buyer
    assert {b["kind"] for b in case["slaBreaches"]} == {"DELIVERY_PROMISE"}
    assert case["integrity"]["verified"] and case["integrity"]["eventCount"] == len(case["timeline"])

    # Someone edits the carrier's failure report in the database: AREA_RESTRICTED becomes WEATHER.
    # (The running server made the tables: a second writer creating them again races its writes on SQLite.)
    system = build_system(Settings(database_url=api.database_url, env="test"), create_tables=False)
    try:
        table = system.app.recorder.events_table_name
        key = uuid_of(shipment_id)
        stored_key = key.hex if system.store.dialect == "sqlite" else key
        with system.store.transaction() as cur:
            state = bytes(cur.execute(f"SELECT state FROM {table} WHERE originator_id = %s AND originator_version = 2",
                                      (stored_key,)).fetchone()["state"])
            cur.execute(f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 2",
                        (state.replace(b'"AREA_RESTRICTED"', b'"WEATHER"'), stored_key))
    finally:
        system.close()
    tampered = api.data(CASE_FILE, {"id": order_id, **moments}, s["staff"])["caseFile"]
    assert tampered["integrity"]["verified"] is False
    assert tampered["integrity"]["firstBrokenEvent"] == {"stream": "Shipment", "version": 2, "type": "DeliveryFailed"}
    assert tampered["integrity"]["headHash"] != case["integrity"]["headHash"]
    # The API keeps answering.
    assert api.data("query($id: ID!) { order(id: $id) { status } }", {"id": order_id}, s["staff"])["order"]["status"] == "SPOILED"


def wait_until(condition: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling a condition, with a deadline


def uuid_of(global_id: str) -> uuid.UUID:
    from farmgate.graphql.ids import from_global_id

    parsed = from_global_id(global_id)
    assert parsed is not None
    return uuid.UUID(parsed[1])


def test_case_files_and_claims_are_out_of_scope_for_strangers(world: tuple[Api, FileClock], personal_data) -> None:
    api, clock = world
    clock.set(T0)
    s = set_the_scene(api, clock, personal_data)
    order_id = s["order"]["id"]
    query = "query($id: ID!) { caseFile(orderId: $id) { order { number } integrity { verified } } }"
    for who in ("staff", "postmart", "grower", "admin"):
        assert api.data(query, {"id": order_id}, s[who])["caseFile"]["order"]["number"] == s["order"]["number"], who
    voso = api.token("MARKETPLACE", "voso-ops", marketplace="VOSO")
    assert api.data(query, {"id": order_id}, voso)["caseFile"] is None
    other_household = api.token("HOUSEHOLD", "x", household="SG91c2Vob2xkOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA")
    assert api.data(query, {"id": order_id}, other_household)["caseFile"] is None
    assert api.post(query, {"id": order_id}, s["carrier"])["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert api.post(query, {"id": order_id})["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    filed = api.data("""mutation($i: FileClaimInput!) { fileClaim(input: $i) { claim { id } %s } }""" % ERRORS,
                     {"i": {"orderId": order_id, "kind": "LATE_DELIVERY", "claimant": "HOUSEHOLD",
                            "amountClaimed": {"amount": "1000", "currency": "VND"}, "description": "late"}}, voso)
    assert filed["fileClaim"]["userErrors"][0]["code"] == "NOT_FOUND"
    as_buyer = api.post("""mutation($i: FileClaimInput!) { fileClaim(input: $i) { claim { id } } }""",
                        {"i": {"orderId": order_id, "kind": "LATE_DELIVERY", "claimant": "BUYER",
                               "amountClaimed": {"amount": "1000", "currency": "VND"}, "description": "late"}},
                        s["grower"])
    assert as_buyer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    events = "subscription($id: ID!) { orderEvents(orderId: $id) { type } }"
    with subscribed(api, voso, events, {"id": order_id}, "orderEvents") as stranger:
        assert stranger.refusal() == ("NOT_FOUND", "complete")
