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

from farmgate.core.domain.campaign import Campaign, campaign_ids_on_the_land
from farmgate.core.domain.errors import AlreadyExists
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.province_rollout import ProvinceRollout, checked_targets, province_rollout_ids_to_revise

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
        record nothing. A province that is the same land as one of the other scheme (2021:20, 2025:20)
        has one plan: planning under either revises it (``province_rollout_ids_to_revise``). Raises
        InvalidInput naming the field (see ``checked_targets``)."""
        targets = checked_targets(households, storefronts, payment_accounts, deadline)

        def command() -> UUID:
            known = [rollout_id for rollout_id in province_rollout_ids_to_revise(area) if self.exists(rollout_id)]
            if known:
                rollout = self.load(ProvinceRollout, known[0])
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
        AlreadyExists when the land of ``area`` (its 2025 province, ``ProvinceArea.land``) already has a
        campaign of that name under either scheme, including one launched before names were unique per
        land (``campaign_ids_on_the_land``). A race between two launches collides on the same stream
        (``campaign_id_for``) and the loser is refused the same way by ``retrying``."""

        def command() -> UUID:
            campaign = Campaign.launch(name=name, product=product, area=area, target_kg=target_kg,
                                       starts_at=starts_at, ends_at=ends_at)
            if any(self.exists(known) for known in campaign_ids_on_the_land(area, campaign.name)):
                raise AlreadyExists("This province's land already has a campaign of this name (under either"
                                    " scheme)", ["input", "name"])
            self.save(campaign)
            return campaign.id

        return self.retrying(command, "this campaign")
