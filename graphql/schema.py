"""The served schema: composes each bounded context's queries and mutations. Nothing else."""

from __future__ import annotations

from typing import Any

import strawberry
import structlog
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from farmgate.graphql.carriers.mutations import CarrierMutation
from farmgate.graphql.carriers.queries import CarrierQuery
from farmgate.graphql.carriers.types import Carrier, carrier_by_global_id
from farmgate.graphql.catalog.mutations import CatalogMutation
from farmgate.graphql.catalog.queries import CatalogQuery
from farmgate.graphql.catalog.scoped import listing_by_global_id, storefront_by_global_id
from farmgate.graphql.catalog.types import Listing, Storefront
from farmgate.graphql.claims.case_file import CaseFileQuery
from farmgate.graphql.claims.mutations import ClaimMutation
from farmgate.graphql.claims.queries import ClaimQuery
from farmgate.graphql.claims.scoped import claim_by_global_id
from farmgate.graphql.claims.types import CompensationClaim
from farmgate.graphql.errors import MaskInternalErrors, is_client_error
from farmgate.graphql.exports.mutations import ExportMutation
from farmgate.graphql.exports.queries import ExportQuery
from farmgate.graphql.exports.scoped import export_order_by_global_id, export_partner_by_global_id
from farmgate.graphql.exports.types import ExportOrder, ExportPartner
from farmgate.graphql.exports.webhooks import (WebhookDelivery, WebhookEndpoint, WebhookMutation, WebhookQuery,
                                               webhook_delivery_by_global_id, webhook_endpoint_by_global_id)
from farmgate.graphql.households.loaders import household_by_global_id
from farmgate.graphql.households.mutations import HouseholdMutation
from farmgate.graphql.households.queries import HouseholdQuery
from farmgate.graphql.households.types import Household
from farmgate.graphql.nodes import NodeQuery, register_node
from farmgate.graphql.orders.mutations import OrderMutation
from farmgate.graphql.orders.queries import OrderQuery
from farmgate.graphql.orders.scoped import order_by_global_id, shipment_by_global_id
from farmgate.graphql.orders.types import Order, Shipment
from farmgate.graphql.reference import ReferenceQuery
from farmgate.graphql.subscriptions import Subscription

log = structlog.get_logger("farmgate.graphql")

register_node("Household", household_by_global_id)
register_node("Storefront", storefront_by_global_id)
register_node("Listing", listing_by_global_id)
register_node("ExportPartner", export_partner_by_global_id)
register_node("ExportOrder", export_order_by_global_id)
register_node("WebhookEndpoint", webhook_endpoint_by_global_id)
register_node("WebhookDelivery", webhook_delivery_by_global_id)
register_node("Order", order_by_global_id)
register_node("Shipment", shipment_by_global_id)
register_node("CompensationClaim", claim_by_global_id)
register_node("Carrier", carrier_by_global_id)

Query = merge_types("Query", (NodeQuery, ReferenceQuery, HouseholdQuery, CatalogQuery, ExportQuery, WebhookQuery,
                                OrderQuery, ClaimQuery, CaseFileQuery, CarrierQuery))
Mutation = merge_types("Mutation", (HouseholdMutation, CatalogMutation, ExportMutation, WebhookMutation,
                                      OrderMutation, ClaimMutation, CarrierMutation))

NODE_TYPES: list[type] = [Household, Storefront, Listing, ExportPartner, ExportOrder, WebhookEndpoint, WebhookDelivery,
                         Order, Shipment, CompensationClaim, Carrier]


class FarmgateSchema(strawberry.Schema):
    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Client errors are answers, not faults: logged at debug without the query text (which may
        carry personal data). Internal faults are logged by MaskInternalErrors with the request id."""
        for error in errors:
            if is_client_error(error):
                log.debug("graphql_client_error", code=(error.extensions or {}).get("code"), path=error.path)


def build_schema() -> strawberry.Schema:
    return FarmgateSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=[
            MaskInternalErrors(),
            QueryDepthLimiter(max_depth=12),
            MaxAliasesLimiter(max_alias_count=30),
            MaxTokensLimiter(max_token_count=4000),
            ParserCache(maxsize=256),
            ValidationCache(maxsize=256),
        ],
    )


schema = build_schema()
