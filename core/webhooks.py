"""Webhook use cases: an export partner's endpoint (register or replace), and what a delivery needs
of it. Deliveries themselves are kept by the outbox (``core.projections.webhook_outbox``)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from farmgate.core.domain.errors import NotFound
from farmgate.core.domain.export_partner import ExportPartner
from farmgate.core.domain.webhook_endpoint import WebhookEndpoint, check_secret, check_url, webhook_endpoint_id_for

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate


class WebhookCommands:
    def register_webhook_endpoint(self: Farmgate, *, partner_id: UUID, url: str, secret: str) -> UUID:
        """Register the partner's endpoint, or replace its URL and secret if it has one."""
        check_url(url, ["input", "url"])
        check_secret(secret, ["input", "secret"])

        def command() -> UUID:
            self.load(ExportPartner, partner_id, ["input", "partnerId"])
            try:
                endpoint = self.load(WebhookEndpoint, webhook_endpoint_id_for(partner_id))
            except NotFound:
                endpoint = WebhookEndpoint.register(partner_id=partner_id, url=url, secret=secret)
            else:
                endpoint.replace(url, secret)
            self.save(endpoint)
            return endpoint.id

        return self.retrying(command, "this webhook endpoint")

    def webhook_endpoint(self: Farmgate, partner_id: UUID) -> WebhookEndpoint | None:
        """The partner's endpoint as it is now (URL and secret), for signing and sending."""
        try:
            return self.load(WebhookEndpoint, webhook_endpoint_id_for(partner_id))
        except NotFound:
            return None
