"""Household use cases: register, verify, link a payment account, add a certification."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.contact import check_national_id, mask_reference, normalise_phone
from farmgate.core.domain.errors import AlreadyExists, InvalidInput
from farmgate.core.domain.household import Household, HouseholdCodeSequence, household_id_for
from farmgate.core.domain.place import Address, GeoPoint

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate

_REFERENCE = re.compile(r"^[A-Za-z0-9\-]{4,34}$")


class HouseholdCommands:
    def national_id_digest(self: Farmgate, national_id: str) -> str:
        """Keyed digest: uniqueness is checked on it; the number itself is never stored."""
        return hmac.new(self.pii_pepper, national_id.encode(), hashlib.sha256).hexdigest()

    def household_id_of_national_id(self: Farmgate, national_id: str) -> UUID:
        """The stream id a household with this national ID is (or would be) registered under: a keyed
        digest, so the number is neither stored nor recoverable from the id. InvalidInput if it is no CCCD."""
        return household_id_for(self.national_id_digest(check_national_id(national_id, ["input", "nationalId"])))

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
        national_id = check_national_id(national_id, ["input", "nationalId"])
        phone_e164 = normalise_phone(phone, ["input", "phone"])
        place = Address.checked(field=["input", "address"], **address)
        point = None
        if location is not None:
            point = GeoPoint.checked(location["latitude"], location["longitude"], ["input", "location"])
        digest = self.national_id_digest(national_id)
        household_id = household_id_for(digest)  # as household_id_of_national_id, with the digest kept

        def command() -> UUID:
            if self.exists(household_id):
                raise AlreadyExists("A household with this national ID is already registered", ["input", "nationalId"])
            sequence = self.load_or_start(
                HouseholdCodeSequence,
                HouseholdCodeSequence.id_for(place.province_code),
                lambda: HouseholdCodeSequence.start(place.province_code),
            )
            household = Household.register(
                code=sequence.issue(),
                name=name,
                national_id_digest=digest,
                phone=phone_e164,
                address=place.as_dict(),
                location=None if point is None else {"latitude": point.latitude, "longitude": point.longitude},
                channel=channel,
            )
            self.save(sequence, household)
            return household.id

        return self.retrying(command, "household registration")

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
