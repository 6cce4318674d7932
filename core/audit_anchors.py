"""Audit anchors in the database: sealing the log, and checking streams against the seals.

``seal`` reads the events recorded since the last anchor (at most ``max_events`` per anchor, then
the next anchor goes on), computes their leaves and Merkle root, chains the anchor to the previous
one, signs it, and stores it with its leaves in one transaction (``audit_anchors``,
``audit_anchor_leaves``). Two sealers racing for the same anchor: one stores it, the other stores
nothing. ``on_sealed`` runs in that transaction (the composition root queues the ``audit.anchor``
webhook deliveries there), so a copy leaves the database exactly when the anchor is stored.

``check_streams`` is what the case file asks: do these streams still hold, byte for byte, every
event the anchors sealed of them? A stream's event edited after it was sealed (even with the
stream's hashes recomputed by the public algorithm) differs from its leaf; a stream whose newest
sealed events were deleted lacks versions the anchors name. The anchors it relies on are verified
first (signature by the audit key), then each stored leaf by its audit path (RFC 9162) to its
anchor's signed root: a few hashes per event of the case, not every leaf of every anchor re-read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from farmgate.core.audit_signing import AuditSigner, key_id, signature_valid
from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.audit_anchor import Anchor, SignedAnchor, canonical_json, root_of, stored_leaf
from farmgate.core.domain.merkle import included, root_and_audit_paths

ANCHORS = "audit_anchors"
LEAVES = "audit_anchor_leaves"
#: the most events one anchor seals; a longer backlog is sealed by several anchors in a row
MAX_EVENTS_PER_ANCHOR = 10_000



@dataclass(frozen=True)
class AnchorCheck:
    """What the anchors say of some streams. ``anchor``: the newest anchor that sealed any of their
    events (None while none is sealed); ``reason`` and ``broken`` ((stream id, version), when one
    event is at fault) when they no longer hold what was sealed."""

    anchor: Anchor | None = None
    reason: str | None = None
    broken: tuple[UUID, int] | None = None

    @property
    def anchored_at(self) -> datetime | None:
        return None if self.anchor is None else datetime.fromisoformat(self.anchor.sealed_at)


class _LostRace(Exception):
    """Another sealer stored this anchor first."""


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


class AuditAnchors:
    """The anchor tables of one database, signed with ``signer``'s key. ``previous_keys``: public
    keys that signed earlier anchors (after a rotation), still trusted for those anchors."""

    def __init__(self, store: ReadStore, signer: AuditSigner,
                 on_sealed: Callable[[Cursor, SignedAnchor], None] | None = None,
                 max_events: int = MAX_EVENTS_PER_ANCHOR, previous_keys: Iterable[Ed25519PublicKey] = ()):
        self.store = store
        self.signer = signer
        self.on_sealed = on_sealed
        self.max_events = max_events
        #: every trusted public key by its key id (RFC 7638 thumbprint), the signer's first
        self.public_keys: dict[str, Ed25519PublicKey] = {signer.key_id: signer.public_key}
        for key in previous_keys:
            self.public_keys.setdefault(key_id(key), key)

    # -- reading -----------------------------------------------------------------------------------

    @staticmethod
    def _signed(row: dict[str, Any]) -> SignedAnchor:
        return SignedAnchor(Anchor.from_payload(json.loads(row["anchor"])), row["signature"])

    def latest(self) -> SignedAnchor | None:
        row = self.store.query_one(f"SELECT anchor, signature FROM {ANCHORS} ORDER BY sequence DESC LIMIT 1")
        return None if row is None else self._signed(row)

    def all(self, after_sequence: int = 0, limit: int = 1000) -> list[SignedAnchor]:
        """Stored anchors after ``after_sequence``, oldest first, at most ``limit``."""
        rows = self.store.query(f"SELECT anchor, signature FROM {ANCHORS} WHERE sequence > %s ORDER BY sequence"
                                " LIMIT %s", (after_sequence, limit))
        return [self._signed(row) for row in rows]

    def by_sequence(self, sequence: int) -> SignedAnchor | None:
        row = self.store.query_one(f"SELECT anchor, signature FROM {ANCHORS} WHERE sequence = %s", (sequence,))
        return None if row is None else self._signed(row)

    def leaves_of(self, sequence: int) -> list[dict[str, Any]]:
        """The anchor's stored leaves in log order: position, aggregate_id, version, leaf."""
        return self.store.query(f"SELECT position, aggregate_id, version, leaf FROM {LEAVES}"
                                " WHERE anchor_sequence = %s ORDER BY position", (sequence,))

    # -- sealing -----------------------------------------------------------------------------------

    def seal(self, app: Any, now: datetime) -> list[SignedAnchor]:
        """Seal every event recorded since the last anchor; the anchors stored now (none when
        nothing new was recorded, or another sealer was first)."""
        sealed: list[SignedAnchor] = []
        while True:
            latest = self.latest()
            after = latest.anchor.last_position if latest else 0
            notifications = app.recorder.select_notifications(start=after + 1, limit=self.max_events)
            if not notifications:
                return sealed
            leaves = [stored_leaf(n) for n in notifications]
            root, paths = root_and_audit_paths([bytes.fromhex(leaf) for leaf in leaves])
            anchor = Anchor.first_after(
                latest.anchor if latest else None, after_position=after, last_position=notifications[-1].id,
                event_count=len(leaves), merkle_root=root.hex(), sealed_at=stamp(now), key_id=self.signer.key_id)
            signed = SignedAnchor(anchor, self.signer.sign(anchor.message))
            proofs = ["".join(sibling.hex() for sibling in path) for path in paths]
            try:
                self._store(signed, notifications, leaves, proofs)
            except _LostRace:
                return sealed
            sealed.append(signed)
            if len(notifications) < self.max_events:
                return sealed

    def _store(self, signed: SignedAnchor, notifications: list[Any], leaves: list[str], proofs: list[str]) -> None:
        anchor = signed.anchor
        with self.store.transaction() as cur:
            cur.execute(
                f"""INSERT INTO {ANCHORS} (sequence, anchor, anchor_hash, signature, after_position, last_position,
                    sealed_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (sequence) DO NOTHING""",
                (anchor.sequence, anchor.message.decode("utf-8"), anchor.hash, signed.signature, anchor.after_position,
                 anchor.last_position, anchor.sealed_at))
            if cur.rowcount != 1:
                raise _LostRace
            cur.executemany(
                f"""INSERT INTO {LEAVES} (position, anchor_sequence, aggregate_id, version, leaf, leaf_index, proof)
                    VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                [(n.id, anchor.sequence, str(UUID(str(n.originator_id))), n.originator_version, leaf, index, proof)
                 for index, (n, leaf, proof) in enumerate(zip(notifications, leaves, proofs))])
            if self.on_sealed is not None:
                self.on_sealed(cur, signed)

    # -- checking ----------------------------------------------------------------------------------

    def anchor_problem(self, signed: SignedAnchor, public_key: Ed25519PublicKey | None = None,
                       leaves: list[str] | None = None) -> str | None:
        """Why a stored anchor is not to be trusted (None when it holds): its signature is not the
        audit key's, or its stored leaves no longer give its root."""
        anchor = signed.anchor
        key = public_key or self.public_keys.get(anchor.key_id)
        if key is None or not signature_valid(key, anchor.message, signed.signature):
            return (f"anchor #{anchor.sequence} does not verify with the audit public key: the stored anchors"
                    " were altered or signed with another key")
        if leaves is None:
            leaves = [row["leaf"] for row in self.leaves_of(anchor.sequence)]
        if len(leaves) != anchor.event_count or root_of(leaves) != anchor.merkle_root:
            return f"the stored leaves of anchor #{anchor.sequence} no longer give its signed Merkle root"
        return None

    def check_streams(self, app: Any, stream_ids: Iterable[UUID]) -> AnchorCheck:
        """Whether the streams still hold every event the anchors sealed of them (see the module)."""
        ids = [str(i) for i in stream_ids]
        if not ids:
            return AnchorCheck()
        marks = ", ".join(["%s"] * len(ids))
        rows = self.store.query(f"SELECT anchor_sequence, aggregate_id, version, leaf, leaf_index, proof FROM {LEAVES}"
                                f" WHERE aggregate_id IN ({marks}) ORDER BY aggregate_id, version", ids)
        unsealed = self._covered_without_leaf(app, ids, {(r["aggregate_id"], int(r["version"])) for r in rows})
        if unsealed is not None:
            return unsealed
        if not rows:
            return AnchorCheck()
        anchors: dict[int, SignedAnchor] = {}
        for sequence in sorted({int(r["anchor_sequence"]) for r in rows}):
            signed = self.by_sequence(sequence)
            if signed is None:
                return AnchorCheck(reason=f"anchor #{sequence} sealed events of these streams and is missing")
            key = self.public_keys.get(signed.anchor.key_id)
            if key is None or not signature_valid(key, signed.anchor.message, signed.signature):
                return AnchorCheck(signed.anchor, f"anchor #{sequence} does not verify with the audit public key:"
                                                  " the stored anchors were altered or signed with another key")
            anchors[sequence] = signed
        # Each stored leaf proves itself in its anchor's signed root (its RFC 9162 audit path): a few
        # hashes per event, not the whole anchor re-read.
        for row in rows:
            anchor = anchors[int(row["anchor_sequence"])].anchor
            if not _proved(row, anchor):
                return AnchorCheck(anchor, f"the stored leaves of anchor #{anchor.sequence} no longer give its"
                                           " signed Merkle root")
        newest = anchors[max(anchors)].anchor
        by_stream: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_stream.setdefault(row["aggregate_id"], []).append(row)
        for stream_id in ids:
            sealed = by_stream.get(stream_id)
            if not sealed:
                continue
            stored = {int(e.originator_version): e for e in app.recorder.select_events(UUID(stream_id))}
            missing = [int(r["version"]) for r in sealed if int(r["version"]) not in stored]
            changed = [r for r in sealed if int(r["version"]) in stored
                       and stored_leaf(stored[int(r["version"])]) != r["leaf"]]
            if changed:
                version, sequence = int(changed[0]["version"]), int(changed[0]["anchor_sequence"])
                sealed_at = anchors[sequence].anchor.sealed_at
                return AnchorCheck(newest, f"event {version} of stream {stream_id} is not what anchor #{sequence}"
                                           f" sealed at {sealed_at}: it was altered after it was anchored",
                                   (UUID(stream_id), version))
            if missing:
                sequence = int(next(r for r in sealed if int(r["version"]) == missing[0])["anchor_sequence"])
                span = str(missing[0]) if len(missing) == 1 else f"{missing[0]} to {missing[-1]}"
                return AnchorCheck(newest, f"events {span} of stream {stream_id} were sealed by anchor #{sequence}"
                                           f" at {anchors[sequence].anchor.sealed_at} and are missing from the log")
        return AnchorCheck(newest)


    def _covered_without_leaf(self, app: Any, ids: list[str], leaves: set[tuple[str, int]]) -> AnchorCheck | None:
        """Why the streams fail when one of their events lies at a log position the newest anchor
        covers but has no stored leaf (its leaves were deleted to hide an edit, or the event was
        inserted after sealing); None when every covered event has its leaf. The anchor is trusted
        only when its signature verifies."""
        latest = self.latest()
        if latest is None:
            return None
        anchor = latest.anchor
        positions = _log_positions(self.store, app, ids, anchor.last_position)
        orphans = sorted((position, stream, version) for (stream, version), position in positions.items()
                         if (stream, version) not in leaves)
        if not orphans:
            return None
        key = self.public_keys.get(anchor.key_id)
        if key is None or not signature_valid(key, anchor.message, latest.signature):
            return AnchorCheck(anchor, f"anchor #{anchor.sequence} does not verify with the audit public key:"
                                       " the stored anchors were altered or signed with another key")
        position, stream, version = orphans[0]
        return AnchorCheck(anchor, f"event {version} of stream {stream} (log position {position}) lies in what"
                                   f" anchor #{anchor.sequence} sealed at {anchor.sealed_at} but has no sealed leaf:"
                                   " the anchors' leaves were deleted or the event was inserted after sealing",
                           (UUID(stream), version))


def _log_positions(store: ReadStore, app: Any, ids: list[str], up_to: int) -> dict[tuple[str, int], int]:
    """The log position of each event of the streams ``ids`` at or before position ``up_to``, by
    (stream id, version); empty where the events are not in a SQL database (in memory)."""
    table = getattr(app.recorder, "events_table_name", None)
    if table is None:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    if store.dialect == "sqlite":
        sql = (f"SELECT rowid AS position, originator_id, originator_version FROM {table}"
               f" WHERE originator_id IN ({marks}) AND rowid <= %s")
        params: list[Any] = [UUID(i).hex for i in ids]
    else:
        sql = (f"SELECT notification_id AS position, originator_id, originator_version FROM {table}"
               f" WHERE originator_id IN ({marks}) AND notification_id <= %s")
        params = [UUID(i) for i in ids]
    rows = store.query(sql, [*params, up_to])
    return {(str(UUID(str(r["originator_id"]))), int(r["originator_version"])): int(r["position"]) for r in rows}


def _proved(row: dict[str, Any], anchor: Anchor) -> bool:
    """Whether a stored leaf row's audit path leads to its anchor's signed root."""
    try:
        proof = bytes.fromhex(row["proof"])
        path = [proof[i:i + 32] for i in range(0, len(proof), 32)]
        return included(int(row["leaf_index"]), anchor.event_count, bytes.fromhex(row["leaf"]), path,
                        bytes.fromhex(anchor.merkle_root))
    except ValueError:
        return False


def export_lines(anchors: AuditAnchors, batch: int = 1000) -> Iterable[bytes]:
    """Every stored anchor as one JSON line (``SignedAnchor.document``), oldest first."""
    after = 0
    while True:
        page = anchors.all(after, batch)
        if not page:
            return
        for signed in page:
            yield canonical_json(signed.document()) + b"\n"
        after = page[-1].anchor.sequence
