"""Verifying the whole log against exported anchors with only the public key (`farmgate audit verify`).

Given the anchors as exported (JSON lines, kept outside the database) and the audit public keys:
1. every anchor's Ed25519 signature verifies with a given key — a forged anchor, or one signed with
   another key, is refused;
2. the anchors form one chain from the first: sequences 1, 2, 3… each naming the previous one's
   hash, each starting where the previous ended;
3. for each anchor, the events stored at its positions give its Merkle root and count — an edited,
   removed, inserted or reordered event is caught, and named when the database's own copy of the
   anchor's leaves still matches the signed root;
4. the database's anchors table agrees with the export (a stored anchor that differs was rewritten).
Events recorded after the last exported anchor are counted: they are not sealed yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from farmgate.core.audit_anchors import AuditAnchors
from farmgate.core.audit_signing import key_id, signature_valid
from farmgate.core.domain.audit import GENESIS
from farmgate.core.domain.audit_anchor import SignedAnchor, root_of, stored_leaf


@dataclass
class LogVerification:
    anchors: int = 0
    events: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.problems and self.anchors > 0


class AnchorFileError(ValueError):
    """The anchors file is not an export of `farmgate audit anchors export` (line named)."""


def read_anchor_lines(lines: Iterable[str]) -> list[SignedAnchor]:
    anchors = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            anchors.append(SignedAnchor.from_document(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            raise AnchorFileError(f"line {number} is not an exported anchor") from None
    return anchors


def _named_differences(stored_rows: list[dict[str, Any]], notifications: list[Any]) -> str:
    """Which sealed events differ or are missing, from the database's copy of the anchor's leaves."""
    now = {n.id: stored_leaf(n) for n in notifications}
    missing = [r for r in stored_rows if int(r["position"]) not in now]
    changed = [r for r in stored_rows if int(r["position"]) in now and now[int(r["position"])] != r["leaf"]]
    added = sorted(set(now) - {int(r["position"]) for r in stored_rows})
    parts = [f"event {r['version']} of stream {r['aggregate_id']} (position {r['position']}) was altered"
             for r in changed[:5]]
    parts += [f"event {r['version']} of stream {r['aggregate_id']} (position {r['position']}) is missing"
              for r in missing[:5]]
    parts += [f"position {p} was not sealed by it" for p in added[:5]]
    return "; ".join(parts)


def verify_log(app: Any, anchors_store: AuditAnchors | None, exported: list[SignedAnchor],
               public_keys: list[Ed25519PublicKey]) -> LogVerification:
    """Check the stored log against ``exported`` anchors with ``public_keys`` (see the module)."""
    result = LogVerification()
    if not exported:
        result.problems.append("the anchors file holds no anchor")
        return result
    keys = {key_id(key): key for key in public_keys}
    previous_hash, previous_end = GENESIS, 0
    for expected_sequence, signed in enumerate(sorted(exported, key=lambda s: s.anchor.sequence), 1):
        anchor = signed.anchor
        label = f"anchor #{anchor.sequence} (sealed at {anchor.sealed_at})"
        key = keys.get(anchor.key_id)
        if key is None or not signature_valid(key, anchor.message, signed.signature):
            result.problems.append(f"{label}: its signature does not verify with the given public key"
                                   " (forged, altered, or signed with another key); refused")
            return result
        if anchor.sequence != expected_sequence:
            result.problems.append(f"anchor #{expected_sequence} is missing from the anchors file")
            return result
        if anchor.previous != previous_hash or anchor.after_position != previous_end:
            result.problems.append(f"{label} does not follow anchor #{expected_sequence - 1}: the chain is broken")
            return result
        previous_hash, previous_end = anchor.hash, anchor.last_position
        notifications = app.recorder.select_notifications(
            start=anchor.after_position + 1, limit=max(anchor.event_count, 1) + 1, stop=anchor.last_position)
        leaves = [stored_leaf(n) for n in notifications]
        if len(leaves) != anchor.event_count or root_of(leaves) != anchor.merkle_root:
            detail = ""
            if anchors_store is not None:
                rows = anchors_store.leaves_of(anchor.sequence)
                if len(rows) == anchor.event_count and root_of([r["leaf"] for r in rows]) == anchor.merkle_root:
                    detail = ": " + _named_differences(rows, notifications)
            result.problems.append(
                f"{label}: the log at positions {anchor.after_position + 1} to {anchor.last_position} no longer"
                f" matches it ({len(leaves)} events found, {anchor.event_count} sealed){detail}")
        if anchors_store is not None:
            stored = anchors_store.by_sequence(anchor.sequence)
            if stored is not None and (stored.anchor != anchor or stored.signature != signed.signature):
                result.problems.append(f"{label}: the database's copy of this anchor differs from the export")
        result.anchors += 1
        result.events += anchor.event_count
    head = int(app.recorder.max_notification_id() or 0)
    if head > previous_end:
        result.unsealed = len(app.recorder.select_notifications(start=previous_end + 1, limit=head - previous_end))
    return result
