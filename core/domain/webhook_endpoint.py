"""WebhookEndpoint: where an export partner wants the events of its export orders POSTed, and the
secret they are signed with.

One endpoint per partner (its id derives from the partner's), so registering again replaces the URL
and secret: that is how a partner rotates its secret. The secret is kept as given, because signing
needs it (a digest could not sign); it is never returned by the API nor written to a log.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.canonical_text import canonical_text
from farmgate.core.domain.errors import InvalidInput

WEBHOOK_ENDPOINT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:webhook-endpoint")
MIN_SECRET_LENGTH = 32
MAX_SECRET_LENGTH = 256
MAX_URL_LENGTH = 2000
#: plain http is accepted only to these hosts: development and tests on one machine
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def webhook_endpoint_id_for(partner_id: UUID) -> UUID:
    return uuid5(WEBHOOK_ENDPOINT_NAMESPACE, str(partner_id))


def check_url(url: str, field: list[str]) -> str:
    url = canonical_text(url, field)
    parts = urlsplit(url)
    if len(url) > MAX_URL_LENGTH or not parts.hostname:
        raise InvalidInput("url must be an absolute https:// URL", field)
    if parts.username or parts.password:
        # Credentials in a URL end up in proxies' and servers' logs; the signature authenticates us.
        raise InvalidInput("url must not carry a user name or password", field)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return url
    raise InvalidInput("url must be https:// (plain http only to 127.0.0.1, ::1 or localhost)", field)


def check_secret(secret: str, field: list[str]) -> str:
    # The message never repeats the secret, nor how much of it was right.
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH or not secret.isprintable() or secret != secret.strip():
        raise InvalidInput(
            f"secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} printable characters without surrounding spaces",
            field,
        )
    return secret


def signature(secret: str, body: bytes) -> str:
    """The X-Farmgate-Signature header: HMAC-SHA256 of the raw body with the partner's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookEndpoint(FarmAggregate):
    class Registered(FarmAggregate.Created):
        partner_id: UUID
        url: str
        secret: str

    class Replaced(FarmAggregate.Event):
        url: str
        secret: str

        def apply(self, endpoint: WebhookEndpoint) -> None:
            endpoint.url = self.url
            endpoint.secret = self.secret

    def __init__(self, partner_id: UUID, url: str, secret: str) -> None:
        self.partner_id = partner_id
        self.url = url
        self.secret = secret

    @classmethod
    def register(cls, *, partner_id: UUID, url: str, secret: str) -> WebhookEndpoint:
        return cls._start(
            cls.Registered,
            webhook_endpoint_id_for(partner_id),
            partner_id=partner_id,
            url=check_url(url, ["input", "url"]),
            secret=check_secret(secret, ["input", "secret"]),
        )

    def replace(self, url: str, secret: str) -> bool:
        """Point the endpoint elsewhere or rotate its secret; False (nothing recorded) if unchanged."""
        url = check_url(url, ["input", "url"])
        secret = check_secret(secret, ["input", "secret"])
        if url == self.url and hmac.compare_digest(secret, self.secret):
            return False
        self._record(self.Replaced, url=url, secret=secret)
        return True
