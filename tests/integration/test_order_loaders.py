"""A page of orders with their lines, listings, storefronts, households, shipments, checkpoints and
failures costs a bounded number of SQL statements, however long the page: the DataLoaders batch,
nothing is fetched per order.

The schema runs in-process; every statement the read store issues is counted on its way to the real
database (which still answers it)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from farmgate.deploy.container import System
from farmgate.graphql.auth import Principal
from farmgate.graphql.context import Context
from farmgate.graphql.schema import schema
from tests.integration.test_catalog_loaders import StatementCount
from tests.integration.test_orders import a_shop, another_listing, place

PAGE = """query($first: Int!) { orders(first: $first) {
  totalCount
  edges { node {
    id number status total { amount currency } paymentStatus placedAt promisedBy
    buyer { name phoneMasked address { provinceName street } }
    storefront { name }
    household { code phoneMasked }
    lines { title quantity unitPrice { amount } listing { title storefront { name } } }
    shipments {
      trackingNumber status carrier
      checkpoints { status occurredAt recordedAt location }
      failures { reason note }
      order { number }
    }
  } }
} }"""


@pytest.fixture
def hundred_orders(system: System, personal_data) -> System:
    """100 orders, each from its own household's storefront, with two lines, dispatched, scanned in
    transit and failed once: the worst case for per-order fetching."""
    app = system.app
    for n in range(100):
        shop = a_shop(system, personal_data, title=f"Na dai lô {n}")
        rice = another_listing(system, shop.storefront_id, title=f"Gạo lô {n}", shelf_life_hours=8760)
        order = place(system, personal_data, [(shop.listing_id, 2), (rice, 1)])
        app.confirm_order(order)
        shipment = app.dispatch_order(order, carrier="VNPost", tracking_number=f"EB{n:09d}VN")
        app.record_checkpoint(shipment, status="IN_TRANSIT", occurred_at=app.clock(), location="Kho Bắc Ninh")
        app.record_delivery_failure(shipment, reason="AREA_RESTRICTED", occurred_at=app.clock(), note="Phong tỏa")
    system.catch_up()
    return system


def run_page(system: System, counter: StatementCount, first: int, principal: Principal) -> tuple[dict[str, Any], int]:
    counter.statements.clear()
    # Keys are cached for seconds after they were made or read: start both pages from a cold cache, so
    # the counts compare pages, not the clock.
    system.app.personal_keys.clear_cache()
    context = Context(system=system, request_id="loader-test", principal=principal)
    result = asyncio.run(schema.execute(PAGE, variable_values={"first": first}, context_value=context))
    assert result.errors is None, result.errors
    return result.data, len(counter.statements)  # type: ignore[return-value]


@pytest.mark.parametrize("principal", [
    Principal(role="ADMIN", subject="root"),
    Principal(role="MARKETPLACE", subject="postmart-ops", marketplace="POSTMART"),
    Principal(role="DISPUTE_STAFF", subject="minh"),
], ids=["admin", "marketplace", "dispute-staff"])
def test_a_page_of_100_orders_costs_as_many_statements_as_a_page_of_10(
    hundred_orders: System, monkeypatch: pytest.MonkeyPatch, principal: Principal
) -> None:
    counter = StatementCount(monkeypatch)
    small, small_cost = run_page(hundred_orders, counter, 10, principal)
    full, full_cost = run_page(hundred_orders, counter, 100, principal)

    # Check the pages are what they claim: every order with its own lines, shipment and history.
    edges = full["orders"]["edges"]
    assert full["orders"]["totalCount"] == 100 and len(edges) == 100 and len(small["orders"]["edges"]) == 10
    assert len({e["node"]["household"]["code"] for e in edges}) == 100
    for n, edge in enumerate(edges):
        node = edge["node"]
        assert node["status"] == "DELIVERY_FAILED"
        assert [line["listing"]["title"] for line in node["lines"]] == [f"Na dai lô {n}", f"Gạo lô {n}"]
        assert {line["listing"]["storefront"]["name"] for line in node["lines"]} == {node["storefront"]["name"]}
        [shipment] = node["shipments"]
        assert shipment["trackingNumber"] == f"EB{n:09d}VN" and shipment["order"]["number"] == node["number"]
        assert [c["status"] for c in shipment["checkpoints"]] == ["INFO_RECEIVED", "IN_TRANSIT", "ATTEMPT_FAILED"]
        assert shipment["failures"] == [{"reason": "AREA_RESTRICTED", "note": "Phong tỏa"}]
        # Check the buyer is whole for ADMIN and the marketplace, masked for dispute staff.
        whole = principal.role != "DISPUTE_STAFF"
        assert (node["buyer"]["name"] == "Trần Thị Mai") is whole
        assert (node["buyer"]["address"]["street"] is not None) is whole
    # Check the cost: a handful of statements (the count and the page, then one per kind of row — the
    # subject keys that open the buyers' and households' sealed fields among them: one query per page
    # each, issue 13), the same for 10 orders as for 100.
    assert full_cost == small_cost, counter.statements
    assert full_cost <= 12, counter.statements


# -- counting only when totalCount is asked (issue 16) ------------------------------------------------

@pytest.fixture
def three_orders(system: System, personal_data) -> System:
    """Three orders, each from its own household's storefront: three households, three orders."""
    for n in range(3):
        shop = a_shop(system, personal_data, title=f"Na dai lô {n}")
        place(system, personal_data, [(shop.listing_id, 1)])
    system.catch_up()
    return system


# Every Relay list a dispute officer may read, with its connection type and how many it holds here.
ROOTS = {"orders": ("OrderConnection", 3), "households": ("HouseholdConnection", 3),
         "claims": ("CompensationClaimConnection", 0), "exportOrders": ("ExportOrderConnection", 0),
         "webhookDeliveries": ("WebhookDeliveryConnection", 0)}
WAYS = {
    "not asked": "{ ROOT(first: 2) { edges { cursor } pageInfo { hasNextPage } } }",
    "directly": "{ ROOT(first: 2) { totalCount edges { cursor } } }",
    "by alias": "{ ROOT(first: 2) { n: totalCount edges { cursor } } }",
    "in an inline fragment": "{ ROOT(first: 2) { edges { cursor } ... on TYPE { totalCount } } }",
    "in a named fragment": "query { ROOT(first: 2) { edges { cursor } ...Counted } }"
                           " fragment Counted on TYPE { totalCount }",
}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("root", ROOTS)
def test_a_page_counts_only_when_totalcount_is_asked(
    three_orders: System, monkeypatch: pytest.MonkeyPatch, root: str, way: str
) -> None:
    counter = StatementCount(monkeypatch)
    connection_type, total = ROOTS[root]
    query = WAYS[way].replace("ROOT", root).replace("TYPE", connection_type)
    staff = Principal(role="DISPUTE_STAFF", subject="minh")
    context = Context(system=three_orders, request_id="count-test", principal=staff)
    result = asyncio.run(schema.execute(query, context_value=context))
    assert result.errors is None, result.errors
    page = result.data[root]  # type: ignore[index]
    counts = [sql for sql in counter.statements if "COUNT(" in sql.upper()]
    # Check the page, then the count: one COUNT(*) giving the whole number when asked, none otherwise.
    assert len(page["edges"]) == min(2, total)
    if way == "not asked":
        assert counts == [] and "totalCount" not in page, counter.statements
    else:
        assert len(counts) == 1, counter.statements
        assert page.get("totalCount", page.get("n")) == total
