"""Signing webhook deliveries to the Standard Webhooks specification (standardwebhooks.com, "Signature
scheme"): three headers, `webhook-id` (the message's stable id, the same on every retry),
`webhook-timestamp` (integer Unix seconds of this attempt) and `webhook-signature`, a space-separated
list of `v1,<base64 HMAC-SHA256 over "id.timestamp.body">`, one per secret in force.

The timestamp is signed, so a receiver that refuses timestamps more than a few minutes from its
clock refuses a captured delivery replayed later. While a rotated-out secret is still in its
overlap window, deliveries carry a signature by each secret, so a receiver holding either accepts.
Signatures are made by the `standardwebhooks` package, the specification's own implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from standardwebhooks import Webhook


def signed_headers(message_id: str, at: datetime, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """The three Standard Webhooks headers of ``body`` sent at ``at``, signed with each of ``secrets``
    (`whsec_…` secrets, newest first)."""
    if not secrets:
        raise ValueError("a delivery needs at least one signing secret")
    at = at.astimezone(timezone.utc)  # the library reads the datetime's fields as UTC
    text = body.decode("utf-8")
    signatures = [Webhook(secret).sign(message_id, at, text) for secret in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
