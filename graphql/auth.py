"""Authentication: bearer JWTs, verified per issuer, and the principal they describe.

Production trusts only the issuers configured in FARMGATE_JWT_ISSUERS, each with its own public
keys (RS256, ES256 or EdDSA; RFC 7518 / RFC 8037) and its own limits: the roles and scope values
its tokens may carry, so Postmart's key cannot mint a VOSO or an ADMIN token. Development and tests
also accept HS256 tokens signed with FARMGATE_JWT_SECRET by the development issuer (`farmgate token`).

Every token must name the audience (``aud``), its issuer (``iss``), its subject, its role and an
expiry no further away than the maximum lifetime (RFC 7519 §4.1). A token that fails any check is
refused as UNAUTHENTICATED, whichever field it was sent for.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from farmgate.core.domain.canonical_text import canonical_text, has_visible_character
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.graphql.issuer_keys import IssuerKeys, UnknownSigningKey
from farmgate.graphql.scope_claims import (
    REQUIRED_SCOPE,
    SCOPE_CLAIMS,
    CarrierResolver,
    InvalidScopeClaim,
    grants,
    scope_claims,
)

if TYPE_CHECKING:
    from farmgate.deploy.settings import Settings, TokenIssuer

ROLES = ("ADMIN", "MARKETPLACE", "HOUSEHOLD", "CARRIER", "PROVINCE_OFFICER", "DISPUTE_STAFF", "EXPORT_PARTNER")
#: the ``iss`` of HS256 tokens made by `farmgate token` for development and tests
DEVELOPMENT_ISSUER = "farmgate-development"
DEFAULT_AUDIENCE = "farmgate"
#: clock skew tolerated between the issuer and us, seconds
LEEWAY_SECONDS = 30
#: the longest ``sub`` accepted, in characters: it becomes the actor of every event the token writes
MAX_SUBJECT_LENGTH = 256
#: the time claims, each a JSON number of seconds since the epoch when present (RFC 7519 §2 NumericDate)
TIME_CLAIMS = ("exp", "iat", "nbf")

class AuthenticationError(Exception):
    """The bearer token is missing, malformed, expired, badly signed, or claims more than its issuer may."""


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str
    marketplace: str | None = None
    province: str | None = None
    partner: str | None = None
    carrier: str | None = None
    household: str | None = None
    #: the token's ``exp`` (seconds since the epoch): long-lived connections end there
    expires_at: float | None = None

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

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and (time.time() if now is None else now) >= self.expires_at


def issue_token(key: Any, role: str, subject: str, ttl_seconds: int = 3600, *, issuer: str = DEVELOPMENT_ISSUER,
                audience: str = DEFAULT_AUDIENCE, kid: str | None = None, **scope: str | None) -> str:
    """A signed JWT for ``role`` and ``subject``, valid ``ttl_seconds``. ``key``: the HS256 secret
    (development), or a private key (PEM text or a `cryptography` key) signed with RS256, ES256 or
    EdDSA according to its type. Raises ValueError for an unknown role, a subject ``verify`` would refuse
    (see ``canonical_subject``) or a missing or invalid scope."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    try:
        subject = canonical_subject(subject)
    except ValueError as error:
        raise ValueError(f"the subject {error}") from None
    needed = REQUIRED_SCOPE.get(role)
    if needed and not scope.get(needed):
        raise ValueError(f"a {role} token needs --{needed}")
    try:
        checked = scope_claims(role, scope)
    except InvalidScopeClaim as error:
        raise ValueError(str(error)) from None
    now = int(time.time())
    claims: dict[str, Any] = {"iss": issuer, "aud": audience, "sub": subject, "role": role, "iat": now,
                              "exp": now + ttl_seconds}
    # Checked, but written as given: a bare province code stays bare in the token (read in 2025).
    claims.update({claim: scope[claim] for claim, value in checked.items() if value})
    if isinstance(key, str) and not key.lstrip().startswith("-----BEGIN"):
        return jwt.encode(claims, key, algorithm="HS256")
    private = _private_key(key)
    return jwt.encode(claims, private, algorithm=_algorithm_of(private), headers={"kid": kid} if kid else None)


def _private_key(key: Any) -> Any:
    if not isinstance(key, (str, bytes)):
        return key
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(key.encode() if isinstance(key, str) else key, password=None)


