"""Process step: an approved BUYER claim refunds its order (PARTIALLY_REFUNDED or REFUNDED), once
per claim, with the claim's decision as the cause. A HOUSEHOLD claim compensates the grower, not the
buyer: it refunds nothing."""

from __future__ import annotations

from typing import Any, ClassVar

from farmgate.core.application import Farmgate
from farmgate.core.domain.claim import CompensationClaim
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import Order
from farmgate.core.policies import Handler, Policy


def refund_approved_claim(app: Farmgate, event: Any) -> None:
    if event.outcome != "APPROVED" or not event.payout:
        return

    def command() -> bool:
        claim = app.load(CompensationClaim, event.originator_id)
        if claim.claimant != "BUYER":
            return False
        order = app.load(Order, claim.order_id)
        if not order.refund_for_claim(claim.id, Money.from_primitive(event.payout)):
            return False
        app.save(order)
        return True

    app.retrying(command, "this order")


class ClaimRefundsOrder(Policy):
    name: ClassVar[str] = "claim-refunds-order"

    def handlers(self) -> dict[str, Handler]:
        return {"CompensationClaim.Decided": refund_approved_claim}
