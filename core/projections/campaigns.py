"""Campaigns: each campaign, the listings joined to it, and the kilograms they sold — domestic orders
by the buyer's province, export lots by the destination country — against the campaign's target.

What counts: a domestic order line of a listing joined to the campaign, placed and not cancelled,
weighing its quantity × the listing's weight per unit (a per-kg listing: 1 kg; a listing of another
unit without a weight counts its orders but no kilograms); an export lot allocated to an export order
of the campaign that was not cancelled. A destination province is given in the campaign's scheme (a
2021 address on a 2025 campaign by the province it became part of; a 2025 address on a 2021 campaign
by the 2021 province of its ward, or ``2025:CODE`` when that is not one province).

Every listing's weight per unit is kept here too (``weight_per_unit_kg``), whether it joined a campaign
or not: the catalog shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain import provinces as units
from farmgate.core.domain.listing import grams_per_unit
from farmgate.core.projections.base import Projection

CAMPAIGNS = "campaigns_v1"
LISTINGS = "campaign_listings_v1"
EXPORT_ORDERS = "campaign_export_orders_v1"
SALES = "campaign_sales_v1"
DOMESTIC, EXPORT = "DOMESTIC", "EXPORT"


def destination_province(campaign_scheme: int, address: dict[str, Any]) -> str:
    """The buyer's province as the campaign's scheme names it (see the module doc)."""
    scheme = int(address.get("scheme") or units.CURRENT_SCHEME)
    code = str(address["province_code"])
    if scheme == campaign_scheme:
        return code
    if scheme == 2021:
        return units.successor(code).code
    ward = address.get("ward_code")
    origins = units.ward_origins(ward) if ward else units.absorbed(code)
    return origins[0].code if len(origins) == 1 else f"{scheme}:{code}"


class CampaignView(Projection):
    name = "campaigns"
    version = 1
    tables = (CAMPAIGNS, LISTINGS, EXPORT_ORDERS, SALES)

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {CAMPAIGNS} (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                product TEXT NOT NULL,
                scheme INTEGER NOT NULL,
                province_code TEXT NOT NULL,
                target_kg BIGINT NOT NULL,
                starts_at TEXT NOT NULL,
                ends_at TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {LISTINGS} (
                listing_id TEXT PRIMARY KEY,
                campaign_id TEXT,
                weight_per_unit_kg TEXT,
                grams_per_unit BIGINT
            )""",
            f"""CREATE TABLE IF NOT EXISTS {EXPORT_ORDERS} (
                export_order_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, destination TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {SALES} (
                sale_id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL,
                campaign_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                destination TEXT NOT NULL,
                grams BIGINT NOT NULL,
                cancelled INTEGER NOT NULL
            )""",
            f"CREATE INDEX IF NOT EXISTS {SALES}_campaign ON {SALES} (campaign_id)",
            f"CREATE INDEX IF NOT EXISTS {SALES}_order ON {SALES} (order_id)",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {
            "Campaign.Launched": self.launched,
            "Listing.Published": self.listing_published,
            "Order.Placed": self.order_placed,
            "Order.Cancelled": self.cancelled,
            "ExportOrder.Opened": self.export_order_opened,
            "ExportOrder.LotAllocated": self.lot_allocated,
            "ExportOrder.Cancelled": self.cancelled,
        }

    def launched(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"INSERT INTO {CAMPAIGNS} (id, name, product, scheme, province_code, target_kg, starts_at, ends_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), e.name, e.product, e.scheme, e.province_code, e.target_kg,
             e.starts_at.isoformat(), e.ends_at.isoformat()),
        )

    def listing_published(self, cur: Cursor, e: Any, position: int) -> None:
        weight = getattr(e, "weight_per_unit_kg", None)
        campaign = getattr(e, "campaign_id", None)
        cur.execute(
            f"INSERT INTO {LISTINGS} (listing_id, campaign_id, weight_per_unit_kg, grams_per_unit)"
            " VALUES (%s, %s, %s, %s)",
            (str(e.originator_id), None if campaign is None else str(campaign), weight, grams_per_unit(e.unit, weight)),
        )

    def order_placed(self, cur: Cursor, e: Any, position: int) -> None:
        ids = [str(line["listing_id"]) for line in e.lines]
        marks = ", ".join(["%s"] * len(ids))
        joined = {r["listing_id"]: r for r in cur.execute(
            f"SELECT l.listing_id, l.campaign_id, l.grams_per_unit, c.scheme FROM {LISTINGS} l"
            f" JOIN {CAMPAIGNS} c ON c.id = l.campaign_id WHERE l.listing_id IN ({marks})", ids).fetchall()}
        for line in e.lines:
            row = joined.get(str(line["listing_id"]))
            if row is None:
                continue
            grams = 0 if row["grams_per_unit"] is None else int(line["quantity"]) * int(row["grams_per_unit"])
            cur.execute(
                f"INSERT INTO {SALES} (sale_id, order_id, campaign_id, kind, destination, grams, cancelled)"
                " VALUES (%s, %s, %s, %s, %s, %s, 0)",
                (f"{e.originator_id}:{line['listing_id']}", str(e.originator_id), row["campaign_id"], DOMESTIC,
                 destination_province(int(row["scheme"]), e.buyer_address), grams),
            )

    def cancelled(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"UPDATE {SALES} SET cancelled = 1 WHERE order_id = %s", (str(e.originator_id),))

    def export_order_opened(self, cur: Cursor, e: Any, position: int) -> None:
        campaign = getattr(e, "campaign_id", None)
        if campaign is not None:
            cur.execute(f"INSERT INTO {EXPORT_ORDERS} (export_order_id, campaign_id, destination) VALUES (%s, %s, %s)",
                        (str(e.originator_id), str(campaign), e.destination_country))

    def lot_allocated(self, cur: Cursor, e: Any, position: int) -> None:
        order = cur.execute(f"SELECT campaign_id, destination FROM {EXPORT_ORDERS} WHERE export_order_id = %s",
                            (str(e.originator_id),)).fetchone()
        if order is None:
            return
        cur.execute(
            f"INSERT INTO {SALES} (sale_id, order_id, campaign_id, kind, destination, grams, cancelled)"
            " VALUES (%s, %s, %s, %s, %s, %s, 0)",
            (f"{e.originator_id}:{e.originator_version}", str(e.originator_id), order["campaign_id"], EXPORT,
             order["destination"], int(e.quantity_kg) * 1000),
        )


