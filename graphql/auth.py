"""Authentication: HS256 JWTs carrying a role and scope claims, and the principal they describe."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_area import ProvinceArea

ROLES = ("ADMIN", "MARKETPLACE", "HOUSEHOLD", "CARRIER", "PROVINCE_OFFICER", "DISPUTE_STAFF", "EXPORT_PARTNER")
MARKETPLACES = ("POSTMART", "VOSO")
#: the scope claim each role must carry
REQUIRED_SCOPE = {
    "MARKETPLACE": "marketplace",
    "HOUSEHOLD": "household",
    "CARRIER": "carrier",
    "PROVINCE_OFFICER": "province",
    "EXPORT_PARTNER": "partner",
}
SCOPE_CLAIMS = ("marketplace", "province", "partner", "carrier", "household")


class AuthenticationError(Exception):
    """The bearer token is missing, malformed, expired or badly signed."""


@dataclass(frozen=True)
class Principal:
    """Who calls: role, subject and scope claims. ``province`` is always qualified (``"2025:79"``)."""

    role: str
    subject: str
    marketplace: str | None = None
    province: str | None = None
    partner: str | None = None
    carrier: str | None = None
    household: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.subject}"

    @property
    def caller_key(self) -> str:
        """Who 'the same caller' is for idempotency keys."""
        scope = ",".join(f"{c}={getattr(self, c)}" for c in SCOPE_CLAIMS if getattr(self, c))
        return f"{self.actor}|{scope}"

    def is_(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def province_area(self) -> ProvinceArea | None:
        """The area a province claim covers under both schemes (core.domain.province_area)."""
        return None if self.province is None else ProvinceArea.parse(self.province)


def issue_token(secret: str, role: str, subject: str, ttl_seconds: int = 3600, **scope: str | None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    needed = REQUIRED_SCOPE.get(role)
    if needed and not scope.get(needed):
        raise ValueError(f"a {role} token needs --{needed}")
    if scope.get("marketplace") and scope["marketplace"] not in MARKETPLACES:
        raise ValueError(f"marketplace must be one of {', '.join(MARKETPLACES)}")
    if scope.get("province"):
        try:
            province_claim(scope["province"])  # refused here rather than on first use; written as given
        except InvalidInput as error:
            raise ValueError(error.message) from None
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "role": role, "iat": now, "exp": now + ttl_seconds}
    claims.update({k: v for k, v in scope.items() if v})
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "role", "exp"]})
    except jwt.PyJWTError as error:
        raise AuthenticationError(f"Invalid token: {error}") from None
    role = claims.get("role")
    if role not in ROLES:
        raise AuthenticationError("Invalid token: unknown role")
    needed = REQUIRED_SCOPE.get(role)
    if needed and not claims.get(needed):
        raise AuthenticationError(f"Invalid token: a {role} token needs the {needed} claim")
    scope = {c: _str(claims.get(c)) for c in SCOPE_CLAIMS}
    if scope["province"] is not None:
        try:
            scope["province"] = province_claim(scope["province"])
        except InvalidInput as error:
            raise AuthenticationError(f"Invalid token: {error.message}") from None
    return Principal(role=role, subject=str(claims["sub"]), **scope)


def province_claim(value: str) -> str:
    """A province scope claim in its qualified form: ``"2021:24"`` stays, a bare ``"24"`` is read in
    the 2025 scheme (``"2025:24"``). InvalidInput for an unknown scheme or province."""
    return ProvinceArea.parse(value).claim


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
