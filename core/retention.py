"""Retention of buyers' personal data: a buyer's data is erased once every order of it is closed
(delivered, cancelled, returned or spoiled), every claim on them settled (paid, rejected or
withdrawn), and the retention period (``FARMGATE_BUYER_RETENTION_DAYS``) has passed since the last
of those orders last changed (its newest event's world time: a claim's settlement is noted on its
order too). The erasure is recorded like one on request, by ``SYSTEM:buyer-retention``, with the
reason ``RETENTION_REASON``.

It reads the write side only (the key store's subjects and the orders' streams), so a lagging read
model cannot make it erase early.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from farmgate.core.domain.erasure import RETENTION_REASON
from farmgate.core.domain.errors import NotFound
from farmgate.core.domain.order import CANCELLED, DELIVERED, RETURNED, SPOILED, Order
from farmgate.core.domain.provenance import Provenance, recording

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate

CLOSED_ORDER_STATUSES = (DELIVERED, CANCELLED, RETURNED, SPOILED)
SETTLED_CLAIM_STATUSES = ("PAID", "REJECTED", "WITHDRAWN")
RETENTION_ACTOR = "SYSTEM:buyer-retention"


class RetentionCommands:
    def buyer_closed_at(self: Farmgate, subject: str) -> datetime | None:
        """When the last of the buyer's orders was closed with its claims settled, or None while one
        is still open (or unsettled), or the buyer has no order."""
        closed: list[datetime] = []
        for order_id in self.personal_keys.streams_of(subject):
            try:
                order = self.load(Order, order_id)
            except NotFound:
                continue  # noted while its save failed: no such order
            if order.status not in CLOSED_ORDER_STATUSES:
                return None
            if any(claim["status"] not in SETTLED_CLAIM_STATUSES for claim in order.claims.values()):
                return None
            closed.append(self._last_occurred(order_id))
        return max(closed) if closed else None

    def _last_occurred(self: Farmgate, stream_id: UUID) -> datetime:
        newest = next(iter(self.events.get(stream_id, desc=True, limit=1)))
        return newest.occurred_at

    def erase_expired_buyers(self: Farmgate, retention: timedelta, now: datetime | None = None) -> list[str]:
        """Erase every buyer whose retention period ran out by ``now`` (default: the clock); returns
        the subjects erased. Idempotent: an erased buyer is no longer a live subject."""
        now = now or self.clock()
        erased = []
        for subject in self.personal_keys.live_subjects("buyer:"):
            closed_at = self.buyer_closed_at(subject)
            if closed_at is None or now < closed_at + retention:
                continue
            with recording(Provenance(actor=RETENTION_ACTOR, correlation_id=f"retention:{now.isoformat()}")):
                self.erase_personal_data(subject=subject, reason=RETENTION_REASON)
            erased.append(subject)
        return erased
