"""The audit anchors' Ed25519 key (RFC 8032, with the `cryptography` library): loading the private
key from FARMGATE_AUDIT_SIGNING_KEY, the development key, and the public key as a JWK (RFC 8037)
and PEM for publishing and for `farmgate audit verify`.

The key id is the public key's JWK thumbprint (RFC 7638, SHA-256, base64url): every anchor names the
key that signed it, so a verifier holding several published keys (after a rotation) picks the right one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: The development and test key's seed: SHA-256 of this text. It is public (it is here), so
#: production refuses it; anything it signed proves nothing outside development.
DEVELOPMENT_SEED_TEXT = "farmgate-development-audit-signing-key-do-not-use-in-production"


class AuditKeyError(ValueError):
    """A key that is not an Ed25519 key in a form we read (the message never repeats the key)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def development_private_key() -> Ed25519PrivateKey:
    """The fixed development key (see DEVELOPMENT_SEED_TEXT)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(DEVELOPMENT_SEED_TEXT.encode()).digest())


def load_private_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM text, or from its 32-byte seed in hex (64 digits) or
    base64 (or base64url). AuditKeyError otherwise."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError):
            raise AuditKeyError("is not a readable unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError("must be an Ed25519 key (this PEM holds another kind)")
        return key
    refused = AuditKeyError("must be an Ed25519 PKCS#8 PEM key, or its 32-byte seed in hex (64 digits, e.g."
                            " `openssl rand -hex 32`) or base64")
    try:
        if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
            seed = bytes.fromhex(text)
        else:
            seed = _unb64url(text.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise refused from None
    if len(seed) != 32:
        raise refused
    return Ed25519PrivateKey.from_private_bytes(seed)


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: base64url SHA-256 of the JWK's required members in lexicographic order."""
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw_public(key))},
                         sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(members.encode()).digest())


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as an RFC 8037 JWK, with its ``kid``, ``alg`` EdDSA and ``use`` sig."""
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw_public(key)), "kid": key_id(key), "alg": "EdDSA",
            "use": "sig"}


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_keys(text: str) -> list[Ed25519PublicKey]:
    """Public keys from PEM (SubjectPublicKeyInfo), a JWK or a JWK Set (as published at
    /.well-known/farmgate-audit-key). AuditKeyError when none is an Ed25519 key."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError):
            raise AuditKeyError("is not a readable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError("must be an Ed25519 public key")
        return [key]
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise AuditKeyError("is neither a PEM public key nor a JWK / JWK Set") from None
    jwks = document.get("keys", [document]) if isinstance(document, dict) else []
    keys = []
    for jwk in jwks:
        if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            try:
                keys.append(Ed25519PublicKey.from_public_bytes(_unb64url(str(jwk.get("x", "")))))
            except (ValueError, binascii.Error):
                raise AuditKeyError("holds an Ed25519 JWK whose x is not a 32-byte key") from None
    if not keys:
        raise AuditKeyError("holds no Ed25519 (OKP) key")
    return keys


@dataclass(frozen=True)
class AuditSigner:
    """Signs anchors; ``development`` when it is the public development key."""

    private_key: Ed25519PrivateKey
    development: bool = False

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> str:
        """The Ed25519 signature of ``message``, base64url without padding."""
        return _b64url(self.private_key.sign(message))


def signature_valid(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64url) is ``public_key``'s Ed25519 signature of ``message``."""
    try:
        public_key.verify(_unb64url(signature), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
