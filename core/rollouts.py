"""Rollout use cases: a province plans its rollout; a province launches a crop campaign.

These are the application-service entry points (the API and ``farmgate demo`` call them):
``plan_province_rollout(area, households=…, storefronts=…, payment_accounts=…, deadline=…)`` and
``launch_campaign(name=…, product=…, area=…, target_kg=…, starts_at=…, ends_at=…)``. ``area`` is a
``ProvinceArea`` (``ProvinceArea.parse("2021:20")``); who may name it is the API's rule, not theirs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from farmgate.core.domain.campaign import Campaign, campaign_id_for
from farmgate.core.domain.errors import AlreadyExists
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.province_rollout import ProvinceRollout, checked_targets, province_rollout_id_for

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate


class RolloutCommands:
    def plan_province_rollout(
        self: Farmgate,
        area: ProvinceArea,
        *,
        households: int,
        storefronts: int,
        payment_accounts: int,
        deadline: datetime | None = None,
    ) -> UUID:
        """Record (or revise) the province's targets; returns the rollout's id. The same targets again
        record nothing. Raises InvalidInput naming the field (see ``checked_targets``)."""
        targets = checked_targets(households, storefronts, payment_accounts, deadline)

        def command() -> UUID:
            rollout_id = province_rollout_id_for(area)
            if self.exists(rollout_id):
                rollout = self.load(ProvinceRollout, rollout_id)
                rollout.replan(targets)
            else:
                rollout = ProvinceRollout.plan(area, targets)
            self.save(rollout)
            return rollout.id

        return self.retrying(command, "this province's rollout")

    def launch_campaign(
        self: Farmgate,
        *,
        name: str,
        product: str,
        area: ProvinceArea,
        target_kg: int,
        starts_at: datetime,
        ends_at: datetime,
    ) -> UUID:
        """Launch a campaign of ``area``; returns its id. Raises InvalidInput (see ``Campaign.launch``) or
        AlreadyExists when the province already has a campaign of that name."""

        def command() -> UUID:
            campaign = Campaign.launch(name=name, product=product, area=area, target_kg=target_kg,
                                       starts_at=starts_at, ends_at=ends_at)
            if self.exists(campaign_id_for(area, campaign.name)):
                raise AlreadyExists("This province already has a campaign of this name", ["input", "name"])
            self.save(campaign)
            return campaign.id

        return self.retrying(command, "this campaign")
