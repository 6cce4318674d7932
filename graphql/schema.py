"""The served schema: composes each bounded context's queries and mutations. Nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
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
from farmgate.graphql.consistency import ReadModelStatus
from farmgate.graphql.datetime_scalar import DATETIME_SCALAR
from farmgate.graphql.errors import MaskInternalErrors, limit_rules
from farmgate.graphql.fail_closed import answer, answered_stream, fail_closed, start_operation
from farmgate.graphql.exports.mutations import ExportMutation
from farmgate.graphql.exports.queries import ExportQuery
from farmgate.graphql.exports.scoped import export_order_by_global_id, export_partner_by_global_id
from farmgate.graphql.exports.types import ExportOrder, ExportPartner
from farmgate.graphql.exports.webhooks import (MarketplaceWebhookEndpoint, WebhookDelivery, WebhookEndpoint,
                                               WebhookMutation, WebhookQuery,
                                               marketplace_webhook_endpoint_by_global_id,
                                               webhook_delivery_by_global_id, webhook_endpoint_by_global_id)
from farmgate.graphql.households.imports import HouseholdImportMutation, HouseholdImportQuery
from farmgate.graphql.households.loaders import household_by_global_id
from farmgate.graphql.households.mutations import HouseholdMutation
from farmgate.graphql.households.queries import HouseholdQuery
from farmgate.graphql.households.types import Household
from farmgate.graphql.nodes import NodeQuery, register_node
from farmgate.graphql.perimeter import Perimeter
from farmgate.graphql.orders.mutations import OrderMutation
from farmgate.graphql.orders.queries import OrderQuery
from farmgate.graphql.orders.scoped import order_by_global_id, shipment_by_global_id
from farmgate.graphql.orders.types import Order, Shipment
from farmgate.graphql.personal_data.mutations import PersonalDataMutation
from farmgate.graphql.personal_data.queries import PersonalDataQuery
from farmgate.graphql.reference import ReferenceQuery
from farmgate.graphql.rollouts.loaders import campaign_by_global_id
from farmgate.graphql.rollouts.mutations import RolloutMutation
from farmgate.graphql.rollouts.queries import RolloutQuery
from farmgate.graphql.rollouts.types import Campaign
from farmgate.graphql.schema_docs import document
from farmgate.graphql.subscriptions import Subscription

register_node("Household", household_by_global_id)
register_node("Storefront", storefront_by_global_id)
register_node("Listing", listing_by_global_id)
register_node("ExportPartner", export_partner_by_global_id)
register_node("ExportOrder", export_order_by_global_id)
register_node("WebhookEndpoint", webhook_endpoint_by_global_id)
register_node("WebhookDelivery", webhook_delivery_by_global_id)
register_node("MarketplaceWebhookEndpoint", marketplace_webhook_endpoint_by_global_id)
register_node("Order", order_by_global_id)
register_node("Shipment", shipment_by_global_id)
register_node("CompensationClaim", claim_by_global_id)
register_node("Carrier", carrier_by_global_id)
register_node("Campaign", campaign_by_global_id)

Query = merge_types("Query", (NodeQuery, ReferenceQuery, HouseholdQuery, HouseholdImportQuery, CatalogQuery, ExportQuery,
                                WebhookQuery, OrderQuery, ClaimQuery, CaseFileQuery, CarrierQuery, RolloutQuery,
                                PersonalDataQuery))
Mutation = merge_types("Mutation", (HouseholdMutation, HouseholdImportMutation, CatalogMutation, ExportMutation,
                                      WebhookMutation, OrderMutation, ClaimMutation, CarrierMutation, RolloutMutation,
                                      PersonalDataMutation))

NODE_TYPES: list[type] = [Household, Storefront, Listing, ExportPartner, ExportOrder, WebhookEndpoint, WebhookDelivery,
                         MarketplaceWebhookEndpoint,
                         Order, Shipment, CompensationClaim, Carrier, Campaign]


#: depth and alias limits, as validation rules made once (see ``errors.limit_rules``)
LIMIT_RULES = limit_rules(QueryDepthLimiter(max_depth=12), MaxAliasesLimiter(max_alias_count=30))


class ReportingParserCache(ParserCache):
    """strawberry's ParserCache, but a document it cannot parse is left to strawberry's own parse,
    which reports the error as the operation's (coded and masked like any other error): raised
    from this hook, it would skip every extension's handling of the result."""

    @fail_closed
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except Exception:  # noqa: BLE001 - parsed again below the hook, where failures are reported
            context.graphql_document = None
        yield


class FarmgateSchema(strawberry.Schema):
    """The schema, with every operation answered fail-closed (graphql/fail_closed.py): an operation
    during which one of our extension hooks failed answers with the masked INTERNAL error only."""

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Nothing here: strawberry's default logs every error with the query text (which may carry
        personal data). MaskInternalErrors codes each error, logs client errors at debug and
        internal faults with the request id."""

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        faults = start_operation()
        return answer(await super().execute(*args, **kwargs), faults)

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        # subscribe() streams through here too. The faults list lives in this task's context, where
        # the returned stream is iterated (each WebSocket operation runs in a task of its own).
        faults = start_operation()
        results = await super().stream(*args, **kwargs)
        return answer(results, faults) if hasattr(results, "errors") else answered_stream(results, faults)


def build_schema() -> strawberry.Schema:
    # Classes and factories, not instances: every request gets its own extensions (an instance
    # shared between concurrent requests masks the wrong request's result). The caches they use
    # live at module level in strawberry, so they are shared all the same.
    built = FarmgateSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        scalar_overrides={datetime: DATETIME_SCALAR},
        extensions=[
            MaskInternalErrors,
            ReadModelStatus,
            lambda: AddValidationRules(list(LIMIT_RULES)),
            lambda: MaxTokensLimiter(max_token_count=4000),
            lambda: ReportingParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            # After ValidationCache: it refuses what must not run (bad token, anonymous
            # introspection in production, over-budget cost) once the standard rules have passed.
            Perimeter,
        ],
    )
    document(built._schema)  # every type, field and argument described (schema_docs.py)
    return built


schema = build_schema()
