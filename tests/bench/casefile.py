"""Case file latency for an order with 60 events on PostgreSQL: the anchor is a supply-chain trace
that took 2.2 seconds. Measured in-process (the core) and through the GraphQL schema (no HTTP)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from uuid import UUID

from farmgate.core.case_file import as_of, open_case_file, sla_breaches
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql.auth import Principal
from farmgate.graphql.context import Context
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.schema import schema
from tests.bench.pg import percentiles, scratch_database

QUERY = """query($id: ID!, $at: DateTime!) { caseFile(orderId: $id) {
  order { number status } timeline { stream version type actor occurredAt recordedAt data hash }
  slaBreaches { kind dueBy breachedAt } integrity { verified eventCount headHash }
  asOf(at: $at) { status shipmentStatus version claimStatuses } } }"""

STATUSES = ["IN_TRANSIT", "OUT_FOR_DELIVERY"]


T0 = datetime(2021, 8, 3, 8, 0, tzinfo=timezone.utc)
#: the bench's world clock: each step happens a minute after the one before
NOW = [T0]


def tick() -> datetime:
    NOW[0] += timedelta(minutes=1)
    return NOW[0]


def build_case(system) -> tuple[UUID, int]:  # type: ignore[no-untyped-def]
    app = system.app
    household = app.register_household(name="Hộ Bench", national_id="020999000001", phone="0912999001",
                                       address={"scheme": 2021, "province_code": "20"})
    storefront = app.open_storefront(household_id=household, marketplace="POSTMART", name="Bench",
                                     location={"latitude": 21.6, "longitude": 106.6}, opening_hours=[])
    listing = app.publish_listing(storefront_id=storefront, title="Na", description=None, category="FRUIT", unit="kg",
                                  unit_price={"amount": "45000", "currency": "VND"}, stock_quantity=100,
                                  shelf_life_hours=48)
    order = app.place_order(lines=[{"listing_id": listing, "quantity": 2}],
                            buyer={"name": "Người mua", "phone": "0912999002",
                                   "address": {"scheme": 2021, "province_code": "01"}},
                            payment_method="E_WALLET")
    app.record_payment(order, amount={"amount": "90000", "currency": "VND"}, reference="B-1", occurred_at=tick())
    app.confirm_order(order)
    shipment = app.dispatch_order(order, carrier="VNPost", tracking_number="EL123456789VN")
    for n in range(48):
        app.record_checkpoint(shipment, status=STATUSES[n % 2], occurred_at=tick(), location=f"hub {n}")
    app.record_delivery_failure(shipment, reason="AREA_RESTRICTED", occurred_at=tick())
    claim = app.file_claim(order_id=order, kind="LATE_DELIVERY", claimant="BUYER", amount="90000", currency="VND",
                           description="late", evidence=[{"sha256": "a" * 64, "uri": "https://e.example/1"}])
    for n in range(3):
        app.add_claim_evidence(claim, f"{n:x}" * 64, f"https://e.example/{n + 2}", None)
    system.catch_up()
    case = open_case_file(app, order, [claim])
    return order, len(case.timeline)


def run(report: Callable[[str, float, str], None]) -> None:
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"), clock=lambda: NOW[0])
        order, events = build_case(system)
        report("case file: events in the case (order, shipment, claim)", events, "events")
        claim_ids = [UUID(r["id"]) for r in system.claims.for_orders([order])[order]]

        def core() -> None:
            case = open_case_file(system.app, order, claim_ids)
            as_of(system.app, case, datetime.now(timezone.utc))
            sla_breaches(system.app, case, datetime.now(timezone.utc))

        samples = []
        for _ in range(200):
            started = time.perf_counter()
            core()
            samples.append((time.perf_counter() - started) * 1000)
        p50, p99 = percentiles(samples)
        report("case file, core (timeline + verify + asOf + SLA), p50", p50, "ms")
        report("case file, core, p99", p99, "ms")

        staff = Principal(role="DISPUTE_STAFF", subject="bench")
        variables = {"id": to_global_id("Order", order), "at": datetime.now(timezone.utc).isoformat()}

        async def graphql_once() -> float:
            context = Context(system=system, request_id="bench", principal=staff)
            started = time.perf_counter()
            result = await schema.execute(QUERY, variable_values=variables, context_value=context)
            assert result.errors is None, result.errors
            return (time.perf_counter() - started) * 1000

        samples = [asyncio.run(graphql_once()) for _ in range(200)]
        p50, p99 = percentiles(samples)
        report("case file over the GraphQL schema, p50", p50, "ms")
        report("case file over the GraphQL schema, p99", p99, "ms")
        report("anchor (supply-chain trace) / our p99", 2200 / p99, "x faster")
        system.close()
