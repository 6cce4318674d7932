"""Campaign DataLoaders: one query per request for every campaign and listing weight a response touches."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from farmgate.core.projections.campaigns import CampaignReport
from farmgate.graphql.context import Context
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.loading import batched

_campaigns = batched(lambda ctx: ctx.system.campaigns.by_ids)
_listings = batched(lambda ctx: ctx.system.campaigns.listings)


async def campaign_report(ctx: Context, campaign_id: UUID) -> CampaignReport | None:
    return await ctx.loader("campaign_reports", _campaigns).load(campaign_id)


async def campaign_listing(ctx: Context, listing_id: UUID) -> dict[str, Any] | None:
    """A listing's campaign id and weight per unit (core.projections.campaigns)."""
    return await ctx.loader("campaign_listings", _listings).load(listing_id)


async def campaign_by_global_id(ctx: Context, global_id: str) -> Any:
    """``node(id:)`` and ``campaign(id:)``: campaigns are public."""
    from farmgate.graphql.rollouts.types import Campaign

    campaign_id = uuid_of(global_id, "Campaign")
    report = None if campaign_id is None else await campaign_report(ctx, campaign_id)
    return None if report is None else Campaign(report=report)
