"""The topics a marketplace may subscribe its webhook endpoint to, and the recorded events each one
carries. Names follow the `<resource>.<what happened>` form of Standard Webhooks' `type` (and of
Saleor's and Shopify's order, fulfilment and refund topics); the enum names are the same, upper-cased.
Events of an order's shipments and claims belong to the order: they are delivered in order with it.
"""

from __future__ import annotations

#: recorded event (aggregate.EventClass) -> topic
TOPIC_OF_EVENT: dict[str, str] = {
    "Order.Placed": "order.placed",
    "Order.Confirmed": "order.confirmed",
    "Order.Cancelled": "order.cancelled",
    "Order.Dispatched": "order.dispatched",
    "Shipment.DeliveryFailed": "order.delivery_failed",
    "Shipment.SpoilageDeclared": "order.spoiled",
    "Shipment.Delivered": "order.delivered",
    "Order.PaymentRecorded": "order.payment_recorded",
    "Order.Refunded": "order.refunded",  # by an approved claim
    "Order.RefundRecorded": "order.refunded",  # a refund reported directly (recordRefund)
    "CompensationClaim.Filed": "claim.filed",
    "CompensationClaim.Decided": "claim.decided",
    "CompensationClaim.CompensationPaid": "claim.paid",
}
#: every audit anchor as it is sealed (core.audit_anchors): a copy of the seal kept outside farmgate
AUDIT_ANCHOR_TOPIC = "audit.anchor"
MARKETPLACE_TOPICS = frozenset(TOPIC_OF_EVENT.values()) | {AUDIT_ANCHOR_TOPIC}
#: the topic of every event of an export order (partners receive them all)
EXPORT_ORDER_TOPIC = "export_order.event"
#: what an export partner's endpoint may receive: its export orders' events, and the audit anchors
PARTNER_TOPICS = frozenset({EXPORT_ORDER_TOPIC, AUDIT_ANCHOR_TOPIC})


def topic_name(topic: str) -> str:
    """'order.delivery_failed' -> 'ORDER_DELIVERY_FAILED' (the GraphQL enum value)."""
    return topic.replace(".", "_").upper()


def topic_of_name(name: str) -> str:
    """'ORDER_DELIVERY_FAILED' -> 'order.delivery_failed'; KeyError for an unknown name."""
    by_name = {topic_name(topic): topic for topic in MARKETPLACE_TOPICS}
    return by_name[name]
