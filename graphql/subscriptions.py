"""The Subscription root: each bounded context's live feeds, composed here and nowhere else."""

from __future__ import annotations

from strawberry.tools import merge_types

from farmgate.graphql.claims.subscriptions import CaseSubscription
from farmgate.graphql.exports.subscriptions import ExportSubscription

Subscription = merge_types("Subscription", (CaseSubscription, ExportSubscription))
