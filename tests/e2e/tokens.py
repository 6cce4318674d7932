"""Token issuers for end-to-end tests: key pairs of each algorithm production accepts, their JWKS
documents, and FARMGATE_JWT_ISSUERS entries, as a marketplace's or a province's identity provider
would publish them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from farmgate.graphql.auth import issue_token


def new_private_key(algorithm: str) -> Any:
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def public_jwk(private: Any, kid: str) -> dict[str, Any]:
    algorithm = {rsa.RSAPrivateKey: RSAAlgorithm, ec.EllipticCurvePrivateKey: ECAlgorithm}.get(
        next((base for base in (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey) if isinstance(private, base)), None),
        OKPAlgorithm)
    jwk = json.loads(algorithm.to_jwk(private.public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


def pem(private: Any) -> str:
    return private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


@dataclass
class Issuer:
    """One identity provider: its keys by kid (the newest signs), its JWKS file and its limits."""

    name: str
    algorithm: str
    roles: list[str]
    scopes: dict[str, list[str]]
    jwks_path: Path
    keys: dict[str, Any] = field(default_factory=dict)

    def rotate(self, kid: str) -> None:
        """Publish a new key beside the old ones; it signs from now on."""
        self.keys[kid] = new_private_key(self.algorithm)
        self.jwks_path.write_text(json.dumps({"keys": [public_jwk(k, i) for i, k in self.keys.items()]}))

    @property
    def kid(self) -> str:
        return list(self.keys)[-1]

    def token(self, role: str, subject: str = "ops", *, kid: str | None = None, ttl: int = 600,
              issuer: str | None = None, audience: str = "farmgate", **scope: str) -> str:
        kid = kid or self.kid
        return issue_token(self.keys[kid], role, subject, ttl, issuer=issuer or self.name, audience=audience, kid=kid,
                           **scope)

    def config(self) -> dict[str, Any]:
        return {"issuer": self.name, "jwks": str(self.jwks_path), "roles": self.roles, "scopes": self.scopes,
                "algorithms": [self.algorithm]}


def make_issuer(directory: Path, name: str, algorithm: str, roles: list[str], scopes: dict[str, list[str]],
                kid: str) -> Issuer:
    issuer = Issuer(name, algorithm, roles, scopes, directory / f"{kid}.jwks.json")
    issuer.rotate(kid)
    return issuer
