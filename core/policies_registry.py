"""Every process step farmgate runs, in order."""

from __future__ import annotations

from farmgate.core.claim_refund_policy import ClaimRefundsOrder
from farmgate.core.order_fulfilment_policy import OrderFollowsShipment
from farmgate.core.policies import Policy


def all_policies() -> list[Policy]:
    return [OrderFollowsShipment(), ClaimRefundsOrder()]
