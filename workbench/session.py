"""The workbench's session: a sealed cookie holding the viewer's bearer token and a CSRF token.

The cookie value is ``base64url(nonce ‖ AES-256-GCM(key, JSON))`` with the JSON
``{"t": token, "c": csrf, "e": expires_at}``: the viewer cannot read or alter it, and no server
keeps sessions (API processes stay stateless). The key is derived (HKDF-SHA256) from
FARMGATE_JWT_SECRET, which production requires to be long and not the default.

A session ends at ``expires_at`` (seconds since the epoch): the earlier of the token's own expiry
and SESSION_SECONDS after sign-in. The token is verified again on every request by the API's
verifier, so a revoked issuer key or an expired token ends the session too.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: the session cookie's name
COOKIE = "fg_workbench"
#: the longest a session lives, seconds (8 hours: one working day)
SESSION_SECONDS = 8 * 3600
NONCE_BYTES = 12


@dataclass(frozen=True)
class Session:
    token: str
    csrf: str
    expires_at: float

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def csrf_matches(self, sent: str | None) -> bool:
        """Whether a form's CSRF field is this session's (constant-time)."""
        return bool(sent) and hmac.compare_digest(self.csrf.encode(), (sent or "").encode())


def new_session(token: str, token_expires_at: float | None, now: float) -> Session:
    """A session for ``token``, with a fresh CSRF token, ending at the earlier of the two expiries."""
    ends = now + SESSION_SECONDS
    if token_expires_at is not None:
        ends = min(ends, token_expires_at)
    return Session(token=token, csrf=secrets.token_urlsafe(32), expires_at=ends)


class SessionSealer:
    """Seals and opens session cookies with a key derived from ``secret`` (bytes, ≥ 16)."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                 info=b"farmgate-workbench-session-v1").derive(secret))

    def seal(self, session: Session) -> str:
        nonce = os.urandom(NONCE_BYTES)
        body = json.dumps({"t": session.token, "c": session.csrf, "e": session.expires_at}).encode()
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, body, COOKIE.encode())).decode().rstrip("=")

    def open(self, value: str | None) -> Session | None:
        """The session a cookie value holds; None when there is none or it was altered or forged."""
        if not value:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            body = json.loads(self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], COOKIE.encode()))
            return Session(token=str(body["t"]), csrf=str(body["c"]), expires_at=float(body["e"]))
        except (InvalidTag, ValueError, KeyError, TypeError, binascii.Error):
            return None
