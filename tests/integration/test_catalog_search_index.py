"""The catalog search keeps to its index on PostgreSQL (issue 16), and the index changes no answer.

The plan test loads a few thousand listings through the projection's own INSERT (as the benchmark
does), records the SQL ``listings_page`` runs for a search, and asks PostgreSQL to EXPLAIN it: the
matches must come from the word-prefix index, never a sequential scan of the listing table, and an
exact word must leave no LIKE to recheck each match. The query is selective (one listing in thirty),
so an index scan is the plan on any cost settings; were the index dropped, or the condition reshaped
so the planner could no longer match the index expression, the plan would fall back to a Seq Scan.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from farmgate.core.projections.catalog import LISTINGS, LISTINGS_SEARCH_INDEX, PREFIX_CHARS, ListingCatalog
from farmgate.deploy.container import System
from tests.integration.test_catalog import a_storefront, publish, titles
from tests.personal_data import PersonalData

ROWS = 3_000
PRODUCTS = [f"Sản phẩm{n:02d}" for n in range(30)]


def _rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for n in range(ROWS):
        product = PRODUCTS[n % len(PRODUCTS)]
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128))), "storefront_id": str(uuid.uuid4()),
            "household_id": str(uuid.uuid4()), "marketplace": "POSTMART", "scheme": 2021, "province_code": "24",
            "district_code": "213", "title": f"{product} Lục Ngạn loại {n % 7}", "description": "Hái sáng, giao ngay",
            "category": "FRUIT", "unit": "kg", "price_amount": "50000", "price_currency": "VND", "stock_quantity": 10,
            "status": "ACTIVE", "storefront_status": "OPEN", "shelf_life_hours": 96, "certifications": "[]",
            "campaign_id": None, "published_at": "2021-07-21T00:00:00+00:00", "version": 1, "position": n + 1,
        }


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def test_postgres_search_reads_matches_from_the_word_prefix_index(postgres_system: System) -> None:
    store = postgres_system.store
    with store.transaction() as cur:
        cur.executemany(ListingCatalog.insert_sql("postgres"),
                        [ListingCatalog.insert_params("postgres", r) for r in _rows(random.Random(16))])
        cur.execute(f"ANALYZE {LISTINGS}")

    statements: list[tuple[str, list[Any]]] = []
    query = store.query

    def recording(sql: str, params: Any = ()) -> list[dict[str, Any]]:
        statements.append((sql, list(params)))
        return query(sql, params)

    store.query = recording  # type: ignore[method-assign]  # records, then runs the real query
    try:
        page, total = postgres_system.catalog.listings_page(after=None, limit=21, search="SAN PHAM07 luc ngan")
    finally:
        store.query = query  # type: ignore[method-assign]
    assert total == ROWS // len(PRODUCTS)
    assert {row["title"].split(" Lục")[0] for row in page} == {"Sản phẩm07"}

    (sql, params), = statements
    with store.transaction(commit=False) as cur:
        explained = cur.execute("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()
    plan = next(iter(explained.values()))
    nodes = list(_plan_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
    scans = {(node["Node Type"], node.get("Index Name")) for node in nodes if node.get("Relation Name") == LISTINGS
             or node.get("Index Name", "").startswith(LISTINGS)}
    assert ("Bitmap Index Scan", LISTINGS_SEARCH_INDEX) in scans, scans
    assert not any(node_type == "Seq Scan" for node_type, _ in scans), scans
    # Exact words: their LIKE is folded away, no filter rereads each match's text (the ranking
    # still reads the titles of the matches: that is not a filter).
    filters = [node.get(key, "") for node in nodes for key in ("Filter", "Recheck Cond")]
    assert not [f for f in filters if "search_text ~~" in f], filters


@pytest.fixture
def long_words(system: System, personal_data: PersonalData) -> System:
    storefront_id = a_storefront(system, personal_data)
    publish(system, storefront_id, "Thanhlongruotdo Bình Thuận", "Thanhlongruotdo chín cây")
    publish(system, storefront_id, "Thanhlongruotxanh Long An", None)
    system.catch_up()
    return system


@pytest.mark.parametrize(("query", "found"), [
    ("thanhlongruotdo", ["Thanhlongruotdo Bình Thuận"]),
    ("THANHLONGRUOTD", ["Thanhlongruotdo Bình Thuận"]),
    ("thanhlongruotx", ["Thanhlongruotxanh Long An"]),
    ("thanhlongruo", ["Thanhlongruotdo Bình Thuận", "Thanhlongruotxanh Long An"]),
    ("thanhlongruotdoo", []),
    ("thanhlongruotdo binh", ["Thanhlongruotdo Bình Thuận"]),
])
def test_words_longer_than_the_indexed_prefix_match_exactly(long_words: System, query: str, found: list[str]) -> None:
    # The index keeps prefixes up to PREFIX_CHARS; past that the LIKE decides, on both backends.
    assert len("thanhlongruo") == PREFIX_CHARS
    assert sorted(titles(long_words, search=query)) == found
