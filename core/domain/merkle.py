"""The Merkle tree hash of a list of leaves, as Certificate Transparency defines it (RFC 6962 §2.1,
kept by RFC 9162 §2.1.1): a leaf is SHA-256(0x00 || data), an inner node SHA-256(0x01 || left ||
right), and a list of n > 1 leaves splits at the largest power of two below n. The 0x00 / 0x01
prefixes keep a leaf from passing for an inner node (second-preimage attacks). The empty list
hashes to SHA-256 of nothing.

Audit anchors seal the event log with this root, so anyone can recompute it with any RFC 6962
implementation from the anchored events' leaf data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data), 32 bytes."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 inner node hash: SHA-256(0x01 || left || right), 32 bytes."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash over leaf hashes (each already ``leaf_hash``ed), in their order."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    level = list(leaf_hashes)
    # Bottom-up, carrying an odd last node up unchanged: the same tree as RFC 6962's recursive split
    # at the largest power of two below n (its right subtree is the left-over part, promoted).
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_and_audit_paths(leaf_hashes: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The Merkle root and every leaf's audit path (RFC 6962 §2.1.1: the sibling hashes from the
    leaf up to the root), in leaf order. O(n log n)."""
    if not leaf_hashes:
        return merkle_root([]), []
    if len(leaf_hashes) == 1:
        return leaf_hashes[0], [[]]
    k = _largest_power_of_two_below(len(leaf_hashes))
    left, left_paths = root_and_audit_paths(leaf_hashes[:k])
    right, right_paths = root_and_audit_paths(leaf_hashes[k:])
    return node_hash(left, right), [p + [right] for p in left_paths] + [p + [left] for p in right_paths]


def included(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """Whether ``leaf`` is leaf ``index`` of the tree of ``size`` leaves whose root is ``root``, by its
    audit path: the verification algorithm of RFC 9162 §2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root
