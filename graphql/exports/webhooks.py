"""Webhooks in the API: an export partner's endpoint (every event of its export orders) and a
marketplace's endpoint (chosen topics of its own orders' events), each with a URL and a Standard
Webhooks signing secret that is never shown again; the deliveries, with a way to send one again."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.domain.errors import Conflict
from farmgate.graphql.commands import Outcome, execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.exports.loaders import delivery_row, endpoint_row, export_partner_row, marketplace_endpoint_row
from farmgate.graphql.exports.types import ExportPartner
from farmgate.graphql.field_selection import selects
from farmgate.graphql.ids import from_global_id, to_global_id, uuid_of
from farmgate.graphql.inputs import given, plain
from farmgate.graphql.pagination import connection, window
from farmgate.graphql.permissions import allow, authenticated
from farmgate.graphql.scope import (
    may_redeliver_webhook,
    webhook_delivery_list_filter,
    webhook_delivery_visible,
    webhook_marketplace_of,
    webhook_partner_of,
)
from farmgate.graphql.types import Marketplace, Node, PageInfo, UserError, UserErrorCode
from farmgate.graphql.written import MarketplaceWebhookEndpointWritten, WebhookDeliveryWritten, WebhookEndpointWritten


@strawberry.enum(description="What a marketplace's endpoint may receive, of its own orders (the order, its"
                 " shipments and its claims), and the audit anchors (AUDIT_ANCHOR, for marketplaces and partners)."
                 " Each delivery's body `type` is the topic in lower case with a dot, e.g. order.spoiled.")
class WebhookTopic(Enum):
    ORDER_PLACED = "order.placed"
    ORDER_CONFIRMED = "order.confirmed"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_DISPATCHED = "order.dispatched"
    ORDER_DELIVERY_FAILED = "order.delivery_failed"
    ORDER_SPOILED = "order.spoiled"
    ORDER_DELIVERED = "order.delivered"
    ORDER_PAYMENT_RECORDED = "order.payment_recorded"
    ORDER_REFUNDED = "order.refunded"
    CLAIM_FILED = "claim.filed"
    CLAIM_DECIDED = "claim.decided"
    CLAIM_PAID = "claim.paid"
    #: every event of an export order, for its partner
    EXPORT_ORDER_EVENT = "export_order.event"
    #: every audit anchor as it is sealed, for marketplaces and partners that keep a copy
    AUDIT_ANCHOR = "audit.anchor"


@strawberry.enum
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@strawberry.type(description="Where an export partner receives its export orders' events. The secret is never shown.")
class WebhookEndpoint(Node):
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("WebhookEndpoint", self.row["partner_id"]))

    @strawberry.field
    async def partner(self, info: strawberry.Info) -> ExportPartner:
        row = await export_partner_row(info.context, UUID(self.row["partner_id"]))
        if row is None:
            raise RuntimeError("webhook endpoint without a projected partner")
        return ExportPartner(row=row)

    @strawberry.field
    def url(self) -> str:
        return self.row["url"]

    @strawberry.field(description="What it receives: EXPORT_ORDER_EVENT and/or AUDIT_ANCHOR (beyond the contract).")
    def topics(self) -> list[WebhookTopic]:
        return [WebhookTopic(topic) for topic in self.row["topics"].split(",")]

    @strawberry.field
    def registered_at(self) -> datetime:
        return datetime.fromisoformat(self.row["registered_at"])

    @strawberry.field(description="When the URL or secret last changed.")
    def updated_at(self) -> datetime:
        return datetime.fromisoformat(self.row["updated_at"])


@strawberry.type(description="A marketplace's webhook endpoint: the topics of its own orders' events it receives."
                 " The secret is never shown.")
class MarketplaceWebhookEndpoint(Node):
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("MarketplaceWebhookEndpoint", self.row["marketplace"]))

    @strawberry.field
    def marketplace(self) -> Marketplace:
        return Marketplace(self.row["marketplace"])

    @strawberry.field
    def url(self) -> str:
        return self.row["url"]

    @strawberry.field
    def topics(self) -> list[WebhookTopic]:
        return [WebhookTopic(topic) for topic in self.row["topics"].split(",")]

    @strawberry.field
    def registered_at(self) -> datetime:
        return datetime.fromisoformat(self.row["registered_at"])

    @strawberry.field(description="When the URL, secret or topics last changed.")
    def updated_at(self) -> datetime:
        return datetime.fromisoformat(self.row["updated_at"])


@strawberry.type(description="One event on its way to a webhook endpoint: an export order's to its partner, an"
                 " order's (its shipments', its claims') to its marketplace, or an audit anchor to either.")
class WebhookDelivery(Node):
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("WebhookDelivery", self.row["id"]))

    @strawberry.field(
        description="The event's stable id, '<aggregate id>:<version>' ('audit-anchor:<sequence>' for an audit anchor),"
        " sent as the webhook-id header (the same on every retry): de-duplicate on it."
    )
    def event_id(self) -> str:
        return self.row["event_id"]

    @strawberry.field(description="Event name, e.g. MilestoneReached (AnchorSealed for an audit anchor).")
    def event_type(self) -> str:
        return self.row["event_type"]

    @strawberry.field(description="The export order whose event this is (partner deliveries).")
    def export_order_id(self) -> strawberry.ID | None:
        value = self.row["export_order_id"]
        return None if value is None else strawberry.ID(to_global_id("ExportOrder", value))

    @strawberry.field(description="The order whose case this event is of (marketplace deliveries).")
    def order_id(self) -> strawberry.ID | None:
        value = self.row["order_id"]
        return None if value is None else strawberry.ID(to_global_id("Order", value))

    @strawberry.field
    def topic(self) -> WebhookTopic:
        return WebhookTopic(self.row["topic"])

    @strawberry.field
    def status(self) -> WebhookDeliveryStatus:
        return WebhookDeliveryStatus(self.row["status"])

    @strawberry.field(description="Attempts started since it was queued (or since a redelivery was requested).")
    def attempts(self) -> int:
        return int(self.row["attempts"])

    @strawberry.field(description="Why the last attempt failed, or why it was sent again.")
    def last_error(self) -> str | None:
        return self.row["last_error"]

    @strawberry.field(description="When it will be tried next; null once delivered or failed for good.")
    def next_attempt_at(self) -> datetime | None:
        return _time(self.row["next_attempt_at"]) if self.row["status"] == "PENDING" else None

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return _time(self.row["delivered_at"])

    @strawberry.field(description="When the event was recorded, and so queued.")
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.row["created_at"])


@strawberry.type
class WebhookDeliveryEdge:
    cursor: str
    node: WebhookDelivery


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class RegisterWebhookEndpointInput:
    url: str = strawberry.field(description="https:// to a public address (plain http only to this machine, in"
                                " development); internal addresses are refused here and at every send.")
    secret: str = strawberry.field(
        description="A Standard Webhooks secret (whsec_ and the base64 of 24 to 64 random bytes). Every delivery"
        " is signed with it (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of"
        " 'id.timestamp.body'>); after a rotation the previous secret also signs for an overlap window. Never returned."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="ADMIN names the partner; an export partner registers its own."
    )
    topics: list[WebhookTopic] | None = strawberry.field(
        default=strawberry.UNSET,
        description="EXPORT_ORDER_EVENT (its export orders' events) and/or AUDIT_ANCHOR (every signed audit anchor,"
        " a copy of the seal kept outside farmgate). Omitted: as before (EXPORT_ORDER_EVENT when first registered)."
        " Beyond the contract.",
    )


@strawberry.type
class RegisterWebhookEndpointPayload(WebhookEndpointWritten):
    endpoint: WebhookEndpoint | None
    user_errors: list[UserError]


@strawberry.input
class RegisterMarketplaceWebhookEndpointInput:
    url: str = strawberry.field(description="https:// to a public address (plain http only to this machine, in"
                                " development); internal addresses are refused here and at every send.")
    secret: str = strawberry.field(description="A Standard Webhooks secret (whsec_…), as for partners. Never returned.")
    topics: list[WebhookTopic] = strawberry.field(description="What to receive, of the marketplace's own orders.")
    backfill_after_position: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Also deliver the chosen topics' events recorded after this log position (EventRecord.position),"
        " before the live ones: a marketplace that starts (or returns) catches up from there.",
    )
    marketplace: Marketplace | None = strawberry.field(
        default=strawberry.UNSET, description="ADMIN names the marketplace; a marketplace registers its own."
    )


@strawberry.type
class RegisterMarketplaceWebhookEndpointPayload(MarketplaceWebhookEndpointWritten):
    endpoint: MarketplaceWebhookEndpoint | None
    user_errors: list[UserError]


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.type
class RedeliverWebhookPayload(WebhookDeliveryWritten):
    delivery: WebhookDelivery | None
    user_errors: list[UserError]


async def _visible_delivery(ctx: Context, global_id: str) -> dict[str, Any] | None:
    delivery_id = uuid_of(global_id, "WebhookDelivery")
    row = None if delivery_id is None else await delivery_row(ctx, delivery_id)
    return row if row is not None and webhook_delivery_visible(ctx.principal, row) else None


async def webhook_delivery_by_global_id(ctx: Context, global_id: str) -> WebhookDelivery | None:
    row = await _visible_delivery(ctx, global_id)
    return None if row is None else WebhookDelivery(row=row)


async def marketplace_webhook_endpoint_by_global_id(ctx: Context, global_id: str) -> MarketplaceWebhookEndpoint | None:
    parsed = from_global_id(global_id)
    if parsed is None or parsed[0] != "MarketplaceWebhookEndpoint":
        return None
    marketplace = webhook_marketplace_of(ctx.principal, parsed[1]) if ctx.principal else None
    if marketplace is None:
        return None
    row = await marketplace_endpoint_row(ctx, marketplace)
    return None if row is None else MarketplaceWebhookEndpoint(row=row)


async def webhook_endpoint_by_global_id(ctx: Context, global_id: str) -> WebhookEndpoint | None:
    principal = ctx.principal
    partner_id = uuid_of(global_id, "WebhookEndpoint")
    if principal is None or partner_id is None:
        return None
    if webhook_partner_of(principal, to_global_id("ExportPartner", partner_id)) is None:
        return None
    row = await endpoint_row(ctx, partner_id)
    return None if row is None else WebhookEndpoint(row=row)


@strawberry.type
class WebhookQuery:
    @strawberry.field(extensions=authenticated(), description="The partner's webhook endpoint (ADMIN: name the partner).")
    async def webhook_endpoint(
        self, info: strawberry.Info, partner_id: strawberry.ID | None = strawberry.UNSET
    ) -> WebhookEndpoint | None:
        ctx: Context = info.context
        partner = webhook_partner_of(ctx.require_principal(), given(partner_id))
        own = None if partner is None else uuid_of(partner, "ExportPartner")
        if own is None:
            return None
        return await webhook_endpoint_by_global_id(ctx, to_global_id("WebhookEndpoint", own))

    @strawberry.field(extensions=allow("MARKETPLACE"),
                      description="The marketplace's webhook endpoint (ADMIN: name the marketplace).")
    async def marketplace_webhook_endpoint(
        self, info: strawberry.Info, marketplace: Marketplace | None = strawberry.UNSET
    ) -> MarketplaceWebhookEndpoint | None:
        named = given(marketplace)
        return await marketplace_webhook_endpoint_by_global_id(
            info.context, to_global_id("MarketplaceWebhookEndpoint", named.value if named else ""))

    @strawberry.field(
        extensions=allow("MARKETPLACE", "DISPUTE_STAFF", "EXPORT_PARTNER"),
        description="Deliveries of the caller's export orders' events, and (marketplaces) of its own orders'"
        " events to its endpoint; oldest first.",
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        status: WebhookDeliveryStatus | None = strawberry.UNSET,
    ) -> WebhookDeliveryConnection:
        ctx: Context = info.context
        page = window("webhookDeliveries", first, after)
        scope = webhook_delivery_list_filter(ctx.require_principal())
        if scope is None:
            return WebhookDeliveryConnection(edges=[], page_info=page.page_info([], False), total_count=0)
        wanted, count = given(status), selects(info, "totalCount")
        rows, total = await run_in_threadpool(
            lambda: ctx.system.webhooks.page(
                after_position=page.after_position(), limit=page.limit + 1,
                status=wanted.value if wanted else None, count=count, **scope,
            )
        )
        return connection(page, rows, total, connection=WebhookDeliveryConnection, edge=WebhookDeliveryEdge,
                          node=WebhookDelivery)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(extensions=allow("EXPORT_PARTNER"))
    async def register_webhook_endpoint(
        self, info: strawberry.Info, input: RegisterWebhookEndpointInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RegisterWebhookEndpointPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        named = given(input.partner_id)
        if principal.is_("ADMIN") and named is None:
            refused = Outcome.refused(UserErrorCode.INVALID, "partnerId is required when ADMIN registers an endpoint",
                                      ["input", "partnerId"])
            return RegisterWebhookEndpointPayload(endpoint=None, user_errors=refused.user_errors)
        partner = webhook_partner_of(principal, named)
        partner_id = None if partner is None else uuid_of(partner, "ExportPartner")
        if partner_id is None or await export_partner_row(ctx, partner_id) is None:
            refused = Outcome.refused(UserErrorCode.NOT_FOUND, "No export partner with this id", ["input", "partnerId"])
            return RegisterWebhookEndpointPayload(endpoint=None, user_errors=refused.user_errors)

        def command() -> dict[str, Any]:
            topics = given(input.topics)
            ctx.system.app.register_webhook_endpoint(partner_id=partner_id, url=input.url, secret=input.secret,
                                                     topics=None if topics is None else [t.value for t in topics])
            return {"partnerId": str(partner_id)}

        outcome = await execute(ctx, "registerWebhookEndpoint", plain(input), given(idempotency_key), command)
        endpoint = None
        if outcome.get("partnerId"):
            ctx.loaders.pop("webhook_endpoint_rows", None)
            row = await endpoint_row(ctx, UUID(outcome.get("partnerId")))
            endpoint = None if row is None else WebhookEndpoint(row=row)
        return RegisterWebhookEndpointPayload(endpoint=endpoint, user_errors=outcome.user_errors, outcome=outcome)

    @strawberry.mutation(extensions=allow("MARKETPLACE"), description="Register the marketplace's webhook endpoint"
                         " for topics of its own orders' events, or replace its URL, secret and topics; optionally"
                         " with a backfill of the events recorded after a log position.")
    async def register_marketplace_webhook_endpoint(
        self, info: strawberry.Info, input: RegisterMarketplaceWebhookEndpointInput,
        idempotency_key: str | None = strawberry.UNSET,
    ) -> RegisterMarketplaceWebhookEndpointPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        named = given(input.marketplace)
        marketplace = webhook_marketplace_of(principal, named.value if named else None)
        if marketplace is None and principal.is_("MARKETPLACE"):
            # It named another marketplace: not a missing input but another's endpoint (as openStorefront).
            raise forbidden("A marketplace registers its own webhook endpoint only")
        if marketplace is None:
            refused = Outcome.refused(UserErrorCode.INVALID, "marketplace is required when ADMIN registers an endpoint",
                                      ["input", "marketplace"])
            return RegisterMarketplaceWebhookEndpointPayload(endpoint=None, user_errors=refused.user_errors)
        backfill = given(input.backfill_after_position)

        def command() -> dict[str, Any]:
            ctx.system.app.register_marketplace_webhook_endpoint(
                marketplace=marketplace, url=input.url, secret=input.secret,
                topics=[topic.value for topic in input.topics],
                backfill_after_position=backfill)
            return {"marketplace": marketplace}

        outcome = await execute(ctx, "registerMarketplaceWebhookEndpoint", plain(input), given(idempotency_key), command)
        endpoint = None
        if outcome.get("marketplace"):
            ctx.loaders.pop("marketplace_endpoint_rows", None)
            row = await marketplace_endpoint_row(ctx, outcome.get("marketplace"))
            endpoint = None if row is None else MarketplaceWebhookEndpoint(row=row)
        return RegisterMarketplaceWebhookEndpointPayload(endpoint=endpoint, user_errors=outcome.user_errors,
                                                         outcome=outcome)

    @strawberry.mutation(extensions=allow("EXPORT_PARTNER", "MARKETPLACE"))
    async def redeliver_webhook(
        self, info: strawberry.Info, input: RedeliverWebhookInput, idempotency_key: str | None = strawberry.UNSET
    ) -> RedeliverWebhookPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        row = await _visible_delivery(ctx, input.delivery_id)
        if row is not None and principal.is_("MARKETPLACE") and not may_redeliver_webhook(principal, row):
            # It sees the export order's deliveries it created; sending them is the partner's call.
            raise forbidden("A marketplace may redeliver only its own endpoint's deliveries")
        if row is None or not may_redeliver_webhook(principal, row):
            refused = Outcome.refused(UserErrorCode.NOT_FOUND, "No webhook delivery with this id", ["input", "deliveryId"])
            return RedeliverWebhookPayload(delivery=None, user_errors=refused.user_errors)
        delivery_id = UUID(row["id"])

        def command() -> dict[str, Any]:
            if not ctx.system.webhooks.request_redelivery(delivery_id, ctx.system.app.clock(), "Redelivery requested"):
                raise Conflict("This delivery is being sent right now; ask again once it is done", ["input", "deliveryId"])
            return {"deliveryId": str(delivery_id)}

        outcome = await execute(ctx, "redeliverWebhook", plain(input), given(idempotency_key), command)
        delivery = None
        if outcome.get("deliveryId"):
            ctx.loaders.pop("webhook_delivery_rows", None)
            delivery = await webhook_delivery_by_global_id(ctx, input.delivery_id)
        return RedeliverWebhookPayload(delivery=delivery, user_errors=outcome.user_errors, outcome=outcome)
