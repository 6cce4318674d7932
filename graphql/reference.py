"""Reference data and the caller: administrative units of both schemes (provinces, districts, wards,
the 2021 -> 2025 mapping) and `viewer`."""

from __future__ import annotations

import strawberry

from farmgate.core.domain import provinces as units
from farmgate.core.domain.errors import InvalidInput
from farmgate.graphql.area_arguments import district_of_province
from farmgate.graphql.errors import CodedError
from farmgate.graphql.inputs import given
from farmgate.graphql.types import Marketplace, Role, Viewer


@strawberry.type(description="A province (GSO code) of one administrative scheme.")
class Province:
    code: str
    name: str
    scheme: int = strawberry.field(
        description="2021 = the 63 provinces in force when the programme ran; 2025 = the 34 provinces from 1 July 2025."
    )

    @strawberry.field(description="Its districts, by code (2021 only: the 2025 scheme has no district level).")
    def districts(self) -> list[District]:
        return [District.of(d) for d in units.districts(self.code)] if self.scheme == 2021 else []

    @strawberry.field(description="Its wards and communes, by code; in 2021 optionally of one of its districts.")
    def wards(self, district_code: str | None = strawberry.UNSET) -> list[Ward]:
        wanted = district_of_province(district_code, self.scheme, self.code)
        return [Ward.of(w) for w in units.wards(self.scheme, self.code, wanted)]

    @strawberry.field(description="2021: the 2025 province it became part of on 1 July 2025 (77 -> 79). 2025: null.")
    def successor(self) -> Province | None:
        return Province.of(units.successor(self.code)) if self.scheme == 2021 else None

    @strawberry.field(description="2025: the 2021 provinces it was formed from (79 -> 74, 77, 79). 2021: empty.")
    def predecessors(self) -> list[Province]:
        return [Province.of(p) for p in units.absorbed(self.code)] if self.scheme == 2025 else []

    @classmethod
    def of(cls, province: units.Province) -> Province:
        return cls(code=province.code, name=province.name, scheme=province.scheme)


@strawberry.type(description="A district (GSO code) of the 2021 scheme.")
class District:
    code: str
    name: str
    province_code: str

    @strawberry.field(description="Its wards and communes, by code.")
    def wards(self) -> list[Ward]:
        return [Ward.of(w) for w in units.wards(2021, self.province_code, self.code)]

    @classmethod
    def of(cls, district: units.District) -> District:
        return cls(code=district.code, name=district.name, province_code=district.province_code)


@strawberry.type(description="A ward or commune (GSO code) of one scheme.")
class Ward:
    code: str
    name: str
    scheme: int
    province_code: str
    district_code: str | None = strawberry.field(description="2021 only: the 2025 scheme has no district level.")

    @strawberry.field(description="2025: the 2021 provinces whose land it covers (two for a few border wards).")
    def predecessor_provinces(self) -> list[Province]:
        return [Province.of(p) for p in units.ward_origins(self.code)] if self.scheme == 2025 else []

    @classmethod
    def of(cls, ward: units.Ward) -> Ward:
        return cls(code=ward.code, name=ward.name, scheme=ward.scheme, province_code=ward.province_code,
                   district_code=ward.district_code)


def _scheme(scheme: int | None) -> int | None:
    if scheme is not None and scheme not in units.SCHEMES:
        raise CodedError("scheme must be 2021 or 2025", "BAD_USER_INPUT")
    return scheme


@strawberry.type
class ReferenceQuery:
    @strawberry.field
    def provinces(self, scheme: int | None = strawberry.UNSET) -> list[Province]:
        return [Province.of(p) for p in units.provinces(_scheme(given(scheme)))]

    @strawberry.field(description="A province by scheme and GSO code (24 is Bắc Giang in 2021, Bắc Ninh in 2025); "
                                  "null when the scheme has no such province.")
    def province(self, scheme: int, code: str) -> Province | None:
        try:
            return Province.of(units.province(_scheme(scheme), code))  # type: ignore[arg-type]
        except InvalidInput:
            return None

    @strawberry.field(description="A 2021 district by GSO code; null when there is none.")
    def district(self, code: str) -> District | None:
        try:
            return District.of(units.district(code))
        except InvalidInput:
            return None

    @strawberry.field(description="A ward or commune by scheme and GSO code; null when the scheme has none.")
    def ward(self, scheme: int, code: str) -> Ward | None:
        try:
            return Ward.of(units.ward(_scheme(scheme), code))  # type: ignore[arg-type]
        except InvalidInput:
            return None

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
