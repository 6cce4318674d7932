"""The shared vocabulary of the API: Node, Money, PageInfo, UserError, Viewer, places, enums."""

from __future__ import annotations

from enum import Enum

import strawberry

from farmgate.core.domain.errors import DomainError


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Money:
    amount: str
    currency: str


@strawberry.input
class MoneyInput:
    amount: str
    currency: str


@strawberry.enum
class UserErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


@strawberry.type
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "buyer", "phone"].'
    )
    code: UserErrorCode
    message: str

    @classmethod
    def of(cls, error: DomainError) -> UserError:
        return cls(field=error.field, code=UserErrorCode(error.code), message=error.message)

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "code": self.code.value, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> UserError:
        field = data.get("field")
        return cls(field=list(field) if isinstance(field, list) else None,
                   code=UserErrorCode(str(data["code"])), message=str(data["message"]))


@strawberry.enum
class Role(Enum):
    ADMIN = "ADMIN"
    MARKETPLACE = "MARKETPLACE"
    HOUSEHOLD = "HOUSEHOLD"
    CARRIER = "CARRIER"
    PROVINCE_OFFICER = "PROVINCE_OFFICER"
    DISPUTE_STAFF = "DISPUTE_STAFF"
    EXPORT_PARTNER = "EXPORT_PARTNER"


@strawberry.enum
class Marketplace(Enum):
    POSTMART = "POSTMART"
    VOSO = "VOSO"


@strawberry.type
class Viewer:
    role: Role | None
    subject: str | None
    marketplace: Marketplace | None
    province_code: str | None = strawberry.field(
        description="The province of a PROVINCE_OFFICER's scope, in the scheme `provinceScheme` says.")
    partner_id: strawberry.ID | None
    carrier: str | None = strawberry.field(description=(
        "A CARRIER's carrier id (Carrier.id), whichever known spelling or id its token's carrier claim used."))
    household_id: strawberry.ID | None
    province_scheme: int | None = strawberry.field(
        default=None,
        description="The scheme of `provinceCode`: 2021 or 2025 (a bare `province` claim is read as 2025).",
    )


@strawberry.type
class Address:
    scheme: int = strawberry.field(
        description="Which administrative scheme the codes belong to: 2021 (63 provinces) or 2025 (34). Kept as captured."
    )
    province_code: str
    province_name: str
    district_code: str | None
    ward_code: str | None
    street: str | None


@strawberry.input
class AddressInput:
    province_code: str
    scheme: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="2021 or 2025; the current scheme (2025) when omitted. Code 24 is Bắc Giang in 2021 and Bắc Ninh in 2025.",
    )
    district_code: str | None = strawberry.UNSET
    ward_code: str | None = strawberry.UNSET
    street: str | None = strawberry.UNSET


@strawberry.type
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.input
class GeoPointInput:
    latitude: float
    longitude: float
