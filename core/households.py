"""Household use cases: register, verify, link a payment account, add a certification."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.contact import check_national_id, mask_reference, normalise_phone
from farmgate.core.domain.errors import AlreadyExists, InvalidInput
from farmgate.core.domain.household import Household, HouseholdCodeSequence, household_id_for
from farmgate.core.domain.place import Address, GeoPoint
from farmgate.core.domain.text import required_text

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate

_REFERENCE = re.compile(r"^[A-Za-z0-9\-]{4,34}$")


@dataclass(frozen=True)
class PreparedRegistration:
    """A registration that passed every check that needs no event store (``prepare_registration``)."""

    household_id: UUID
    national_id_digest: str
    name: str
    phone: str
    address: Address
    location: dict[str, float] | None
    channel: str | None


class HouseholdCommands:
    def national_id_digest(self: Farmgate, national_id: str) -> str:
        """Keyed digest: uniqueness is checked on it; the number itself is never stored."""
        return hmac.new(self.pii_pepper, national_id.encode(), hashlib.sha256).hexdigest()

    def household_id_of_national_id(self: Farmgate, national_id: str) -> UUID:
        """The stream id a household with this national ID is (or would be) registered under: a keyed
        digest, so the number is neither stored nor recoverable from the id. InvalidInput if it is no CCCD."""
        return household_id_for(self.national_id_digest(check_national_id(national_id, ["input", "nationalId"])))

    def prepare_registration(
        self: Farmgate,
        *,
        name: str,
        national_id: str,
        phone: str,
        address: dict[str, Any],
        location: dict[str, float] | None = None,
        channel: str | None = None,
    ) -> PreparedRegistration:
        """Every check of a registration that needs no event store (InvalidInput naming the field, under
        ``["input", …]``): what ``register_prepared`` records, or what a dry run reports as good."""
        national_id = check_national_id(national_id, ["input", "nationalId"])
        phone_e164 = normalise_phone(phone, ["input", "phone"])
        place = Address.checked(field=["input", "address"], **address)
        point = None
        if location is not None:
            point = GeoPoint.checked(location["latitude"], location["longitude"], ["input", "location"])
        digest = self.national_id_digest(national_id)
        return PreparedRegistration(
            household_id=household_id_for(digest),  # as household_id_of_national_id, with the digest kept
            national_id_digest=digest,
            name=required_text(name, ["input", "name"]),
            phone=phone_e164,
            address=place,
            location=None if point is None else {"latitude": point.latitude, "longitude": point.longitude},
            channel=channel,
        )

    def register_household(
        self: Farmgate,
        *,
        name: str,
        national_id: str,
        phone: str,
        address: dict[str, Any],
        location: dict[str, float] | None = None,
        channel: str | None = None,
    ) -> UUID:
        return self.register_prepared(self.prepare_registration(
            name=name, national_id=national_id, phone=phone, address=address, location=location, channel=channel))

    def register_prepared(self: Farmgate, prepared: PreparedRegistration) -> UUID:
        """Record a checked registration: the household and its code, atomically. AlreadyExists if a
        household with this national ID is registered."""
        place = prepared.address

        def command() -> UUID:
            if self.exists(prepared.household_id):
                raise AlreadyExists("A household with this national ID is already registered", ["input", "nationalId"])
            sequence = self.load_or_start(
                HouseholdCodeSequence,
                HouseholdCodeSequence.id_for(place.province_code),
                lambda: HouseholdCodeSequence.start(place.province_code),
            )
            household = Household.register(
                code=sequence.issue(),
                name=prepared.name,
                national_id_digest=prepared.national_id_digest,
                phone=prepared.phone,
                address=place.as_dict(),
                location=prepared.location,
                channel=prepared.channel,
            )
            self.save(sequence, household)
            return household.id

        return self.retrying(command, "household registration")

    def register_prepared_batch(self: Farmgate, batch: list[PreparedRegistration]) -> bool:
        """Record many checked registrations, none of them registered yet, at once: per province, its
        households and their codes in one atomic save (one transaction instead of one per household).
        False, with nothing saved, if one of them got registered meanwhile or the code sequence moved:
        register them one by one then (``register_prepared``)."""
        by_province: dict[str, list[PreparedRegistration]] = {}
        for prepared in batch:
            by_province.setdefault(prepared.address.province_code, []).append(prepared)
        for province_code, registrations in by_province.items():
            sequence = self.load_or_start(HouseholdCodeSequence, HouseholdCodeSequence.id_for(province_code),
                                          lambda: HouseholdCodeSequence.start(province_code))
            households = [
                Household.register(code=sequence.issue(), name=p.name, national_id_digest=p.national_id_digest,
                                   phone=p.phone, address=p.address.as_dict(), location=p.location, channel=p.channel)
                for p in registrations
            ]
            try:
                self.save(sequence, *households)
            except IntegrityError:
                return False
        return True

    def registered_by(self: Farmgate, household_id: UUID) -> str | None:
        """The correlation id its registration was recorded with (None: no such household): one
        indexed read of the stream's first event."""
        recorded = self.recorder.select_events(household_id, limit=1)
        if not recorded:
            return None
        return str(self.mapper.to_domain_event(recorded[0]).correlation_id)

    def verify_household(self: Farmgate, household_id: UUID, method: str) -> UUID:
        def command() -> UUID:
            household = self.load(Household, household_id, ["input", "householdId"])
            household.verify(method)
            self.save(household)
            return household.id

        return self.retrying(command)

    def link_payment_account(self: Farmgate, household_id: UUID, kind: str, provider: str, reference: str) -> UUID:
        reference = canonical_code(reference, ["input", "reference"]).replace(" ", "")
        if not _REFERENCE.match(reference):
            raise InvalidInput("reference must be 4 to 34 letters, digits or dashes", ["input", "reference"])

        def command() -> UUID:
            household = self.load(Household, household_id, ["input", "householdId"])
            household.link_payment_account(kind, provider, mask_reference(reference))
            self.save(household)
            return household.id

        return self.retrying(command)

    def add_certification(
        self: Farmgate, household_id: UUID, scheme: str, number: str, issuer: str, valid_until: datetime
    ) -> tuple[UUID, UUID]:
        def command() -> tuple[UUID, UUID]:
            household = self.load(Household, household_id, ["input", "householdId"])
            certification_id = household.add_certification(scheme, number, issuer, valid_until, self.clock())
            self.save(household)
            return household.id, certification_id

        return self.retrying(command)
