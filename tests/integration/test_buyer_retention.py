"""Retention, with the test clock, the same on SQLite and PostgreSQL: a buyer's personal data is
erased by the worker job once its orders are closed, their claims settled and the retention period
(FARMGATE_BUYER_RETENTION_DAYS) has passed; a buyer with an open order keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from farmgate.core.domain.erasure import RETENTION_REASON, erasure_id_for
from farmgate.core.domain.order import Order
from farmgate.core.domain.personal_data import ERASED
from farmgate.core.history import stream_records, verify
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.integration.test_claims_case_file import T0, MovableClock, incident
from tests.integration.test_orders import a_buyer

RETENTION_DAYS = 30


@pytest.fixture
def retaining(backend_url: str) -> Iterator[tuple[System, MovableClock]]:
    clock = MovableClock(T0)
    system = build_system(Settings(database_url=backend_url, env="test", buyer_retention_days=RETENTION_DAYS),
                          clock=clock)
    yield system, clock
    system.close()


def test_a_buyer_is_erased_by_the_job_once_the_retention_period_after_closing_has_passed(retaining, personal_data) -> None:
    from farmgate.workers import buyer_retention
    from farmgate.workers.runtime import bind_system

    system, clock = retaining
    app = system.app
    ids = incident(system, clock, personal_data)  # spoiled, claimed, approved and paid: closed and settled
    closed = app.buyer_subject_of_order(ids["order"])
    # Another buyer's order, still open (placed, never delivered).
    listing = next(line["listing_id"] for line in app.load(Order, ids["order"]).lines)
    still_open = app.place_order(lines=[{"listing_id": listing, "quantity": 1}], buyer=a_buyer(personal_data),
                                 payment_method="CASH_ON_DELIVERY", marketplace="POSTMART")
    system.catch_up()
    open_subject = app.buyer_subject_of_order(still_open)
    closed_at = app.buyer_closed_at(closed)
    assert closed_at is not None and app.buyer_closed_at(open_subject) is None
    before = system.orders.orders_by_ids([ids["order"]])[ids["order"]]
    bind_system(system)
    # Check nothing is erased a day before the period ends.
    clock.now = closed_at + timedelta(days=RETENTION_DAYS - 1)
    buyer_retention.buyer_retention()
    system.catch_up()
    assert system.orders.orders_by_ids([ids["order"]])[ids["order"]]["buyer_name"] == before["buyer_name"] != ERASED
    assert app.erasure_of(closed) is None
    # Check the day after, the job erases the closed buyer, once, as itself, and not the open one.
    clock.now = closed_at + timedelta(days=RETENTION_DAYS + 1)
    buyer_retention.buyer_retention()
    buyer_retention.buyer_retention()  # the next run finds nothing more to do
    system.catch_up()
    after = system.orders.orders_by_ids([ids["order"], still_open])
    assert (after[ids["order"]]["buyer_name"], after[ids["order"]]["buyer_phone"]) == (ERASED, ERASED)
    assert after[ids["order"]]["status"] == before["status"] and after[ids["order"]]["total_amount"] == before["total_amount"]
    assert after[still_open]["buyer_name"] != ERASED
    records = stream_records(app, erasure_id_for(closed))
    assert [(r.type, r.actor, r.data["reason"]) for r in records] == [("Erased", "SYSTEM:buyer-retention",
                                                                        RETENTION_REASON)]
    assert app.erasure_of(open_subject) is None
    assert verify(app, [ids["order"], ids["shipment"], ids["claim"]]).verified
