"""WebhookEndpoint: where a party wants events POSTed, and the secret they are signed with.

Two kinds of party: an export partner (the events of its export orders; one endpoint per partner)
and a marketplace (the topics it chose of its own orders' events: placed, confirmed, cancelled,
dispatched, delivery failed, spoiled, delivered, payment, claim filed / decided / paid, refund; one
endpoint per marketplace). Registering again replaces the URL and secret (and topics): that is how a
party rotates its secret. The previous secret keeps signing, beside the new one, for an overlap
window after the rotation, so the party can switch its receiver over without losing deliveries.

Secrets are Standard Webhooks secrets, ``whsec_`` and the base64 of 24 to 64 random bytes. A secret
is kept as given, because signing needs it (a digest could not sign); it is never returned by the
API nor written to a log.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.canonical_text import canonical_text
from farmgate.core.domain.errors import InvalidInput

WEBHOOK_ENDPOINT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:webhook-endpoint")
SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
MAX_URL_LENGTH = 2000
#: plain http is accepted only to these hosts: development and tests on one machine
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def webhook_endpoint_id_for(partner_id: UUID) -> UUID:
    return uuid5(WEBHOOK_ENDPOINT_NAMESPACE, str(partner_id))


def marketplace_endpoint_id_for(marketplace: str) -> UUID:
    return uuid5(WEBHOOK_ENDPOINT_NAMESPACE, f"marketplace:{marketplace}")


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
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 to 64 bytes. The message never
    repeats the secret, nor how much of it was right."""
    refused = InvalidInput(
        f"secret must be a Standard Webhooks secret: {SECRET_PREFIX} followed by the base64 of "
        f"{MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} random bytes", field)
    if not secret.startswith(SECRET_PREFIX):
        raise refused
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise refused from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise refused
    return secret


def check_topics(topics: list[str], known: frozenset[str], field: list[str]) -> list[str]:
    if not topics:
        raise InvalidInput("topics must name at least one topic", field)
    unknown = sorted(set(topics) - known)
    if unknown:
        raise InvalidInput(f"unknown topics: {', '.join(unknown)}", field)
    return sorted(set(topics))


class WebhookEndpoint(FarmAggregate):
    class Registered(FarmAggregate.Created):
        """An export partner's endpoint (every event of its export orders)."""

        partner_id: UUID
        url: str
        secret: str

    class MarketplaceRegistered(FarmAggregate.Created):
        """A marketplace's endpoint, for the chosen topics of its own orders' events."""

        marketplace: str
        url: str
        secret: str
        topics: list[str]

    class Replaced(FarmAggregate.Event):
        url: str
        secret: str

        def apply(self, endpoint: WebhookEndpoint) -> None:
            if not hmac.compare_digest(self.secret, endpoint.secret):
                endpoint.previous_secret = endpoint.secret
                endpoint.rotated_at = self.timestamp
            endpoint.url = self.url
            endpoint.secret = self.secret

    class TopicsChanged(FarmAggregate.Event):
        topics: list[str]

        def apply(self, endpoint: WebhookEndpoint) -> None:
            endpoint.topics = list(self.topics)

    class BackfillRequested(FarmAggregate.Event):
        """Deliver again the endpoint's events recorded after this log position (and up to this
        event's own position); newer ones are delivered live anyway."""

        after_position: int

    def __init__(self, url: str, secret: str, partner_id: UUID | None = None, marketplace: str | None = None,
                 topics: list[str] | None = None) -> None:
        self.partner_id = partner_id
        self.marketplace = marketplace
        self.topics = list(topics or [])
        self.url = url
        self.secret = secret
        self.previous_secret: str | None = None
        self.rotated_at: datetime | None = None

    @classmethod
    def register(cls, *, partner_id: UUID, url: str, secret: str) -> WebhookEndpoint:
        return cls._start(
            cls.Registered,
            webhook_endpoint_id_for(partner_id),
            partner_id=partner_id,
            url=check_url(url, ["input", "url"]),
            secret=check_secret(secret, ["input", "secret"]),
        )

    @classmethod
    def register_for_marketplace(cls, *, marketplace: str, url: str, secret: str, topics: list[str],
                                 known_topics: frozenset[str]) -> WebhookEndpoint:
        return cls._start(
            cls.MarketplaceRegistered,
            marketplace_endpoint_id_for(marketplace),
            marketplace=marketplace,
            url=check_url(url, ["input", "url"]),
            secret=check_secret(secret, ["input", "secret"]),
            topics=check_topics(topics, known_topics, ["input", "topics"]),
        )

    def replace(self, url: str, secret: str) -> bool:
        """Point the endpoint elsewhere or rotate its secret; False (nothing recorded) if unchanged."""
        url = check_url(url, ["input", "url"])
        secret = check_secret(secret, ["input", "secret"])
        if url == self.url and hmac.compare_digest(secret, self.secret):
            return False
        self._record(self.Replaced, url=url, secret=secret)
        return True

    def change_topics(self, topics: list[str], known_topics: frozenset[str]) -> bool:
        chosen = check_topics(topics, known_topics, ["input", "topics"])
        if chosen == sorted(self.topics):
            return False
        self._record(self.TopicsChanged, topics=chosen)
        return True

    def request_backfill(self, after_position: int) -> None:
        if after_position < 0:
            raise InvalidInput("backfillAfterPosition must be 0 or more", ["input", "backfillAfterPosition"])
        self._record(self.BackfillRequested, after_position=after_position)

    def secrets_in_force(self, now: datetime, overlap: timedelta) -> list[str]:
        """The secrets a delivery sent at ``now`` is signed with: the current one, and the previous
        one while it is within ``overlap`` of the rotation."""
        if self.previous_secret and self.rotated_at is not None and now < self.rotated_at + overlap:
            return [self.secret, self.previous_secret]
        return [self.secret]
