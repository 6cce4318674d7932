"""The last kilos of a popular listing, raced for by many buyers at once: never oversold, never lost.

Real concurrent requests, on PostgreSQL and on SQLite: several processes, each with its own
farmgate system on one database; and threads of one process sharing two systems. Stock 50; 8
workers place 20 orders of 1 each; exactly 50 are accepted, the rest are told OUT_OF_STOCK (or
CONFLICT after the bounded retries), and the event store agrees with every answer given.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest

from farmgate.core.domain.errors import DomainError
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.order import Order
from farmgate.core.domain.order_number import numbering_year
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from tests.integration.test_orders import HANOI, a_shop
from tests.personal_data import PersonalData

STOCK = 50
WORKERS = 8
ORDERS_EACH = 20
ACCEPTED = "ACCEPTED"
#: how long a worker may wait for the others to be ready, or the parent for a worker's answers
DEADLINE_SECONDS = 120

Outcome = tuple[str, str | None]
#: Settings for a client process (the library reads names prefixed with the application's first).
#: One client needs few connections, where the default pool opens 10 per process at start (8 of
#: those beside other test runs would exhaust the server's 100); and the parent made the tables, so
#: a client must not race the others on DDL (PostgreSQL: "tuple concurrently updated").
CLIENT_PROCESS_ENV = {
    "FARMGATE_POSTGRES_POOL_SIZE": "2",
    "FARMGATE_POSTGRES_MAX_OVERFLOW": "2",
    "FARMGATE_CREATE_TABLE": "n",
}


def settings(url: str) -> Settings:
    return Settings(database_url=url, env="test")


def place_orders(system: System, listing_id: UUID, phones: list[str]) -> list[Outcome]:
    """One buyer's requests, one after another, each for one kilo; what each was told."""
    outcomes: list[Outcome] = []
    for phone in phones:
        try:
            order_id = system.app.place_order(
                lines=[{"listing_id": listing_id, "quantity": 1}],
                buyer={"name": "Người mua", "phone": phone, "address": dict(HANOI)},
                payment_method="CASH_ON_DELIVERY",
            )
        except DomainError as refused:
            outcomes.append((refused.code, None))
        else:
            outcomes.append((ACCEPTED, str(order_id)))
    return outcomes


def process_worker(url: str, listing_id: str, phones: list[str], ready: Any, results: Any) -> None:
    """A separate process: its own system on the shared database, started together with the others."""
    os.environ.update(CLIENT_PROCESS_ENV)
    system = build_system(settings(url), create_tables=False)
    try:
        ready.wait(DEADLINE_SECONDS)
        results.put(place_orders(system, UUID(listing_id), phones))
    except BaseException as error:  # reported to the parent, which fails the test with it
        results.put([("CRASHED", type(error).__name__)])
    finally:
        system.close()


def phones_for_workers(pd: PersonalData) -> list[list[str]]:
    # Made by the parent so the last test knows every phone used and can look for it in the logs.
    return [[pd.phone() for _ in range(ORDERS_EACH)] for _ in range(WORKERS)]


def race_in_processes(url: str, listing_id: UUID, pd: PersonalData) -> list[Outcome]:
    context = multiprocessing.get_context("spawn")  # no forked connection pools
    ready = context.Barrier(WORKERS)
    results = context.Queue()
    workers = [
        context.Process(target=process_worker, args=(url, str(listing_id), phones, ready, results))
        for phones in phones_for_workers(pd)
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = [outcome for _ in workers for outcome in results.get(timeout=DEADLINE_SECONDS)]
    finally:
        for worker in workers:
            worker.join(timeout=DEADLINE_SECONDS)
            if worker.is_alive():
                worker.kill()
    return outcomes


def race_in_threads(systems: list[System], listing_id: UUID, pd: PersonalData) -> list[Outcome]:
    """Threads sharing the given systems in turn: those of one system queue for the order-number
    sequence, those of different systems race for it (and for the listing) as processes would."""
    ready = threading.Barrier(WORKERS, timeout=DEADLINE_SECONDS)

    def worker(system: System, phones: list[str]) -> list[Outcome]:
        ready.wait()
        return place_orders(system, listing_id, phones)

    with ThreadPoolExecutor(WORKERS) as pool:
        runs = [pool.submit(worker, systems[n % len(systems)], phones)
                for n, phones in enumerate(phones_for_workers(pd))]
        return [outcome for run in runs for outcome in run.result(timeout=DEADLINE_SECONDS)]


def assert_never_oversold_and_nothing_lost(system: System, listing_id: UUID, outcomes: list[Outcome]) -> None:
    assert len(outcomes) == WORKERS * ORDERS_EACH
    accepted = [UUID(order_id) for code, order_id in outcomes if code == ACCEPTED]
    refusals = {code for code, _ in outcomes if code != ACCEPTED}
    assert refusals <= {"OUT_OF_STOCK", "CONFLICT"}, refusals
    assert len(accepted) == STOCK

    listing = system.app.load(Listing, listing_id)
    assert (listing.stock_quantity, listing.status) == (0, "SOLD_OUT")
    reservations = [e for e in system.app.stored_events(listing_id) if type(e).__name__ == "StockReserved"]
    # Check stock never went negative on the way, and each accepted order holds exactly its kilo.
    assert all(e.stock_quantity >= 0 for e in reservations)
    assert sum(e.quantity for e in reservations) == len(accepted)
    assert sorted(e.order_id for e in reservations) == sorted(accepted)

    # Check every order a buyer was told about is in the event store, numbered without gaps.
    orders = [system.app.load(Order, order_id) for order_id in accepted]
    year = numbering_year(orders[0].placed_at)
    assert sorted(o.number for o in orders) == [f"FG-{year}-{n:06d}" for n in range(1, STOCK + 1)]

    system.catch_up()
    rows, total = system.orders.page(after=0, limit=100)
    assert total == STOCK and {UUID(r["id"]) for r in rows} == set(accepted)
    assert system.catalog.listing(listing_id)["stock_quantity"] == 0


def a_hot_listing(system: System, pd: PersonalData) -> UUID:
    return a_shop(system, pd, stock=STOCK, title="Vải thiều Lục Ngạn loại 1").listing_id


def test_processes_racing_on_postgresql_never_oversell(postgres_system: System, postgres_url: str,
                                                        personal_data) -> None:
    listing_id = a_hot_listing(postgres_system, personal_data)
    outcomes = race_in_processes(postgres_url, listing_id, personal_data)
    assert_never_oversold_and_nothing_lost(postgres_system, listing_id, outcomes)


def test_processes_racing_on_sqlite_never_oversell(sqlite_system: System, sqlite_url: str, personal_data) -> None:
    listing_id = a_hot_listing(sqlite_system, personal_data)
    outcomes = race_in_processes(sqlite_url, listing_id, personal_data)
    assert_never_oversold_and_nothing_lost(sqlite_system, listing_id, outcomes)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_threads_of_one_process_never_oversell(backend: str, request: pytest.FixtureRequest, personal_data) -> None:
    system: System = request.getfixturevalue(f"{backend}_system")
    second = build_system(settings(request.getfixturevalue(f"{backend}_url")), create_tables=False)
    try:
        listing_id = a_hot_listing(system, personal_data)
        outcomes = race_in_threads([system, second], listing_id, personal_data)
    finally:
        second.close()
    assert_never_oversold_and_nothing_lost(system, listing_id, outcomes)

