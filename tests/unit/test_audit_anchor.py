"""Audit anchors' pure parts: the RFC 6962 Merkle tree hash (its published test vectors and its
recursive definition), the leaf of a stored event, the anchor's signed message and chain, and the
Ed25519 key forms."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.audit_signing import (
    AuditKeyError, AuditSigner, development_private_key, key_id, load_public_keys, public_jwk, public_pem,
    signature_valid,
)
from farmgate.core.domain.audit import GENESIS
from farmgate.core.domain.audit_anchor import Anchor, SignedAnchor, leaf_data, root_of, stored_leaf
from farmgate.core.domain.merkle import leaf_hash, merkle_root, node_hash

# RFC 6962's reference test vectors (certificate-transparency's merkle tree tests): the leaves' data
# and the tree head after each of the first 8 leaves.
VECTOR_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("n", range(1, 9))
def test_the_merkle_root_is_rfc_6962s_on_its_test_vectors(n: int) -> None:
    leaves = [leaf_hash(bytes.fromhex(data)) for data in VECTOR_LEAVES[:n]]
    assert merkle_root(leaves).hex() == VECTOR_ROOTS[n - 1]


def test_the_empty_tree_hashes_to_the_hash_of_nothing() -> None:
    assert merkle_root([]) == hashlib.sha256(b"").digest()


def recursive_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 as written: split at the largest power of two smaller than n."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(recursive_mth(leaves[:k]), recursive_mth(leaves[k:]))


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70))
def test_the_merkle_root_follows_rfc_6962s_recursive_definition(data: list[bytes]) -> None:
    leaves = [leaf_hash(item) for item in data]
    assert merkle_root(leaves) == recursive_mth(leaves)


def stored(stream: object, version: int, topic: str, state: bytes) -> SimpleNamespace:
    return SimpleNamespace(originator_id=stream, originator_version=version, topic=topic, state=state)


def test_a_leaf_covers_the_stream_version_topic_and_every_stored_byte() -> None:
    stream = uuid4()
    base = stored_leaf(stored(stream, 3, "a:Order.Placed", b'{"total":"10001"}'))
    assert base == stored_leaf(stored(str(stream), 3, "a:Order.Placed", b'{"total":"10001"}'))
    for other in (stored(uuid4(), 3, "a:Order.Placed", b'{"total":"10001"}'),
                  stored(stream, 4, "a:Order.Placed", b'{"total":"10001"}'),
                  stored(stream, 3, "a:Order.Confirmed", b'{"total":"10001"}'),
                  stored(stream, 3, "a:Order.Placed", b'{"total":"90001"}')):
        assert stored_leaf(other) != base
    data = json.loads(leaf_data(stream, 3, "a:Order.Placed", b"x"))
    assert data == {"stream": str(stream), "version": 3, "topic": "a:Order.Placed",
                    "state_sha256": hashlib.sha256(b"x").hexdigest()}


def an_anchor(previous: Anchor | None = None, root: str = "ab" * 32) -> Anchor:
    after = previous.last_position if previous else 0
    return Anchor.first_after(previous, after_position=after, last_position=after + 2, event_count=2,
                              merkle_root=root, sealed_at="2026-12-01T02:00:00.000000+00:00", key_id="k")


def test_anchors_chain_by_hash_and_sign_their_canonical_message() -> None:
    first = an_anchor()
    second = an_anchor(first)
    assert (first.sequence, first.previous) == (1, GENESIS)
    assert (second.sequence, second.previous, second.after_position) == (2, first.hash, first.last_position)
    assert first.hash == hashlib.sha256(first.message).hexdigest()
    assert json.loads(first.message) == first.payload() and b" " not in first.message
    signer = AuditSigner(Ed25519PrivateKey.generate())
    signed = SignedAnchor(first, signer.sign(first.message))
    again = SignedAnchor.from_document(json.loads(json.dumps(signed.document())))
    assert again == signed and signature_valid(signer.public_key, again.anchor.message, again.signature)
    # A changed root, or another key, does not verify.
    forged = an_anchor(root="cd" * 32)
    assert not signature_valid(signer.public_key, forged.message, signed.signature)
    assert not signature_valid(Ed25519PrivateKey.generate().public_key(), first.message, signed.signature)
    assert not signature_valid(signer.public_key, first.message, "not base64 at all!")


def test_root_of_hex_leaves_is_the_merkle_root() -> None:
    leaves = [leaf_hash(bytes([i])).hex() for i in range(5)]
    assert root_of(leaves) == merkle_root([bytes.fromhex(leaf) for leaf in leaves]).hex()


def test_the_public_key_reads_back_from_its_jwk_jwk_set_and_pem() -> None:
    key = development_private_key().public_key()
    jwk = public_jwk(key)
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["kid"]) == ("OKP", "Ed25519", "EdDSA", key_id(key))
    for text in (json.dumps(jwk), json.dumps({"keys": [jwk]}), public_pem(key)):
        assert [key_id(k) for k in load_public_keys(text)] == [key_id(key)]
    # RFC 7638 §3.1's rule: the thumbprint is over the required members only, in order, no spaces.
    members = '{"crv":"Ed25519","kty":"OKP","x":"%s"}' % jwk["x"]
    import base64

    assert jwk["kid"] == base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize("text", ["", "{}", '{"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}', "not a key"])
def test_a_public_key_file_without_an_ed25519_key_is_refused(text: str) -> None:
    with pytest.raises(AuditKeyError):
        load_public_keys(text)


@given(st.lists(st.binary(max_size=4), min_size=1, max_size=40), st.data())
def test_every_leafs_audit_path_proves_it_in_the_root_and_no_other_leaf(data: list[bytes], draw: st.DataObject) -> None:
    from farmgate.core.domain.merkle import included, root_and_audit_paths

    leaves = [leaf_hash(item) for item in data]
    root, paths = root_and_audit_paths(leaves)
    assert root == recursive_mth(leaves) and len(paths) == len(leaves)
    for index, (leaf, path) in enumerate(zip(leaves, paths)):
        assert included(index, len(leaves), leaf, path, root)
    index = draw.draw(st.integers(0, len(leaves) - 1))
    assert not included(index, len(leaves), leaf_hash(b"forged"), paths[index], root)
    assert not included(index, len(leaves), leaves[index], paths[index], leaf_hash(b"another root"))
    assert not included(len(leaves), len(leaves), leaves[index], paths[index], root)
    if len(leaves) > 1:
        other = (index + 1) % len(leaves)
        if leaves[other] != leaves[index]:
            assert not included(other, len(leaves), leaves[index], paths[index], root)
