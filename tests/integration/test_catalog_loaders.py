"""A page of listings with their storefronts, households and certifications costs a bounded number
of SQL statements, however long the page: the DataLoaders batch, nothing is fetched per row.

The schema runs in-process; every statement the read store issues is counted on its way to the real
database (which still answers it)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from farmgate.core.database import Cursor
from farmgate.deploy.container import System
from farmgate.graphql.auth import Principal
from farmgate.graphql.context import Context
from farmgate.graphql.schema import schema
from tests.integration.test_catalog import open_storefront, publish, register_household

PAGE = """query($first: Int!) { listings(first: $first, search: "vai thieu") {
  totalCount
  edges { node {
    title unitPrice { amount currency } certifications { scheme number issuer }
    household { code name phoneMasked address { provinceName } storefronts { name marketplace } }
    storefront { name isOpenNow contactPhoneMasked address { provinceCode } household { code } }
  } }
} }"""


@pytest.fixture
def hundred_sellers(system: System, personal_data) -> System:
    """100 listings, each of its own household (with its own certification) and storefront: the
    worst case for per-row fetching."""
    valid_until = datetime.now(timezone.utc) + timedelta(days=90)
    for n in range(100):
        household_id = register_household(system, personal_data, name=f"Hộ trồng vải số {n}")
        _, certification = system.app.add_certification(household_id, "VIETGAP", f"VG-24-{n:04d}", "Sở NN&PTNT",
                                                         valid_until)
        storefront_id = open_storefront(system, household_id, name=f"Vườn vải số {n}")
        publish(system, storefront_id, f"Vải thiều Lục Ngạn lô {n}", certification_ids=[certification])
    system.catch_up()
    return system


class StatementCount:
    """Counts what goes through ``Cursor.execute`` (the read store's one way to the database)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.statements: list[str] = []
        original = Cursor.execute

        def counting(cursor: Cursor, sql: str, params: Any = ()) -> Cursor:
            self.statements.append(sql)
            return original(cursor, sql, params)

        monkeypatch.setattr(Cursor, "execute", counting)


def run_page(system: System, counter: StatementCount, first: int, principal: Principal | None) -> tuple[dict[str, Any], int]:
    counter.statements.clear()
    context = Context(system=system, request_id="loader-test", principal=principal)
    result = asyncio.run(schema.execute(PAGE, variable_values={"first": first}, context_value=context))
    assert result.errors is None, result.errors
    return result.data, len(counter.statements)  # type: ignore[return-value]


@pytest.mark.parametrize("principal", [None, Principal(role="ADMIN", subject="root")], ids=["public", "admin"])
def test_a_page_of_100_listings_costs_as_many_statements_as_a_page_of_10(
    hundred_sellers: System, monkeypatch: pytest.MonkeyPatch, principal: Principal | None
) -> None:
    counter = StatementCount(monkeypatch)
    small, small_cost = run_page(hundred_sellers, counter, 10, principal)
    full, full_cost = run_page(hundred_sellers, counter, 100, principal)

    # Check the pages are what they claim: every listing with its own storefront, household and certificate.
    edges = full["listings"]["edges"]
    assert full["listings"]["totalCount"] == 100 and len(edges) == 100 and len(small["listings"]["edges"]) == 10
    assert len({e["node"]["household"]["code"] for e in edges}) == 100
    for edge in edges:
        node = edge["node"]
        assert node["storefront"]["household"]["code"] == node["household"]["code"]
        assert node["certifications"][0]["number"].startswith("VG-24-")
        assert node["household"]["storefronts"] == [{"name": node["storefront"]["name"], "marketplace": "POSTMART"}]
        assert node["storefront"]["address"]["provinceCode"] == "24"
    # Check the cost: a handful of statements (the page, storefronts, households, their storefronts),
    # the same for 10 rows as for 100.
    assert full_cost == small_cost, counter.statements
    assert full_cost <= 6, counter.statements


def test_the_counter_sees_per_row_fetching(hundred_sellers: System, monkeypatch: pytest.MonkeyPatch) -> None:
    # Check the instrument itself: fetching each listing by id on its own costs one statement apiece.
    counter = StatementCount(monkeypatch)
    rows, _ = hundred_sellers.catalog.listings_page(after=None, limit=100)
    counter.statements.clear()
    for row in rows:
        assert hundred_sellers.catalog.listing(UUID(row["id"])) is not None
    assert len(counter.statements) == 100


STOREFRONTS = """query($first: Int!) { storefronts(first: $first, provinceCode: "24") {
  edges { node { name listings(first: 5) { totalCount edges { node { title } } } } } } }"""


def test_a_page_of_storefronts_with_their_listings_costs_as_much_for_100_as_for_10(
    hundred_sellers: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = StatementCount(monkeypatch)
    costs, pages = [], []
    for first in (10, 100):
        counter.statements.clear()
        context = Context(system=hundred_sellers, request_id="loader-test", principal=None)
        result = asyncio.run(schema.execute(STOREFRONTS, variable_values={"first": first}, context_value=context))
        assert result.errors is None, result.errors
        pages.append(result.data["storefronts"]["edges"])  # type: ignore[index]
        costs.append(len(counter.statements))
    # Check each storefront shows its own listing, then the cost: one listing query for the page.
    assert len(pages[1]) == 100
    for edge in pages[1]:
        node = edge["node"]
        assert node["listings"]["totalCount"] == 1
        assert node["listings"]["edges"][0]["node"]["title"].endswith(node["name"].rsplit(" ", 1)[-1])
    assert costs[0] == costs[1], counter.statements


# -- counting only when totalCount is asked (issue 16) ------------------------------------------------

def _counts(statements: list[str]) -> list[str]:
    return [sql for sql in statements if "COUNT(" in sql.upper()]


@pytest.fixture
def three_sellers(system: System, personal_data) -> System:
    """Three households, each with a storefront and two listings whose titles match 'vai thieu'."""
    for n in range(3):
        household_id = register_household(system, personal_data, name=f"Hộ trồng vải số {n}")
        storefront_id = open_storefront(system, household_id, name=f"Vườn vải số {n}")
        for lot in range(2):
            publish(system, storefront_id, f"Vải thiều Lục Ngạn lô {n}-{lot}")
    system.catch_up()
    return system


def run_query(system: System, counter: StatementCount, query: str, variables: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    counter.statements.clear()
    context = Context(system=system, request_id="count-test", principal=None)
    result = asyncio.run(schema.execute(query, variable_values=variables or {}, context_value=context))
    assert result.errors is None, result.errors
    return result.data  # type: ignore[return-value]


# Each asks for the total of the 6 listings (3 a page) its own way; the answer is where ``read`` says.
ASKED = {
    "directly": ("{ listings(first: 3, ARGS) { totalCount edges { cursor } } }", lambda d: d["listings"]["totalCount"]),
    "by alias": ("{ listings(first: 3, ARGS) { howMany: totalCount edges { cursor } } }",
                 lambda d: d["listings"]["howMany"]),
    "in an inline fragment": ("{ listings(first: 3, ARGS) { edges { cursor } ... on ListingConnection { totalCount } } }",
                              lambda d: d["listings"]["totalCount"]),
    "in a named fragment": ("query { listings(first: 3, ARGS) { edges { cursor } ...Counted } }"
                            " fragment Counted on ListingConnection { totalCount }",
                            lambda d: d["listings"]["totalCount"]),
    "in a fragment within a fragment": (
        "query { listings(first: 3, ARGS) { ...Page } } fragment Page on ListingConnection { edges { cursor }"
        " ... { n: totalCount } }", lambda d: d["listings"]["n"]),
    "kept by @include": ("query($yes: Boolean!) { listings(first: 3, ARGS) { edges { cursor }"
                         " totalCount @include(if: $yes) } }", lambda d: d["listings"]["totalCount"]),
}
NOT_ASKED = {
    "not selected": "{ listings(first: 3, ARGS) { edges { cursor node { title } } pageInfo { hasNextPage } } }",
    "in a fragment without it": "query { listings(first: 3, ARGS) { ...Page } }"
                                " fragment Page on ListingConnection { edges { cursor } pageInfo { hasNextPage } }",
    "left out by @skip": "query($yes: Boolean!) { listings(first: 3, ARGS) { edges { cursor }"
                         " totalCount @skip(if: $yes) } }",
    "a listing's title named totalCount": "{ listings(first: 3, ARGS) { edges { node { totalCount: title } } } }",
}
# Browsing counts in a statement of its own; a search counts in the ranking pass (a window over the matches).
LISTS = {"browse": 'category: FRUIT', "search": 'search: "vai thieu"'}


@pytest.mark.parametrize("list_kind", LISTS)
@pytest.mark.parametrize("way", ASKED)
def test_a_listing_page_counts_when_totalcount_is_asked_however_it_is_asked(
    three_sellers: System, monkeypatch: pytest.MonkeyPatch, way: str, list_kind: str
) -> None:
    counter = StatementCount(monkeypatch)
    query, read = ASKED[way]
    data = run_query(three_sellers, counter, query.replace("ARGS", LISTS[list_kind]), {"yes": True})
    # Check the number (all 6 matches, not the 3 shown), then that a count ran for it.
    assert read(data) == 6 and len(data["listings"]["edges"]) == 3
    assert len(_counts(counter.statements)) == 1, counter.statements


@pytest.mark.parametrize("list_kind", LISTS)
@pytest.mark.parametrize("way", NOT_ASKED)
def test_a_listing_page_without_totalcount_runs_no_count(
    three_sellers: System, monkeypatch: pytest.MonkeyPatch, way: str, list_kind: str
) -> None:
    counter = StatementCount(monkeypatch)
    data = run_query(three_sellers, counter, NOT_ASKED[way].replace("ARGS", LISTS[list_kind]), {"yes": True})
    # Check the page is still whole, then that nothing was counted.
    assert len(data["listings"]["edges"]) == 3
    assert counter.statements and _counts(counter.statements) == [], counter.statements


def test_a_later_listing_page_counts_only_when_asked(three_sellers: System, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = StatementCount(monkeypatch)
    first = run_query(three_sellers, counter, '{ listings(first: 3, search: "vai thieu") { pageInfo { endCursor } } }')
    after = {"after": first["listings"]["pageInfo"]["endCursor"]}
    shape = 'query($after: String) { listings(first: 3, after: $after, search: "vai thieu") { edges { cursor } %s } }'
    assert _counts(counter.statements) == []
    counted = run_query(three_sellers, counter, shape % "totalCount", after)
    assert counted["listings"]["totalCount"] == 6 and len(_counts(counter.statements)) == 1
    bare = run_query(three_sellers, counter, shape % "", after)
    assert len(bare["listings"]["edges"]) == 3 and _counts(counter.statements) == []


STOREFRONT_PAGES = {
    # (query, storefronts' total or None, each storefront's listings total or None)
    "neither": ("{ storefronts(first: 2) { edges { node { name listings(first: 1) { edges { cursor } } } } } }",
                None, None),
    "storefronts only": ("{ storefronts(first: 2) { all: totalCount edges { node { name listings(first: 1) {"
                         " edges { cursor } } } } } }", 3, None),
    "listings only": ("query { storefronts(first: 2) { edges { node { name listings(first: 1) { ...Counted } } } } }"
                      " fragment Counted on ListingConnection { totalCount edges { cursor } }", None, 2),
    "both": ("{ storefronts(first: 2) { ... on StorefrontConnection { totalCount } edges { node {"
             " listings(first: 1) { totalCount } } } } }", 3, 2),
}


@pytest.mark.parametrize("shape", STOREFRONT_PAGES)
def test_a_storefront_page_counts_storefronts_and_their_listings_only_when_asked(
    three_sellers: System, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    counter = StatementCount(monkeypatch)
    query, storefronts_total, listings_total = STOREFRONT_PAGES[shape]
    data = run_query(three_sellers, counter, query)["storefronts"]
    counts = _counts(counter.statements)
    # Check the storefronts' own COUNT(*) statement, and the window counting each one's listings.
    assert len([sql for sql in counts if "storefront_directory" in sql]) == (storefronts_total is not None), counts
    assert len([sql for sql in counts if "PARTITION BY l.storefront_id) AS total_count" in sql]) == (
        listings_total is not None), counts
    assert len(counts) == (storefronts_total is not None) + (listings_total is not None), counts
    if storefronts_total is not None:
        totals = [value for key, value in data.items() if key in ("all", "totalCount")]
        assert totals == [storefronts_total]
    assert len(data["edges"]) == 2
    for edge in data["edges"]:
        if listings_total is not None:
            assert edge["node"]["listings"]["totalCount"] == listings_total
