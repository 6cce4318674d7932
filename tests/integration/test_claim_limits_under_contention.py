"""Concurrent fileClaim on one order, on SQLite and PostgreSQL: the claim and its order are saved
together, so the order's version check serialises them — two claims that would each fit alone
cannot both pass the claimant's limit."""

from __future__ import annotations

import threading
from uuid import UUID

from farmgate.core.domain.errors import DomainError
from farmgate.core.domain.order import Order
from farmgate.deploy.container import System
from tests.integration.test_orders import a_shop, place


def test_two_concurrent_claims_cannot_both_pass_the_limit(system: System, personal_data) -> None:
    shop = a_shop(system, personal_data, price="45000", stock=1000)
    for round_no in range(5):
        order_id = place(system, personal_data, [(shop.listing_id, 10)])  # 450,000 VND, cash on delivery
        barrier = threading.Barrier(2)
        filed: list[UUID] = []
        refused: list[str] = []

        def file() -> None:
            barrier.wait(timeout=10)
            try:
                # Each alone fits the grower's limit (the goods value); together they would not.
                filed.append(system.app.file_claim(order_id=order_id, kind="SPOILED", claimant="HOUSEHOLD",
                                                   amount="300000", currency="VND", description=f"round {round_no}"))
            except DomainError as error:
                refused.append(error.code)

        threads = [threading.Thread(target=file) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert (len(filed), refused) == (1, ["LIMIT_EXCEEDED"])
        order = system.app.load(Order, order_id)
        assert list(order.claims) == [str(filed[0])]
        assert order.committed_total("HOUSEHOLD").amount == 300000 <= order.claim_limit("HOUSEHOLD").amount
