"""The served schema against the public contract (contract/schema.graphql, a copy of
../shared/contract/schema.graphql kept in the repository so a bare clone tests on its own), and the
SDL file kept for frontends."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from farmgate.graphql.schema import schema
from tests.contract.schema_diff import diff

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contract" / "schema.graphql"
SHARED_CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"
UNBUILT = Path(__file__).with_name("unbuilt.txt")


@pytest.fixture(scope="module")
def contract_diff():
    assert CONTRACT.is_file(), f"the contract should be in the repository at {CONTRACT}"
    return diff(build_schema(CONTRACT.read_text()), schema._schema)


def test_what_is_built_matches_the_contract_exactly(contract_diff) -> None:
    assert contract_diff.mismatches == []


def test_what_is_not_built_yet_is_listed(contract_diff) -> None:
    """unbuilt.txt lists what the contract has and we do not serve yet; it may only shrink."""
    listed = {line.strip() for line in UNBUILT.read_text().splitlines() if line.strip() and not line.startswith("#")}
    newly_missing = contract_diff.missing - listed
    now_built = listed - contract_diff.missing
    assert not newly_missing, f"no longer served: {sorted(newly_missing)}"
    assert not now_built, f"built now, remove from unbuilt.txt: {sorted(now_built)}"


def test_the_repository_schema_file_is_current() -> None:
    kept = (ROOT / "graphql" / "schema.graphql").read_text()
    assert kept == schema.as_str() + "\n", "run `make schema` to refresh graphql/schema.graphql"


def test_the_repository_copy_of_the_contract_is_the_shared_one() -> None:
    """Where the shared contract sits beside the repository, our copy must equal it byte for byte;
    on a bare clone there is nothing to compare with and the copy is the contract."""
    if not SHARED_CONTRACT.is_file():
        assert CONTRACT.read_text(encoding="utf-8").startswith("# farmgate")
        return
    assert CONTRACT.read_bytes() == SHARED_CONTRACT.read_bytes(), (
        f"copy {SHARED_CONTRACT} to {CONTRACT}: the contract changed"
    )
