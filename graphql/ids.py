"""Relay global IDs ("Household:<uuid>", base64) and opaque pagination cursors."""

from __future__ import annotations

import base64
import binascii
from uuid import UUID


def to_global_id(type_name: str, value: UUID | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{value}".encode()).decode().rstrip("=")


def _b64decode(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


_CURSOR_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def from_global_id(global_id: str) -> tuple[str, str] | None:
    decoded = _b64decode(global_id)
    if decoded is None or ":" not in decoded:
        return None
    type_name, _, value = decoded.partition(":")
    return type_name, value


def uuid_of(global_id: str, type_name: str) -> UUID | None:
    """The UUID inside a global ID of the given type, or None if it is not one."""
    parsed = from_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    try:
        return UUID(parsed[1])
    except ValueError:
        return None


def encode_cursor(kind: str, position: int | str) -> str:
    return base64.urlsafe_b64encode(f"cursor:{kind}:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> str | None:
    """What ``encode_cursor(kind, …)`` encoded, or None for anything else: only the exact
    unpadded URL-safe base64 we write (no padding, no stray characters, no other list's prefix)."""
    if not cursor or len(cursor) > 200 or not set(cursor) <= _CURSOR_ALPHABET:
        return None
    decoded = _b64decode(cursor)
    prefix = f"cursor:{kind}:"
    if decoded is None or not decoded.startswith(prefix):
        return None
    position = decoded[len(prefix):]
    return position if encode_cursor(kind, position) == cursor else None
