"""ProvinceRollout: a province's plan for putting its households on the marketplaces — how many
households, storefronts and payment accounts by when (DOMAIN.md: Lạng Sơn planned 45,000 storefronts
for 90,000 households and 45,000 payment accounts).

One plan per land: its id is derived from the land's 2025 province when the province is the same
land in both schemes (2021:20 and 2025:20), else from the province's own claim (a 2021 province merged
into a larger one plans its part), so the first plan creates the stream and a later one, under either
scheme, revises it, on every backend and under any race.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.text import has_utc_instant

PROVINCE_ROLLOUT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:province-rollout")
#: the programme's national target (Plan 1034: 5 million households on the marketplaces)
NATIONAL_TARGET_HOUSEHOLDS = 5_000_000
#: most of any one target a province plans: the whole nation's target
MAX_TARGET = NATIONAL_TARGET_HOUSEHOLDS


def province_rollout_id_for(area: ProvinceArea) -> UUID:
    """The id a first plan of ``area`` gets: one per land. A province that is exactly the land of a
    province of the other scheme (2021:20 and 2025:20 Lạng Sơn, ``ProvinceArea.same_land``) shares
    the 2025 province's id, as the dashboards already share its plan; a 2021 province merged into a
    larger 2025 one (2021:24 in 2025:24) is part of that land and keeps a plan of its own."""
    return uuid5(PROVINCE_ROLLOUT_NAMESPACE, (area.land if area.same_land is not None else area).claim)


def province_rollout_ids_to_revise(area: ProvinceArea) -> tuple[UUID, ...]:
    """The ids of plans a new plan of ``area`` revises, in order, when one exists: ``area``'s own from
    before plans were one per land (derived from its own claim), then the same land's under the other
    scheme (a plan of 2025:20 is revised by planning 2021:20), then ``province_rollout_id_for``."""
    same_land = area.same_land
    claims = [area.claim, *([] if same_land is None else [same_land.claim])]
    ids = [uuid5(PROVINCE_ROLLOUT_NAMESPACE, claim) for claim in claims]
    return tuple(dict.fromkeys([*ids, province_rollout_id_for(area)]))


def _target(value: Any, name: str) -> int:
    field = ["input", name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number", field)
    if not 0 <= value <= MAX_TARGET:
        raise InvalidInput(f"{name} must be between 0 and {MAX_TARGET:,}", field)
    return value


def checked_targets(households: Any, storefronts: Any, payment_accounts: Any,
                    deadline: datetime | None) -> dict[str, Any]:
    """The targets as an event carries them; InvalidInput naming the field for a count that is not a
    whole number in 0..5,000,000 or a deadline without a time zone."""
    if deadline is not None and deadline.utcoffset() is None:
        raise InvalidInput("deadline needs a time zone (e.g. 2021-12-31T23:59:59+07:00)", ["input", "deadline"])
    if deadline is not None and not has_utc_instant(deadline):
        raise InvalidInput("deadline is outside the years 1 to 9999 in UTC", ["input", "deadline"])
    return {"households": _target(households, "households"), "storefronts": _target(storefronts, "storefronts"),
            "payment_accounts": _target(payment_accounts, "paymentAccounts"), "deadline": deadline}


class ProvinceRollout(FarmAggregate):
    class Planned(FarmAggregate.Created):
        scheme: int
        province_code: str
        households: int
        storefronts: int
        payment_accounts: int
        deadline: datetime | None

    class Replanned(FarmAggregate.Event):
        households: int
        storefronts: int
        payment_accounts: int
        deadline: datetime | None

        def apply(self, rollout: ProvinceRollout) -> None:
            rollout.targets = {"households": self.households, "storefronts": self.storefronts,
                               "payment_accounts": self.payment_accounts, "deadline": self.deadline}

    def __init__(self, scheme: int, province_code: str, households: int, storefronts: int, payment_accounts: int,
                 deadline: datetime | None) -> None:
        self.scheme = scheme
        self.province_code = province_code
        self.targets = {"households": households, "storefronts": storefronts, "payment_accounts": payment_accounts,
                        "deadline": deadline}

    @classmethod
    def plan(cls, area: ProvinceArea, targets: dict[str, Any]) -> ProvinceRollout:
        """The first plan of ``area``; ``targets`` from ``checked_targets``."""
        return cls._start(cls.Planned, province_rollout_id_for(area), scheme=area.scheme, province_code=area.code,
                          **targets)

    def replan(self, targets: dict[str, Any]) -> None:
        """New targets; the same targets again record nothing."""
        if targets != self.targets:
            self._record(self.Replanned, **targets)
