"""The arithmetic of the province-cost extrapolation (pure: no database, no clock).

``province_cost`` measures unit costs on this machine (:class:`UnitCosts`); :func:`extrapolate` scales
them to one province and to the nation (:class:`Plan`, from DOMAIN.md) at average and at peak load.
Every result is a :class:`Need` row, so the bench report and the README show the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Plan:
    """The programme's sizes (DOMAIN.md).

    ``households``: a province plan's households (Lạng Sơn: 90,000); ``provinces``: 63 (the 2021
    units); ``orders_per_household_day``: the programme's one order per household a day;
    ``peak_factor``: harvest-rush multiple of the average order rate (10–20×; we take the top);
    ``retention_days``: how many days of orders the storage figure holds.
    """

    households: int = 90_000
    provinces: int = 63
    orders_per_household_day: float = 1.0
    peak_factor: float = 20.0
    retention_days: int = 365


@dataclass(frozen=True)
class UnitCosts:
    """What one household and one order cost, measured by ``province_cost``.

    Storage in bytes (PostgreSQL allocation: heap + indexes + TOAST, event store and read models).
    ``household_bytes``: one household with its share of storefronts and listings, no orders;
    ``order_bytes``: one order's lifecycle (placed, paid, confirmed, dispatched, checkpoints).
    ``events_per_order``: events one order's lifecycle records; ``commands_per_order``: write
    transactions it takes (placeOrder plus the later commands).
    CPU in seconds per order lifecycle (``api_cpu_s``: the process running the commands;
    ``db_cpu_s``: the PostgreSQL backends serving them) and per recorded event for the projector
    (``projector_cpu_s_per_event``, ``db_cpu_s_per_projected_event``).
    """

    household_bytes: float
    order_bytes: float
    events_per_order: float
    commands_per_order: float
    api_cpu_s: float
    db_cpu_s: float
    projector_cpu_s_per_event: float
    db_cpu_s_per_projected_event: float


@dataclass(frozen=True)
class Need:
    """One extrapolated number: ``name`` (says the scope and the load), ``value`` in ``unit``."""

    name: str
    value: float
    unit: str


def orders_per_second(plan: Plan, provinces: int, peak: bool) -> float:
    """Orders a second for ``provinces`` provinces of ``plan``, at the day's average or at peak."""
    rate = plan.households * provinces * plan.orders_per_household_day / SECONDS_PER_DAY
    return rate * plan.peak_factor if peak else rate


def processes(cores: float) -> int:
    """Python processes to carry ``cores`` of CPU (one core each: the GIL), at least one."""
    return max(1, math.ceil(cores - 1e-9))


def extrapolate(costs: UnitCosts, plan: Plan = Plan()) -> list[Need]:
    """Storage, write rates, CPU cores and processes for one province and for ``plan.provinces``,
    at average and at peak; cores are CPU busy at 100% (no headroom), on this machine's cores.

    Storage: ``households × household_bytes + orders a day × retention_days × order_bytes``.
    Cores: ``orders/s × CPU-seconds per order`` (API, PostgreSQL) and ``events/s × CPU-seconds per
    event`` (projector, and PostgreSQL for the projector's writes). Projector processes are what the
    CPU would take with the read models split among processes; today one projector thread applies
    every read model (a second projector races it for availability, not speed).
    """
    needs: list[Need] = []
    for scope, provinces in (("province", 1), (f"{plan.provinces} provinces", plan.provinces)):
        households = plan.households * provinces
        orders_day = households * plan.orders_per_household_day
        needs.append(Need(f"{scope}: storage, households (no orders)", households * costs.household_bytes / 1e9, "GB"))
        needs.append(Need(f"{scope}: storage growth a day of orders", orders_day * costs.order_bytes / 1e9, "GB/day"))
        needs.append(Need(f"{scope}: storage after {plan.retention_days} days",
                          (households * costs.household_bytes
                           + orders_day * plan.retention_days * costs.order_bytes) / 1e9, "GB"))
        for load, peak in (("average", False), (f"peak {plan.peak_factor:g}x", True)):
            orders = orders_per_second(plan, provinces, peak)
            events = orders * costs.events_per_order
            api = orders * costs.api_cpu_s
            projector = events * costs.projector_cpu_s_per_event
            db = orders * costs.db_cpu_s + events * costs.db_cpu_s_per_projected_event
            needs += [
                Need(f"{scope}, {load}: orders", orders, "orders/s"),
                Need(f"{scope}, {load}: events recorded", events, "events/s"),
                Need(f"{scope}, {load}: write transactions", orders * costs.commands_per_order, "tx/s"),
                Need(f"{scope}, {load}: API CPU", api, "cores"),
                Need(f"{scope}, {load}: API processes", processes(api), "processes"),
                Need(f"{scope}, {load}: projector CPU", projector, "cores"),
                Need(f"{scope}, {load}: projector processes, read models split among them", processes(projector),
                     "processes"),
                Need(f"{scope}, {load}: PostgreSQL CPU", db, "cores"),
            ]
    return needs
