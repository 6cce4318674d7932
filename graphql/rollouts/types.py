"""Rollout dashboards and campaigns as the API shows them (read models: core.projections.rollout and
core.projections.campaigns)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.domain import provinces as units
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_rollout import NATIONAL_TARGET_HOUSEHOLDS
from farmgate.core.projections.campaigns import CampaignReport
from farmgate.core.projections.campaigns import DestinationVolume as Volume
from farmgate.core.projections.rollout import VIETNAM_TIME, ProvinceRolloutReport, RolloutFigures, UnitRollout
from farmgate.graphql.errors import BAD_USER_INPUT, CodedError
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.types import Money, Node


def _money(figures: RolloutFigures) -> Money:
    revenue = figures.revenue_money
    return Money(amount=format(revenue.amount, "f"), currency=revenue.currency)


def _share(done: int, target: int) -> float | None:
    return None if target == 0 else done / target


@strawberry.type(description="A province's targets (planProvinceRollout).")
class RolloutTargets:
    households: int = strawberry.field(description="Households to put on the marketplaces.")
    storefronts: int = strawberry.field(description="Digital storefronts to open.")
    payment_accounts: int = strawberry.field(description="Payment accounts / e-wallets to link.")
    deadline: datetime | None = strawberry.field(description="By when, if the plan says.")


@strawberry.type(description="How far a province is towards its targets: reached ÷ target (1.0 is the target met;"
                             " more than 1 is past it); null where the target is 0. Beyond the contract.")
class RolloutProgress:
    households: float | None = strawberry.field(description="Households ÷ the households target.")
    storefronts: float | None = strawberry.field(description="Storefronts ÷ the storefronts target.")
    payment_accounts: float | None = strawberry.field(description="Payment accounts ÷ their target.")


@strawberry.type(description="One day of a province's rollout, for the dashboard's chart (beyond the contract).")
class RolloutDay:
    day: str = strawberry.field(description="The calendar day in Vietnam (UTC+7), ISO 8601 (2021-08-10).")
    storefronts: int = strawberry.field(description="Storefronts opened that day.")
    orders: int = strawberry.field(description="Orders placed that day (those cancelled since included).")


@strawberry.type(description="One district (2021 scheme) or ward (2025 scheme) of a province's rollout, by the code"
                             " its records were captured with: a province's list names units of both schemes when"
                             " it has records of both.")
class DistrictRollout:
    unit: strawberry.Private[UnitRollout]

    @strawberry.field(description="The GSO code of the district (2021: 3 digits) or ward (2025: 5 digits); empty for"
                                  " records whose address names neither.")
    def district_code(self) -> str:
        return self.unit.code

    @strawberry.field(description="The scheme of districtCode: 2021 (a district) or 2025 (a ward). Beyond the"
                                  " contract.")
    def scheme(self) -> int:
        return self.unit.scheme

    @strawberry.field(description="The unit's name, if the code is known. Beyond the contract.")
    def name(self) -> str | None:
        code, scheme = self.unit.code, self.unit.scheme
        try:
            return units.district(code).name if scheme == 2021 else units.ward(2025, code).name
        except InvalidInput:  # an unknown or empty code has no name
            return None

    @strawberry.field(description="Households registered there.")
    def households(self) -> int:
        return self.unit.figures.households

    @strawberry.field(description="Of them, verified. Beyond the contract.")
    def verified_households(self) -> int:
        return self.unit.figures.verified_households

    @strawberry.field(description="Storefronts of its households.")
    def storefronts(self) -> int:
        return self.unit.figures.storefronts

    @strawberry.field(description="Payment accounts its households linked. Beyond the contract.")
    def payment_accounts(self) -> int:
        return self.unit.figures.payment_accounts

    @strawberry.field(description="Active listings of its households. Beyond the contract.")
    def listings(self) -> int:
        return self.unit.figures.listings

    @strawberry.field(description="Orders placed with its households and not cancelled.")
    def orders(self) -> int:
        return self.unit.figures.orders

    @strawberry.field(description="Delivered and fully paid orders' totals net of refunds, in VND.")
    def revenue(self) -> Money:
        return _money(self.unit.figures)


@strawberry.type(description="A province's rollout: what its households, storefronts and orders add up to, under"
                             " either scheme (a 2025 province counts the records of the 2021 provinces it absorbed).")
class ProvinceRollout:
    report: strawberry.Private[ProvinceRolloutReport]

    @strawberry.field(description="The province's GSO code in its scheme.")
    def province_code(self) -> str:
        return self.report.area.code

    @strawberry.field(description="The scheme of provinceCode (2021 or 2025). Beyond the contract.")
    def scheme(self) -> int:
        return self.report.area.scheme

    @strawberry.field(description="The province's name in its scheme.")
    def province_name(self) -> str:
        return units.province(self.report.area.scheme, self.report.area.code).name

    @strawberry.field(description="Households registered.")
    def households(self) -> int:
        return self.report.figures.households

    @strawberry.field(description="Households verified.")
    def verified_households(self) -> int:
        return self.report.figures.verified_households

    @strawberry.field(description="Storefronts opened by its households, on any marketplace.")
    def storefronts(self) -> int:
        return self.report.figures.storefronts

    @strawberry.field(description="Payment accounts / e-wallets linked (every account, not households with one).")
    def payment_accounts(self) -> int:
        return self.report.figures.payment_accounts

    @strawberry.field(description="Active listings (the seed calls these products).")
    def listings(self) -> int:
        return self.report.figures.listings

    @strawberry.field(description="Orders placed with its households and not cancelled.")
    def orders(self) -> int:
        return self.report.figures.orders

    @strawberry.field(description="Sum of delivered and paid order totals, net of refunds, in VND.")
    def revenue(self) -> Money:
        return _money(self.report.figures)

    @strawberry.field(description="The province's plan (planProvinceRollout); the plan of the same land under the"
                                  " other scheme when it has none of its own; null when never planned.")
    def targets(self) -> RolloutTargets | None:
        t = self.report.targets
        return None if t is None else RolloutTargets(households=t.households, storefronts=t.storefronts,
                                                     payment_accounts=t.payment_accounts, deadline=t.deadline)

    @strawberry.field(description="Progress towards the targets; null when never planned. Beyond the contract.")
    def progress(self) -> RolloutProgress | None:
        t, f = self.report.targets, self.report.figures
        if t is None:
            return None
        return RolloutProgress(households=_share(f.households, t.households),
                               storefronts=_share(f.storefronts, t.storefronts),
                               payment_accounts=_share(f.payment_accounts, t.payment_accounts))

    @strawberry.field(description="Per district (records of the 2021 scheme) or ward (2025), units of the province's"
                                  " own scheme first. Empty in nationalRollout's provinces.")
    def by_district(self) -> list[DistrictRollout]:
        return [DistrictRollout(unit=u) for u in self.report.units]

    @strawberry.field(description="Storefronts opened and orders placed per day (Vietnam's calendar days), oldest"
                                  " first, only days with either, at most the newest 366; until before since is"
                                  " BAD_USER_INPUT. Beyond the contract.")
    async def daily(
        self, info: strawberry.Info,
        since: Annotated[datetime | None, strawberry.argument(
            description="From the day of this time in Vietnam (a time without an offset is read in Vietnam).")] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Up to the day of this time, inclusive.")
                         ] = None,
    ) -> list[RolloutDay]:
        def day(value: datetime | None) -> date | None:
            if value is None:
                return None
            return (value if value.tzinfo else value.replace(tzinfo=VIETNAM_TIME)).astimezone(VIETNAM_TIME).date()

        first, last = day(since), day(until)
        if first is not None and last is not None and last < first:
            raise CodedError("until must not be before since (both are read as days in Vietnam)", BAD_USER_INPUT)
        rows = await run_in_threadpool(info.context.system.rollouts.daily, self.report.area, first, last)
        return [RolloutDay(day=d, storefronts=s, orders=o) for d, s, o in rows]


@strawberry.type(description="The programme across the nation: every province of the current (2025) scheme, each"
                             " counting the 2021 records of the provinces it absorbed, so they add up to the nation.")
class NationalRollout:
    figures: strawberry.Private[RolloutFigures]
    reports: strawberry.Private[list[ProvinceRolloutReport]]

    @strawberry.field(description="Households registered.")
    def households(self) -> int:
        return self.figures.households

    @strawberry.field(description="Storefronts opened.")
    def storefronts(self) -> int:
        return self.figures.storefronts

    @strawberry.field(description="Payment accounts linked.")
    def payment_accounts(self) -> int:
        return self.figures.payment_accounts

    @strawberry.field(description="Orders placed and not cancelled.")
    def orders(self) -> int:
        return self.figures.orders

    @strawberry.field(description="Delivered and paid orders' totals net of refunds, in VND.")
    def revenue(self) -> Money:
        return _money(self.figures)

    @strawberry.field(description="The programme's target: 5,000,000 households by the end of 2021.")
    def target_households(self) -> int:
        return NATIONAL_TARGET_HOUSEHOLDS

    @strawberry.field(description="Every province of the 2025 scheme, by code.")
    def provinces(self) -> list[ProvinceRollout]:
        return [ProvinceRollout(report=r) for r in self.reports]


@strawberry.enum(description="Where a campaign's kilograms went.")
class CampaignSaleKind(Enum):
    DOMESTIC = "DOMESTIC"
    EXPORT = "EXPORT"


@strawberry.type(description="What a campaign sold to one destination.")
class DestinationVolume:
    volume: strawberry.Private[Volume]

    @strawberry.field(description="A province code for domestic sales (in the campaign's scheme; 'SCHEME:CODE' when"
                                  " it is not one province there), an ISO country code for export.")
    def destination(self) -> str:
        return self.volume.destination

    @strawberry.field(description="DOMESTIC or EXPORT. Beyond the contract.")
    def kind(self) -> CampaignSaleKind:
        return CampaignSaleKind(self.volume.kind)

    @strawberry.field(description="Kilograms (whole, rounded down) of orders placed and not cancelled.")
    def kilograms(self) -> int:
        return self.volume.kilograms

    @strawberry.field(description="Orders (domestic) or export orders with lots (export).")
    def orders(self) -> int:
        return self.volume.orders


@strawberry.type(description="A push to sell one crop of one province (e.g. Bắc Giang lychee 2021). Public.")
class Campaign(Node):
    report: strawberry.Private[CampaignReport]

    @strawberry.field(description="The campaign's global ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Campaign", self.report.row["id"]))

    @strawberry.field(description="Its name, unique in its province.")
    def name(self) -> str:
        return self.report.row["name"]

    @strawberry.field(description="The crop, e.g. 'Vải thiều'.")
    def product(self) -> str:
        return self.report.row["product"]

    @strawberry.field(description="The province's GSO code in the campaign's scheme.")
    def province_code(self) -> str:
        return self.report.row["province_code"]

    @strawberry.field(description="The scheme of provinceCode. Beyond the contract.")
    def scheme(self) -> int:
        return int(self.report.row["scheme"])

    @strawberry.field(description="Kilograms the campaign aims to sell.")
    def target_kg(self) -> int:
        return int(self.report.row["target_kg"])

    @strawberry.field(description="Kilograms sold: orders of its listings placed and not cancelled (quantity × the"
                                  " listing's weight per unit), and lots of its export orders not cancelled.")
    def sold_kg(self) -> int:
        return self.report.sold_kg

    @strawberry.field(description="Of soldKg, sold in Vietnam.")
    def domestic_kg(self) -> int:
        return self.report.domestic_kg

    @strawberry.field(description="Of soldKg, exported.")
    def export_kg(self) -> int:
        return self.report.export_kg

    @strawberry.field(description="soldKg ÷ targetKg (1.0 is the target met). Beyond the contract.")
    def progress(self) -> float:
        return self.report.sold_kg / int(self.report.row["target_kg"])

    @strawberry.field(description="When it starts.")
    def starts_at(self) -> datetime:
        return datetime.fromisoformat(self.report.row["starts_at"])

    @strawberry.field(description="When it ends.")
    def ends_at(self) -> datetime:
        return datetime.fromisoformat(self.report.row["ends_at"])

    @strawberry.field(description="Kilograms by destination, most first.")
    def destinations(self) -> list[DestinationVolume]:
        return [DestinationVolume(volume=v) for v in self.report.destinations]
