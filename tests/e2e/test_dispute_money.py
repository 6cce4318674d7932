"""Who may claim what, over HTTP, with one clock for every process (the dispute tests' world).

The seed's custard apples, cash on delivery from Chi Lăng to Hà Nội: held by the lockdown
(AREA_RESTRICTED), spoiled by the promise watchdog, nothing paid — the grower's HOUSEHOLD claim for
the lost produce is approved, split and paid by the liable parties, while the buyer, who paid
nothing, may claim nothing. Then the same on a prepaid order with a BUYER claim, which refunds the
order. Then a delivery reported late that happened before the automatic spoilage, seen in the case
file on both time axes; and the money of a paid order that is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from farmgate.deploy.clock import FileClock
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql.ids import from_global_id
from tests.e2e.server import Api
from tests.e2e.test_dispute_case import ERRORS, T0, dispute_world, ok, wait_until
from tests.personal_data import PersonalData

CHI_LANG = {"scheme": 2021, "provinceCode": "20", "districtCode": "187", "wardCode": "06466"}
HANOI = {"scheme": 2021, "provinceCode": "01", "districtCode": "005", "wardCode": "00175", "street": "Ngõ 12 Chùa Láng"}
EXPOSURE = "claimExposure { claimant limit { amount } claimed { amount } approved { amount } paid { amount } room { amount } }"
ORDER = f"""query($id: ID!) {{ order(id: $id) {{ status paymentStatus amountPaid {{ amount }} amountRefunded {{ amount }}
  refundedThroughClaims {{ amount }} refundDue {{ amount }} {EXPOSURE} }} }}"""
FILE = """mutation($i: FileClaimInput!) { fileClaim(input: $i) { claim { id status flags { reason } } %s } }""" % ERRORS
ASSESS = """mutation($i: AssessClaimInput!) { assessClaim(input: $i) { claim { status } %s } }""" % ERRORS
DECIDE = """mutation($i: DecideClaimInput!) { decideClaim(input: $i) { claim { status } %s } }""" % ERRORS
#: the embedded API's watchdog period here: the module waits for it several times
WATCHDOG_SECONDS = 1


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, FileClock]]:
    with dispute_world(request.param, tmp_path_factory.mktemp("dispute-money"),
                       {"FARMGATE_PROMISE_WATCHDOG_SECONDS": str(WATCHDOG_SECONDS)}) as world:
        yield world


PAY_CLAIM = """mutation($i: RecordCompensationPaymentInput!) { recordCompensationPayment(input: $i) {
  claim { status } %s } }""" % ERRORS


def sell_and_dispatch(api: Api, clock: FileClock, pd: PersonalData, payment_method: str) -> dict[str, Any]:
    """A Chi Lăng grower's custard apples (10 kg at 45,000 VND, 48 h shelf life) ordered to Hà Nội at T0,
    paid at once unless cash on delivery, dispatched with VNPost at T0+2h."""
    clock.set(T0)
    admin = api.token("ADMIN", "root")
    household = ok(api, "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { household { id } %s } }"
                   % ERRORS, {"i": {"name": "Hộ Hoàng Văn Na", "nationalId": pd.national_id(), "phone": pd.phone(),
                                    "address": CHI_LANG}}, admin, "registerHousehold")["household"]
    grower = api.token("HOUSEHOLD", "na", household=household["id"])
    postmart = api.token("MARKETPLACE", "postmart-ops", marketplace="POSTMART")
    storefront = ok(api, "mutation($i: OpenStorefrontInput!) { openStorefront(input: $i) { storefront { id } %s } }"
                    % ERRORS, {"i": {"householdId": household["id"], "marketplace": "POSTMART", "name": "Vườn na",
                                     "location": {"latitude": 21.66, "longitude": 106.61}, "openingHours": []}},
                    grower, "openStorefront")["storefront"]
    listing = ok(api, "mutation($i: PublishListingInput!) { publishListing(input: $i) { listing { id } %s } }" % ERRORS,
                 {"i": {"storefrontId": storefront["id"], "title": "Na dai Chi Lăng", "category": "FRUIT", "unit": "kg",
                        "unitPrice": {"amount": "45000", "currency": "VND"}, "stockQuantity": 500,
                        "shelfLifeHours": 48}}, grower, "publishListing")["listing"]
    order = ok(api, "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } %s } }" % ERRORS,
               {"i": {"lines": [{"listingId": listing["id"], "quantity": 10}], "paymentMethod": payment_method,
                      "buyer": {"name": "Trần Thị Mai", "phone": pd.phone(), "address": HANOI}}},
               postmart, "placeOrder")["order"]
    if payment_method != "CASH_ON_DELIVERY":
        # The gateway's time is truncated to the second: a moment before placedAt, within the clock skew.
        ok(api, "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { order { id } %s } }" % ERRORS,
           {"i": {"orderId": order["id"], "amount": {"amount": "450000", "currency": "VND"}, "reference": "MOMO-1",
                  "occurredAt": (T0 - timedelta(seconds=1)).isoformat()}}, postmart, "recordPayment")
    ok(api, "mutation($i: ConfirmOrderInput!) { confirmOrder(input: $i) { order { id } %s } }" % ERRORS,
       {"i": {"orderId": order["id"]}}, grower, "confirmOrder")
    clock.set(T0 + timedelta(hours=2))
    shipment = ok(api, "mutation($i: DispatchOrderInput!) { dispatchOrder(input: $i) { shipment { id } %s } }"
                  % ERRORS, {"i": {"orderId": order["id"], "carrier": "VNPost", "trackingNumber": "EL123456789VN"}},
                  postmart, "dispatchOrder")["shipment"]
    return {"order": order["id"], "shipment": shipment["id"], "grower": grower, "postmart": postmart, "admin": admin,
            "carrier": api.token("CARRIER", "vnpost-bot", carrier="VNPost"), "staff": api.token("DISPUTE_STAFF", "minh")}


def lockdown_then_watchdog(api: Api, clock: FileClock, s: dict[str, Any]) -> None:
    """AREA_RESTRICTED at T0+26h (reported at T0+30h), then at T0+49h the promise watchdog spoils it."""
    clock.set(T0 + timedelta(hours=30))
    ok(api, "mutation($i: RecordDeliveryFailureInput!) { recordDeliveryFailure(input: $i) { shipment { id } %s } }"
       % ERRORS, {"i": {"shipmentId": s["shipment"], "reason": "AREA_RESTRICTED", "note": "Directive 16",
                        "occurredAt": (T0 + timedelta(hours=26)).isoformat()}}, s["carrier"], "recordDeliveryFailure")
    clock.set(T0 + timedelta(hours=49))
    run_the_watchdog(api, clock, s["shipment"])
    wait_until(lambda: order_of(api, s)["status"] == "SPOILED", "the order to follow its spoiled shipment")


def run_the_watchdog(api: Api, clock: FileClock, shipment_id: str) -> None:
    """The promise watchdog's job with the shared clock. Embedded (SQLite), the API's own scheduler runs it
    every WATCHDOG_SECONDS (the module's setting): wait for it (a second writing process would contend for
    the file's lock). On PostgreSQL the job runs here, on the API's database."""
    if api.database_url.startswith("sqlite"):
        staff = api.token("DISPUTE_STAFF", "minh")
        wait_until(lambda: api.data("query($id: ID!) { shipment(id: $id) { status } }", {"id": shipment_id},
                                    staff)["shipment"]["status"] == "SPOILED", "the embedded watchdog",
                   timeout=WATCHDOG_SECONDS + 20)
        return
    system = build_system(Settings(database_url=api.database_url, env="test"), clock=clock)
    try:
        system.catch_up()
        system.app.declare_overdue_spoilage(system.orders.overdue_shipments(clock()), clock())
    finally:
        system.close()


def order_of(api: Api, s: dict[str, Any]) -> dict[str, Any]:
    return api.data(ORDER, {"id": s["order"]}, s["staff"])["order"]


def exposure(order: dict[str, Any], claimant: str) -> dict[str, str]:
    found = next(e for e in order["claimExposure"] if e["claimant"] == claimant)
    return {k: v["amount"] for k, v in found.items() if k != "claimant"}


def claim(api: Api, token: str, order_id: str, claimant: str, amount: str) -> dict[str, Any]:
    return api.data(FILE, {"i": {"orderId": order_id, "kind": "SPOILED", "claimant": claimant, "description": "Na hỏng",
                                 "amountClaimed": {"amount": amount, "currency": "VND"}}}, token)["fileClaim"]


def approve_and_pay(api: Api, s: dict[str, Any], claim_id: str, payout: str, shares: dict[str, str]) -> None:
    liability = [{"party": party, "basisPoints": int(points)} for party, points in
                 {"CARRIER": 6000, "MARKETPLACE": 4000}.items()]
    ok(api, ASSESS, {"i": {"claimId": claim_id, "findings": "Lockdown held the parcel past the promise",
                           "recommendedPayout": {"amount": payout, "currency": "VND"}, "liability": liability}},
       s["staff"], "assessClaim")
    ok(api, DECIDE, {"i": {"claimId": claim_id, "outcome": "APPROVED", "reason": "Directive 16",
                           "payout": {"amount": payout, "currency": "VND"}}}, s["staff"], "decideClaim")
    for payer, amount in shares.items():
        paid = ok(api, PAY_CLAIM, {"i": {"claimId": claim_id, "payer": payer, "reference": f"PAY-{payer}",
                                         "amount": {"amount": amount, "currency": "VND"}}}, s["staff"],
                  "recordCompensationPayment")
    assert paid["claim"]["status"] == "PAID"


def test_a_grower_claims_for_its_spoiled_cash_on_delivery_produce_and_is_paid_by_the_liable_parties(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "CASH_ON_DELIVERY")
    lockdown_then_watchdog(api, clock, s)
    # Check the buyer, who paid nothing, may claim nothing: the refusal says how much room is left.
    refused = claim(api, s["postmart"], s["order"], "BUYER", "1")
    assert refused["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    assert refused["userErrors"][0]["field"] == ["input", "amountClaimed", "amount"]
    assert "0 VND is left" in refused["userErrors"][0]["message"]
    # The grower claims for the whole goods value, though nothing was paid (the seed's case).
    filed = claim(api, s["grower"], s["order"], "HOUSEHOLD", "450000")
    assert filed["userErrors"] == [] and filed["claim"]["status"] == "OPEN"
    more = claim(api, s["postmart"], s["order"], "HOUSEHOLD", "1")
    assert more["userErrors"][0]["code"] == "LIMIT_EXCEEDED" and "0 VND is left" in more["userErrors"][0]["message"]
    clock.set(T0 + timedelta(hours=60))
    approve_and_pay(api, s, filed["claim"]["id"], "450000", {"CARRIER": "270000", "MARKETPLACE": "180000"})
    order = order_of(api, s)
    assert exposure(order, "HOUSEHOLD") == {"limit": "450000", "claimed": "450000", "approved": "450000",
                                           "paid": "450000", "room": "0"}
    assert exposure(order, "BUYER") == {"limit": "0", "claimed": "0", "approved": "0", "paid": "0", "room": "0"}
    # A HOUSEHOLD payout compensates the grower: it refunds the buyer nothing.
    assert (order["paymentStatus"], order["amountRefunded"]["amount"], order["refundedThroughClaims"]["amount"]) == (
        "PENDING", "0", "0")
    case = api.data("""query($id: ID!) { caseFile(orderId: $id) { timeline { stream type actor summary payload }
        integrity { verified } } }""", {"id": s["order"]}, s["staff"])["caseFile"]
    assert case["integrity"]["verified"]
    spoiled = next(e for e in case["timeline"] if e["type"] == "SpoilageDeclared")
    assert spoiled["actor"] == "SYSTEM:promise-watchdog" and spoiled["summary"].endswith("— SYSTEM:promise-watchdog")
    failure = next(e for e in case["timeline"] if e["type"] == "DeliveryFailed")
    assert failure["summary"].startswith("Delivery attempt failed: AREA_RESTRICTED")
    # The events speak the API: camelCase keys, global IDs, money as {amount, currency}.
    exposed = [e for e in case["timeline"] if e["type"] == "ClaimExposureChanged"]
    assert exposed and exposed[-1]["payload"]["claimStatus"] == "PAID"
    assert from_global_id(exposed[-1]["payload"]["claimId"]) == ("CompensationClaim", from_global_id(
        filed["claim"]["id"])[1])
    assert exposed[-1]["payload"]["committed"] == {"amount": "450000", "currency": "VND"}
    placed = next(e for e in case["timeline"] if e["type"] == "Placed")
    assert from_global_id(placed["payload"]["storefrontId"])[0] == "Storefront"
    assert placed["payload"]["buyerName"] == "[redacted]" and "buyer_name" not in placed["payload"]


def test_a_buyer_claims_on_a_prepaid_order_and_the_payout_refunds_it(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "E_WALLET")
    lockdown_then_watchdog(api, clock, s)
    first = claim(api, s["postmart"], s["order"], "BUYER", "300000")
    assert first["userErrors"] == []
    # Two claims of one claimant cannot add up past what the buyer paid: 150000 VND is left.
    second = claim(api, s["postmart"], s["order"], "BUYER", "150001")
    assert second["userErrors"][0]["code"] == "LIMIT_EXCEEDED" and "150000 VND is left" in second["userErrors"][0]["message"]
    second = claim(api, s["postmart"], s["order"], "BUYER", "150000")
    assert second["userErrors"] == []
    # The grower's own limit stands apart, and the order shows the whole exposure.
    assert claim(api, s["grower"], s["order"], "HOUSEHOLD", "450000")["userErrors"] == []
    order = order_of(api, s)
    assert exposure(order, "BUYER")["claimed"] == "450000" and exposure(order, "HOUSEHOLD")["claimed"] == "450000"
    clock.set(T0 + timedelta(hours=60))
    approve_and_pay(api, s, first["claim"]["id"], "300000", {"CARRIER": "180000", "MARKETPLACE": "120000"})
    approve_and_pay(api, s, second["claim"]["id"], "150000", {"CARRIER": "90000", "MARKETPLACE": "60000"})
    wait_until(lambda: order_of(api, s)["paymentStatus"] == "REFUNDED", "the payouts to refund the order")
    order = order_of(api, s)
    assert (order["amountPaid"]["amount"], order["amountRefunded"]["amount"], order["refundedThroughClaims"]["amount"],
            order["refundDue"]["amount"]) == ("450000", "450000", "450000", "0")
    assert exposure(order, "BUYER") == {"limit": "450000", "claimed": "450000", "approved": "450000",
                                       "paid": "450000", "room": "0"}


CASE_AT = """query($id: ID!, $recorded: DateTime!, $world: DateTime!, $before: DateTime!) { caseFile(orderId: $id) {
  timeline { type stream recordedAt occurredAt }
  flags { kind summary event { type } }
  known: asOf(at: $recorded) { axis status shipmentStatus claimStatuses }
  happened: asOf(at: $world, axis: OCCURRED) { axis status shipmentStatus paymentStatus amountPaid { amount }
    checkpoints { status occurredAt actor } failures { reason } claims { claimant status amountClaimed { amount } } }
  earlier: asOf(at: $before, axis: OCCURRED) { status shipmentStatus } } }"""


def test_a_delivery_reported_late_withdraws_the_automatic_spoilage_on_both_time_axes(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "E_WALLET")
    clock.set(T0 + timedelta(hours=49))
    run_the_watchdog(api, clock, s["shipment"])
    wait_until(lambda: order_of(api, s)["status"] == "SPOILED", "the order to follow its spoiled shipment")
    buyer_claim = claim(api, s["postmart"], s["order"], "BUYER", "450000")
    assert buyer_claim["userErrors"] == []
    # The carrier reports, a day late, that it delivered an hour before the promise.
    clock.set(T0 + timedelta(hours=70))
    delivered = ok(api, """mutation($i: ConfirmDeliveryInput!) { confirmDelivery(input: $i) {
        shipment { status deliveredAt spoiledAt } %s } }""" % ERRORS, {"i": {
        "shipmentId": s["shipment"], "occurredAt": (T0 + timedelta(hours=47)).isoformat(), "receivedBy": "Chị Mai"}},
        s["carrier"], "confirmDelivery")["shipment"]
    assert (delivered["status"], delivered["spoiledAt"]) == ("DELIVERED", None)
    wait_until(lambda: order_of(api, s)["status"] == "DELIVERED", "the order to follow the withdrawal")
    wait_until(lambda: api.data("query($id: ID!) { claim(id: $id) { flags { reason } } }",
                                {"id": buyer_claim["claim"]["id"]}, s["staff"])["claim"]["flags"], "the claim's flag")
    timeline = api.data("query($id: ID!) { caseFile(orderId: $id) { timeline { stream type recordedAt } } }",
                        {"id": s["order"]}, s["staff"])["caseFile"]["timeline"]
    # The moment farmgate knew the order spoiled: when the order followed its shipment.
    spoiled_recorded = next(e["recordedAt"] for e in timeline if (e["stream"], e["type"]) == ("Order", "Spoiled"))
    case = api.data(CASE_AT, {"id": s["order"], "recorded": spoiled_recorded,
                              "world": (T0 + timedelta(hours=49)).isoformat(),
                              "before": (T0 + timedelta(hours=46)).isoformat()}, s["staff"])["caseFile"]
    # What was known when the watchdog spoke: spoiled. What had happened in the world by then: delivered.
    assert (case["known"]["axis"], case["known"]["status"], case["known"]["shipmentStatus"]) == (
        "RECORDED", "SPOILED", "SPOILED")
    happened = case["happened"]
    assert (happened["axis"], happened["status"], happened["shipmentStatus"], happened["paymentStatus"]) == (
        "OCCURRED", "DELIVERED", "DELIVERED", "PAID")
    assert [c["status"] for c in happened["checkpoints"]] == ["INFO_RECEIVED", "DELIVERED"]
    assert happened["checkpoints"][-1]["actor"] == "CARRIER:vnpost-bot" and happened["amountPaid"]["amount"] == "450000"
    assert (case["earlier"]["status"], case["earlier"]["shipmentStatus"]) == ("DISPATCHED", "INFO_RECEIVED")
    kinds = [f["kind"] for f in case["flags"]]
    assert "INFERENCE_WITHDRAWN" in kinds and "CLAIM_FLAGGED" in kinds
    withdrawn = next(f for f in case["flags"] if f["kind"] == "INFERENCE_WITHDRAWN")
    assert withdrawn["event"]["type"] == "SpoilageWithdrawn" and "CARRIER:vnpost-bot" in withdrawn["summary"]


def test_cancelling_a_paid_order_owes_the_money_back_and_a_payment_after_the_cancel_is_kept(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "E_WALLET")
    # A second order, paid then cancelled before dispatch.
    pay = """mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { order { paymentStatus } %s } }""" % ERRORS
    refund = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { order { paymentStatus amountRefunded { amount }
        refundDue { amount } flags } %s } }""" % ERRORS
    listing = api.data("query($id: ID!) { order(id: $id) { lines { listing { id } } } }", {"id": s["order"]},
                       s["postmart"])["order"]["lines"][0]["listing"]["id"]
    order = ok(api, "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } %s } }" % ERRORS,
               {"i": {"lines": [{"listingId": listing, "quantity": 2}], "paymentMethod": "E_WALLET",
                      "buyer": {"name": "Trần Thị Mai", "phone": personal_data.phone(), "address": HANOI}}},
               s["postmart"], "placeOrder")["order"]["id"]
    now = clock()
    ok(api, pay, {"i": {"orderId": order, "amount": {"amount": "90000", "currency": "VND"}, "reference": "MOMO-2",
                        "occurredAt": now.isoformat()}}, s["postmart"], "recordPayment")
    cancelled = ok(api, "mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { order { status paymentStatus } %s } }"
                   % ERRORS, {"i": {"orderId": order, "reason": "Người mua đổi ý"}}, s["postmart"], "cancelOrder")
    assert cancelled["order"] == {"status": "CANCELLED", "paymentStatus": "REFUND_DUE"}
    # The buyer's second transfer arrives after the cancel: recorded, and owed back too.
    late = ok(api, pay, {"i": {"orderId": order, "amount": {"amount": "90000", "currency": "VND"}, "reference": "MOMO-3",
                               "occurredAt": now.isoformat()}}, s["postmart"], "recordPayment")
    assert late["order"]["paymentStatus"] == "REFUND_DUE"
    partly = ok(api, refund, {"i": {"orderId": order, "amount": {"amount": "90000", "currency": "VND"},
                                    "reference": "MOMO-RF-2", "occurredAt": now.isoformat()}}, s["postmart"],
                "recordRefund")["order"]
    assert (partly["paymentStatus"], partly["amountRefunded"]["amount"], partly["refundDue"]["amount"]) == (
        "REFUND_DUE", "90000", "90000")
    assert api.post(refund, {"i": {"orderId": order, "amount": {"amount": "1", "currency": "VND"}, "reference": "X-1",
                                   "occurredAt": now.isoformat()}}, s["carrier"])["errors"][0]["extensions"][
        "code"] == "FORBIDDEN"
    # A refund of a dong more than is left to return is a fact too: recorded, and flagged OVER_REFUNDED.
    done = ok(api, refund, {"i": {"orderId": order, "amount": {"amount": "90001", "currency": "VND"},
                                  "reference": "MOMO-RF-3", "occurredAt": now.isoformat()}}, s["postmart"],
              "recordRefund")["order"]
    assert (done["paymentStatus"], done["amountRefunded"]["amount"], done["refundDue"]["amount"], done["flags"]) == (
        "REFUNDED", "180001", "0", ["OVER_REFUNDED"])  # 180,000 paid on a 90,000 order, all of it returned
    flags = api.data("query($id: ID!) { caseFile(orderId: $id) { flags { kind summary } } }", {"id": order},
                     s["staff"])["caseFile"]["flags"]
    assert [f["kind"] for f in flags] == ["PAID_AFTER_CANCEL", "OVER_REFUNDED"]
    assert "180001 VND, more than was paid" in flags[1]["summary"]
    # The buyer may claim nothing on a cancelled order: its money is owed back, not claimed.
    assert claim(api, s["postmart"], order, "BUYER", "1")["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    # A payment dated long before the order existed is refused: the world-time policy.
    early = api.data(pay, {"i": {"orderId": s["order"], "amount": {"amount": "1", "currency": "VND"},
                                 "reference": "OLD-1", "occurredAt": (T0 - timedelta(hours=7)).isoformat()}},
                     s["postmart"])["recordPayment"]
    assert early["userErrors"][0]["field"] == ["input", "occurredAt"]
    future = api.data(pay, {"i": {"orderId": s["order"], "amount": {"amount": "1", "currency": "VND"},
                                  "reference": "NEW-1", "occurredAt": (clock() + timedelta(minutes=6)).isoformat()}},
                      s["postmart"])["recordPayment"]
    assert future["userErrors"][0]["field"] == ["input", "occurredAt"]
    assert isinstance(datetime.fromisoformat(now.isoformat()), datetime)


MONEY = """query($id: ID!) { order(id: $id) { paymentStatus amountPaid { amount } refundDue { amount }
  overpaid { amount } flags } }"""
CASE_MONEY = """query($id: ID!) { caseFile(orderId: $id) { timeline { type payload } flags { kind summary } } }"""


def test_a_second_payment_on_a_paid_order_is_recorded_owed_back_and_flagged(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    """The reviewer's finding: a duplicate gateway charge on a PAID order was refused ("Nothing is
    outstanding"), dropping money that arrived. It is recorded, owed back and flagged for dispute staff."""
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "E_WALLET")  # paid in full: MOMO-1, 450,000 VND
    pay = """mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { order { paymentStatus } %s } }""" % ERRORS

    def payment(reference: str) -> dict[str, Any]:
        return {"i": {"orderId": s["order"], "amount": {"amount": "450000", "currency": "VND"},
                      "reference": reference, "occurredAt": clock().isoformat()}}

    assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"]["paymentStatus"] == "PAID"
    second = ok(api, pay, payment("MOMO-DUP-2"), s["postmart"], "recordPayment")
    assert second["order"]["paymentStatus"] == "REFUND_DUE"
    expected = {"paymentStatus": "REFUND_DUE", "amountPaid": {"amount": "900000"}, "refundDue": {"amount": "450000"},
                "overpaid": {"amount": "450000"}, "flags": ["OVERPAID"]}
    assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"] == expected
    # The same reference again is the same payment: refused as such, nothing new recorded.
    again = api.data(pay, payment("MOMO-DUP-2"), s["postmart"])["recordPayment"]
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [("ALREADY_EXISTS", ["input", "reference"])]
    assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"] == expected
    case = api.data(CASE_MONEY, {"id": s["order"]}, s["staff"])["caseFile"]
    payments = [e["payload"] for e in case["timeline"] if e["type"] == "PaymentRecorded"]
    assert [(p["reference"], p["amount"]["amount"]) for p in payments] == [("MOMO-1", "450000"), ("MOMO-DUP-2", "450000")]
    overpaid = [f for f in case["flags"] if f["kind"] == "OVERPAID"]
    assert len(overpaid) == 1 and "450000 VND was overpaid" in overpaid[0]["summary"]
    assert "450000 VND is owed back" in overpaid[0]["summary"]
    # The excess returned: the order is PAID again and, nothing being owed back, no longer flagged (the
    # reviewer's finding: it still read overpaid 450000 and OVERPAID with refundDue 0).
    refund = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { order { paymentStatus } %s } }""" % ERRORS
    ok(api, refund, payment("MOMO-RF-DUP-2"), s["postmart"], "recordRefund")
    assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"] == {
        **expected, "paymentStatus": "PAID", "refundDue": {"amount": "0"}, "overpaid": {"amount": "0"}, "flags": []}
    # The case file keeps the history: the overpayment's flag, and the refund that settled it.
    case = api.data(CASE_MONEY, {"id": s["order"]}, s["staff"])["caseFile"]
    assert [f["kind"] for f in case["flags"]] == ["OVERPAID"]
    refunds = [e["payload"] for e in case["timeline"] if e["type"] == "RefundRecorded"]
    assert [(r["reference"], r["amount"]["amount"]) for r in refunds] == [("MOMO-RF-DUP-2", "450000")]


def test_a_payment_that_only_makes_good_an_over_refund_is_not_flagged_overpaid(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    """The reviewer's reproduction: paid in full (MOMO-1), refunded a dong more (WR-1, OVER_REFUNDED),
    then 1 VND paid (W-3). The case file showed an OVERPAID flag with 0 VND owed back, measuring the
    payment against total − paid and ignoring refunds; nothing is overpaid."""
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "E_WALLET")  # paid in full: MOMO-1, 450,000 VND
    pay = """mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { order { paymentStatus } %s } }""" % ERRORS
    refund = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { order { paymentStatus } %s } }""" % ERRORS

    def money(amount: str, reference: str) -> dict[str, Any]:
        return {"i": {"orderId": s["order"], "amount": {"amount": amount, "currency": "VND"},
                      "reference": reference, "occurredAt": clock().isoformat()}}

    ok(api, refund, money("450001", "WR-1"), s["postmart"], "recordRefund")
    assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"]["flags"] == ["OVER_REFUNDED"]
    ok(api, pay, money("1", "W-3"), s["postmart"], "recordPayment")
    assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"] == {
        "paymentStatus": "REFUNDED", "amountPaid": {"amount": "450001"}, "refundDue": {"amount": "0"},
        "overpaid": {"amount": "0"}, "flags": []}
    case = api.data(CASE_MONEY, {"id": s["order"]}, s["staff"])["caseFile"]
    # The history keeps the over-refund; the payment that made it good is recorded and owes nothing back.
    assert [f["kind"] for f in case["flags"]] == ["OVER_REFUNDED"]
    assert "450001 VND, more than was paid" in case["flags"][0]["summary"]
    payments = [e["payload"] for e in case["timeline"] if e["type"] == "PaymentRecorded"]
    assert [(p["reference"], p["amount"]["amount"]) for p in payments] == [("MOMO-1", "450000"), ("W-3", "1")]
    assert [e for e in case["timeline"] if e["type"] == "RefundFellDue"] == []


