"""Sealed personal values: AES-256-GCM under the data subject's key, as one self-describing token.

A token is ``pd1:<subject>:<base64url(nonce ‖ ciphertext)>``; the plaintext is the JSON of
``[salt, value]`` (the salt of the value's audit commitment, see ``domain.personal_data``), the
associated data names the subject, so a token cannot be moved to another subject. The same token is
stored in the event and in every read model that needs the value; opening it once its subject's key
is destroyed gives ``ERASED``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from farmgate.core.domain.personal_data import ERASED, field_value
from farmgate.core.personal_keys import SubjectKeys

PREFIX = "pd1:"
_NONCE_BYTES = 12


def _aad(subject: str) -> bytes:
    return b"farmgate pd1|" + subject.encode("utf-8")


def seal(key: bytes, subject: str, value: Any, salt: str = "") -> str:
    """The token of ``value`` (JSON-able) for ``subject``, under its key."""
    nonce = os.urandom(_NONCE_BYTES)
    body = json.dumps([salt, value], ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    blob = nonce + AESGCM(key).encrypt(nonce, body, _aad(subject))
    return PREFIX + subject + ":" + base64.urlsafe_b64encode(blob).decode("ascii")


def is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def subject_of(token: str) -> str:
    """The data subject a token belongs to."""
    return token[len(PREFIX):].rsplit(":", 1)[0]


def open_token(keys: SubjectKeys, token: str) -> tuple[str, Any] | None:
    """(salt, value) sealed in the token, or None when its subject's key is gone. Raises ValueError
    for a token that does not decrypt under its subject's key (altered)."""
    subject = subject_of(token)
    key = keys.key_for_opening(subject)
    if key is None:
        return None
    blob = base64.urlsafe_b64decode(token.rsplit(":", 1)[1].encode("ascii"))
    try:
        body = AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(subject))
    except InvalidTag:
        raise ValueError("A sealed personal value does not decrypt: it was altered") from None
    salt, value = json.loads(body)
    return str(salt), value


def prefetch_keys(keys: SubjectKeys, rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> None:
    """Load, in one query, the keys of the subjects whose tokens sit in ``columns`` of ``rows``, so a
    page of rows is opened without a query per subject (``SubjectKeys.prefetch``)."""
    names = tuple(columns)
    keys.prefetch(subject_of(v) for row in rows for c in names if is_token(v := row.get(c)))


def reveal(keys: SubjectKeys, value: Any) -> Any:
    """A read model's stored value as the API shows it: a token opened (or ERASED), anything else as is."""
    if not is_token(value):
        return value
    try:
        opened = open_token(keys, value)
    except ValueError:
        return ERASED
    return ERASED if opened is None else opened[1]


def stored_form(event: Any, path: str) -> Any:
    """What a read model keeps of an event's personal field: its sealed token (the same ciphertext as
    the event), never the plaintext; ``ERASED`` once erased; the value itself for events recorded
    before sealing, which have no token."""
    sealed = (getattr(event, "commitments", None) or {}).get(path)
    if sealed is None:
        return field_value(vars(event), path)
    return sealed.get("token") or ERASED
