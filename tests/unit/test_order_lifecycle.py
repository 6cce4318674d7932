"""State machines (hypothesis) over the real use cases on the in-memory backend.

Orders: whatever buyers, households and payers do, in any order, stock never goes negative and
reserved stock balances what live orders hold; every payment and refund counts; what takes paid −
refunded past the total of a live order, and what is paid and not returned on a cancelled one, is
owed back; a payment is flagged OVERPAID only when something is owed back (never with 0 due), a
refund OVER_REFUNDED only past what was paid and not yet returned; a refused command records nothing. Shipments:
whatever carriers, staff and the watchdog report, in any order and however late, every fact is
recorded (refused only before the dispatch or against the in-flight table); a final status stays
final but for an automatic spoilage withdrawn by a delivery or return that happened before it;
there is one ending in effect, and once the process step has run the order's status is its
shipment's — and running the step again changes nothing.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from farmgate.core.domain.errors import DomainError, InvalidInput, InvalidTransition, OutOfStock
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.order import ORDER_STATUS_FOR_SHIPMENT, Order
from farmgate.core.domain.shipment import (
    CHECKPOINT_STATUSES, DELIVERY_FAILURE_REASONS, FINAL, SHIPMENT_STATUSES, Shipment,
)
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.personal_data import PersonalData

START = datetime(2021, 8, 3, 1, 0, tzinfo=timezone.utc)
PRICE = Decimal(45000)
STOCK = {"na": 20, "rice": 5}
BUYER_ADDRESS = {"scheme": 2021, "province_code": "01", "district_code": "005"}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Farm:
    """A system in memory with one household, its storefront and two listings."""

    def __init__(self) -> None:
        self.pd = PersonalData.shared()
        self.clock = Clock()
        self.system: System = build_system(Settings(database_url="memory://", env="test"), clock=self.clock)
        app = self.system.app
        household = app.register_household(name="Hộ Hoàng Văn Na", national_id=self.pd.national_id(),
                                           phone=self.pd.phone(), address={"scheme": 2021, "province_code": "20"})
        storefront = app.open_storefront(household_id=household, marketplace="VOSO", name="Na Chi Lăng",
                                         location={"latitude": 21.66, "longitude": 106.61}, opening_hours=[])
        self.listings = {
            "na": app.publish_listing(storefront_id=storefront, title="Na dai", description=None, category="FRUIT",
                                      unit="kg", unit_price={"amount": str(PRICE), "currency": "VND"},
                                      stock_quantity=STOCK["na"], shelf_life_hours=48),
            "rice": app.publish_listing(storefront_id=storefront, title="Gạo", description=None,
                                        category="RICE_AND_GRAIN", unit="bao", unit_price={"amount": str(PRICE),
                                        "currency": "VND"}, stock_quantity=STOCK["rice"], shelf_life_hours=8760),
        }
        self.references = itertools.count(1)

    @property
    def app(self) -> Any:
        return self.system.app

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def place(self, quantities: dict[str, int]) -> UUID:
        return self.app.place_order(
            lines=[{"listing_id": self.listings[name], "quantity": q} for name, q in quantities.items()],
            buyer={"name": "Trần Thị Mai", "phone": self.pd.phone(), "address": BUYER_ADDRESS},
            payment_method="CASH_ON_DELIVERY",
        )

    def refused(self, command: Any, *errors: type[DomainError]) -> bool:
        """Run a command; True if refused with one of ``errors`` — after checking it recorded nothing."""
        head = self.head()
        try:
            command()
        except errors:
            assert self.head() == head, "a refused command recorded events"
            return True
        return False


class OrderLifecycle(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.farm = Farm()
        self.stock = dict(STOCK)
        self.model: dict[UUID, dict[str, Any]] = {}

    def teardown(self) -> None:
        self.farm.system.close()

    @rule(target=orders, na=st.integers(-1, 9), rice=st.integers(-1, 3))
    def place(self, na: int, rice: int) -> Any:
        quantities = {name: q for name, q in (("na", na), ("rice", rice)) if q != 0}
        accepted = bool(quantities) and all(1 <= q <= self.stock[name] for name, q in quantities.items())
        order_id = None

        def command() -> None:
            nonlocal order_id
            order_id = self.farm.place(quantities)

        if self.farm.refused(command, InvalidInput, OutOfStock):
            assert not accepted
            return multiple()
        assert accepted
        for name, q in quantities.items():
            self.stock[name] -= q
        self.model[order_id] = {"lines": quantities, "status": "PLACED", "paid": Decimal(0), "refunded": Decimal(0),
                                "total": PRICE * sum(quantities.values())}
        return order_id

    @rule(order=orders)
    def confirm(self, order: UUID) -> None:
        expected = self.model[order]["status"] == "PLACED"
        if not self.farm.refused(lambda: self.farm.app.confirm_order(order), InvalidTransition):
            assert expected
            self.model[order]["status"] = "CONFIRMED"
        else:
            assert not expected

    @rule(order=orders)
    def cancel(self, order: UUID) -> None:
        expected = self.model[order]["status"] in ("PLACED", "CONFIRMED")
        if not self.farm.refused(lambda: self.farm.app.cancel_order(order, "người mua đổi ý"), InvalidTransition):
            assert expected
            self.model[order]["status"] = "CANCELLED"
            for name, q in self.model[order]["lines"].items():
                self.stock[name] += q
        else:
            assert not expected

    @rule(order=orders)
    def dispatch(self, order: UUID) -> None:
        expected = self.model[order]["status"] == "CONFIRMED"
        def dispatch() -> None:
            self.farm.app.dispatch_order(order, carrier="VNPost", tracking_number="EB0001VN")

        if not self.farm.refused(dispatch, InvalidTransition):
            assert expected
            self.model[order]["status"] = "DISPATCHED"
        else:
            assert not expected

    @rule(order=orders, quarters=st.sampled_from([-1, 0, 1, 2, 3, 5, 8]), currency=st.sampled_from(["VND", "EUR"]))
    def pay(self, order: UUID, quarters: int, currency: str) -> None:
        # Quarters of what is outstanding: partial payments, and over-payments just past the line.
        outstanding = self.model[order]["total"] - self.model[order]["paid"]
        self._pay(order, outstanding * quarters // 4 or Decimal(quarters), currency)

    @rule(order=orders)
    def pay_one_dong_too_many(self, order: UUID) -> None:
        self._pay(order, self.model[order]["total"] - self.model[order]["paid"] + 1, "VND")

    @rule(order=orders)
    def pay_what_is_outstanding(self, order: UUID) -> None:
        self._pay(order, self.model[order]["total"] - self.model[order]["paid"], "VND")

    def _pay(self, order: UUID, amount: Decimal, currency: str) -> None:
        entry = self.model[order]
        # A payment is a fact: recorded whatever the order's state or what is outstanding; what the order
        # may not keep (all of it once cancelled, the excess over the total) is owed back.
        expected = currency == "VND" and amount > 0
        money = {"amount": str(amount) if currency == "VND" else "10.00", "currency": currency}
        pay = lambda: self.farm.app.record_payment(  # noqa: E731
            order, amount=money, reference=f"R-{next(self.farm.references)}", occurred_at=self.farm.clock.now)
        overpaid_before = max(entry["paid"] - entry["refunded"] - entry["total"], Decimal(0))
        known = len(self._dues(order))
        if not self.farm.refused(pay, InvalidInput, InvalidTransition):
            assert expected
            entry["paid"] += amount
            # Overpaid only by the part that takes paid − refunded past the total (nothing when the
            # payment only makes good an over-refund); after a cancel, flagged whatever it was.
            overpaid = max(entry["paid"] - entry["refunded"] - entry["total"], Decimal(0)) - overpaid_before
            dues = self._dues(order)[known:]
            if entry["status"] == "CANCELLED":
                assert [e.flag for e in dues] == ["PAID_AFTER_CANCEL"]
            else:
                assert [(e.flag, Decimal(e.amount_due["amount"])) for e in dues] == (
                    [("OVERPAID", overpaid_before + overpaid)] if overpaid else [])
        else:
            assert not expected

    @rule(order=orders, part=st.sampled_from(["overpaid", "left", "a_dong_more", "one"]))
    def refund(self, order: UUID, part: str) -> None:
        # Money returned: the overpayment only, all that is left to return, a dong past it, or 1 VND.
        entry = self.model[order]
        left = entry["paid"] - entry["refunded"]
        amount = {"overpaid": left - entry["total"], "left": left, "a_dong_more": left + 1, "one": Decimal(1)}[part]
        money = {"amount": str(amount), "currency": "VND"}
        refund = lambda: self.farm.app.record_refund(  # noqa: E731
            order, amount=money, reference=f"RF-{next(self.farm.references)}", occurred_at=self.farm.clock.now)
        if not self.farm.refused(refund, InvalidInput):
            assert amount > 0
            entry["refunded"] += amount
            flag = self._last(order, "RefundRecorded").flag
            # A refund is over-refunded only by the part past what was paid and not yet returned.
            assert flag == ("OVER_REFUNDED" if amount > left else None)
        else:
            assert amount <= 0

    def _last(self, order: UUID, event: str) -> Any:
        return [e for e in self.farm.app.stored_events(order) if type(e).__name__ == event][-1]

    def _dues(self, order: UUID) -> list[Any]:
        return [e for e in self.farm.app.stored_events(order) if type(e).__name__ == "RefundFellDue"]

    @rule()
    def project(self) -> None:
        self.farm.system.catch_up()
        rows = self.farm.system.orders.orders_by_ids(list(self.model))
        for order_id, entry in self.model.items():
            row = rows[order_id]
            assert (row["status"], Decimal(row["amount_paid"]), Decimal(row["total_amount"])) == (
                entry["status"], entry["paid"], entry["total"])
        listed = self.farm.system.catalog.listings_by_ids(list(self.farm.listings.values()))
        assert {name: listed[i]["stock_quantity"] for name, i in self.farm.listings.items()} == self.stock

    @invariant()
    def stock_balances_and_never_goes_negative(self) -> None:
        held = {name: 0 for name in STOCK}
        for entry in self.model.values():
            if entry["status"] != "CANCELLED":
                for name, q in entry["lines"].items():
                    held[name] += q
        for name, listing_id in self.farm.listings.items():
            listing = self.farm.app.load(Listing, listing_id)
            assert listing.stock_quantity == self.stock[name] >= 0
            assert listing.stock_quantity + held[name] == STOCK[name]

    @invariant()
    def every_payment_counts_and_what_may_not_be_kept_is_owed_back(self) -> None:
        for order_id, entry in self.model.items():
            order = self.farm.app.load(Order, order_id)
            assert order.amount_paid.amount == entry["paid"] and order.total.amount == entry["total"]
            assert order.refunded.amount == entry["refunded"]
            net = entry["paid"] - entry["refunded"]
            over = max(net - entry["total"], Decimal(0))
            over_refunded = entry["refunded"] > entry["paid"]
            assert order.overpaid.amount == over
            assert order.flags == (["OVERPAID"] if over else []) + (["OVER_REFUNDED"] if over_refunded else [])
            if entry["status"] == "CANCELLED":
                assert order.refund_due.amount == max(net, Decimal(0))
            else:
                assert order.refund_due.amount == over
            if not entry["refunded"]:
                if entry["status"] == "CANCELLED":
                    assert order.payment_status == ("REFUND_DUE" if entry["paid"] else "PENDING")
                else:
                    assert order.payment_status == (
                        "REFUND_DUE" if over else "PAID" if entry["paid"] == entry["total"] else "PENDING")
            assert order.status == entry["status"]
            # The case file's OVERPAID is never a flag with nothing owed back.
            assert all(Decimal(e.amount_due["amount"]) > 0 for e in self._dues(order_id) if e.flag == "OVERPAID")


class ShipmentLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.farm = Farm()
        app = self.farm.app
        self.order_id = self.farm.place({"na": 1})
        app.confirm_order(self.order_id)
        self.shipment_id = app.dispatch_order(self.order_id, carrier="Viettel Post", tracking_number="VTP-0001",
                                              harvested_at=START - timedelta(hours=3))
        self.final: str | None = None
        self.dispatched_at = self.shipment().dispatched_at

    def teardown(self) -> None:
        self.farm.system.close()

    def shipment(self) -> Shipment:
        return self.farm.app.load(Shipment, self.shipment_id)

    def report(self, command: Any) -> None:
        """A fact reported about the shipment: recorded, even after an ending, unless it happened
        before the dispatch or breaks the in-flight table (refused cleanly, recording nothing)."""
        was_final = self.shipment().is_final
        refused = self.farm.refused(command, InvalidTransition, InvalidInput)
        assert not (refused and was_final and self.farm.clock.now - timedelta(hours=12) > self.dispatched_at)

    @rule(hours=st.integers(0, 30))
    def time_passes(self, hours: int) -> None:
        self.farm.clock.now += timedelta(hours=hours)

    @rule(status=st.sampled_from(CHECKPOINT_STATUSES), hours_late=st.integers(0, 12))
    def carrier_scans(self, status: str, hours_late: int) -> None:
        occurred_at = self.farm.clock.now - timedelta(hours=hours_late)
        self.report(lambda: self.farm.app.record_checkpoint(self.shipment_id, status=status, occurred_at=occurred_at,
                                                            raw_status=f"carrier says {status.lower()}"))

    @rule(reason=st.sampled_from(DELIVERY_FAILURE_REASONS), hours_late=st.integers(0, 12))
    def delivery_fails(self, reason: str, hours_late: int) -> None:
        occurred_at = self.farm.clock.now - timedelta(hours=hours_late)
        self.report(lambda: self.farm.app.record_delivery_failure(self.shipment_id, reason=reason,
                                                                  occurred_at=occurred_at))

    @rule()
    def buyer_receives_it(self) -> None:
        self.report(lambda: self.farm.app.confirm_delivery(self.shipment_id, occurred_at=self.farm.clock.now,
                                                           received_by="Chị Mai"))

    @rule()
    def staff_declare_spoilage(self) -> None:
        self.report(lambda: self.farm.app.declare_spoilage(self.shipment_id, occurred_at=self.farm.clock.now,
                                                           note="Na hỏng"))

    @rule()
    def watchdog_runs(self) -> None:
        now = self.farm.clock.now
        due = self.shipment().is_overdue(now)
        assert self.farm.app.declare_overdue_spoilage([self.shipment_id], now) == ([self.shipment_id] if due else [])
        if due:
            spoiled = self.shipment()
            assert (spoiled.status, spoiled.spoiled_at) == ("SPOILED", spoiled.promised_by)

    @rule()
    def process_step_runs(self) -> None:
        system = self.farm.system
        system.catch_up()
        shipment, order = self.shipment(), self.farm.app.load(Order, self.order_id)
        assert order.status == ORDER_STATUS_FOR_SHIPMENT[shipment.status]
        assert system.orders.orders_by_ids([self.order_id])[self.order_id]["status"] == order.status
        assert system.orders.shipments_by_ids([self.shipment_id])[self.shipment_id]["status"] == shipment.status

    @rule()
    def process_step_runs_again_from_the_start(self) -> None:
        """At-least-once: a policy that re-reads the whole log records nothing new."""
        system = self.farm.system
        system.catch_up()
        before = len(list(self.farm.app.stored_events(self.order_id)))
        with system.store.transaction() as cur:
            cur.execute("UPDATE projection_tracking SET position = 0 WHERE name = %s",
                        (system.policies.policies[0].tracking_name,))
        system.policies.catch_up()
        assert len(list(self.farm.app.stored_events(self.order_id))) == before

    @invariant()
    def a_final_status_stays_final_and_the_way_ends_once(self) -> None:
        shipment = self.shipment()
        assert shipment.status in SHIPMENT_STATUSES
        events = list(self.farm.app.stored_events(self.shipment_id))
        withdrawn = [e for e in events if type(e).__name__ == "SpoilageWithdrawn"]
        if self.final is not None and shipment.status != self.final:
            # Only an automatic spoilage gives way, to a delivery or return that happened before it.
            assert self.final == "SPOILED" and withdrawn and shipment.status in ("DELIVERED", "RETURNED_TO_SENDER")
            assert all(e.actor.startswith("SYSTEM:") for e in events if type(e).__name__ == "SpoilageDeclared")
        if shipment.is_final:
            self.final = shipment.status
        endings = [e for e in events if type(e).__name__ in ("Delivered", "SpoilageDeclared", "ReturnedToSender")]
        assert len(endings) - len(withdrawn) == (1 if shipment.status in FINAL else 0)
        assert (shipment.delivered_at is not None) == (shipment.status == "DELIVERED")
        assert (shipment.spoiled_at is not None) == (shipment.status == "SPOILED")


_settings = settings(max_examples=60, stateful_step_count=25, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
TestOrderLifecycle = OrderLifecycle.TestCase
TestOrderLifecycle.settings = _settings
TestShipmentLifecycle = ShipmentLifecycle.TestCase
TestShipmentLifecycle.settings = _settings
