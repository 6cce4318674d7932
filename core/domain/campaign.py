"""Campaign: a push to sell one crop of one province (Bắc Giang lychee 2021: more than 8,000 tonnes
to all 63 provinces and abroad). Listings join a campaign when they are published; what they sell
counts against the campaign's target in kilograms.

Its province is named as a scope claim is (``2021:24``, or a bare code read in the 2025 scheme), and
a listing may join it only if its household's land is in that province's area (core.domain.province_area).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.text import has_utc_instant, required_text

#: most kilograms a campaign aims at: ten times Bắc Giang's whole 2021 lychee harvest (210,000 tonnes)
MAX_TARGET_KG = 2_100_000_000
CAMPAIGN_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:campaign")


def name_key(name: str) -> str:
    """What makes two campaign names one name: Unicode NFKC (full-width "Ｎａ" is "Na"), then case
    folded, with runs of whitespace as one space and none outside. Accents are kept: in Vietnamese
    they tell words apart ("ma" a ghost, "má" a mother, "mả" a grave). A name without compatibility forms
    keys as it did before NFKC was added, so those campaigns keep their ids."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _campaign_id(claim: str, name: str) -> UUID:
    return uuid5(CAMPAIGN_NAMESPACE, f"{claim}|{name_key(name)}")


def _campaign_id_before_nfkc(claim: str, name: str) -> UUID:
    """The id a campaign of ``name`` got before its key took NFKC (case and spacing folded only)."""
    return uuid5(CAMPAIGN_NAMESPACE, f"{claim}|{' '.join(name.casefold().split())}")


def campaign_id_for(area: ProvinceArea, name: str) -> UUID:
    """One campaign of a name per land: the id is derived from the 2025 province that takes in the
    area (``ProvinceArea.land``) and the name (``name_key``: compatibility forms, case and spacing
    folded), so launching it again under
    either scheme (2021:20 and 2025:20 are the same land; 2021:24 lies in 2025:24) collides in the
    event store itself, under any race."""
    return _campaign_id(area.land.claim, name)


def campaign_ids_on_the_land(area: ProvinceArea, name: str) -> tuple[UUID, ...]:
    """Every id a campaign of this name on ``area``'s land may have: ``campaign_id_for`` first, then
    the ids campaigns launched under a 2021 province had before ids were derived from the land (from
    that province's own claim), which still exist in the event store, then the ids all these had
    before the name's key took NFKC (differing only for a name typed with compatibility forms)."""
    claims = [area.land.claim, *(a.claim for a in area.on_the_land)]
    ids = [_campaign_id(claim, name) for claim in claims] + [_campaign_id_before_nfkc(claim, name) for claim in claims]
    return tuple(dict.fromkeys(ids))


class Campaign(FarmAggregate):
    class Launched(FarmAggregate.Created):
        name: str
        product: str
        scheme: int
        province_code: str
        target_kg: int
        starts_at: datetime
        ends_at: datetime

    def __init__(self, name: str, product: str, scheme: int, province_code: str, target_kg: int,
                 starts_at: datetime, ends_at: datetime) -> None:
        self.name = name
        self.product = product
        self.scheme = scheme
        self.province_code = province_code
        self.target_kg = target_kg
        self.starts_at = starts_at
        self.ends_at = ends_at

    @property
    def area(self) -> ProvinceArea:
        return ProvinceArea(self.scheme, self.province_code)

    @classmethod
    def launch(cls, *, name: str, product: str, area: ProvinceArea, target_kg: int, starts_at: datetime,
               ends_at: datetime) -> Campaign:
        """Raises InvalidInput naming the field: empty name or product, a target that is not a whole
        number of 1..2,100,000,000 kg, times without a time zone, an end not after the start."""
        if isinstance(target_kg, bool) or not isinstance(target_kg, int) or not 1 <= target_kg <= MAX_TARGET_KG:
            raise InvalidInput(f"targetKg must be a whole number between 1 and {MAX_TARGET_KG:,}",
                               ["input", "targetKg"])
        for value, name_ in ((starts_at, "startsAt"), (ends_at, "endsAt")):
            if value.utcoffset() is None:
                raise InvalidInput(f"{name_} needs a time zone", ["input", name_])
            if not has_utc_instant(value):
                raise InvalidInput(f"{name_} is outside the years 1 to 9999 in UTC", ["input", name_])
        if ends_at <= starts_at:
            raise InvalidInput("endsAt must be after startsAt", ["input", "endsAt"])
        name = required_text(name, ["input", "name"], 200)
        return cls._start(
            cls.Launched, campaign_id_for(area, name), name=name,
            product=required_text(product, ["input", "product"], 200), scheme=area.scheme,
            province_code=area.code, target_kg=target_kg, starts_at=starts_at, ends_at=ends_at,
        )