@dataclass
class DestinationVolume:
    destination: str
    kind: str
    grams: int
    orders: int

    @property
    def kilograms(self) -> int:
        return self.grams // 1000


@dataclass
class CampaignReport:
    """A campaign and what it sold: kilograms are whole (grams rounded down)."""

    row: dict[str, Any]
    destinations: list[DestinationVolume] = field(default_factory=list)

    def _grams(self, kind: str | None = None) -> int:
        return sum(d.grams for d in self.destinations if kind is None or d.kind == kind)

    @property
    def sold_kg(self) -> int:
        return self._grams() // 1000

    @property
    def domestic_kg(self) -> int:
        return self._grams(DOMESTIC) // 1000

    @property
    def export_kg(self) -> int:
        return self._grams(EXPORT) // 1000


class CampaignQueries:
    def __init__(self, store: ReadStore):
        self.store = store

    def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, CampaignReport]:
        if not ids:
            return {}
        keys = [str(i) for i in ids]
        marks = ", ".join(["%s"] * len(keys))
        reports = {r["id"]: CampaignReport(r) for r in self.store.query(
            f"SELECT * FROM {CAMPAIGNS} WHERE id IN ({marks})", keys)}
        for r in self.store.query(
                f"SELECT campaign_id, kind, destination, SUM(grams) AS grams, COUNT(DISTINCT order_id) AS orders"
                f" FROM {SALES} WHERE cancelled = 0 AND campaign_id IN ({marks})"
                " GROUP BY campaign_id, kind, destination", keys):
            reports[r["campaign_id"]].destinations.append(
                DestinationVolume(r["destination"], r["kind"], int(r["grams"]), int(r["orders"])))
        for report in reports.values():
            report.destinations.sort(key=lambda d: (-d.grams, d.kind, d.destination))
        return {UUID(k): v for k, v in reports.items()}

    def ids(self, limit: int = 200) -> list[UUID]:
        """Every campaign's id (public data), the latest starting first, at most ``limit``."""
        return [UUID(r["id"]) for r in self.store.query(
            f"SELECT id FROM {CAMPAIGNS} ORDER BY starts_at DESC, id LIMIT %s", (limit,))]

    def listings(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        """Each listing's campaign id and weight per unit (kg, a decimal string), by listing id."""
        if not ids:
            return {}
        keys = [str(i) for i in ids]
        marks = ", ".join(["%s"] * len(keys))
        return {UUID(r["listing_id"]): r for r in self.store.query(
            f"SELECT * FROM {LISTINGS} WHERE listing_id IN ({marks})", keys)}
