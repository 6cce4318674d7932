"""Catalog search and store locator latency at the Lạng Sơn target: 45,000 storefronts, 100,000 listings.

The rows are bulk-loaded straight into the read-model tables through the projections' own INSERT
statements (``StorefrontDirectory.insert_sql``, ``ListingCatalog.insert_sql``, so PostgreSQL folds
titles with the same ``farmgate_fold`` the projector uses), not by recording events: building 145,000
aggregates through the event store would take minutes and measures the write side, not the queries.
Latencies are of ``CatalogQueries`` calls as the API makes them (SQL plus row decoding), p50 and p99.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.projections.catalog import LISTINGS as LISTINGS_TABLE
from farmgate.core.projections.catalog import (
    LISTINGS_SEARCH_INDEX,
    ListingCatalog,
    StorefrontDirectory,
    search_condition,
    search_words,
)
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.bench.pg import percentiles, scratch_database

STOREFRONTS = 45_000
LISTINGS = 100_000
SAMPLES = 200
BATCH = 5_000

# Province code, share of storefronts, and a box of its farmland (south, north, west, east).
AREAS = [
    ("20", 0.60, (21.32, 22.45, 106.08, 107.35), ["178", "180", "181", "182", "183", "184", "185", "186", "187"]),
    ("24", 0.25, (21.12, 21.62, 106.10, 106.95), ["213", "215", "216", "217", "218", "219"]),
    ("66", 0.15, (12.40, 13.40, 107.50, 108.90), ["643", "644", "645", "646"]),
]
PRODUCTS = [
    ("Vải thiều", "FRUIT"), ("Na dai", "FRUIT"), ("Sầu riêng Ri6", "FRUIT"), ("Bơ sáp", "FRUIT"),
    ("Hồi khô", "PROCESSED_FOOD"), ("Quýt Bắc Sơn", "FRUIT"), ("Hồng không hạt", "FRUIT"), ("Gạo nếp", "RICE_AND_GRAIN"),
    ("Mật ong hoa nhãn", "PROCESSED_FOOD"), ("Rau cải", "VEGETABLE"), ("Khoai lang", "VEGETABLE"),
    ("Thịt lợn bản", "LIVESTOCK"), ("Cà phê Buôn Ma Thuột", "PROCESSED_FOOD"), ("Phân bón hữu cơ", "FARM_INPUT"),
    ("Tôm khô", "SEAFOOD"), ("Đậu tương", "RICE_AND_GRAIN"),
]
QUALITIES = ["loại 1", "tươi", "hữu cơ", "VietGAP", "đặc sản", "nhà trồng", "quà biếu", "sấy lạnh", "chính vụ"]
PLACES = ["Lục Ngạn", "Chi Lăng", "Lạng Sơn", "Đắk Lắk", "Bắc Giang", "Cao Lộc", "Đình Lập", "Hữu Lũng"]
SEARCHES = ["vai thieu", "na chi lang", "sau rieng", "VẢI THIỀU Lục Ngạn", "mat ong", "hoi kho", "dac san",
            "bo sap dak lak", "quyt", "gao nep"]
MONDAY_0900_LOCAL = datetime(2021, 8, 2, 2, 0, tzinfo=timezone.utc)


def _storefront_rows(rng: random.Random) -> Iterator[tuple[dict[str, Any], tuple[float, float, float, float]]]:
    hours_options = [
        [{"day_of_week": d, "opens": "06:00", "closes": "18:00"} for d in range(1, 8)],
        [{"day_of_week": d, "opens": "00:00", "closes": "24:00"} for d in range(1, 8)],
        [{"day_of_week": d, "opens": "07:00", "closes": "11:00"} for d in range(1, 6)],
    ]
    for n in range(STOREFRONTS):
        code, _, box, districts = rng.choices(AREAS, weights=[a[1] for a in AREAS])[0]
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128))), "household_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "marketplace": rng.choice(["POSTMART", "VOSO"]), "name": f"Cửa hàng số {n}",
            "status": rng.choices(["OPEN", "TEMPORARILY_CLOSED", "CLOSED"], weights=[90, 7, 3])[0],
            "latitude": rng.uniform(box[0], box[1]), "longitude": rng.uniform(box[2], box[3]),
            "opening_hours": json.dumps(rng.choice(hours_options)), "scheme": 2021, "province_code": code,
            "district_code": rng.choice(districts), "ward_code": f"{rng.randrange(6000, 7999):05d}", "street": None,
            "opened_at": "2021-07-20T00:00:00+00:00", "version": 1, "position": n + 1,
        }, box


def _listing_row(rng: random.Random, n: int, storefront: dict[str, Any]) -> dict[str, Any]:
    product, category = rng.choice(PRODUCTS)
    title = f"{product} {rng.choice(QUALITIES)} {rng.choice(PLACES)}"
    description = f"{rng.choice(QUALITIES).capitalize()}, {rng.choice(PRODUCTS)[0].lower()} {rng.choice(PLACES)}"
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))), "storefront_id": storefront["id"],
        "household_id": storefront["household_id"], "marketplace": storefront["marketplace"], "scheme": 2021,
        "province_code": storefront["province_code"], "district_code": storefront["district_code"],
        "title": title, "description": description, "category": category, "unit": "kg",
        "price_amount": str(rng.randrange(10, 500) * 1000), "price_currency": "VND",
        "stock_quantity": rng.randrange(0, 500), "status": rng.choices(["ACTIVE", "SOLD_OUT", "PAUSED"], [85, 10, 5])[0],
        "storefront_status": storefront["status"], "shelf_life_hours": rng.choice([48, 96, 720, 8760]),
        "certifications": "[]", "campaign_id": None, "published_at": "2021-07-21T00:00:00+00:00",
        "version": 1, "position": STOREFRONTS + n + 1,
    }


def _load(system: System, rng: random.Random, report: Callable[[str, float, str], None]) -> list[dict[str, Any]]:
    dialect = system.store.dialect
    storefronts = [row for row, _ in _storefront_rows(rng)]
    started = time.perf_counter()
    for i in range(0, len(storefronts), BATCH):
        with system.store.transaction() as cur:
            cur.executemany(StorefrontDirectory.insert_sql(),
                            [StorefrontDirectory.insert_params(r) for r in storefronts[i:i + BATCH]])
    report("catalog: bulk load storefronts (45,000)", time.perf_counter() - started, "s")

    valid_until = (datetime.now(timezone.utc) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    started = time.perf_counter()
    for i in range(0, LISTINGS, BATCH):
        rows = [_listing_row(rng, n, rng.choice(storefronts)) for n in range(i, min(LISTINGS, i + BATCH))]
        certified = [r for r in rows if rng.random() < 0.2]
        with system.store.transaction() as cur:
            cur.executemany(ListingCatalog.insert_sql(dialect), [ListingCatalog.insert_params(dialect, r) for r in rows])
            cur.executemany(ListingCatalog.certification_sql(),
                            [(r["id"], str(uuid.uuid4()), "VIETGAP", valid_until) for r in certified])
    report("catalog: bulk load listings (100,000, folded by farmgate_fold)", time.perf_counter() - started, "s")
    with system.store.transaction() as cur:
        cur.execute("ANALYZE")
    return storefronts


def _measure(report: Callable[[str, float, str], None], name: str, query: Callable[[int], Any]) -> None:
    query(0)  # warm the plan and the cache once; steady-state latency is what a busy API sees
    samples = []
    for i in range(SAMPLES):
        started = time.perf_counter()
        query(i)
        samples.append((time.perf_counter() - started) * 1000)
    p50, p99 = percentiles(samples)
    report(f"catalog: {name} p50", p50, "ms")
    report(f"catalog: {name} p99", p99, "ms")


def _plan(system: System, sql: str, params: list[Any]) -> str:
    with system.store.transaction(commit=False) as cur:
        rows = cur.execute("EXPLAIN " + sql, params).fetchall()
    return " ".join(next(iter(r.values())) for r in rows)


def run(report: Callable[[str, float, str], None]) -> None:
    rng = random.Random(1034)  # Plan 1034: seeded so runs compare
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"))
        try:
            storefronts = _load(system, rng, report)
            catalog = system.catalog
            open_points = [GeoPoint(s["latitude"], s["longitude"]) for s in storefronts if s["status"] == "OPEN"]

            def search(i: int, **filters: Any) -> Any:
                return catalog.listings_page(after=None, limit=21, search=SEARCHES[i % len(SEARCHES)], **filters)

            _measure(report, "search, 20 per page", search)
            _measure(report, "search + province", lambda i: search(i, province=ProvinceArea.parse("2021:20")))
            _measure(report, "search + certification", lambda i: search(i, certification="VIETGAP"))
            _measure(report, "search + category + marketplace",
                     lambda i: search(i, category="FRUIT", marketplace="VOSO"))
            second_pages = [search(i)[0][19]["sort_key"] for i in range(len(SEARCHES))]
            _measure(report, "search, second page (cursor)", lambda i: catalog.listings_page(
                after=second_pages[i % len(SEARCHES)], limit=21, search=SEARCHES[i % len(SEARCHES)]))
            _measure(report, "browse category, no search",
                     lambda i: catalog.listings_page(after=None, limit=21, category="VEGETABLE"))
            # The same pages when the query does not select totalCount: no COUNT(*) (issue 16).
            _measure(report, "search, 20 per page, without totalCount",
                     lambda i: catalog.listings_page(after=None, limit=21, search=SEARCHES[i % len(SEARCHES)],
                                                     count=False))
            _measure(report, "browse category, no search, without totalCount",
                     lambda i: catalog.listings_page(after=None, limit=21, category="VEGETABLE", count=False))

            def nearby(radius: float, **extra: Any) -> Callable[[int], Any]:
                return lambda i: catalog.nearby(open_points[i * 97 % len(open_points)], radius, 20, **extra)

            _measure(report, "locator 5 km, nearest 20", nearby(5.0))
            _measure(report, "locator 50 km, nearest 20", nearby(50.0))
            _measure(report, "locator 10 km, open now, nearest 20", nearby(10.0, open_now=True, now=MONDAY_0900_LOCAL))
            _measure(report, "locator 1 km, nearest 100", lambda i: catalog.nearby(
                open_points[i * 97 % len(open_points)], 1.0, 100))
            _measure(report, "storefronts by district, 20 per page", lambda i: catalog.storefronts_page(
                after_position=0, limit=21, province=ProvinceArea.parse("2021:20"), district_code=AREAS[0][3][i % 9]))
            _measure(report, "storefronts by district, 20 per page, without totalCount", lambda i: catalog.storefronts_page(
                after_position=0, limit=21, province=ProvinceArea.parse("2021:20"), district_code=AREAS[0][3][i % 9],
                count=False))

            # Whether PostgreSQL actually takes the indexes (1 = yes): a silent scan is the usual regression.
            # The search is planned as listings_page writes it for the public catalog.
            match_sql, match_params = search_condition("postgres", search_words("vai thieu"))
            search_plan = _plan(system, f"SELECT id FROM {LISTINGS_TABLE} l WHERE l.status = 'ACTIVE'"
                                f" AND l.storefront_status = 'OPEN' AND {match_sql}", match_params)
            report("catalog: 'vai thieu' plan uses the word-prefix index", float(LISTINGS_SEARCH_INDEX in search_plan),
                   "bool")
            box_plan = _plan(
                system, "SELECT id FROM storefront_directory_v1 WHERE status = 'OPEN' AND latitude BETWEEN %s AND %s"
                " AND longitude BETWEEN %s AND %s", [21.80, 21.85, 106.70, 106.75])
            report("catalog: locator plan uses the (latitude, longitude) index",
                   float("storefront_directory_v1_located" in box_plan), "bool")
        finally:
            system.close()


if __name__ == "__main__":
    run(lambda name, value, unit: print(f"{name:<64} {value:>14,.2f} {unit}", flush=True))
