"""`make bench BENCH=province_cost` on PostgreSQL at SCALE=tiny: the unit costs are measured (no timing
is asserted) and the extrapolation in the report is the arithmetic of tests/bench/capacity.py."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.bench import __main__ as bench
from tests.bench import pg
from tests.bench.capacity import Plan, orders_per_second
from tests.bench.province_cost import KINDS, Backends, kind_of, sizes
from tests.services import fresh_postgres_database, postgres_admin_url


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALE", "tiny")
    monkeypatch.setattr(pg, "ADMIN_URL", postgres_admin_url())


def test_the_province_cost_reports_unit_costs_and_their_extrapolation(tiny: None, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    bench.main(["province_cost"], path)
    by_name = {row["name"]: row for row in json.loads(path.read_text())}
    assert "province_cost: FAILED (traceback on stderr)" not in by_name
    per_order = by_name["storage per order lifecycle, everything"]
    assert per_order["unit"] == "bytes/order" and per_order["value"] > 0
    assert by_name["storage per household (storefront share, listings; no orders)"]["value"] > 0
    # placeOrder saves the order, the year's number sequence and the listing's reservation
    assert by_name["events per placeOrder"]["value"] >= 3
    lifecycle = by_name["events per order lifecycle"]["value"]
    assert lifecycle > by_name["events per placeOrder"]["value"]
    assert by_name["order lifecycle CPU, API process"]["value"] > 0

    nation_peak = orders_per_second(Plan(), 63, peak=True)
    assert by_name["63 provinces, peak 20x: orders"]["value"] == pytest.approx(nation_peak)
    assert by_name["63 provinces, peak 20x: events recorded"]["value"] == pytest.approx(nation_peak * lifecycle)
    transactions = by_name["63 provinces, peak 20x: write transactions"]
    assert transactions["ceiling"] == by_name["raw PostgreSQL INSERT+COMMIT, 8 clients"]["value"]
    assert transactions["value"] == pytest.approx(
        nation_peak * by_name["write commands per order lifecycle"]["value"])
    api_cores = nation_peak * by_name["order lifecycle CPU, API process"]["value"] / 1000
    assert by_name["63 provinces, peak 20x: API CPU"]["value"] == pytest.approx(api_cores)


def test_tables_are_sized_by_kind_and_backends_cpu_read_on_this_machine() -> None:
    assert kind_of("stored_events", True) == "event store"
    assert kind_of("projection_tracking", False) == "tracking"
    assert kind_of("rm_orders_v3", False) == "read models and other state"
    with fresh_postgres_database(postgres_admin_url()) as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE stored_events (originator_id uuid, originator_version bigint, state bytea, "
                     "PRIMARY KEY (originator_id, originator_version))")
        conn.execute("CREATE TABLE orders_read (id uuid PRIMARY KEY, body text)")
        before = sizes(conn)
        conn.execute("INSERT INTO stored_events SELECT gen_random_uuid(), 1, '\\x00' FROM generate_series(1, 2000)")
        after = sizes(conn)
        assert set(after) == set(KINDS)
        assert after["event store"]["heap"] > before["event store"]["heap"]
        assert after["event store"]["indexes"] > before["event store"]["indexes"]
        assert after["read models and other state"] == before["read models and other state"]
        backends = Backends(conn)
        ticks = backends.ticks()
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()
        comm = Path(f"/proc/{pid[0] if pid else 0}/comm")
        on_this_machine = comm.exists() and comm.read_text().strip() == "postgres"
        assert (ticks is not None) == on_this_machine  # else the bench reports wall time as the bound
        if ticks is not None:
            assert backends.used(ticks, ticks) == 0
