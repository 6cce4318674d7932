"""ExportPartner: an importer or forwarder abroad that follows its own export orders.

Its id is derived from its country and case-folded name, so registering one partner twice collides
in the event store itself and is refused, on every backend, under any race.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.countries import check_country
from farmgate.core.domain.text import required_text

EXPORT_PARTNER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:export-partner")


def export_partner_id_for(name: str, country: str) -> UUID:
    return uuid5(EXPORT_PARTNER_NAMESPACE, f"{country}|{' '.join(name.casefold().split())}")


class ExportPartner(FarmAggregate):
    class Registered(FarmAggregate.Created):
        name: str
        country: str

    def __init__(self, name: str, country: str) -> None:
        self.name = name
        self.country = country

    @classmethod
    def register(cls, *, name: str, country: str) -> ExportPartner:
        name = required_text(name, ["input", "name"])
        country = check_country(country, ["input", "country"])
        return cls._start(cls.Registered, export_partner_id_for(name, country), name=name, country=country)