def _algorithm_of(private: Any) -> str:
    """The algorithm a private key signs with: RS256 (RSA), ES256 (EC P-256), EdDSA (Ed25519)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(private, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(private.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise ValueError("the key must be an RSA, EC P-256 or Ed25519 private key")


class TokenVerifier:
    """Checks bearer tokens against the configured issuers (and, outside production, the HS256
    development issuer). ``verify`` returns the Principal or raises AuthenticationError.

    ``carriers`` reads carrier claims against the carrier reference data (``graphql.carrier_claim``):
    a principal's carrier is then its carrier's global ID, and a claim naming no known carrier makes
    the token invalid. ``verify`` then reads the database: call it off the event loop."""

    def __init__(self, *, issuers: Sequence[TokenIssuer] = (), development_secret: str | None = None,
                 audience: str = DEFAULT_AUDIENCE, max_lifetime_seconds: int = 24 * 3600,
                 keys: dict[str, IssuerKeys] | None = None, carriers: CarrierResolver | None = None):
        self.issuers = {issuer.issuer: issuer for issuer in issuers}
        self.keys = keys or {issuer.issuer: IssuerKeys(issuer.jwks) for issuer in issuers}
        self.development_secret = development_secret
        self.audience = audience
        self.max_lifetime_seconds = max_lifetime_seconds
        self.carriers = carriers

    @classmethod
    def from_settings(cls, settings: Settings, *, carriers: CarrierResolver | None = None) -> TokenVerifier:
        return cls(issuers=settings.jwt_issuers, audience=settings.jwt_audience,
                   max_lifetime_seconds=settings.jwt_max_lifetime_seconds, carriers=carriers,
                   development_secret=None if settings.is_production else settings.jwt_secret.get_secret_value())

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthenticationError("Invalid token: not a JWT") from None
        issuer_name, algorithm = unverified.get("iss"), header.get("alg")
        issuer = self.issuers.get(issuer_name) if isinstance(issuer_name, str) else None
        if issuer is not None:
            if algorithm not in issuer.algorithms:
                raise AuthenticationError(f"Invalid token: its issuer signs with {', '.join(issuer.algorithms)}")
            try:
                key: Any = self.keys[issuer.issuer].key_for(header.get("kid"))
            except UnknownSigningKey as error:
                raise AuthenticationError(f"Invalid token: {error}") from None
        elif issuer_name == DEVELOPMENT_ISSUER and algorithm == "HS256" and self.development_secret:
            key = self.development_secret
        elif issuer_name == DEVELOPMENT_ISSUER:
            raise AuthenticationError("Invalid token: development tokens (HS256) are not accepted here")
        else:
            raise AuthenticationError("Invalid token: unknown issuer")
        claims = self._decode(token, key, algorithm, issuer_name)
        return self._principal(claims, issuer)

    def _decode(self, token: str, key: Any, algorithm: str, issuer_name: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[algorithm], audience=self.audience, issuer=issuer_name, leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "role", "exp"]},
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"Invalid token: {error}") from None
        for name in TIME_CLAIMS:
            value = claims.get(name)
            if name in claims and (isinstance(value, bool) or not isinstance(value, (int, float))):
                # PyJWT reads "1796105798" as a number too; RFC 7519 says a JSON number.
                raise AuthenticationError(f"Invalid token: {name} must be a number of seconds (NumericDate)")
        now, expiry, issued = time.time(), claims["exp"], claims.get("iat")
        longest = self.max_lifetime_seconds + LEEWAY_SECONDS
        if expiry - now > longest or (isinstance(issued, (int, float)) and expiry - issued > longest):
            raise AuthenticationError(f"Invalid token: it may live at most {self.max_lifetime_seconds} seconds")
        return claims

    def _principal(self, claims: dict[str, Any], issuer: TokenIssuer | None) -> Principal:
        role = claims.get("role")
        if role not in ROLES:
            raise AuthenticationError("Invalid token: unknown role")
        if issuer is not None and role not in issuer.roles:
            raise AuthenticationError(f"Invalid token: its issuer may not grant the {role} role")
        try:
            scope = scope_claims(role, claims, carriers=self.carriers)
        except InvalidScopeClaim as error:
            raise AuthenticationError(f"Invalid token: {error}") from None
        if issuer is not None:
            for claim, value in scope.items():
                if value is not None and not grants(issuer.scopes.get(claim, ()), claim, value, carriers=self.carriers):
                    raise AuthenticationError(f"Invalid token: its issuer may not grant this {claim}")
        return Principal(role=role, subject=_subject(claims["sub"]), expires_at=float(claims["exp"]), **scope)


def _subject(value: Any) -> str:
    try:
        return canonical_subject(value)
    except ValueError as error:
        raise AuthenticationError(f"Invalid token: sub {error}") from None


def canonical_subject(value: Any) -> str:
    """A principal's subject (a token's ``sub``, the CLI's ``--officer``) as it is recorded: it becomes the
    actor (``ROLE:subject``) of every event written in its name, so it obeys the canonical-text rule of
    every input (core/domain/canonical_text.py: NFC, one line, no control or bidirectional formatting
    characters, something visible), at most MAX_SUBJECT_LENGTH characters. Raises ValueError saying what
    it must be, never repeating the value."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    try:
        subject = canonical_text(value, ["sub"])
    except InvalidInput:
        subject = ""
    if not has_visible_character(subject):
        raise ValueError("must be one line of visible text, without control or bidirectional formatting characters")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise ValueError(f"may be at most {MAX_SUBJECT_LENGTH} characters")
    return subject
