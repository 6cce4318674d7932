"""Storefront (cửa hàng số): a household's shop on one marketplace, its hours and where it is.

The aggregate id is derived from the household and the marketplace, so a second storefront of
one household on one marketplace collides in the event store itself, under any race. A household
may have one on each marketplace, all under its one standard code.

A storefront may give its own contact number (``contact_phone``, E.164), a landline as well as a
mobile: a shop in a commune post office answers on the office's line. Without one, the household's
own number is the storefront's contact. It is personal data, masked like any phone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.contact import normalise_phone
from farmgate.core.domain.errors import InvalidInput, InvalidTransition
from farmgate.core.domain.household import Household
from farmgate.core.domain.text import required_text
from farmgate.core.domain.opening_hours import OpeningHours
from farmgate.core.domain.place import GeoPoint

STOREFRONT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:storefront")

MARKETPLACES = ("POSTMART", "VOSO")
STOREFRONT_STATUSES = ("OPEN", "TEMPORARILY_CLOSED", "CLOSED")


def storefront_id_for(household_id: UUID, marketplace: str) -> UUID:
    return uuid5(STOREFRONT_NAMESPACE, f"{household_id}/{marketplace}")


def check_marketplace(marketplace: str, field: list[str]) -> str:
    if marketplace not in MARKETPLACES:
        raise InvalidInput(f"Unknown marketplace; use one of {', '.join(MARKETPLACES)}", field)
    return marketplace


def open_at(status: str, hours: OpeningHours, instant: datetime) -> bool:
    """Whether a storefront takes customers at ``instant``: by its status, then by its hours.

    The one rule for the aggregate and the read model alike.
    """
    return status == "OPEN" and hours.is_open_at(instant)


class Storefront(FarmAggregate):
    class Opened(FarmAggregate.Created):
        household_id: UUID
        marketplace: str
        name: str
        location: dict[str, float]
        opening_hours: list[dict[str, Any]]
        #: E.164; absent from storefronts opened before it existed (read as None)
        contact_phone: str | None

    class ClosedTemporarily(FarmAggregate.Event):
        def apply(self, storefront: Storefront) -> None:
            storefront.status = "TEMPORARILY_CLOSED"

    class Closed(FarmAggregate.Event):
        def apply(self, storefront: Storefront) -> None:
            storefront.status = "CLOSED"

    class Reopened(FarmAggregate.Event):
        def apply(self, storefront: Storefront) -> None:
            storefront.status = "OPEN"

    def __init__(
        self,
        household_id: UUID,
        marketplace: str,
        name: str,
        location: dict[str, float],
        opening_hours: list[dict[str, Any]],
        occurred_at: datetime,
        contact_phone: str | None = None,
    ) -> None:
        self.household_id = household_id
        self.contact_phone = contact_phone
        self.marketplace = marketplace
        self.name = name
        # Kept as primitives so a snapshot needs no custom transcoding; the properties give values.
        self._location = location
        self._opening_hours = opening_hours
        self.status = "OPEN"
        self.opened_at = occurred_at

    @classmethod
    def open(
        cls,
        *,
        household: Household,
        marketplace: str,
        name: str,
        location: GeoPoint,
        opening_hours: OpeningHours,
        contact_phone: str | None = None,
    ) -> Storefront:
        """Open the household's storefront on ``marketplace``. ``contact_phone``: a Vietnamese mobile or
        landline, any common spelling (InvalidInput at ["input", "contactPhone"] otherwise)."""
        check_marketplace(marketplace, ["input", "marketplace"])
        if contact_phone is not None:
            contact_phone = normalise_phone(contact_phone, ["input", "contactPhone"], landline=True)
        return cls._start(
            cls.Opened,
            storefront_id_for(household.id, marketplace),
            household_id=household.id,
            marketplace=marketplace,
            name=required_text(name, ["input", "name"], 120),
            location={"latitude": location.latitude, "longitude": location.longitude},
            opening_hours=opening_hours.to_primitive(),
            contact_phone=contact_phone,
        )

    @property
    def location(self) -> GeoPoint:
        return GeoPoint(self._location["latitude"], self._location["longitude"])

    @property
    def opening_hours(self) -> OpeningHours:
        return OpeningHours.from_primitive(self._opening_hours)

    @property
    def takes_new_listings(self) -> bool:
        # A temporarily closed shop may prepare its listings for reopening; a closed one may not.
        return self.status != "CLOSED"

    def is_open_at(self, instant: datetime) -> bool:
        return open_at(self.status, self.opening_hours, instant)

    def set_status(self, status: str) -> None:
        """The API's setStorefrontStatus: setting the status it already has records nothing."""
        transitions = {"OPEN": self.reopen, "TEMPORARILY_CLOSED": self.close_temporarily, "CLOSED": self.close}
        if status not in transitions:
            raise InvalidInput(f"Unknown status; use one of {', '.join(STOREFRONT_STATUSES)}", ["input", "status"])
        if status != self.status:
            transitions[status]()

    def close_temporarily(self) -> None:
        if self.status != "OPEN":
            raise InvalidTransition(f"A {self.status} storefront cannot close temporarily", ["input", "status"])
        self._record(self.ClosedTemporarily)

    def close(self) -> None:
        if self.status == "CLOSED":
            raise InvalidTransition("The storefront is already closed", ["input", "status"])
        self._record(self.Closed)

    def reopen(self) -> None:
        # A closed storefront may reopen: its id is fixed per household and marketplace, so
        # refusing would bar the household from that marketplace for good.
        if self.status == "OPEN":
            raise InvalidTransition("The storefront is already open", ["input", "status"])
        self._record(self.Reopened)
