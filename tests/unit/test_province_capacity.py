"""The extrapolation from measured unit costs to a province and the nation (tests/bench/capacity.py):
known inputs, results worked out by hand."""

from __future__ import annotations

import pytest

from tests.bench.capacity import Plan, UnitCosts, extrapolate, orders_per_second, processes

COSTS = UnitCosts(household_bytes=10_000, order_bytes=20_000, events_per_order=8, commands_per_order=4,
                  api_cpu_s=0.01, db_cpu_s=0.005, projector_cpu_s_per_event=0.001,
                  db_cpu_s_per_projected_event=0.0005)
#: 86,400 households ordering once a day: exactly one order a second per province
PLAN = Plan(households=86_400, provinces=10, orders_per_household_day=1.0, peak_factor=20.0, retention_days=100)


def test_a_province_and_the_nation_at_average_and_peak_come_out_as_worked_by_hand() -> None:
    got = {need.name: (need.value, need.unit) for need in extrapolate(COSTS, PLAN)}
    expected = {
        # 86,400 × 10 kB; 86,400 orders × 20 kB a day; plus 100 days of that
        "province: storage, households (no orders)": (0.864, "GB"),
        "province: storage growth a day of orders": (1.728, "GB/day"),
        "province: storage after 100 days": (173.664, "GB"),
        "province, average: orders": (1.0, "orders/s"),
        "province, average: events recorded": (8.0, "events/s"),
        "province, average: write transactions": (4.0, "tx/s"),
        "province, average: API CPU": (0.01, "cores"),
        "province, average: API processes": (1, "processes"),
        "province, average: projector CPU": (0.008, "cores"),
        "province, average: projector processes, read models split among them": (1, "processes"),
        "province, average: PostgreSQL CPU": (0.009, "cores"),  # 1 × 0.005 + 8 × 0.0005
        "province, peak 20x: orders": (20.0, "orders/s"),
        "province, peak 20x: events recorded": (160.0, "events/s"),
        "province, peak 20x: write transactions": (80.0, "tx/s"),
        "province, peak 20x: API CPU": (0.2, "cores"),
        "province, peak 20x: API processes": (1, "processes"),
        "province, peak 20x: projector CPU": (0.16, "cores"),
        "province, peak 20x: projector processes, read models split among them": (1, "processes"),
        "province, peak 20x: PostgreSQL CPU": (0.18, "cores"),
        "10 provinces: storage, households (no orders)": (8.64, "GB"),
        "10 provinces: storage growth a day of orders": (17.28, "GB/day"),
        "10 provinces: storage after 100 days": (1736.64, "GB"),
        "10 provinces, average: orders": (10.0, "orders/s"),
        "10 provinces, average: events recorded": (80.0, "events/s"),
        "10 provinces, average: write transactions": (40.0, "tx/s"),
        "10 provinces, average: API CPU": (0.1, "cores"),
        "10 provinces, average: API processes": (1, "processes"),
        "10 provinces, average: projector CPU": (0.08, "cores"),
        "10 provinces, average: projector processes, read models split among them": (1, "processes"),
        "10 provinces, average: PostgreSQL CPU": (0.09, "cores"),
        "10 provinces, peak 20x: orders": (200.0, "orders/s"),
        "10 provinces, peak 20x: events recorded": (1600.0, "events/s"),
        "10 provinces, peak 20x: write transactions": (800.0, "tx/s"),
        "10 provinces, peak 20x: API CPU": (2.0, "cores"),
        "10 provinces, peak 20x: API processes": (2, "processes"),  # exactly 2 cores: 2, not 3
        "10 provinces, peak 20x: projector CPU": (1.6, "cores"),
        "10 provinces, peak 20x: projector processes, read models split among them": (2, "processes"),
        "10 provinces, peak 20x: PostgreSQL CPU": (1.8, "cores"),  # 200 × 0.005 + 1,600 × 0.0005
    }
    assert set(got) == set(expected)
    for name, (value, unit) in expected.items():
        assert got[name] == (pytest.approx(value), unit), name


def test_the_programme_plan_gives_the_domain_rates() -> None:
    # DOMAIN.md: 63 provinces of 90,000 households, one order each a day ≈ 60/s; 20× at harvest peak
    assert orders_per_second(Plan(), 1, peak=False) == pytest.approx(90_000 / 86_400)
    assert orders_per_second(Plan(), 63, peak=False) == pytest.approx(65.625)
    assert orders_per_second(Plan(), 63, peak=True) == pytest.approx(1312.5)


@pytest.mark.parametrize(("cores", "expected"), [(0.0, 1), (0.3, 1), (1.0, 1), (1.01, 2), (6.5, 7)])
def test_a_python_process_carries_one_core_and_there_is_always_one(cores: float, expected: int) -> None:
    assert processes(cores) == expected
