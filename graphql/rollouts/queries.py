"""`provinceRollout`, `nationalRollout` and `campaign`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.domain.province_area import ProvinceArea
from farmgate.graphql.area_arguments import PROVINCE_ARGUMENT, province_area
from farmgate.graphql.context import Context
from farmgate.graphql.errors import forbidden
from farmgate.graphql.permissions import allow
from farmgate.graphql.rollouts.loaders import campaign_by_global_id
from farmgate.graphql.rollouts.types import Campaign, NationalRollout, ProvinceRollout
from farmgate.graphql.scope import oversees


def overseen_area(ctx: Context, province_code: str) -> ProvinceArea:
    """The province the caller names, if the caller oversees it (``scope.oversees``); BAD_USER_INPUT for an
    unknown province, FORBIDDEN for another officer's."""
    area = province_area(province_code)
    if not oversees(ctx.require_principal(), area):
        raise forbidden("A province officer sees and plans the rollout of their own province only")
    return area


@strawberry.type
class RolloutQuery:
    @strawberry.field(extensions=allow("PROVINCE_OFFICER"),
                      description="PROVINCE_OFFICER of that province (under either scheme), or ADMIN: the province's"
                                  " rollout against its targets.")
    async def province_rollout(
        self, info: strawberry.Info, province_code: Annotated[str, strawberry.argument(description=PROVINCE_ARGUMENT)],
    ) -> ProvinceRollout:
        ctx: Context = info.context
        area = overseen_area(ctx, province_code)
        return ProvinceRollout(report=await run_in_threadpool(ctx.system.rollouts.province, area))

    @strawberry.field(extensions=allow(), description="ADMIN: the programme across the nation.")
    async def national_rollout(self, info: strawberry.Info) -> NationalRollout:
        report = await run_in_threadpool(info.context.system.rollouts.national)
        return NationalRollout(figures=report.figures, reports=report.provinces)

    @strawberry.field(description="A campaign by its global ID; public (null when there is none).")
    async def campaign(self, info: strawberry.Info, id: strawberry.ID) -> Campaign | None:
        return await campaign_by_global_id(info.context, id)
