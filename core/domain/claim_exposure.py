"""Claim exposure: how much each claimant's claims on one order may commit, and what they commit.

The limits (issue: "who may claim what"): a BUYER's claims on an order commit at most what the buyer
paid net of refunds made outside claims, never more than the total of a live order and nothing on a
cancelled one (money paid there is owed back, not claimed); a HOUSEHOLD's claims at most the goods
value of the order's lines, whatever was paid (a cash-on-delivery order that spoiled unpaid still
cost the grower its produce). Refunds made through a BUYER claim are that claim's own payout, so
they do not shrink its limit.

``claims`` maps a claim id to primitives: ``claimant``, ``committed``, ``approved``, ``paid``
(Money primitives), as ``Order.ClaimExposureChanged`` records them. One function per rule, shared by
the aggregate (which enforces the limit) and the read side (which shows it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farmgate.core.domain.money import Money

BUYER, HOUSEHOLD = "BUYER", "HOUSEHOLD"
CLAIMANTS = (BUYER, HOUSEHOLD)


def claim_limit(claimant: str, *, total: Money, paid: Money, refunded_directly: Money, cancelled: bool) -> Money:
    """The most ``claimant``'s claims on the order may commit in all, in the order's currency."""
    if claimant == HOUSEHOLD:
        return total
    kept = Money.zero(total.currency) if cancelled else total
    net = paid - refunded_directly
    limit = net if net <= kept else kept
    return limit if limit.is_positive else Money.zero(total.currency)


def claimant_sum(claims: Mapping[str, Mapping[str, Any]], claimant: str, key: str, currency: str,
                 without: str | None = None) -> Money:
    """The sum of ``key`` ("committed", "approved", "paid") over ``claimant``'s claims."""
    total = Money.zero(currency)
    for claim_id, claim in claims.items():
        if claim["claimant"] == claimant and claim_id != without:
            total += Money.from_primitive(claim[key])
    return total


def exposure(claimant: str, claims: Mapping[str, Mapping[str, Any]], limit: Money) -> dict[str, Money]:
    """``claimed`` (committed by open, assessed and approved claims), ``approved``, ``paid``, the
    ``limit`` and the ``room`` left under it (negative when a later refund shrank the limit below
    what was already committed: the case file flags that)."""
    currency = limit.currency
    claimed = claimant_sum(claims, claimant, "committed", currency)
    return {"limit": limit, "claimed": claimed, "approved": claimant_sum(claims, claimant, "approved", currency),
            "paid": claimant_sum(claims, claimant, "paid", currency), "room": limit - claimed}
