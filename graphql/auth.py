"""Authentication: HS256 JWTs carrying a role and scope claims, and the principal they describe."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

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


def issue_token(secret: str, role: str, subject: str, ttl_seconds: int = 3600, **scope: str | None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    needed = REQUIRED_SCOPE.get(role)
    if needed and not scope.get(needed):
        raise ValueError(f"a {role} token needs --{needed}")
    if scope.get("marketplace") and scope["marketplace"] not in MARKETPLACES:
        raise ValueError(f"marketplace must be one of {', '.join(MARKETPLACES)}")
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
    return Principal(role=role, subject=str(claims["sub"]), **{c: _str(claims.get(c)) for c in SCOPE_CLAIMS})


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
