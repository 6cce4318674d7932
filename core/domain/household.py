"""Household (hộ sản xuất nông nghiệp): one standard record and code shared by every marketplace.

The aggregate id is derived from the keyed digest of the national ID, so two registrations of one
person collide in the event store itself: exactly one wins, on every backend, under any race.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.errors import InvalidInput, InvalidTransition
from farmgate.core.domain.text import code_key, required_code, required_text

HOUSEHOLD_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:household")
CODE_SEQUENCE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:household-code-sequence")

PAYMENT_ACCOUNT_KINDS = ("E_WALLET", "BANK_ACCOUNT", "POST_OFFICE")
CERTIFICATION_SCHEMES = ("VIETGAP", "GLOBALGAP", "ORGANIC", "OCOP")


def household_id_for(national_id_digest: str) -> UUID:
    return uuid5(HOUSEHOLD_NAMESPACE, national_id_digest)


class HouseholdCodeSequence(FarmAggregate):
    """Issues a province's household codes in order; a code once issued is never issued again."""

    class Started(FarmAggregate.Created):
        province_code: str

    class CodeIssued(FarmAggregate.Event):
        code: str
        number: int

        def apply(self, sequence: HouseholdCodeSequence) -> None:
            sequence.last_number = self.number

    def __init__(self, province_code: str) -> None:
        self.province_code = province_code
        self.last_number = 0

    @staticmethod
    def id_for(province_code: str) -> UUID:
        return uuid5(CODE_SEQUENCE_NAMESPACE, province_code)

    @classmethod
    def start(cls, province_code: str) -> HouseholdCodeSequence:
        return cls._start(cls.Started, cls.id_for(province_code), province_code=province_code)

    def issue(self) -> str:
        number = self.last_number + 1
        code = f"HH-{self.province_code}-{number:06d}"
        self._record(self.CodeIssued, code=code, number=number)
        return code


class Household(FarmAggregate):
    class Registered(FarmAggregate.Created):
        code: str
        name: str
        national_id_digest: str
        phone: str
        address: dict[str, Any]
        location: dict[str, float] | None
        #: the marketplace it was registered through, if any
        channel: str | None

    class Verified(FarmAggregate.Event):
        method: str

        def apply(self, household: Household) -> None:
            household.status = "VERIFIED"
            household.verified_at = self.occurred_at

    class PaymentAccountLinked(FarmAggregate.Event):
        kind: str
        provider: str
        reference_masked: str

        def apply(self, household: Household) -> None:
            household.payment_accounts.append(
                {"kind": self.kind, "provider": self.provider, "reference_masked": self.reference_masked}
            )

    class CertificationAdded(FarmAggregate.Event):
        certification_id: UUID
        scheme: str
        number: str
        issuer: str
        valid_until: datetime

        def apply(self, household: Household) -> None:
            household.certifications[self.certification_id] = {
                "scheme": self.scheme,
                "number": self.number,
                "issuer": self.issuer,
                "valid_until": self.valid_until,
            }

    def __init__(
        self,
        code: str,
        name: str,
        national_id_digest: str,
        phone: str,
        address: dict[str, Any],
        location: dict[str, float] | None,
        channel: str | None = None,
    ) -> None:
        self.code = code
        self.channel = channel
        self.name = name
        self.national_id_digest = national_id_digest
        self.phone = phone
        self.address = address
        self.location = location
        self.status = "REGISTERED"
        self.verified_at: datetime | None = None
        self.payment_accounts: list[dict[str, str]] = []
        self.certifications: dict[UUID, dict[str, Any]] = {}

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        national_id_digest: str,
        phone: str,
        address: dict[str, Any],
        location: dict[str, float] | None = None,
        channel: str | None = None,
    ) -> Household:
        return cls._start(
            cls.Registered,
            household_id_for(national_id_digest),
            code=code,
            name=required_text(name, ["input", "name"]),
            national_id_digest=national_id_digest,
            phone=phone,
            address=address,
            location=location,
            channel=channel,
        )

    @property
    def province_code(self) -> str:
        return str(self.address["province_code"])

    def verify(self, method: str) -> None:
        if self.status != "REGISTERED":
            raise InvalidTransition(f"A {self.status} household cannot be verified", ["input", "householdId"])
        self._record(self.Verified, method=required_text(method, ["input", "method"]))

    def link_payment_account(self, kind: str, provider: str, reference_masked: str) -> None:
        if kind not in PAYMENT_ACCOUNT_KINDS:
            raise InvalidInput(f"Unknown payment account kind {kind}", ["input", "kind"])
        provider = required_text(provider, ["input", "provider"], 100)
        if any(a["kind"] == kind and a["provider"] == provider and a["reference_masked"] == reference_masked
               for a in self.payment_accounts):
            raise InvalidInput("This payment account is already linked", ["input", "reference"], code="ALREADY_EXISTS")
        self._record(self.PaymentAccountLinked, kind=kind, provider=provider, reference_masked=reference_masked)

    def add_certification(
        self, scheme: str, number: str, issuer: str, valid_until: datetime, now: datetime
    ) -> UUID:
        """Add a certificate; returns its id. ``number`` follows ``required_code`` (NFKC, digits ASCII,
        kept in the case typed); the same scheme and number again is ALREADY_EXISTS, numbers compared
        by ``code_key`` (case, full-width forms and outer spaces ignored), also against older ones."""
        if scheme not in CERTIFICATION_SCHEMES:
            raise InvalidInput(f"Unknown certification scheme {scheme}", ["input", "scheme"])
        number = required_code(number, ["input", "number"], 100)
        issuer = required_text(issuer, ["input", "issuer"], 200)
        if valid_until <= now:
            raise InvalidInput("validUntil must be in the future", ["input", "validUntil"])
        if any(c["scheme"] == scheme and code_key(c["number"]) == code_key(number) for c in self.certifications.values()):
            raise InvalidInput(
                f"{scheme} certificate {number} is already on this household", ["input", "number"], code="ALREADY_EXISTS"
            )
        certification_id = uuid4()
        self._record(
            self.CertificationAdded,
            certification_id=certification_id,
            scheme=scheme,
            number=number,
            issuer=issuer,
            valid_until=valid_until,
        )
        return certification_id
