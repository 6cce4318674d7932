"""Province and national rollout: households, verified households, storefronts, payment accounts,
active listings, orders and revenue, per province and per district (2021) or ward (2025), with the
provinces' targets, and a daily series of storefronts opened and orders placed.

Rows keep the scheme and codes their household was recorded with; a province's figures are those of
the rows its area covers under either scheme (core.domain.province_area), so a merged 2025 province
counts what was recorded under the 2021 provinces it absorbed. Storefronts, listings and orders are
placed in their household's area.

What counts (the dashboard's words, decided here once):
* payment accounts: every account linked, not households with one;
* orders: placed and not cancelled;
* revenue: the total, net of refunds, of each order that was delivered and fully paid (VND);
* a day is a calendar day in Vietnam (UTC+7, no daylight saving), of the event's world time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain import provinces as units
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import CANCELLED, DELIVERED, ORDER_STATUS_FOR_SHIPMENT
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.province_rollout import NATIONAL_TARGET_HOUSEHOLDS
from farmgate.core.projections.area_sql import area_clause
from farmgate.core.projections.base import Projection

HOUSEHOLDS = "rollout_households_v1"
STOREFRONTS = "rollout_storefronts_v1"
LISTINGS = "rollout_listings_v1"
ORDERS = "rollout_orders_v1"
PLANS = "rollout_plans_v1"

#: Vietnam's time (ICT): the dashboard's days are its calendar days
VIETNAM_TIME = timezone(timedelta(hours=7))
REVENUE_CURRENCY = "VND"
MAX_DAYS = 366


def vietnam_day(moment: datetime) -> str:
    """The ISO date of ``moment`` in Vietnam."""
    return moment.astimezone(VIETNAM_TIME).date().isoformat()


def unit_code_of(scheme: int, address: dict[str, Any]) -> str:
    """The unit a record is counted under within its province: its 2021 district, or its 2025 ward
    ('' when the address does not name it)."""
    code = address.get("district_code") if scheme == 2021 else address.get("ward_code")
    return code or ""


def order_revenue(status: str, total: Decimal, paid: Decimal, refunded: Decimal) -> Decimal:
    """An order's revenue: its total net of refunds once delivered and fully paid, else nothing."""
    return total - refunded if status == DELIVERED and paid >= total else Decimal(0)


