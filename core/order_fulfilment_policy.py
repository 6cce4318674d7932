"""The order follows its shipment: delivered, delivery failed, back on its way, spoiled, returned.

A process step, not part of the shipment's save: a carrier's report must never wait on (or fail
because of) the order. It may lag and may run twice for one event; ``Order.follow_shipment``
ignores a cause it has applied and news older than what it has followed. What it records carries
the shipment event's id as its causation id (the PolicyRunner's provenance).

When a late fact withdraws the shipment's automatic spoilage (``Shipment.SpoilageWithdrawn``), the
SPOILED order follows its shipment again, and the order's open SPOILED claims are flagged for
dispute staff, naming the withdrawal as the cause.
"""

from __future__ import annotations

from typing import Any

from farmgate.core.application import Farmgate
from farmgate.core.domain.shipment import Shipment
from farmgate.core.policies import Handler, Policy, causation_of

#: every shipment event that may change the shipment's status (each carries the status after it)
SHIPMENT_NEWS = ("CheckpointRecorded", "DeliveryFailed", "Delivered", "SpoilageDeclared", "ReturnedToSender")


def shipment_moved(app: Farmgate, event: Any) -> None:
    app.follow_shipment(event.originator_id, event.originator_version, event.status, event.occurred_at)


def spoilage_withdrawn(app: Farmgate, event: Any) -> None:
    app.follow_shipment(event.originator_id, event.originator_version, event.status, event.occurred_at,
                        withdraws_spoilage=True)
    order_id = app.load(Shipment, event.originator_id).order_id
    app.flag_claims_for_review(order_id, ("SPOILED",), f"The spoilage this claim is about was withdrawn: {event.cause}",
                               causation_of(event))


class OrderFollowsShipment(Policy):
    name = "order-follows-shipment"

    def handlers(self) -> dict[str, Handler]:
        return {**{f"Shipment.{news}": shipment_moved for news in SHIPMENT_NEWS},
                "Shipment.SpoilageWithdrawn": spoilage_withdrawn}
