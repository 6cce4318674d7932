"""Household aggregates on POPO: given events, when command, then events or a refusal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from farmgate.core.domain.audit import GENESIS
from farmgate.core.domain.errors import InvalidInput, InvalidTransition
from farmgate.core.domain.household import Household, HouseholdCodeSequence, household_id_for
from farmgate.core.domain.provenance import Provenance, recording

NOW = datetime(2021, 8, 3, 9, 0, tzinfo=timezone.utc)


def a_household(digest: str = "d" * 64) -> Household:
    return Household.register(
        code="HH-20-000001",
        name="Hộ Hoàng Văn Na",
        national_id_digest=digest,
        phone="+84912000101",
        address={"scheme": 2021, "province_code": "20", "district_code": "187", "ward_code": None, "street": None},
    )


def test_registration_derives_the_id_from_the_national_id_digest() -> None:
    household = a_household("a" * 64)
    # Check the same person always maps to the same stream, so a second registration collides.
    assert household.id == household_id_for("a" * 64)
    assert household.id != household_id_for("b" * 64)
    assert household.status == "REGISTERED"


def test_every_event_carries_provenance_and_chains_to_the_previous_one() -> None:
    with recording(Provenance(actor="PROVINCE_OFFICER:lan", correlation_id="req-1")):
        household = a_household()
        household.verify("commune post office")
    registered, verified = household.pending_events
    assert registered.actor == "PROVINCE_OFFICER:lan"
    assert verified.correlation_id == "req-1"
    assert registered.hash != verified.hash
    assert household.head_hash == verified.hash != GENESIS


def test_verifying_twice_is_an_invalid_transition() -> None:
    household = a_household()
    household.verify("commune post office")
    with pytest.raises(InvalidTransition) as refused:
        household.verify("again")
    assert refused.value.field == ["input", "householdId"]


def test_verification_needs_a_method() -> None:
    with pytest.raises(InvalidInput) as refused:
        a_household().verify("   ")
    assert refused.value.field == ["input", "method"]


def test_a_certification_must_be_valid_in_the_future_and_not_repeated() -> None:
    household = a_household()
    with pytest.raises(InvalidInput) as expired:
        household.add_certification("VIETGAP", "VG-1", "Sở NN", NOW - timedelta(days=1), NOW)
    assert expired.value.field == ["input", "validUntil"]
    household.add_certification("VIETGAP", "VG-1", "Sở NN", NOW + timedelta(days=365), NOW)
    with pytest.raises(InvalidInput) as repeated:
        household.add_certification("VIETGAP", "VG-1", "Sở NN", NOW + timedelta(days=365), NOW)
    assert repeated.value.code == "ALREADY_EXISTS"
    assert len(household.certifications) == 1


def test_a_payment_account_is_linked_once() -> None:
    household = a_household()
    household.link_payment_account("E_WALLET", "ViettelPay", "****6789")
    with pytest.raises(InvalidInput) as repeated:
        household.link_payment_account("E_WALLET", "ViettelPay", "****6789")
    assert repeated.value.code == "ALREADY_EXISTS"
    with pytest.raises(InvalidInput):
        household.link_payment_account("CRYPTO", "x", "****6789")
    # An account differing in any one of kind, provider and reference is another account.
    household.link_payment_account("E_WALLET", "ViettelPay", "****1234")
    household.link_payment_account("E_WALLET", "MoMo", "****6789")
    household.link_payment_account("BANK_ACCOUNT", "ViettelPay", "****6789")
    assert [(a["kind"], a["provider"], a["reference_masked"]) for a in household.payment_accounts] == [
        ("E_WALLET", "ViettelPay", "****6789"), ("E_WALLET", "ViettelPay", "****1234"), ("E_WALLET", "MoMo", "****6789"),
        ("BANK_ACCOUNT", "ViettelPay", "****6789")]


def test_code_sequence_never_issues_a_code_twice() -> None:
    sequence = HouseholdCodeSequence.start("20")
    codes = [sequence.issue() for _ in range(3)]
    assert codes == ["HH-20-000001", "HH-20-000002", "HH-20-000003"]
    assert sequence.id == HouseholdCodeSequence.id_for("20") != HouseholdCodeSequence.id_for("24")
