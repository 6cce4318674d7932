"""Recorded events in the API's words: the payload with camelCase keys, Relay global IDs for the ids
it names, and money as the API's ``{amount, currency}``; and a one-line summary a person can read.

Summaries name amounts, statuses, references and actors, never personal data (buyer, phone, address,
national ID): they are shown to every role that sees the event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from farmgate.core.history import EventRecord
from farmgate.graphql.ids import to_global_id

#: event data keys holding another aggregate's id, and the Node type their global ID names
ID_TYPES = {
    "order_id": "Order", "shipment_id": "Shipment", "claim_id": "CompensationClaim", "household_id": "Household",
    "storefront_id": "Storefront", "listing_id": "Listing", "partner_id": "ExportPartner",
    "certification_id": "Certification", "campaign_id": "Campaign", "carrier_id": "Carrier",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def api_payload(data: Any) -> Any:
    """``data`` (already masked for the viewer) with camelCase keys and global IDs."""
    if isinstance(data, list):
        return [api_payload(v) for v in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        node_type = ID_TYPES.get(key)
        if node_type and isinstance(value, str) and _UUID.match(value):
            out[camel(key)] = to_global_id(node_type, value)
        else:
            out[camel(key)] = api_payload(value)
    return out


def _money(value: Any) -> str:
    return f"{value['amount']} {value['currency']}" if isinstance(value, dict) and "amount" in value else "?"


_SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "Order.Placed": lambda d: f"Order {d['number']} placed on {d['marketplace']} for {_money(d['total'])},"
                              f" {d['payment_method']}, promised by {d['promised_by']}",
    "Order.Confirmed": lambda d: "Order confirmed by the household",
    "Order.Cancelled": lambda d: f"Order cancelled: {d['reason']}",
    "Order.PaymentRecorded": lambda d: f"Payment of {_money(d['amount'])} received (ref {d['reference']});"
                                       f" paid {_money(d['amount_paid'])} in all, {d['payment_status']}",
    "Order.RefundFellDue": lambda d: f"Refund of {_money(d['amount_due'])} owed to the buyer: {d['reason']}",
    "Order.RefundRecorded": lambda d: f"Refund of {_money(d['amount'])} returned to the buyer (ref {d['reference']});"
                                      f" {d['payment_status']}",
    "Order.Refunded": lambda d: f"Refund of {_money(d['amount'])} through an approved claim; {d['payment_status']}",
    "Order.ClaimExposureChanged": lambda d: f"{d['claimant']} claim now {d['claim_status']}, committing"
                                            f" {_money(d['committed'])} (paid {_money(d['paid'])})",
    "Order.Dispatched": lambda d: f"Order dispatched with {d['carrier']}, tracking {d['tracking_number']}",
    "Shipment.Dispatched": lambda d: f"Shipment handed to {d['carrier']} ({d['tracking_number']}), promised by"
                                     f" {d['promised_by']}",
    "Shipment.CheckpointRecorded": lambda d: f"Carrier scan {d['checkpoint_status']}"
                                             + (f" at {d['location']}" if d.get("location") else "")
                                             + f"; shipment {d['status']}",
    "Shipment.DeliveryFailed": lambda d: f"Delivery attempt failed: {d['reason']}; shipment {d['status']}",
    "Shipment.Delivered": lambda d: f"Delivered; shipment {d['status']}",
    "Shipment.SpoilageDeclared": lambda d: f"Spoilage declared: {d['note']}",
    "Shipment.ReturnedToSender": lambda d: "Returned to the sender",
    "Shipment.SpoilageWithdrawn": lambda d: f"Automatic spoilage withdrawn: {d['cause']}",
    "Shipment.ContradictionRecorded": lambda d: f"{d['fact']} reported, contradicting the {d['contradicts_type']}"
                                                f" by {d['contradicts_actor']}; kept, status stays {d['status']}",
    "CompensationClaim.Filed": lambda d: f"{d['claimant']} claim filed for {_money(d['amount_claimed'])} ({d['kind']})",
    "CompensationClaim.EvidenceAdded": lambda d: f"Evidence added ({d['evidence'].get('uri', '')})",
    "CompensationClaim.Assessed": lambda d: f"Claim assessed: recommended payout {_money(d['recommended_payout'])}, "
                                            + ", ".join(f"{s['party']} {s['basis_points'] / 100:g}%"
                                                        for s in d["liability"]),
    "CompensationClaim.Decided": lambda d: f"Claim {d['outcome']}"
                                           + (f", payout {_money(d['payout'])}" if d.get("payout") else "")
                                           + f": {d['reason']}",
    "CompensationClaim.CompensationPaid": lambda d: f"{d['payer']} paid {_money(d['amount'])} (ref {d['reference']})"
                                                    + ("; claim settled" if d.get("settled") else ""),
    "CompensationClaim.Withdrawn": lambda d: f"Claim withdrawn: {d['reason']}",
    "CompensationClaim.FlaggedForReview": lambda d: f"Claim flagged for review: {d['reason']}",
    "CompensationClaim.ResponseDeadlineMissed": lambda d: f"Claim still undecided after its deadline {d['respond_by']}",
}


def summary(record: EventRecord) -> str:
    """One line saying what happened, by whom; the generic form for event types without their own."""
    if not record.intact and not record.data:
        return f"{record.stream} event {record.version} no longer decodes"
    words = _SUMMARIES.get(f"{record.stream}.{record.type}")
    try:
        text = words(record.data) if words else f"{record.stream} {record.type}"
    except (KeyError, TypeError, AttributeError):  # an older shape of the event: the generic line
        text = f"{record.stream} {record.type}"
    return f"{text} — {record.actor}" if record.actor else text
