"""The rollout and campaign figures recomputed straight from the event log, in plain Python, with none of
the read models' SQL: what the dashboards must equal."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from farmgate.core.domain import provinces as units
from farmgate.core.domain.province_area import ProvinceArea

FOLLOWED = {"Delivered": "DELIVERED", "DeliveryFailed": "DELIVERY_FAILED", "DeliveryResumed": "DISPATCHED",
            "Spoiled": "SPOILED", "Returned": "RETURNED"}


def logged_events(app: Any) -> list[Any]:
    """Every event of the application's notification log, oldest first."""
    events, start = [], 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=500)
        if not page:
            return events
        events += [app.mapper.to_domain_event(n) for n in page]
        start = page[-1].id + 1


@dataclass
class Log:
    households: dict[str, dict[str, Any]] = field(default_factory=dict)
    storefronts: dict[str, str] = field(default_factory=dict)  # id -> household
    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, app: Any) -> Log:
        log = cls()
        for e in logged_events(app):
            stream, name, key = type(e).__qualname__.split(".")[0], type(e).__name__, str(e.originator_id)
            if stream == "Household" and name == "Registered":
                log.households[key] = {"address": e.address, "verified": False, "accounts": 0}
            elif stream == "Household" and name == "Verified":
                log.households[key]["verified"] = True
            elif stream == "Household" and name == "PaymentAccountLinked":
                log.households[key]["accounts"] += 1
            elif stream == "Storefront" and name == "Opened":
                log.storefronts[key] = str(e.household_id)
            elif stream == "Listing":
                if name == "Published":
                    log.listings[key] = {"household": str(e.household_id), "status": "ACTIVE", "unit": e.unit,
                                         "campaign": None if e.campaign_id is None else str(e.campaign_id),
                                         "weight": getattr(e, "weight_per_unit_kg", None)}
                elif name in ("SoldOut", "Paused", "Delisted"):
                    log.listings[key]["status"] = name
                elif name == "BackInStock":
                    log.listings[key]["status"] = "ACTIVE"
                elif name == "Resumed":
                    log.listings[key]["status"] = e.status
            elif stream == "Order":
                if name == "Placed":
                    log.orders[key] = {"household": str(e.household_id), "total": Decimal(e.total["amount"]),
                                       "paid": Decimal(0), "refunded": Decimal(0), "status": "PLACED",
                                       "lines": e.lines, "buyer": e.buyer_address}
                elif name == "Cancelled":
                    log.orders[key]["status"] = "CANCELLED"
                elif name == "PaymentRecorded":
                    log.orders[key]["paid"] = Decimal(e.amount_paid["amount"])
                elif name in ("Refunded", "RefundRecorded"):
                    log.orders[key]["refunded"] = Decimal(e.refunded_total["amount"])
                elif name in FOLLOWED:
                    log.orders[key]["status"] = FOLLOWED[name]
            elif stream == "Campaign":
                log.campaigns[key] = {"scheme": e.scheme, "target": e.target_kg}
            elif stream == "ExportOrder":
                if name == "Opened":
                    log.exports[key] = {"campaign": None if getattr(e, "campaign_id", None) is None
                                        else str(e.campaign_id), "country": e.destination_country, "lots": [],
                                        "cancelled": False}
                elif name == "LotAllocated":
                    log.exports[key]["lots"].append(e.quantity_kg)
                elif name == "Cancelled":
                    log.exports[key]["cancelled"] = True
        return log

    def _in(self, area: ProvinceArea | None, household: str) -> bool:
        a = self.households[household]["address"]
        return area is None or area.covers(int(a["scheme"]), a["province_code"], a.get("ward_code"))

    def figures(self, area: ProvinceArea | None) -> dict[str, Any]:
        """The dashboard's numbers for a province's area (None: the nation)."""
        mine = [h for h in self.households if self._in(area, h)]
        orders = [o for o in self.orders.values() if self._in(area, o["household"]) and o["status"] != "CANCELLED"]
        return {
            "households": len(mine),
            "verified_households": sum(self.households[h]["verified"] for h in mine),
            "payment_accounts": sum(self.households[h]["accounts"] for h in mine),
            "storefronts": sum(self._in(area, h) for h in self.storefronts.values()),
            "listings": sum(self._in(area, x["household"]) and x["status"] == "ACTIVE" for x in self.listings.values()),
            "orders": len(orders),
            "revenue": sum((o["total"] - o["refunded"] for o in orders
                            if o["status"] == "DELIVERED" and o["paid"] >= o["total"]), Decimal(0)),
        }

    def campaign_kilograms(self, campaign: str) -> tuple[int, int, Counter[str]]:
        """(domestic grams, export grams, grams by destination) of a campaign."""
        domestic, export, by = 0, 0, Counter[str]()
        scheme = self.campaigns[campaign]["scheme"]
        for order in self.orders.values():
            if order["status"] == "CANCELLED":
                continue
            for line in order["lines"]:
                listing = self.listings[str(line["listing_id"])]
                if listing["campaign"] != campaign:
                    continue
                per_unit = 1000 if listing["unit"] == "kg" else int(Decimal(listing["weight"] or 0) * 1000)
                grams = line["quantity"] * per_unit
                buyer = order["buyer"]
                where = buyer["province_code"] if int(buyer["scheme"]) == scheme else (
                    units.successor(buyer["province_code"]).code)
                domestic, by[where] = domestic + grams, by[where] + grams
        for exported in self.exports.values():
            if exported["campaign"] == campaign and not exported["cancelled"]:
                grams = sum(exported["lots"]) * 1000
                export, by[exported["country"]] = export + grams, by[exported["country"]] + grams
        return domestic, export, by


def by_unit_counts(log: Log, area: ProvinceArea) -> dict[tuple[int, str], int]:
    """Households per (scheme, district or ward code) of an area."""
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for h, row in log.households.items():
        if log._in(area, h):
            a = row["address"]
            scheme = int(a["scheme"])
            counts[(scheme, (a.get("district_code") if scheme == 2021 else a.get("ward_code")) or "")] += 1
    return dict(counts)
