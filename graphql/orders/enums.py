"""The contract's order, payment and delivery enums, with the core's values."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class PaymentMethod(Enum):
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    E_WALLET = "E_WALLET"
    BANK_TRANSFER = "BANK_TRANSFER"
    POST_OFFICE_COUNTER = "POST_OFFICE_COUNTER"


@strawberry.enum
class PaymentStatus(Enum):
    PENDING = "PENDING"
    PAID = "PAID"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    FAILED = "FAILED"
    REFUND_DUE = strawberry.enum_value(
        "REFUND_DUE", description="Money was paid that the order may not keep (it was cancelled, a payment"
        " arrived after the cancel, or more than the total was paid): owed back until recordRefund records it"
        " returned. An addition to the contract."
    )


@strawberry.enum(description="A contradiction the order's money facts show, recorded rather than refused (an addition"
                 " to the contract).")
class OrderFlag(Enum):
    OVERPAID = strawberry.enum_value(
        "OVERPAID", description="More than the total was paid (a duplicate charge, a payment past what was"
        " outstanding) and the excess is not yet returned: it is owed back (refundDue); `overpaid` says how much."
        " Clears once refunds cover the excess; the case file keeps the flag.")
    OVER_REFUNDED = strawberry.enum_value(
        "OVER_REFUNDED", description="More was returned to the buyer than was paid. Clears once later payments"
        " cover the refunds; the case file keeps the flag.")


@strawberry.enum
class OrderStatus(Enum):
    PLACED = "PLACED"
    CONFIRMED = "CONFIRMED"
    DISPATCHED = "DISPATCHED"
    DELIVERED = "DELIVERED"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    SPOILED = "SPOILED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class ShipmentStatus(Enum):
    INFO_RECEIVED = "INFO_RECEIVED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    ATTEMPT_FAILED = "ATTEMPT_FAILED"
    AVAILABLE_FOR_PICKUP = "AVAILABLE_FOR_PICKUP"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"
    SPOILED = "SPOILED"


@strawberry.enum
class DeliveryFailureReason(Enum):
    AREA_RESTRICTED = strawberry.enum_value(
        "AREA_RESTRICTED", description="Delivery area under movement restrictions (e.g. lockdown under Directive 16)."
    )
    RECIPIENT_UNREACHABLE = "RECIPIENT_UNREACHABLE"
    ADDRESS_INVALID = "ADDRESS_INVALID"
    REFUSED_BY_RECIPIENT = "REFUSED_BY_RECIPIENT"
    DAMAGED_IN_TRANSIT = "DAMAGED_IN_TRANSIT"
    CARRIER_CAPACITY = "CARRIER_CAPACITY"
    WEATHER = "WEATHER"
    OTHER = "OTHER"