class ProvinceRolloutView(Projection):
    name = "province_rollout"
    version = 1
    tables = (HOUSEHOLDS, STOREFRONTS, LISTINGS, ORDERS, PLANS)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {HOUSEHOLDS} (
                id TEXT PRIMARY KEY,
                scheme INTEGER NOT NULL,
                province_code TEXT NOT NULL,
                ward_code TEXT,
                unit_code TEXT NOT NULL,
                verified INTEGER NOT NULL,
                payment_accounts INTEGER NOT NULL,
                registered_day TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {HOUSEHOLDS}_area ON {HOUSEHOLDS} (scheme, province_code, ward_code)",
            f"""CREATE TABLE IF NOT EXISTS {STOREFRONTS} (
                id TEXT PRIMARY KEY, household_id TEXT NOT NULL, opened_day TEXT NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {STOREFRONTS}_household ON {STOREFRONTS} (household_id)",
            f"""CREATE TABLE IF NOT EXISTS {LISTINGS} (
                id TEXT PRIMARY KEY, household_id TEXT NOT NULL, active INTEGER NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {LISTINGS}_household ON {LISTINGS} (household_id)",
            f"""CREATE TABLE IF NOT EXISTS {ORDERS} (
                id TEXT PRIMARY KEY,
                household_id TEXT NOT NULL,
                placed_day TEXT NOT NULL,
                status TEXT NOT NULL,
                total TEXT NOT NULL,
                paid TEXT NOT NULL,
                refunded TEXT NOT NULL,
                revenue TEXT NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {ORDERS}_household ON {ORDERS} (household_id)",
            f"""CREATE TABLE IF NOT EXISTS {PLANS} (
                plan_id TEXT PRIMARY KEY,
                scheme INTEGER NOT NULL,
                province_code TEXT NOT NULL,
                households INTEGER NOT NULL,
                storefronts INTEGER NOT NULL,
                payment_accounts INTEGER NOT NULL,
                deadline TEXT,
                UNIQUE (scheme, province_code)
            )""",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        followed = {f"Order.{name}": self.order_followed_shipment
                    for name in ("Delivered", "DeliveryFailed", "DeliveryResumed", "Spoiled", "Returned",
                                 "SpoilageWithdrawn")}
        return {
            "Household.Registered": self.household_registered,
            "Household.Verified": self.household_verified,
            "Household.PaymentAccountLinked": self.payment_account_linked,
            "Storefront.Opened": self.storefront_opened,
            "Listing.Published": self.listing_published,
            "Listing.SoldOut": self._listing_active(False),
            "Listing.BackInStock": self._listing_active(True),
            "Listing.Paused": self._listing_active(False),
            "Listing.Resumed": self.listing_resumed,
            "Listing.Delisted": self._listing_active(False),
            "Order.Placed": self.order_placed,
            "Order.Cancelled": self.order_cancelled,
            "Order.PaymentRecorded": self.order_paid,
            "Order.Refunded": self.order_refunded,
            "Order.RefundRecorded": self.order_refunded,
            **followed,
            "ProvinceRollout.Planned": self.planned,
            "ProvinceRollout.Replanned": self.replanned,
        }

    # -- households, storefronts, listings -------------------------------------------------------

    def household_registered(self, cur: Cursor, e: Any, position: int) -> None:
        a = e.address
        scheme = int(a["scheme"])
        cur.execute(
            f"INSERT INTO {HOUSEHOLDS} (id, scheme, province_code, ward_code, unit_code, verified, payment_accounts,"
            " registered_day) VALUES (%s, %s, %s, %s, %s, 0, 0, %s)",
            (str(e.originator_id), scheme, a["province_code"], a.get("ward_code"), unit_code_of(scheme, a),
             vietnam_day(e.occurred_at)),
        )

    def household_verified(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"UPDATE {HOUSEHOLDS} SET verified = 1 WHERE id = %s", (str(e.originator_id),))

    def payment_account_linked(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"UPDATE {HOUSEHOLDS} SET payment_accounts = payment_accounts + 1 WHERE id = %s",
                    (str(e.originator_id),))

    def storefront_opened(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"INSERT INTO {STOREFRONTS} (id, household_id, opened_day) VALUES (%s, %s, %s)",
                    (str(e.originator_id), str(e.household_id), vietnam_day(e.occurred_at)))

    def listing_published(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"INSERT INTO {LISTINGS} (id, household_id, active) VALUES (%s, %s, 1)",
                    (str(e.originator_id), str(e.household_id)))

    def _listing_active(self, active: bool) -> Callable[[Cursor, Any, int], None]:
        def handle(cur: Cursor, e: Any, position: int) -> None:
            cur.execute(f"UPDATE {LISTINGS} SET active = %s WHERE id = %s", (int(active), str(e.originator_id)))

        return handle

    def listing_resumed(self, cur: Cursor, e: Any, position: int) -> None:
        self._listing_active(e.status == "ACTIVE")(cur, e, position)

    # -- orders ----------------------------------------------------------------------------------

    def order_placed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"INSERT INTO {ORDERS} (id, household_id, placed_day, status, total, paid, refunded, revenue)"
            " VALUES (%s, %s, %s, 'PLACED', %s, '0', '0', '0')",
            (str(e.originator_id), str(e.household_id), vietnam_day(e.occurred_at), e.total["amount"]),
        )

    def _update_order(self, cur: Cursor, order_id: Any, **changes: Any) -> None:
        row = cur.execute(f"SELECT status, total, paid, refunded FROM {ORDERS} WHERE id = %s",
                          (str(order_id),)).fetchone()
        if row is None:
            return
        row = {**row, **changes}
        revenue = order_revenue(row["status"], Decimal(row["total"]), Decimal(row["paid"]), Decimal(row["refunded"]))
        cur.execute(f"UPDATE {ORDERS} SET status = %s, paid = %s, refunded = %s, revenue = %s WHERE id = %s",
                    (row["status"], str(row["paid"]), str(row["refunded"]), str(revenue), str(order_id)))

    def order_cancelled(self, cur: Cursor, e: Any, position: int) -> None:
        self._update_order(cur, e.originator_id, status=CANCELLED)

    def order_paid(self, cur: Cursor, e: Any, position: int) -> None:
        self._update_order(cur, e.originator_id, paid=e.amount_paid["amount"])

    def order_refunded(self, cur: Cursor, e: Any, position: int) -> None:
        self._update_order(cur, e.originator_id, refunded=e.refunded_total["amount"])

    def order_followed_shipment(self, cur: Cursor, e: Any, position: int) -> None:
        self._update_order(cur, e.originator_id, status=ORDER_STATUS_FOR_SHIPMENT[e.shipment_status])

    # -- plans -----------------------------------------------------------------------------------

    def planned(self, cur: Cursor, e: Any, position: int) -> None:
        deadline = None if e.deadline is None else e.deadline.isoformat()
        cur.execute(
            f"INSERT INTO {PLANS} (plan_id, scheme, province_code, households, storefronts, payment_accounts,"
            " deadline) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), e.scheme, e.province_code, e.households, e.storefronts, e.payment_accounts,
             deadline),
        )

    def replanned(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"UPDATE {PLANS} SET households = %s, storefronts = %s, payment_accounts = %s, deadline = %s"
            " WHERE plan_id = %s",
            (e.households, e.storefronts, e.payment_accounts, None if e.deadline is None else e.deadline.isoformat(),
             str(e.originator_id)),
        )


@dataclass
class RolloutFigures:
    """What a dashboard counts, for one province, district/ward or the nation (see the module doc)."""

    households: int = 0
    verified_households: int = 0
    storefronts: int = 0
    payment_accounts: int = 0
    listings: int = 0
    orders: int = 0
    revenue: Decimal = Decimal(0)

    @property
    def revenue_money(self) -> Money:
        return Money(self.revenue, REVENUE_CURRENCY)


@dataclass(frozen=True)
class RolloutTargets:
    households: int
    storefronts: int
    payment_accounts: int
    deadline: datetime | None


@dataclass
class UnitRollout:
    """One district (2021) or ward (2025) of a province, by the code and scheme its records carry."""

    scheme: int
    code: str
    figures: RolloutFigures = field(default_factory=RolloutFigures)


@dataclass
class ProvinceRolloutReport:
    area: ProvinceArea
    figures: RolloutFigures
    units: list[UnitRollout]
    targets: RolloutTargets | None


@dataclass
class NationalRolloutReport:
    figures: RolloutFigures
    provinces: list[ProvinceRolloutReport]
    target_households: int = NATIONAL_TARGET_HOUSEHOLDS


def _figure_queries(where: str, group: str) -> list[tuple[str, str]]:
    joined = f"JOIN {HOUSEHOLDS} h ON h.id = x.household_id"
    return [
        ("households", f"SELECT {group}, COUNT(*) AS n FROM {HOUSEHOLDS} h WHERE {where} GROUP BY {group}"),
        ("verified_households",
         f"SELECT {group}, COUNT(*) AS n FROM {HOUSEHOLDS} h WHERE {where} AND h.verified = 1 GROUP BY {group}"),
        ("payment_accounts",
         f"SELECT {group}, SUM(h.payment_accounts) AS n FROM {HOUSEHOLDS} h WHERE {where} GROUP BY {group}"),
        ("storefronts", f"SELECT {group}, COUNT(*) AS n FROM {STOREFRONTS} x {joined} WHERE {where} GROUP BY {group}"),
        ("listings",
         f"SELECT {group}, COUNT(*) AS n FROM {LISTINGS} x {joined} WHERE {where} AND x.active = 1 GROUP BY {group}"),
        ("orders", f"SELECT {group}, COUNT(*) AS n FROM {ORDERS} x {joined} WHERE {where}"
                   f" AND x.status <> '{CANCELLED}' GROUP BY {group}"),
    ]


class RolloutQueries:
    """The rollout dashboards: a province's area, the nation, a province's days."""

    def __init__(self, store: ReadStore):
        self.store = store

    def _grouped(self, where: str, params: tuple[Any, ...], columns: tuple[str, ...]) -> dict[tuple[Any, ...],
                                                                                             RolloutFigures]:
        group = ", ".join(f"h.{c}" for c in columns)
        found: dict[tuple[Any, ...], RolloutFigures] = {}
        for figure, sql in _figure_queries(where, group):
            for row in self.store.query(sql, params):
                key = tuple(row[c] for c in columns)
                setattr(found.setdefault(key, RolloutFigures()), figure, int(row["n"] or 0))
        revenue_sql = (f"SELECT {group}, x.revenue FROM {ORDERS} x JOIN {HOUSEHOLDS} h ON h.id = x.household_id"
                       f" WHERE {where} AND x.revenue <> '0'")
        for row in self.store.query(revenue_sql, params):
            figures = found.setdefault(tuple(row[c] for c in columns), RolloutFigures())
            figures.revenue += Decimal(row["revenue"])
        return found

    def _plans(self) -> dict[tuple[int, str], dict[str, Any]]:
        return {(int(r["scheme"]), r["province_code"]): r for r in self.store.query(f"SELECT * FROM {PLANS}")}

    def targets(self, area: ProvinceArea, plans: dict[tuple[int, str], dict[str, Any]] | None = None,
                ) -> RolloutTargets | None:
        """The area's own plan; else, for a province that is the same land in the other scheme (2021:20
        and 2025:20 Lạng Sơn), that one's plan. ``plans``: every plan, when the caller has read them."""
        plans = self._plans() if plans is None else plans
        row = plans.get((area.scheme, area.code))
        if row is None and (same_land := area.same_land) is not None:
            row = plans.get((same_land.scheme, same_land.code))
        if row is None:
            return None
        deadline = row["deadline"]
        return RolloutTargets(int(row["households"]), int(row["storefronts"]), int(row["payment_accounts"]),
                              None if deadline is None else datetime.fromisoformat(deadline))

    def province(self, area: ProvinceArea) -> ProvinceRolloutReport:
        where, params = area_clause(area, "h")
        by_unit = self._grouped(where, params, ("scheme", "unit_code"))
        total = _sum(by_unit.values())
        unit_rows = [UnitRollout(int(scheme), code, figures) for (scheme, code), figures in
                     sorted(by_unit.items(), key=lambda item: (item[0][0] != area.scheme, item[0][0], item[0][1]))]
        return ProvinceRolloutReport(area, total, unit_rows, self.targets(area))

    def national(self) -> NationalRolloutReport:
        """The nation, and every province of the current scheme (each 2021 record in the province it
        became part of, so the provinces add up to the nation)."""
        by_province = self._grouped("1 = 1", (), ("scheme", "province_code"))
        current: dict[str, list[RolloutFigures]] = {}
        for (scheme, code), figures in by_province.items():
            now = code if int(scheme) == units.CURRENT_SCHEME else units.successor(code).code
            current.setdefault(now, []).append(figures)
        plans = self._plans()
        reports = [ProvinceRolloutReport(ProvinceArea(units.CURRENT_SCHEME, p.code), _sum(current.get(p.code, [])), [],
                                         self.targets(ProvinceArea(units.CURRENT_SCHEME, p.code), plans))
                   for p in units.provinces(units.CURRENT_SCHEME)]
        return NationalRolloutReport(_sum(by_province.values()), reports)

    def daily(self, area: ProvinceArea, since: date | None = None, until: date | None = None,
              ) -> list[tuple[str, int, int]]:
        """(ISO day in Vietnam, storefronts opened, orders placed) for each day with either, oldest first,
        within ``since``..``until`` (inclusive) and at most the newest MAX_DAYS days."""
        where, params = area_clause(area, "h")
        days: dict[str, list[int]] = {}
        for index, (table, column) in enumerate(((STOREFRONTS, "opened_day"), (ORDERS, "placed_day"))):
            sql = (f"SELECT x.{column} AS day, COUNT(*) AS n FROM {table} x JOIN {HOUSEHOLDS} h"
                   f" ON h.id = x.household_id WHERE {where}")
            extra: list[Any] = []
            if since is not None:
                sql, extra = sql + f" AND x.{column} >= %s", extra + [since.isoformat()]
            if until is not None:
                sql, extra = sql + f" AND x.{column} <= %s", extra + [until.isoformat()]
            for row in self.store.query(sql + f" GROUP BY x.{column}", (*params, *extra)):
                days.setdefault(row["day"], [0, 0])[index] = int(row["n"])
        return [(day, counts[0], counts[1]) for day, counts in sorted(days.items())][-MAX_DAYS:]


def _sum(parts: Iterable[RolloutFigures]) -> RolloutFigures:
    total = RolloutFigures()
    for part in parts:
        for name in ("households", "verified_households", "storefronts", "payment_accounts", "listings", "orders",
                     "revenue"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
    return total
