"""An audit anchor: a signed seal over the events recorded in a range of the log.

An anchor names the log positions it covers (after ``after_position``, up to ``last_position``),
how many events it holds, the RFC 6962 Merkle root over their leaves (``merkle``), and the hash of
the previous anchor, so anchors form a chain of their own. Its ``message`` (canonical JSON: keys
sorted, no spaces, UTF-8) is what the Ed25519 signature covers; its ``hash`` is SHA-256 of that.

A leaf is an event exactly as stored — its stream id, version, topic and the SHA-256 of its stored
state bytes — so it is recomputed from the database without any key (the stored state is whatever
the event store keeps, encrypted or not, and it carries the event's chained hash). Editing any stored
byte of a sealed event, or removing, adding or reordering sealed events, changes the root.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from farmgate.core.domain.audit import GENESIS
from farmgate.core.domain.merkle import leaf_hash, merkle_root

#: the anchor format, in every anchor (a new shape gets a new value)
ANCHOR_FORMAT = "farmgate-audit-anchor/1"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def leaf_data(stream_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The leaf data of one stored event (the RFC 6962 leaf is SHA-256(0x00 || this))."""
    return canonical_json({"stream": str(UUID(str(stream_id))), "version": int(version), "topic": str(topic),
                           "state_sha256": hashlib.sha256(bytes(state)).hexdigest()})


def stored_leaf(stored: Any) -> str:
    """The hex leaf hash of a stored event or notification (originator_id, originator_version,
    topic, state), as recorded."""
    return leaf_hash(leaf_data(stored.originator_id, stored.originator_version, stored.topic, stored.state)).hex()


def root_of(leaves: list[str]) -> str:
    """The hex Merkle root over hex leaf hashes, in log order."""
    return merkle_root([bytes.fromhex(leaf) for leaf in leaves]).hex()


@dataclass(frozen=True)
class Anchor:
    sequence: int
    previous: str
    after_position: int
    last_position: int
    event_count: int
    merkle_root: str
    sealed_at: str
    key_id: str
    format: str = ANCHOR_FORMAT

    @classmethod
    def first_after(cls, previous: Anchor | None, **fields: Any) -> Anchor:
        """The anchor that follows ``previous`` (None: the first one, chained to GENESIS)."""
        if previous is None:
            return cls(sequence=1, previous=GENESIS, **fields)
        return cls(sequence=previous.sequence + 1, previous=previous.hash, **fields)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Anchor:
        """KeyError / TypeError / ValueError when a field is missing or of the wrong kind."""
        return cls(sequence=int(payload["sequence"]), previous=str(payload["previous"]),
                   after_position=int(payload["after_position"]), last_position=int(payload["last_position"]),
                   event_count=int(payload["event_count"]), merkle_root=str(payload["merkle_root"]),
                   sealed_at=str(payload["sealed_at"]), key_id=str(payload["key_id"]), format=str(payload["format"]))

    def payload(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def message(self) -> bytes:
        """The bytes the signature covers."""
        return canonical_json(self.payload())

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.message).hexdigest()


@dataclass(frozen=True)
class SignedAnchor:
    anchor: Anchor
    signature: str

    def document(self) -> dict[str, Any]:
        """The exported form (one JSON line of `farmgate audit anchors export`, a webhook's body part)."""
        return {"anchor": self.anchor.payload(), "signature": self.signature, "hash": self.anchor.hash}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> SignedAnchor:
        """KeyError / TypeError / ValueError when the document is not an exported anchor."""
        return cls(Anchor.from_payload(document["anchor"]), str(document["signature"]))