def test_one_bank_transfer_sent_again_in_another_case_width_or_spacing_is_one_payment(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    """The reviewer's finding: after ``BANK-TX-2`` was recorded, ``" bank-tx-2 "`` (and full-width
    ``ＢＡＮＫ-TX-2``) was taken as a new payment and flagged OVERPAID. A reference is one reference
    whatever its case, width or outer spaces: the later ones are ALREADY_EXISTS and record nothing."""
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "E_WALLET")  # paid in full: MOMO-1, 450,000 VND
    pay = """mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { order { paymentStatus } %s } }""" % ERRORS

    def payment(reference: str) -> dict[str, Any]:
        return {"i": {"orderId": s["order"], "amount": {"amount": "1000", "currency": "VND"},
                      "reference": reference, "occurredAt": clock().isoformat()}}

    ok(api, pay, payment("BANK-TX-2"), s["postmart"], "recordPayment")
    money = api.data(MONEY, {"id": s["order"]}, s["staff"])["order"]
    assert money["amountPaid"] == {"amount": "451000"}
    for again in (" bank-tx-2 ", "ＢＡＮＫ-TX-2", "ｂａｎｋ-ｔｘ-２"):
        refused = api.data(pay, payment(again), s["postmart"])["recordPayment"]
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("ALREADY_EXISTS", ["input", "reference"])]
        assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"] == money
    case = api.data(CASE_MONEY, {"id": s["order"]}, s["staff"])["caseFile"]
    payments = [e["payload"] for e in case["timeline"] if e["type"] == "PaymentRecorded"]
    assert [(p["reference"], p["amount"]["amount"]) for p in payments] == [("MOMO-1", "450000"), ("BANK-TX-2", "1000")]
    # A refund's reference is one reference the same way.
    refund = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { order { paymentStatus } %s } }""" % ERRORS
    ok(api, refund, payment("RF-bank-tx-2"), s["postmart"], "recordRefund")
    refused = api.data(refund, payment("ＲＦ-BANK-TX-2 "), s["postmart"])["recordRefund"]
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("ALREADY_EXISTS", ["input", "reference"])]
    assert api.data(MONEY, {"id": s["order"]}, s["staff"])["order"]["paymentStatus"] == "PAID"


def test_a_claim_filed_before_a_direct_refund_is_not_approved_past_the_limit_the_refund_left(
    world: tuple[Api, FileClock], personal_data: PersonalData
) -> None:
    """The buyer paid 450,000, claimed all of it, then the marketplace refunded all of it outside the
    claim: assessing or approving the claim for any payout would pay the buyer twice."""
    api, clock = world
    s = sell_and_dispatch(api, clock, personal_data, "E_WALLET")
    filed = claim(api, s["postmart"], s["order"], "BUYER", "450000")
    assert filed["userErrors"] == []
    refund = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { order { paymentStatus } %s } }""" % ERRORS
    ok(api, refund, {"i": {"orderId": s["order"], "amount": {"amount": "450000", "currency": "VND"},
                           "reference": "MOMO-RF-1", "occurredAt": clock().isoformat()}}, s["postmart"], "recordRefund")
    liability = [{"party": "CARRIER", "basisPoints": 10000}]
    claim_id = filed["claim"]["id"]

    def assess(payout: str) -> dict[str, Any]:
        return api.data(ASSESS, {"i": {"claimId": claim_id, "findings": "Refunded by the marketplace",
                                       "recommendedPayout": {"amount": payout, "currency": "VND"},
                                       "liability": liability}}, s["staff"])["assessClaim"]

    [error] = assess("450000")["userErrors"]
    assert (error["code"], error["field"]) == ("LIMIT_EXCEEDED", ["input", "recommendedPayout", "amount"])
    assert "0 VND is left" in error["message"]
    assert assess("0")["userErrors"] == []
    approved = api.data(DECIDE, {"i": {"claimId": claim_id, "outcome": "APPROVED", "reason": "Directive 16",
                                       "payout": {"amount": "1", "currency": "VND"}}}, s["staff"])["decideClaim"]
    assert [e["code"] for e in approved["userErrors"]] == ["LIMIT_EXCEEDED"] and approved["claim"] is None
    assert exposure(order_of(api, s), "BUYER") == {"limit": "0", "claimed": "0", "approved": "0", "paid": "0",
                                                    "room": "0"}
