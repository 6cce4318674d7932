"""`farmgate audit anchors export` and `farmgate audit verify` on SQLite and PostgreSQL, run as an
auditor would: the anchors exported to a file, the public key fetched from the well-known URL (or as
PEM), and the whole log checked with nothing else. A forged anchor is refused; an edited-and-rechained
event and deleted sealed events are named."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from farmgate.core.audit_signing import AuditSigner, key_id, public_pem
from farmgate.core.domain.audit_anchor import Anchor, SignedAnchor
from farmgate.deploy.container import System
from farmgate.graphql.app import AUDIT_KEY_PATH, create_app
from tests.integration.test_audit_anchors import rewrite_and_rechain
from tests.integration.test_claims_case_file import stored_id
from tests.integration.test_cli import farmgate
from tests.integration.test_tampering import a_household_stream


@pytest.fixture
def sealed(system: System, personal_data) -> dict[str, Any]:
    """Two households' streams sealed by two anchors, then a third household's not sealed yet."""
    first = a_household_stream(system, personal_data)
    system.anchors.seal(system.app, system.app.clock())
    second = a_household_stream(system, personal_data)
    system.anchors.seal(system.app, system.app.clock())
    a_household_stream(system, personal_data)
    return {"first": first, "second": second}


def exported(backend_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "anchors.jsonl"
    result = farmgate("audit", "anchors", "export", "--output", str(path), url=backend_url)
    assert "2 anchors exported" in result.stderr
    return path


def served(system: System, path: str) -> httpx.Response:
    """GET ``path`` from the API app in this process (no socket)."""
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(system))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path)

    return asyncio.run(get())


def published_key(system: System, tmp_path: Path) -> Path:
    """The JWK Set as served at the well-known URL."""
    response = served(system, AUDIT_KEY_PATH)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/jwk-set+json")
    path = tmp_path / "audit-key.jwks.json"
    path.write_bytes(response.content)
    return path


def audit_verify(backend_url: str, anchors: Path, key: Path) -> Any:
    return farmgate("audit", "verify", "--anchors", str(anchors), "--public-key", str(key), url=backend_url,
                    check=False)


def test_the_exported_anchors_verify_the_whole_log_with_only_the_published_key(
        system: System, sealed: dict[str, Any], backend_url: str, tmp_path: Path) -> None:
    path = exported(backend_url, tmp_path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["anchor"]["sequence"] for line in lines] == [1, 2]
    assert lines[1]["anchor"]["previous"] == lines[0]["hash"]
    assert {line["anchor"]["key_id"] for line in lines} == {system.anchors.signer.key_id}
    jwks = published_key(system, tmp_path)
    assert json.loads(jwks.read_text())["keys"][0]["kid"] == system.anchors.signer.key_id
    result = audit_verify(backend_url, path, jwks)
    assert result.returncode == 0, result.stderr
    anchored = sum(line["anchor"]["event_count"] for line in lines)
    total = len(system.app.recorder.select_notifications(start=1, limit=10_000))
    assert anchored >= 8 and total - anchored >= 4, "both households sealed, the third not"
    assert result.stdout.strip() == (f"verified: 2 anchors, {anchored} events; {total - anchored} events recorded"
                                     " since the last anchor are not sealed yet")
    # The PEM form at the same URL with .pem verifies the same.
    pem = tmp_path / "audit-key.pem"
    pem.write_bytes(served(system, AUDIT_KEY_PATH + ".pem").content)
    assert audit_verify(backend_url, path, pem).returncode == 0


def forge(path: Path, sequence: int, signer: AuditSigner, claimed_key_id: str) -> None:
    """Rewrite one exported anchor with another root and sign it with ``signer``."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    original = SignedAnchor.from_document(lines[sequence - 1])
    forged = Anchor.from_payload({**original.anchor.payload(), "merkle_root": "00" * 32, "key_id": claimed_key_id})
    lines[sequence - 1] = SignedAnchor(forged, signer.sign(forged.message)).document()
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


@pytest.mark.parametrize("claims_the_real_key", [True, False])
def test_a_forged_anchor_signed_with_a_wrong_key_is_refused(system: System, sealed: dict[str, Any], backend_url: str,
                                                           tmp_path: Path, claims_the_real_key: bool) -> None:
    path = exported(backend_url, tmp_path)
    key = tmp_path / "audit-key.pem"
    key.write_text(public_pem(system.anchors.signer.public_key))
    wrong = AuditSigner(Ed25519PrivateKey.generate())
    forge(path, 2, wrong, system.anchors.signer.key_id if claims_the_real_key else key_id(wrong.public_key))
    result = audit_verify(backend_url, path, key)
    assert result.returncode == 1
    assert "REFUSED: anchor #2" in result.stderr
    assert "its signature does not verify with the given public key" in result.stderr
    assert "verified" not in result.stdout


def test_an_event_edited_and_rechained_is_named_by_the_verifier(system: System, sealed: dict[str, Any],
                                                                backend_url: str, tmp_path: Path) -> None:
    path = exported(backend_url, tmp_path)
    key = published_key(system, tmp_path)
    household: UUID = sealed["first"]
    rewrite_and_rechain(system, household, 2, lambda e: object.__setattr__(e, "method", "never visited"))
    result = audit_verify(backend_url, path, key)
    assert result.returncode == 1
    assert "REFUSED: anchor #1" in result.stderr and "no longer matches it (" in result.stderr
    assert f"event 2 of stream {household}" in result.stderr and "was altered" in result.stderr


def test_deleted_sealed_events_are_named_by_the_verifier(system: System, sealed: dict[str, Any], backend_url: str,
                                                         tmp_path: Path) -> None:
    path = exported(backend_url, tmp_path)
    key = published_key(system, tmp_path)
    household: UUID = sealed["first"]
    with system.store.transaction() as cur:
        cur.execute(f"DELETE FROM {system.app.recorder.events_table_name} WHERE originator_id = %s"
                    " AND originator_version = 4", (stored_id(cur.dialect, household),))
    result = audit_verify(backend_url, path, key)
    assert result.returncode == 1
    assert f"event 4 of stream {household}" in result.stderr and "is missing" in result.stderr


def test_a_missing_anchor_in_the_file_breaks_the_chain(system: System, sealed: dict[str, Any], backend_url: str,
                                                       tmp_path: Path) -> None:
    path = exported(backend_url, tmp_path)
    key = published_key(system, tmp_path)
    path.write_text(path.read_text().splitlines()[1] + "\n")
    result = audit_verify(backend_url, path, key)
    assert result.returncode == 1 and "anchor #1 is missing from the anchors file" in result.stderr


def test_unreadable_input_is_refused_with_exit_code_2(system: System, sealed: dict[str, Any], backend_url: str,
                                                      tmp_path: Path) -> None:
    path = exported(backend_url, tmp_path)
    not_a_key = tmp_path / "key.txt"
    not_a_key.write_text("hello")
    result = audit_verify(backend_url, path, not_a_key)
    assert result.returncode == 2 and "is neither a PEM public key nor a JWK" in result.stderr
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text('{"anchor": 1}\n')
    result = audit_verify(backend_url, garbage, published_key(system, tmp_path))
    assert result.returncode == 2 and "line 1 is not an exported anchor" in result.stderr
