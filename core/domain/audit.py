"""The audit hash chain: each event's SHA-256 covers the previous event's hash and a canonical
encoding of its stream, version, type, occurred/recorded times and data."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS = "0" * 64


def canonical(value: Any) -> Any:
    """Reduce a value to JSON primitives the same way before and after a trip through storage."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def chain_hash(
    previous: str,
    *,
    stream: str,
    aggregate_id: UUID | str,
    version: int,
    event_type: str,
    occurred_at: datetime,
    recorded_at: datetime,
    data: dict[str, Any],
) -> str:
    body = json.dumps(
        canonical(
            {
                "previous": previous,
                "stream": stream,
                "aggregate_id": aggregate_id,
                "version": version,
                "type": event_type,
                "occurred_at": occurred_at,
                "recorded_at": recorded_at,
                "data": data,
            }
        ),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
