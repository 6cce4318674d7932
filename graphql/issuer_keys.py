"""An issuer's public keys (a JWKS, RFC 7517) from a file or an https:// URL, picked by ``kid``.

Rotation: the issuer publishes its new key beside the old one and starts signing with the new
``kid``; a ``kid`` not in the keys we hold makes us read the file again if it changed, or fetch the
URL again at most once per ``refresh_seconds``, so a forged ``kid`` cannot make us hammer the issuer.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet


class UnknownSigningKey(LookupError):
    """No key of the issuer has the token's ``kid`` (or the keys could not be read)."""


class IssuerKeys:
    """The keys of one issuer. ``source``: a JWKS file path or an https:// URL."""

    def __init__(self, source: str, *, refresh_seconds: float = 60.0, timeout_seconds: float = 5.0,
                 ssl_context: Any = None):
        self.source = source
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._keys: dict[str | None, PyJWK] = {}
        self._loaded_at = float("-inf")
        self._file_stamp: tuple[float, int] | None = None
        self._client = (PyJWKClient(source, cache_keys=False, timeout=int(max(1, timeout_seconds)), ssl_context=ssl_context)
                        if source.startswith("https://") else None)

    def key_for(self, kid: str | None) -> PyJWK:
        """The key the token names by ``kid`` (a JWKS of one key may be used without a ``kid``)."""
        with self._lock:
            if not self._keys or (kid not in self._keys and self._may_have_changed()):
                self._load()
            key = self._keys.get(kid)
            if key is None and kid is None and len(self._keys) == 1:
                key = next(iter(self._keys.values()))
        if key is None:
            raise UnknownSigningKey("the token's key (kid) is not one of its issuer's keys")
        return key

    def _may_have_changed(self) -> bool:
        if self._client is not None:
            return time.monotonic() - self._loaded_at >= self.refresh_seconds
        return self._stamp() != self._file_stamp

    def _stamp(self) -> tuple[float, int] | None:
        try:
            status = Path(self.source).stat()
        except OSError:
            return None
        return status.st_mtime, status.st_size

    def _load(self) -> None:
        self._loaded_at = time.monotonic()
        self._file_stamp = None if self._client is not None else self._stamp()
        try:
            if self._client is not None:
                keys = self._client.get_jwk_set(refresh=True).keys
            else:
                keys = PyJWKSet.from_dict(json.loads(Path(self.source).read_text(encoding="utf-8"))).keys
        except (OSError, ValueError, jwt.PyJWTError) as error:
            # Keep the keys we had: an issuer's hiccup must not log everybody out.
            if not self._keys:
                raise UnknownSigningKey(f"the issuer's keys could not be read ({type(error).__name__})") from None
            return
        self._keys = {key.key_id: key for key in keys}
