"""Orders, payments and shipments end to end, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from farmgate.core.domain.carrier import VNPOST
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition, NotFound, OutOfStock
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.order import Order
from farmgate.core.domain.order_number import numbering_year
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.personal_data import PersonalData

LANG_SON = {"scheme": 2021, "province_code": "20", "district_code": "187"}
BAC_GIANG = {"scheme": 2021, "province_code": "24", "district_code": "219"}
HANOI = {"scheme": 2021, "province_code": "01", "district_code": "005", "street": "Ngõ 12 Chùa Láng"}


@dataclass
class Shop:
    household_id: UUID
    storefront_id: UUID
    listing_id: UUID


def a_shop(system: System, pd: PersonalData, *, marketplace: str = "POSTMART", address: dict[str, Any] = LANG_SON,
           stock: int = 100, shelf_life_hours: int = 48, price: str = "45000", title: str = "Na dai Chi Lăng") -> Shop:
    app = system.app
    household = app.register_household(name="Hộ Hoàng Văn Na", national_id=pd.national_id(), phone=pd.phone(),
                                       address=address)
    storefront = app.open_storefront(household_id=household, marketplace=marketplace, name="Vườn na Chi Lăng",
                                     location={"latitude": 21.66, "longitude": 106.61}, opening_hours=[])
    return Shop(household, storefront, another_listing(system, storefront, stock=stock, price=price, title=title,
                                                       shelf_life_hours=shelf_life_hours))


def another_listing(system: System, storefront_id: UUID, *, stock: int = 100, price: str = "45000",
                    title: str = "Na dai Chi Lăng", shelf_life_hours: int = 48) -> UUID:
    return system.app.publish_listing(
        storefront_id=storefront_id, title=title, description=None, category="FRUIT", unit="kg",
        unit_price={"amount": price, "currency": "VND"}, stock_quantity=stock, shelf_life_hours=shelf_life_hours,
    )


def a_buyer(pd: PersonalData, phone: str | None = None) -> dict[str, Any]:
    return {"name": "Trần Thị Mai", "phone": phone or pd.phone(), "address": dict(HANOI)}


def place(system: System, pd: PersonalData, lines: list[tuple[UUID, int]], **overrides: Any) -> UUID:
    args: dict[str, Any] = dict(
        lines=[{"listing_id": listing_id, "quantity": quantity} for listing_id, quantity in lines],
        buyer=a_buyer(pd), payment_method="CASH_ON_DELIVERY",
    )
    args.update(overrides)
    return system.app.place_order(**args)


def head(system: System) -> int:
    return int(system.app.recorder.max_notification_id() or 0)


def event_names(system: System, aggregate_id: UUID) -> list[str]:
    return [type(e).__name__ for e in system.app.stored_events(aggregate_id)]


# -- placing -----------------------------------------------------------------------------------------


def test_a_placed_order_reserves_its_stock_and_reads_back_exact(system: System, personal_data) -> None:
    shop = a_shop(system, personal_data)
    rice = another_listing(system, shop.storefront_id, stock=10, price="250000", title="Gạo Bao Thai",
                           shelf_life_hours=8760)
    first = place(system, personal_data, [(shop.listing_id, 3), (rice, 1)], payment_method="E_WALLET")
    second = place(system, personal_data, [(rice, 2)])

    # Check the stock was taken for exactly these orders.
    na, bags = system.app.load(Listing, shop.listing_id), system.app.load(Listing, rice)
    assert (na.stock_quantity, bags.stock_quantity) == (97, 7)
    reserved = [e for e in system.app.stored_events(rice) if type(e).__name__ == "StockReserved"]
    assert [(e.order_id, e.quantity) for e in reserved] == [(first, 1), (second, 2)]

    system.catch_up()
    orders = system.orders.orders_by_ids([first, second, uuid4()])
    row = orders[first]
    placed_at = datetime.fromisoformat(row["placed_at"])
    year = numbering_year(placed_at)
    assert (row["number"], orders[second]["number"]) == (f"FG-{year}-000001", f"FG-{year}-000002")
    assert (row["status"], row["payment_method"], row["payment_status"]) == ("PLACED", "E_WALLET", "PENDING")
    # Check money is exact text: 3 × 45,000 + 250,000.
    assert (row["total_amount"], row["currency"], row["amount_paid"]) == ("385000", "VND", "0")
    assert datetime.fromisoformat(row["promised_by"]) - placed_at == timedelta(hours=48) and row["perishable"]
    assert (row["marketplace"], row["storefront_id"], row["household_id"]) == (
        "POSTMART", str(shop.storefront_id), str(shop.household_id))
    assert row["buyer_address"]["province_code"] == "01" and row["buyer_phone"].startswith("+84")
    lines = system.orders.lines_for_orders([first, second])
    assert [(line["listing_id"], line["quantity"], line["unit_price"], line["line_total"])
            for line in lines[first]] == [(str(shop.listing_id), 3, "45000", "135000"), (str(rice), 1, "250000", "250000")]
    assert system.orders.order_by_number(f"fg-{year}-000002 ")["id"] == str(second)
    assert system.catalog.listing(rice)["stock_quantity"] == 7


def test_an_order_that_cannot_be_filled_whole_reserves_nothing_and_records_nothing(
    system: System, personal_data
) -> None:
    shop = a_shop(system, personal_data)
    scarce = another_listing(system, shop.storefront_id, stock=2, title="Na bở")
    elsewhere = a_shop(system, personal_data, marketplace="VOSO", address=BAC_GIANG, title="Vải thiều Lục Ngạn")
    before = head(system)

    with pytest.raises(OutOfStock) as out:
        place(system, personal_data, [(shop.listing_id, 5), (scarce, 3)])
    assert out.value.field == ["input", "lines", "1", "quantity"]
    with pytest.raises(NotFound) as missing:
        place(system, personal_data, [(uuid4(), 1)])
    assert missing.value.field == ["input", "lines", "0", "listingId"]
    with pytest.raises(NotFound) as out_of_scope:
        # A Voso caller asking for a Postmart listing is told it does not exist.
        place(system, personal_data, [(shop.listing_id, 1)], marketplace="VOSO")
    assert out_of_scope.value.field == ["input", "lines", "0", "listingId"]
    with pytest.raises(InvalidInput) as two_shops:
        place(system, personal_data, [(shop.listing_id, 1), (elsewhere.listing_id, 1)])
    assert two_shops.value.field == ["input", "lines", "1", "listingId"]
    bad_phone = "0" + "1" * 9
    with pytest.raises(InvalidInput) as phone:
        place(system, personal_data, [(shop.listing_id, 1)], buyer=a_buyer(personal_data, bad_phone))
    assert phone.value.field == ["input", "buyer", "phone"] and bad_phone not in phone.value.message
    with pytest.raises(InvalidInput) as method:
        place(system, personal_data, [(shop.listing_id, 1)], payment_method="CHEQUE")
    assert method.value.field == ["input", "paymentMethod"]

    # Check nothing at all was recorded, and the first line's stock was not taken.
    assert head(system) == before
    assert system.app.load(Listing, shop.listing_id).stock_quantity == 100
    system.app.pause_listing(scarce)
    with pytest.raises(InvalidTransition) as paused:
        place(system, personal_data, [(scarce, 1)])
    assert paused.value.field == ["input", "lines", "0", "listingId"]


def test_cancelling_puts_the_stock_back_and_is_refused_once_dispatched(system: System, personal_data) -> None:
    shop = a_shop(system, personal_data, stock=5)
    order = place(system, personal_data, [(shop.listing_id, 5)])
    # Check the last kilos sold it out, and cancelling brings it back on sale.
    assert system.app.load(Listing, shop.listing_id).status == "SOLD_OUT"
    system.app.confirm_order(order)
    system.app.cancel_order(order, "Người mua đổi ý")
    listing = system.app.load(Listing, shop.listing_id)
    assert (listing.stock_quantity, listing.status) == (5, "ACTIVE")
    assert [(e.order_id, e.quantity) for e in system.app.stored_events(shop.listing_id)
            if type(e).__name__ == "StockReleased"] == [(order, 5)]

    shipped = place(system, personal_data, [(shop.listing_id, 2)])
    system.app.confirm_order(shipped)
    system.app.dispatch_order(shipped, carrier="VNPost", tracking_number="EB100000001VN")
    with pytest.raises(InvalidTransition) as too_late:
        system.app.cancel_order(shipped, "Hết hàng")
    assert too_late.value.field == ["input", "orderId"]
    with pytest.raises(NotFound):
        system.app.cancel_order(uuid4(), "no such order")
    system.catch_up()
    rows = system.orders.orders_by_ids([order, shipped])
    assert (rows[order]["status"], rows[order]["cancel_reason"]) == ("CANCELLED", "Người mua đổi ý")
    assert rows[shipped]["status"] == "DISPATCHED" and rows[shipped]["carrier"] == "VNPost"
    assert system.catalog.listing(shop.listing_id)["stock_quantity"] == 3


def test_partial_payments_stay_pending_and_an_over_payment_is_recorded_and_owed_back(
    system: System, personal_data
) -> None:
    shop = a_shop(system, personal_data)
    order = place(system, personal_data, [(shop.listing_id, 4)], payment_method="POST_OFFICE_COUNTER")
    paid_at = system.app.clock()
    system.app.record_payment(order, amount={"amount": "100000", "currency": "VND"}, reference="BĐVHX-001",
                              occurred_at=paid_at)
    with pytest.raises(InvalidInput) as fraction:
        system.app.record_payment(order, amount={"amount": "1.5", "currency": "VND"}, reference="X-1",
                                  occurred_at=paid_at)
    assert fraction.value.field == ["input", "amount", "amount"]
    with pytest.raises(InvalidInput) as euros:
        system.app.record_payment(order, amount={"amount": "10.00", "currency": "EUR"}, reference="X-2",
                                  occurred_at=paid_at)
    assert euros.value.field == ["input", "amount", "currency"]
    with pytest.raises(InvalidInput) as future:
        system.app.record_payment(order, amount={"amount": "1000", "currency": "VND"}, reference="X-3",
                                  occurred_at=system.app.clock() + timedelta(hours=1))
    assert future.value.field == ["input", "occurredAt"]

    system.catch_up()
    row = system.orders.orders_by_ids([order])[order]
    assert (row["payment_status"], row["amount_paid"]) == ("PENDING", "100000")
    system.app.record_payment(order, amount={"amount": "80000", "currency": "VND"}, reference="BĐVHX-002",
                              occurred_at=paid_at)
    system.catch_up()
    row = system.orders.orders_by_ids([order])[order]
    assert (row["payment_status"], row["amount_paid"], row["total_amount"]) == ("PAID", "180000", "180000")
    payments = system.orders.payments_for_orders([order])[order]
    assert [(p["amount"], p["reference"]) for p in payments] == [("100000", "BĐVHX-001"), ("80000", "BĐVHX-002")]
    assert datetime.fromisoformat(payments[0]["occurred_at"]) == paid_at
    # A payment beyond the total (the counter took it twice) is a fact: recorded, the excess owed back.
    system.app.record_payment(order, amount={"amount": "80001", "currency": "VND"}, reference="BĐVHX-003",
                              occurred_at=paid_at)
    with pytest.raises(AlreadyExists):
        system.app.record_payment(order, amount={"amount": "80001", "currency": "VND"}, reference="BĐVHX-003",
                                  occurred_at=paid_at)
    system.catch_up()
    row = system.orders.orders_by_ids([order])[order]
    assert (row["payment_status"], row["amount_paid"], row["refund_due"]) == ("REFUND_DUE", "260001", "80001")
    assert len(system.orders.payments_for_orders([order])[order]) == 3
    assert system.app.load(Order, order).flags == ["OVERPAID"]


# -- shipments ---------------------------------------------------------------------------------------


def test_the_order_follows_its_shipment_through_the_process_step_once(system: System, personal_data) -> None:
    shop = a_shop(system, personal_data)
    order = place(system, personal_data, [(shop.listing_id, 2)])
    system.app.confirm_order(order)
    shipment = system.app.dispatch_order(order, carrier="Viettel Post", tracking_number="VTP-2021-7",
                                         harvested_at=system.app.clock() - timedelta(hours=4))
    now = system.app.clock()
    # Check the order is dispatched at once with its one shipment.
    assert system.app.load(Order, order).status == "DISPATCHED"
    with pytest.raises(InvalidTransition):
        system.app.dispatch_order(order, carrier="VNPost", tracking_number="EB200000001VN")

    with recording(Provenance("CARRIER:viettel-bot", "req-carrier-1")):
        system.app.record_checkpoint(shipment, status="IN_TRANSIT", occurred_at=now, location="Kho Bắc Ninh",
                                     raw_status="Đang vận chuyển")
        system.app.record_delivery_failure(shipment, reason="RECIPIENT_UNREACHABLE", occurred_at=now,
                                           note="Gọi không nghe máy")
        system.app.record_checkpoint(shipment, status="OUT_FOR_DELIVERY", occurred_at=system.app.clock())
        system.app.confirm_delivery(shipment, occurred_at=system.app.clock(), received_by="Chị Mai")
    system.catch_up()

    events = list(system.app.stored_events(order))
    assert [type(e).__name__ for e in events] == [
        "Placed", "Confirmed", "Dispatched", "DeliveryFailed", "DeliveryResumed", "Delivered"]
    followed = events[3:]
    assert {e.actor for e in followed} == {"SYSTEM:order-follows-shipment"}
    assert [e.causation_id for e in followed] == [f"{shipment}:{v}" for v in (3, 4, 5)]
    # Check the carrier's request id follows into what the process step recorded.
    assert {e.correlation_id for e in followed} == {"req-carrier-1"}

    # At-least-once: the step re-reading the whole log records nothing new.
    with system.store.transaction() as cur:
        cur.execute("UPDATE projection_tracking SET position = 0 WHERE name = %s", ("policy:order-follows-shipment",))
    system.catch_up()
    assert len(list(system.app.stored_events(order))) == 6

    assert system.orders.orders_by_ids([order])[order]["status"] == "DELIVERED"
    row = system.orders.shipments_by_ids([shipment])[shipment]
    assert (row["status"], row["received_by"], row["carrier"], row["order_number"]) == (
        "DELIVERED", "Chị Mai", "Viettel Post", system.app.load(Order, order).number)
    assert [s["id"] for s in system.orders.shipments_for_orders([order])[order]] == [str(shipment)]
    checkpoints = system.orders.checkpoints_for_shipments([shipment])[shipment]
    assert [c["status"] for c in checkpoints] == [
        "INFO_RECEIVED", "IN_TRANSIT", "ATTEMPT_FAILED", "OUT_FOR_DELIVERY", "DELIVERED"]
    assert checkpoints[1]["raw_status"] == "Đang vận chuyển" and checkpoints[1]["actor"] == "CARRIER:viettel-bot"
    failures = system.orders.failures_for_shipments([shipment, uuid4()])
    assert [(f["reason"], f["note"]) for f in failures[shipment]] == [("RECIPIENT_UNREACHABLE", "Gọi không nghe máy")]
    assert list(failures.values())[1] == []

    # The issue changes this: spoilage declared after the delivery is kept as a contradiction, moving nothing.
    system.app.declare_spoilage(shipment, occurred_at=system.app.clock(), note="too late")
    system.catch_up()
    assert type(list(system.app.stored_events(shipment))[-1]).__name__ == "ContradictionRecorded"
    assert system.orders.orders_by_ids([order])[order]["status"] == "DELIVERED"


def test_a_carrier_reporting_hours_late_keeps_world_time_apart_from_recorded_time(
    backend_url: str, personal_data
) -> None:
    # World time is the application's clock, moved here; recorded time is the real time of recording.
    dispatched = datetime.now(timezone.utc) - timedelta(hours=6)
    clock = {"now": dispatched}
    system = build_system(Settings(database_url=backend_url, env="test"), clock=lambda: clock["now"])
    shop = a_shop(system, personal_data)
    order = place(system, personal_data, [(shop.listing_id, 1)])
    system.app.confirm_order(order)
    shipment = system.app.dispatch_order(order, carrier="VNPost", tracking_number="EB300000001VN")
    now = clock["now"] = dispatched + timedelta(hours=6)
    system.app.record_checkpoint(shipment, status="OUT_FOR_DELIVERY", occurred_at=now)
    # The hub scan of five hours ago arrives now: history, not the current status.
    system.app.record_checkpoint(shipment, status="IN_TRANSIT", occurred_at=now - timedelta(hours=5),
                                 location="Bưu cục Hà Đông")
    system.catch_up()
    assert system.orders.shipments_by_ids([shipment])[shipment]["status"] == "OUT_FOR_DELIVERY"
    checkpoints = system.orders.checkpoints_for_shipments([shipment])[shipment]
    assert [c["status"] for c in checkpoints] == ["INFO_RECEIVED", "IN_TRANSIT", "OUT_FOR_DELIVERY"]
    late = checkpoints[1]
    occurred, recorded = datetime.fromisoformat(late["occurred_at"]), datetime.fromisoformat(late["recorded_at"])
    assert occurred == now - timedelta(hours=5) and recorded - occurred >= timedelta(hours=5)
    system.close()


# -- the read model ----------------------------------------------------------------------------------


def test_orders_page_by_the_callers_filters_and_scopes(system: System, personal_data) -> None:
    postmart = a_shop(system, personal_data)
    voso = a_shop(system, personal_data, marketplace="VOSO", address=BAC_GIANG, title="Vải thiều")
    first = place(system, personal_data, [(postmart.listing_id, 1)])
    second = place(system, personal_data, [(voso.listing_id, 1)])
    third = place(system, personal_data, [(postmart.listing_id, 2)])
    system.app.confirm_order(third)
    system.app.dispatch_order(third, carrier="VNPost", tracking_number="EB400000001VN")
    system.catch_up()

    def ids(**filters: Any) -> tuple[list[UUID], int]:
        filters.setdefault("after", 0)
        filters.setdefault("limit", 100)
        rows, total = system.orders.page(**filters)
        return [UUID(r["id"]) for r in rows], total

    assert ids() == ([first, second, third], 3)
    assert ids(marketplace="POSTMART") == ([first, third], 2)
    assert ids(storefront_id=voso.storefront_id) == ([second], 1)
    assert ids(household_id=postmart.household_id, status="DISPATCHED") == ([third], 1)
    assert ids(carrier_id=VNPOST.id) == ([third], 1)
    # Check a household's scope and a filter for another household find nothing together.
    assert ids(household_scope=voso.household_id, household_id=postmart.household_id) == ([], 0)
    rows, total = system.orders.page(after=0, limit=1, marketplace="POSTMART")
    assert [UUID(r["id"]) for r in rows] == [first] and total == 2
    assert ids(after=rows[0]["position"], marketplace="POSTMART") == ([third], 2)
    assert system.orders.shipments_for_orders([first, third])[first] == []
    assert system.orders.orders_by_ids([]) == {} and system.orders.lines_for_orders([]) == {}


def test_the_read_model_rebuilds_from_the_log_to_the_same_rows(system: System, personal_data) -> None:
    shop = a_shop(system, personal_data)
    order = place(system, personal_data, [(shop.listing_id, 3)])
    system.app.confirm_order(order)
    shipment = system.app.dispatch_order(order, carrier="VNPost", tracking_number="EB500000001VN")
    system.app.record_delivery_failure(shipment, reason="AREA_RESTRICTED", occurred_at=system.app.clock())
    system.catch_up()

    def snapshot() -> Any:
        q = system.orders
        return (q.orders_by_ids([order]), q.lines_for_orders([order]), q.shipments_by_ids([shipment]),
                q.checkpoints_for_shipments([shipment]), q.failures_for_shipments([shipment]))

    before = snapshot()
    projection = next(p for p in system.projector.projections if p.name == "orders_and_shipments")
    system.projector.reset(projection)
    assert system.orders.orders_by_ids([order]) == {}
    system.catch_up()
    assert snapshot() == before
    assert before[0][order]["status"] == "DELIVERY_FAILED" and Decimal(before[0][order]["total_amount"]) == 135000
