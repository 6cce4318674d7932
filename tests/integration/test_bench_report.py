"""`make bench` writes var/bench/report.json in the documented shape (no timing is asserted)."""

from __future__ import annotations

import json
import math

import pytest

from tests.bench import __main__ as bench
from tests.bench import pg
from tests.services import postgres_admin_url


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALE", "tiny")
    monkeypatch.setattr(pg, "ADMIN_URL", postgres_admin_url())


def test_the_household_bench_reports_each_throughput_next_to_its_ceiling(tiny: None, tmp_path) -> None:
    path = tmp_path / "bench" / "report.json"
    returned = bench.main(["households"], path)
    rows = json.loads(path.read_text())
    assert rows == returned
    for row in rows:
        assert isinstance(row["name"], str) and row["name"]
        assert isinstance(row["value"], float) and math.isfinite(row["value"])
        assert isinstance(row["unit"], str)
        assert ("ceiling" in row) == ("ratio" in row)
        if "ceiling" in row:
            assert row["ratio"] == pytest.approx(row["value"] / row["ceiling"])
    by_name = {row["name"]: row for row in rows}
    for clients in (1, 8):
        registered = by_name[f"registerHousehold (3 events, 2 aggregates), {clients} thread(s)"]
        assert registered["unit"] == "households/s"
        assert registered["ceiling"] == by_name[f"raw PostgreSQL INSERT+COMMIT, {clients} client(s)"]["value"]
    assert by_name["peak RSS, bench process"]["unit"] == "MiB"


def test_a_row_without_a_ceiling_has_no_ratio_and_a_zero_ceiling_no_number(capsys: pytest.CaptureFixture[str]) -> None:
    report = bench.Report("m")
    report("plain", 3, "ms")
    report("against nothing", 3, "orders/s", ceiling=0)
    report("against a goal", 9, "statements", goal=6)
    assert report.rows == [
        {"name": "plain", "value": 3.0, "unit": "ms", "module": "m"},
        {"name": "against nothing", "value": 3.0, "unit": "orders/s", "module": "m", "ceiling": 0.0, "ratio": None},
        {"name": "against a goal", "value": 9.0, "unit": "statements", "module": "m", "goal": 6.0},
    ]
    assert "ratio n/a" in capsys.readouterr().out


def test_an_unknown_scale_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.bench import scale

    monkeypatch.setenv("SCALE", "nation")
    with pytest.raises(ValueError, match="SCALE='nation'"):
        scale.current()


def test_profile_1_profiles_the_workload_behind_the_lowest_ratio(tiny: None, tmp_path) -> None:
    rows = [{"name": "registering", "value": 5.0, "unit": "households/s", "module": "households", "ceiling": 10.0,
             "ratio": 0.5},
            {"name": "ordering", "value": 1.0, "unit": "orders/s", "module": "orders", "ceiling": 10.0, "ratio": 0.1},
            {"name": "no ratio", "value": 1.0, "unit": "ms", "module": "orders"}]
    path = bench.profile_worst(rows, tmp_path)
    assert path == tmp_path / "profile-orders.txt"
    text = path.read_text()
    assert text.startswith("worst ratio: ordering = 0.100")
    assert "place_order" in text


def test_the_bare_strawberry_ceiling_answers_the_page_it_was_given() -> None:
    from tests.bench.bare_strawberry import schema_serving
    from tests.bench.serving import PAGE

    node = {"id": "TGlzdGluZzox", "title": "Vải thiều", "unit": "kg", "unitPrice": {"amount": "35000", "currency": "VND"},
            "stockQuantity": 7, "status": "ACTIVE", "storefront": {"name": "Vườn 1"}}
    page = {"listings": {"edges": [{"cursor": "YzE=", "node": node}],
                         "pageInfo": {"hasNextPage": True, "endCursor": "YzE="}}}
    answer = schema_serving(page).execute_sync(PAGE)
    assert answer.errors is None
    assert answer.data == page
