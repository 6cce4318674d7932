"""Webhook use cases: a party's endpoint (register or replace, for an export partner or a
marketplace), and what a delivery needs of it. Deliveries themselves are kept by the outbox
(``core.projections.webhook_outbox``); where they may go is ``core.webhook_destinations``."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from farmgate.core.domain.errors import NotFound
from farmgate.core.domain.export_partner import ExportPartner
from farmgate.core.domain.webhook_endpoint import (
    WebhookEndpoint,
    check_secret,
    check_topics,
    check_url,
    marketplace_endpoint_id_for,
    webhook_endpoint_id_for,
)
from farmgate.core.webhook_destinations import DestinationPolicy
from farmgate.core.webhook_topics import MARKETPLACE_TOPICS, PARTNER_TOPICS

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate


class WebhookCommands:
    #: where deliveries may go; the composition root sets the production policy and resolver
    webhook_destinations: DestinationPolicy = DestinationPolicy()

    def register_webhook_endpoint(self: Farmgate, *, partner_id: UUID, url: str, secret: str,
                                  topics: list[str] | None = None) -> UUID:
        """Register the partner's endpoint, or replace its URL and secret if it has one. ``topics``
        (of PARTNER_TOPICS: its export orders' events, the audit anchors): what it receives; None
        keeps what it had (its export orders' events, when first registered)."""
        check_url(url, ["input", "url"])
        check_secret(secret, ["input", "secret"])
        if topics is not None:
            check_topics(topics, PARTNER_TOPICS, ["input", "topics"])
        self.webhook_destinations.check_registration(url.strip(), ["input", "url"])

        def command() -> UUID:
            self.load(ExportPartner, partner_id, ["input", "partnerId"])
            try:
                endpoint = self.load(WebhookEndpoint, webhook_endpoint_id_for(partner_id))
            except NotFound:
                endpoint = WebhookEndpoint.register(partner_id=partner_id, url=url, secret=secret)
            else:
                endpoint.replace(url, secret)
            if topics is not None:
                endpoint.change_topics(topics, PARTNER_TOPICS)
            self.save(endpoint)
            return endpoint.id

        return self.retrying(command, "this webhook endpoint")

    def register_marketplace_webhook_endpoint(self: Farmgate, *, marketplace: str, url: str, secret: str,
                                              topics: list[str], backfill_after_position: int | None = None) -> UUID:
        """Register the marketplace's endpoint for ``topics`` of its own orders' events, or replace
        its URL, secret and topics; ``backfill_after_position``: also deliver its events recorded
        after that log position (those recorded since are delivered live)."""
        check_url(url, ["input", "url"])
        check_secret(secret, ["input", "secret"])
        check_topics(topics, MARKETPLACE_TOPICS, ["input", "topics"])
        self.webhook_destinations.check_registration(url.strip(), ["input", "url"])

        def command() -> UUID:
            try:
                endpoint = self.load(WebhookEndpoint, marketplace_endpoint_id_for(marketplace))
            except NotFound:
                endpoint = WebhookEndpoint.register_for_marketplace(
                    marketplace=marketplace, url=url, secret=secret, topics=topics, known_topics=MARKETPLACE_TOPICS)
            else:
                endpoint.replace(url, secret)
                endpoint.change_topics(topics, MARKETPLACE_TOPICS)
            if backfill_after_position is not None:
                endpoint.request_backfill(backfill_after_position)
            self.save(endpoint)
            return endpoint.id

        return self.retrying(command, "this webhook endpoint")

    def webhook_endpoint(self: Farmgate, partner_id: UUID) -> WebhookEndpoint | None:
        """The partner's endpoint as it is now (URL and secrets), for signing and sending."""
        return self.webhook_endpoint_by_id(webhook_endpoint_id_for(partner_id))

    def webhook_endpoint_by_id(self: Farmgate, endpoint_id: UUID) -> WebhookEndpoint | None:
        try:
            return self.load(WebhookEndpoint, endpoint_id)
        except NotFound:
            return None
