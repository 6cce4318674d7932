"""A webhook receiver's check, written from the Standard Webhooks specification (standardwebhooks.com,
"Verifying webhooks"), independently of the library farmgate signs with: HMAC-SHA256 keyed with the
base64-decoded secret (after `whsec_`) over "<webhook-id>.<webhook-timestamp>.<body>", base64, as
`v1,<signature>` among the space-separated `webhook-signature` values; and a timestamp no further
than the tolerance from the receiver's clock, so a captured delivery cannot be replayed later."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

TOLERANCE_SECONDS = 5 * 60


class Rejected(Exception):
    pass


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Raise Rejected unless the delivery is signed with ``secret`` and fresh."""
    message_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature", "")
    if not message_id or not timestamp or not timestamp.isdigit() or not signatures:
        raise Rejected("missing headers")
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        raise Rejected("timestamp outside the tolerance: a replay, or a clock far off")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for signature in signatures.split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
            return
    raise Rejected("no signature matches the secret")
