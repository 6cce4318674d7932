"""Reference data and the caller: `provinces` and `viewer`."""

from __future__ import annotations

import strawberry

from farmgate.core.domain.provinces import provinces as all_provinces
from farmgate.graphql.errors import CodedError
from farmgate.graphql.inputs import given
from farmgate.graphql.types import Marketplace, Province, Role, Viewer


@strawberry.type
class ReferenceQuery:
    @strawberry.field
    def provinces(self, scheme: int | None = strawberry.UNSET) -> list[Province]:
        wanted = given(scheme)
        if wanted is not None and wanted not in (2021, 2025):
            raise CodedError("scheme must be 2021 or 2025", "BAD_USER_INPUT")
        return [Province(code=p.code, name=p.name, scheme=p.scheme) for p in all_provinces(wanted)]

    @strawberry.field
    def viewer(self, info: strawberry.Info) -> Viewer:
        p = info.context.principal
        if p is None:
            return Viewer(role=None, subject=None, marketplace=None, province_code=None, partner_id=None,
                          carrier=None, household_id=None)
        return Viewer(
            role=Role(p.role),
            subject=p.subject,
            marketplace=Marketplace(p.marketplace) if p.marketplace in ("POSTMART", "VOSO") else None,
            province_code=None if p.province_area is None else p.province_area.code,
            province_scheme=None if p.province_area is None else p.province_area.scheme,
            partner_id=strawberry.ID(p.partner) if p.partner else None,
            carrier=p.carrier,
            household_id=strawberry.ID(p.household) if p.household else None,
        )
