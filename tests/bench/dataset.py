"""A seeded generator of a province's data, written through the real application services, shaped
like DOMAIN.md: two households to a storefront (45,000 storefronts for 90,000 households), each
storefront on one of the two marketplaces with a few listings of the province's produce; buyers in
the cities order from them; most orders are paid and confirmed, many dispatched with carrier
checkpoints, a few delivered late enough to end in a compensation claim.

As a bench module it reports how fast the services take that mix (the write path as a whole, not
one command) and how much it wrote. ``generate`` is usable on its own by other modules.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from uuid import UUID

from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.bench import scale
from tests.bench.pg import scratch_database

SEED = 16
#: province code, share of households, a box of its farmland (south, north, west, east)
PROVINCES = [("20", 0.6, (21.32, 22.45, 106.08, 107.35)), ("24", 0.25, (21.12, 21.62, 106.10, 106.95)),
             ("66", 0.15, (12.40, 13.40, 107.50, 108.90))]
PRODUCE = [("Vải thiều", "FRUIT", "35000"), ("Na dai", "FRUIT", "45000"), ("Hồi khô", "PROCESSED_FOOD", "120000"),
           ("Gạo nếp", "RICE_AND_GRAIN", "28000"), ("Mật ong hoa nhãn", "PROCESSED_FOOD", "250000"),
           ("Rau cải", "VEGETABLE", "15000"), ("Sầu riêng Ri6", "FRUIT", "90000")]
CITIES = ["01", "79", "31", "48"]  # Hà Nội, TP Hồ Chí Minh, Hải Phòng, Đà Nẵng
LISTINGS_PER_STOREFRONT = 2
ORDERS_PER_STOREFRONT = 2
CONFIRMED, DISPATCHED, CLAIMED = 0.8, 0.5, 0.03


@dataclass
class Generated:
    """What ``generate`` wrote: ids, and counts by kind."""

    households: list[UUID] = field(default_factory=list)
    storefronts: list[UUID] = field(default_factory=list)
    listings: list[UUID] = field(default_factory=list)
    orders: list[UUID] = field(default_factory=list)
    shipments: list[UUID] = field(default_factory=list)
    claims: list[UUID] = field(default_factory=list)


def generate(system: System, households: int, seed: int = SEED) -> Generated:
    """Write ``households`` households and their storefronts, listings, orders, shipments and claims
    through ``system.app``; the same seed writes the same data (ids aside)."""
    rng = random.Random(seed)
    app, made = system.app, Generated()
    for n in range(households):
        code, _, (south, north, west, east) = rng.choices(PROVINCES, weights=[p[1] for p in PROVINCES])[0]
        made.households.append(app.register_household(
            name=f"Hộ {rng.choice(['Nguyễn', 'Trần', 'Lê', 'Hoàng', 'Vi', 'Nông'])} Văn {n}",
            national_id=f"0{code}{seed % 10}{n:08d}", phone=f"09{(seed * 7919 + n) % 100_000_000:08d}",
            address={"scheme": 2021, "province_code": code}))
        if n % 2:
            continue  # two households to a storefront
        storefront = app.open_storefront(
            household_id=made.households[-1], marketplace=rng.choice(["POSTMART", "VOSO"]), name=f"Vườn {n}",
            location={"latitude": rng.uniform(south, north), "longitude": rng.uniform(west, east)}, opening_hours=[])
        made.storefronts.append(storefront)
        prices = []
        for title, category, price in rng.sample(PRODUCE, LISTINGS_PER_STOREFRONT):
            prices.append(price)
            made.listings.append(app.publish_listing(
                storefront_id=storefront, title=f"{title} {rng.choice(['loại 1', 'VietGAP', 'chính vụ'])}",
                description=None, category=category, unit="kg", unit_price={"amount": price, "currency": "VND"},
                stock_quantity=rng.randint(200, 5_000), shelf_life_hours=rng.choice([48, 72, 720])))
        for m in range(ORDERS_PER_STOREFRONT):
            which = rng.randrange(LISTINGS_PER_STOREFRONT)
            listing, price = made.listings[-LISTINGS_PER_STOREFRONT + which], prices[which]
            quantity = rng.randint(1, 10)
            paid = rng.random() < 0.5
            order = app.place_order(
                lines=[{"listing_id": listing, "quantity": quantity}],
                buyer={"name": f"Người mua {n}-{m}", "phone": f"03{(n * 10 + m) % 100_000_000:08d}",
                       "address": {"scheme": 2021, "province_code": rng.choice(CITIES)}},
                payment_method="E_WALLET" if paid else "CASH_ON_DELIVERY")
            made.orders.append(order)
            if paid:
                app.record_payment(order, amount={"amount": str(int(price) * quantity), "currency": "VND"},
                                   reference=f"VW-{n}-{m}", occurred_at=datetime.now(timezone.utc))
            if rng.random() > CONFIRMED:
                continue
            app.confirm_order(order)
            if rng.random() > DISPATCHED / CONFIRMED:
                continue
            shipment = app.dispatch_order(order, carrier="VNPost", tracking_number=f"EL{n * 10 + m:09d}VN")
            made.shipments.append(shipment)
            for k in range(rng.randint(1, 4)):
                app.record_checkpoint(shipment, status="IN_TRANSIT", occurred_at=datetime.now(timezone.utc),
                                      location=f"bưu cục {k}")
            if paid and rng.random() < 2 * CLAIMED / DISPATCHED:  # only a paid order has money to claim
                made.claims.append(app.file_claim(
                    order_id=order, kind="LATE_DELIVERY", claimant="BUYER", amount=price, currency="VND",
                    description="giao muộn", evidence=[{"sha256": f"{n:064x}", "uri": f"https://e.example/{n}"}]))
    return made


def run(report: Callable[..., None]) -> None:
    """Generate the scale's households through the services; report the mix's rate and its size."""
    households = scale.current().households
    with scratch_database() as url:
        system = build_system(Settings(database_url=url, env="test"))
        try:
            started = time.perf_counter()
            made = generate(system, households)
            took = time.perf_counter() - started
            events = system.projector.head()
            report(f"generated through the services: {households:,} households", took, "s")
            report("generated: events written per second (the whole write mix, 1 thread)", events / took, "events/s")
            for kind in ("storefronts", "listings", "orders", "shipments", "claims"):
                report(f"generated: {kind}", len(getattr(made, kind)), kind)
            report("generated: events in the log", events, "events")
            started = time.perf_counter()
            system.catch_up()
            report("generated: catching every read model up, events per second", events / (time.perf_counter() - started),
                   "events/s")
        finally:
            system.close()
