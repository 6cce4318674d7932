"""Household types: one standard record and code, shared by every marketplace."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.domain.contact import mask_phone
from farmgate.core.domain.provinces import province
from farmgate.core.history import stream_records
from farmgate.graphql.audit import EventRecord
from farmgate.graphql.errors import forbidden
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.scope import sees_household_history, sees_personal_data
from farmgate.graphql.types import Address, Node, PageInfo

if TYPE_CHECKING:
    from farmgate.graphql.catalog.types import Storefront


@strawberry.enum
class HouseholdStatus(Enum):
    REGISTERED = "REGISTERED"
    VERIFIED = "VERIFIED"
    SUSPENDED = "SUSPENDED"


@strawberry.enum
class PaymentAccountKind(Enum):
    E_WALLET = "E_WALLET"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    POST_OFFICE = "POST_OFFICE"


@strawberry.enum
class CertificationScheme(Enum):
    VIETGAP = "VIETGAP"
    GLOBALGAP = "GLOBALGAP"
    ORGANIC = "ORGANIC"
    OCOP = "OCOP"


@strawberry.type
class PaymentAccount:
    kind: PaymentAccountKind
    provider: str
    reference_masked: str = strawberry.field(description="Masked account reference, e.g. ****6789.")
    linked_at: datetime


@strawberry.type
class Certification:
    id: strawberry.ID
    scheme: CertificationScheme
    number: str
    issuer: str
    valid_until: datetime

    @classmethod
    def of(cls, item: dict[str, Any]) -> Certification:
        return cls(
            id=strawberry.ID(to_global_id("Certification", item["id"])),
            scheme=CertificationScheme(item["scheme"]),
            number=item["number"],
            issuer=item["issuer"],
            valid_until=datetime.fromisoformat(item["valid_until"]),
        )


def address_of(row: dict[str, Any]) -> Address:
    return Address(
        scheme=row["scheme"],
        province_code=row["province_code"],
        province_name=province(row["scheme"], row["province_code"]).name,
        district_code=row.get("district_code"),
        ward_code=row.get("ward_code"),
        street=row.get("street"),
    )


@strawberry.type
class Household(Node):
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Household", self.row["id"]))

    @strawberry.field(description="The standard household code, the same on every marketplace.")
    def code(self) -> str:
        return self.row["code"]

    @strawberry.field
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field
    def status(self) -> HouseholdStatus | None:
        return HouseholdStatus(self.row["status"])

    @strawberry.field
    def address(self) -> Address | None:
        return address_of(self.row)

    @strawberry.field(description="Only the last 3 digits; the full number only to ADMIN and the household itself.")
    def phone_masked(self, info: strawberry.Info) -> str | None:
        phone = self.row["phone"]
        return phone if sees_personal_data(info.context.principal, self.row["id"]) else mask_phone(phone)

    @strawberry.field
    def registered_at(self) -> datetime:
        return datetime.fromisoformat(self.row["registered_at"])

    @strawberry.field
    def verified_at(self) -> datetime | None:
        value = self.row.get("verified_at")
        return datetime.fromisoformat(value) if value else None

    @strawberry.field
    def payment_accounts(self) -> list[PaymentAccount] | None:
        return [
            PaymentAccount(
                kind=PaymentAccountKind(a["kind"]),
                provider=a["provider"],
                reference_masked=a["reference_masked"],
                linked_at=datetime.fromisoformat(a["linked_at"]),
            )
            for a in self.row["payment_accounts"]
        ]

    @strawberry.field
    def certifications(self) -> list[Certification] | None:
        return [Certification.of(c) for c in self.row["certifications"]]

    @strawberry.field
    async def storefronts(
        self, info: strawberry.Info
    ) -> list[Annotated["Storefront", strawberry.lazy("farmgate.graphql.catalog.types")]]:
        # Imported here: the catalog's types are built on this module's Household.
        from farmgate.graphql.catalog.scoped import storefronts_of_household

        return await storefronts_of_household(info.context, self.row["id"])

    @strawberry.field(
        description="Every event of this household, oldest first (ADMIN, DISPUTE_STAFF, PROVINCE_OFFICER of its province)."
    )
    async def history(self, info: strawberry.Info) -> list[EventRecord] | None:
        principal = info.context.principal
        if not sees_household_history(principal, self.row):
            raise forbidden("Only ADMIN, DISPUTE_STAFF and the household's province officer see its history")
        app = info.context.system.app
        records = await run_in_threadpool(stream_records, app, UUID(self.row["id"]))
        reveal = principal is not None and principal.is_("ADMIN")
        return [EventRecord.of(r, reveal) for r in records]


@strawberry.type
class HouseholdEdge:
    cursor: str
    node: Household


@strawberry.type
class HouseholdConnection:
    edges: list[HouseholdEdge]
    page_info: PageInfo
    total_count: int
