"""placeOrder over HTTP: one `farmgate serve` process (uvicorn), the load from a separate process
with 8 concurrent requests, as a marketplace's checkout would send them — next to the raw insert
ceiling at 8 clients measured in the same module. Hot: every order on one listing; spread: on 64.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import httpx

from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql.auth import issue_token
from farmgate.graphql.ids import to_global_id
from tests.bench import scale
from tests.bench.orders import listings
from tests.bench.pg import BROKER_URL, raw_insert_ceiling, scratch_database
from tests.bench.serving import CONCURRENCY, ROOT, load, peak_rss_mib, server
from tests.e2e.server import SECRET, free_port

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  order { id number status } userErrors { field code message } } }"""


def order_input(listing_global_id: str) -> dict[str, object]:
    """A cash-on-delivery order of 1 kg for a buyer in Hà Nội."""
    return {"lines": [{"listingId": listing_global_id, "quantity": 1}], "paymentMethod": "CASH_ON_DELIVERY",
            "buyer": {"name": "Người mua", "phone": "0912345678",
                      "address": {"scheme": 2021, "provinceCode": "01", "districtCode": "005", "wardCode": "00175",
                                  "street": "Ngõ 12 Chùa Láng"}}}


def run(report: Callable[..., None]) -> None:
    """Orders/s over HTTP (hot, spread) with the raw ceiling at 8 clients; failed requests count
    refusals (CONFLICT included) and errors."""
    seconds = scale.current().seconds
    with scratch_database() as url, tempfile.TemporaryDirectory() as scratch:
        system = build_system(Settings(database_url=url, env="test"))
        try:
            made = listings(system)
            system.catch_up()
        finally:
            system.close()
        raw = raw_insert_ceiling(url, 8, seconds)
        report("raw PostgreSQL INSERT+COMMIT, 8 client(s)", raw, "tx/s")
        env = {**os.environ, "FARMGATE_DATABASE_URL": url, "FARMGATE_BROKER_URL": BROKER_URL,
               "FARMGATE_JWT_SECRET": SECRET, "FARMGATE_ENV": "test", "FARMGATE_LOG_LEVEL": "WARNING"}
        port = free_port()
        api = f"http://127.0.0.1:{port}/graphql"
        # as in production: a projector process beside the API (a mutation waits, bounded, for the
        # read models to show its write before it answers)
        projector = subprocess.Popen([sys.executable, "-m", "farmgate.deploy", "projector"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            serve_and_load(report, api, port, env, made, scratch, seconds, raw)
        finally:
            projector.terminate()
            projector.wait(timeout=30)


def serve_and_load(report: Callable[..., None], api: str, port: int, env: dict[str, str], made: list[UUID],
                   scratch: str, seconds: float, raw: float) -> None:
    """Start `farmgate serve`, warm it up, and load it with hot then spread orders."""
    query_file = Path(scratch) / "place.graphql"
    query_file.write_text(PLACE)
    token = issue_token(SECRET, "MARKETPLACE", "bench", marketplace="POSTMART")
    with server(["-m", "farmgate.deploy", "serve", "--host", "127.0.0.1", "--port", str(port)], env,
                api) as process:
        # the storefronts alternate POSTMART and VOSO; a POSTMART token orders from POSTMART's
        postmart = [listing for n, listing in enumerate(made) if (n // 8) % 2 == 0]
        for label, chosen in (("hot", postmart[:1]), ("spread", postmart)):
            variables_file = Path(scratch) / f"{label}.json"
            variables_file.write_text(json.dumps([{"input": order_input(to_global_id("Listing", listing))}
                                                  for listing in chosen]))
            for listing in chosen[:2]:  # warm-up: the first order loads the address tables, caches
                warm = httpx.post(api, json={"query": PLACE, "variables": {
                    "input": order_input(to_global_id("Listing", listing))}},
                    headers={"Authorization": f"Bearer {token}"}, timeout=120).json()
                assert not warm.get("errors") and not warm["data"]["placeOrder"]["userErrors"], warm
            result = load(api, query_file, seconds, variables_file, token)
            accepted, failed = result["per_second"], result["failed"]
            name = f"placeOrder over HTTP, {label} listing, 1 API process, {CONCURRENCY} concurrent"
            report(f"{name}: accepted", accepted, "orders/s", ceiling=raw)
            report(f"{name}: p99", result["p99_ms"], "ms")
            report(f"{name}: refused or failed (CONFLICT included)", failed, "requests")
        report("peak RSS, farmgate serve process taking orders", peak_rss_mib(process.pid), "MiB")
