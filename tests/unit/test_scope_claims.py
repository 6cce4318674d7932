"""Scope claims read in one place: a carrier claim, read with a resolver, is its carrier's global ID,
and so is every carrier value an issuer is allowed, so allowed values and claims agree whichever
spelling either used. The resolver here is a dictionary: what graphql.carrier_claim reads from
the carriers read model is tested over HTTP (tests/e2e/test_carriers_api.py, test_perimeter.py)."""

from __future__ import annotations

import pytest

from farmgate.core.domain.carrier import BUILT_IN_CARRIERS, VIETTEL_POST, VNPOST, spelling_key
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.scope_claims import InvalidScopeClaim, grants, read_claim, scope_claims

IDS = {to_global_id("Carrier", str(c.id)): c for c in BUILT_IN_CARRIERS}


def resolve(claim: str) -> str | None:
    """Built-in carriers by global ID or spelling, as the carriers read model answers for them."""
    if claim in IDS:
        return claim
    return next((gid for gid, c in IDS.items() if spelling_key(claim) in c.keys()), None)


VNPOST_ID = to_global_id("Carrier", str(VNPOST.id))
VIETTEL_ID = to_global_id("Carrier", str(VIETTEL_POST.id))


@pytest.mark.parametrize("claim", ["VNPost", "Vietnam Post", "vn post", "Bưu điện Việt Nam", VNPOST_ID])
def test_a_carrier_claim_read_with_a_resolver_is_its_carriers_global_id(claim: str) -> None:
    assert read_claim("carrier", claim, resolve) == VNPOST_ID
    assert scope_claims("CARRIER", {"carrier": claim}, carriers=resolve)["carrier"] == VNPOST_ID


def test_without_a_resolver_a_carrier_claim_is_checked_for_its_form_only() -> None:
    assert read_claim("carrier", "Vietnam Post") == "Vietnam Post"
    with pytest.raises(InvalidScopeClaim, match="carrier must be a carrier name"):
        read_claim("carrier", " VNPost")


def test_a_claim_naming_no_known_carrier_is_invalid() -> None:
    with pytest.raises(InvalidScopeClaim, match="names no known carrier"):
        scope_claims("CARRIER", {"carrier": "Giao Hàng Nhanh"}, carriers=resolve)


@pytest.mark.parametrize("allowed", [["Vietnam Post"], ["VNPost"], [VNPOST_ID], ["Unknown Co", "vnpost"]])
def test_an_issuers_allowed_carrier_grants_every_spelling_and_the_id_of_that_carrier(allowed: list[str]) -> None:
    assert grants(allowed, "carrier", VNPOST_ID, carriers=resolve)
    assert not grants(allowed, "carrier", VIETTEL_ID, carriers=resolve)


def test_other_claims_are_not_read_by_the_carrier_resolver() -> None:
    def refuse(claim: str) -> str | None:
        raise AssertionError(f"the resolver read {claim}")

    assert scope_claims("MARKETPLACE", {"marketplace": "VOSO"}, carriers=refuse)["marketplace"] == "VOSO"
    assert grants(["20"], "province", "2025:20", carriers=refuse)
