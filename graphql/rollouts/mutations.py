"""`planProvinceRollout` and `launchCampaign`: PROVINCE_OFFICER of that province, or ADMIN."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.graphql.area_arguments import PROVINCE_CODE
from farmgate.graphql.commands import execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.inputs import aware, given, plain
from farmgate.graphql.permissions import allow
from farmgate.graphql.rollouts.loaders import campaign_report
from farmgate.graphql.rollouts.types import Campaign, ProvinceRollout
from farmgate.graphql.scope import oversees
from farmgate.graphql.types import UserError
from farmgate.graphql.written import CampaignWritten


@strawberry.input(description="A province's targets. Planning again replaces them; a province that is the same"
                               " land in both schemes (2021:20 and 2025:20) has one plan, revised under either.")
class PlanProvinceRolloutInput:
    province_code: str = strawberry.field(description=PROVINCE_CODE)
    households: int = strawberry.field(description="Households to put on the marketplaces, 0 to 5,000,000.")
    storefronts: int = strawberry.field(description="Storefronts to open, 0 to 5,000,000.")
    payment_accounts: int = strawberry.field(description="Payment accounts to link, 0 to 5,000,000.")
    deadline: datetime | None = strawberry.field(default=strawberry.UNSET, description="By when, with an offset.")


@strawberry.type
class PlanProvinceRolloutPayload:
    rollout: ProvinceRollout | None
    user_errors: list[UserError]


@strawberry.input(description="A campaign to sell one crop of one province.")
class LaunchCampaignInput:
    name: str = strawberry.field(description="Its name, unique on the province's land under either"
                                                 " scheme: within the 2025 province that takes it in (2021:20 and"
                                                 " 2025:20 are one land; 2021:24 and 2021:27 lie in 2025:24) (e.g."
                                                 " 'Vải thiều Lục Ngạn 2021'). Names are compared ignoring case,"
                                                 " spacing and Unicode compatibility forms (NFKC: full-width 'Ｎａ'"
                                                 " is 'Na'), never accents ('Ma' and 'Má' are two names); the"
                                                 " name is kept as typed.")
    product: str = strawberry.field(description="The crop.")
    province_code: str = strawberry.field(description=PROVINCE_CODE + " Listings of households on its land may join.")
    target_kg: int = strawberry.field(description="Kilograms to sell, 1 to 2,100,000,000.")
    starts_at: datetime = strawberry.field(description="When it starts, with an offset.")
    ends_at: datetime = strawberry.field(description="When it ends, after startsAt.")


@strawberry.type
class LaunchCampaignPayload(CampaignWritten):
    campaign: Campaign | None
    user_errors: list[UserError]


def _area(ctx: Context, province_code: str) -> ProvinceArea | list[UserError]:
    """The province named in the input, or its INVALID userError; FORBIDDEN for one the caller does not oversee."""
    try:
        area = ProvinceArea.parse(province_code, ["input", "provinceCode"])
    except InvalidInput as error:
        return [UserError.of(error)]
    if not oversees(ctx.require_principal(), area):
        raise forbidden("A province officer plans and launches campaigns for their own province only")
    return area


@strawberry.type
class RolloutMutation:
    @strawberry.mutation(extensions=allow("PROVINCE_OFFICER"))
    async def plan_province_rollout(
        self, info: strawberry.Info, input: PlanProvinceRolloutInput, idempotency_key: str | None = strawberry.UNSET
    ) -> PlanProvinceRolloutPayload:
        ctx: Context = info.context
        area = _area(ctx, input.province_code)
        if isinstance(area, list):
            return PlanProvinceRolloutPayload(rollout=None, user_errors=area)
        deadline = given(input.deadline)

        def command() -> dict[str, Any]:
            rollout_id = ctx.system.app.plan_province_rollout(
                area, households=input.households, storefronts=input.storefronts,
                payment_accounts=input.payment_accounts,
                deadline=None if deadline is None else aware(deadline, ["input", "deadline"]),
            )
            return {"rolloutId": str(rollout_id)}

        outcome = await execute(ctx, "planProvinceRollout", plain(input), given(idempotency_key), command)
        rollout = None
        if not outcome.user_errors:
            rollout = ProvinceRollout(report=await run_in_threadpool(ctx.system.rollouts.province, area))
        return PlanProvinceRolloutPayload(rollout=rollout, user_errors=outcome.user_errors)

    @strawberry.mutation(extensions=allow("PROVINCE_OFFICER"))
    async def launch_campaign(
        self, info: strawberry.Info, input: LaunchCampaignInput, idempotency_key: str | None = strawberry.UNSET
    ) -> LaunchCampaignPayload:
        ctx: Context = info.context
        area = _area(ctx, input.province_code)
        if isinstance(area, list):
            return LaunchCampaignPayload(campaign=None, user_errors=area)

        def command() -> dict[str, Any]:
            campaign_id = ctx.system.app.launch_campaign(
                name=input.name, product=input.product, area=area, target_kg=input.target_kg,
                starts_at=aware(input.starts_at, ["input", "startsAt"]), ends_at=aware(input.ends_at, ["input", "endsAt"]),
            )
            return {"campaignId": str(campaign_id)}

        outcome = await execute(ctx, "launchCampaign", plain(input), given(idempotency_key), command)
        report = None
        if outcome.get("campaignId"):
            report = await campaign_report(ctx, UUID(outcome.get("campaignId")))
        return LaunchCampaignPayload(campaign=None if report is None else Campaign(report=report),
                                     user_errors=outcome.user_errors, outcome=outcome)
