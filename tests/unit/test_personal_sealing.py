"""Sealing personal fields (pure parts, and the mapper on the in-memory store): commitments, tokens,
the stored form, and what erasure leaves."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from farmgate.core.application import Farmgate
from farmgate.core.domain.aggregate import event_data, hashed_data
from farmgate.core.domain.audit import GENESIS, chain_hash
from farmgate.core.domain.household import Household
from farmgate.core.domain.personal_data import ERASED, commit_personal, commitment, hashed_view
from farmgate.core.database import ReadStore
from farmgate.core.personal_cipher import open_token, seal, subject_of
from farmgate.core.personal_keys import SubjectKeys, key_encryption_key

ADDRESS = {"scheme": 2021, "province_code": "20", "district_code": "187", "street": "Thôn Quý 2"}


def keys_in_memory() -> SubjectKeys:
    app = Farmgate({"PERSISTENCE_MODULE": "eventsourcing.popo"}, pii_pepper="test")
    return SubjectKeys(ReadStore(app), key_encryption_key("k" * 40))


def test_a_commitment_binds_the_value_and_hides_it_behind_its_salt() -> None:
    data = {"name": "Hộ Hoàng Văn Na", "phone": "+84912000101", "address": ADDRESS, "code": "HH-20-000007"}
    first, second = commit_personal("Household", data), commit_personal("Household", data)
    assert set(first) == {"name", "phone", "address.street"}
    # Random salts: the same phone commits differently each time (a phone's small space cannot be searched).
    assert first["phone"]["c"] != second["phone"]["c"]
    salt = bytes.fromhex(first["phone"]["salt"])
    assert commitment(salt, "+84912000101") == first["phone"]["c"] != commitment(salt, "+84912000102")
    view = hashed_view(data, first)
    assert view["phone"] == {"commitment": first["phone"]["c"]} and view["code"] == "HH-20-000007"
    assert view["address"] == dict(ADDRESS, street={"commitment": first["address.street"]["c"]})
    assert "Thôn Quý 2" not in repr(view) and data["address"]["street"] == "Thôn Quý 2"  # not changed in place


def test_fields_of_other_streams_and_absent_ones_are_not_committed() -> None:
    assert commit_personal("Listing", {"name": "Vải"}) == {}
    assert commit_personal("Storefront", {"contact_phone": None, "name": "Vườn"}) == {}


def test_an_events_hash_covers_its_commitments_not_its_plain_values() -> None:
    household = Household.register(code="HH-20-000007", name="Hộ Hoàng Văn Na", national_id_digest="d" * 64,
                                   phone="+84912000101", address=ADDRESS, location=None, channel=None)
    event = household.collect_events()[0]
    expected = chain_hash(GENESIS, stream="Household", aggregate_id=household.id, version=1, event_type="Registered",
                          occurred_at=event.occurred_at, recorded_at=event.timestamp, data=hashed_data(event))
    assert event.hash == expected
    # Erased, the plain values are gone but the commitments remain: the same hash.
    erased = dict(event_data(event), name=ERASED, phone=ERASED, address=dict(ADDRESS, street=ERASED))
    assert hashed_view(erased, event.commitments) == hashed_data(event)
    # An altered plain value with its old commitment does not pass for it.
    assert commitment(bytes.fromhex(event.commitments["phone"]["salt"]), "+84912000109") != event.commitments["phone"]["c"]


def test_a_token_opens_under_its_subjects_key_only_until_the_key_is_destroyed() -> None:
    keys = keys_in_memory()
    key = keys.key_for_sealing("household:1")
    token = seal(key, "household:1", {"street": "Thôn Quý 2"}, "ab")
    assert subject_of(token) == "household:1" and "Thôn" not in token
    assert open_token(keys, token) == ("ab", {"street": "Thôn Quý 2"})
    # Moved to another subject's name, it does not open (the subject is authenticated data).
    keys.key_for_sealing("household:2")
    with pytest.raises(ValueError):
        open_token(keys, token.replace("household:1", "household:2"))
    assert keys.erase("household:1", erased_at=datetime.now(timezone.utc), erased_by="ADMIN:x", reason="t")
    assert open_token(keys, token) is None
    assert not keys.erase("household:1", erased_at=datetime.now(timezone.utc), erased_by="ADMIN:x", reason="t")


def test_the_mapper_stores_no_plain_value_and_reads_erased_after_erasure() -> None:
    app = Farmgate({"PERSISTENCE_MODULE": "eventsourcing.popo"}, pii_pepper="test")
    household = Household.register(code="HH-20-000008", name="Hộ Trần Thị Mai", national_id_digest="e" * 64,
                                   phone="+84912000102", address=ADDRESS, location=None, channel=None)
    app.save(household)
    stored = app.recorder.select_events(household.id)[0]
    assert b"Mai" not in stored.state and b"912000102" not in stored.state and "Quý".encode() not in stored.state
    event = app.mapper.to_domain_event(stored)
    assert (event.name, event.phone, event.address["street"]) == ("Hộ Trần Thị Mai", "+84912000102", "Thôn Quý 2")
    app.personal_keys.erase(f"household:{household.id}", erased_at=datetime.now(timezone.utc), erased_by="ADMIN:x",
                            reason="t")
    erased = app.mapper.to_domain_event(stored)
    assert (erased.name, erased.phone, erased.address["street"]) == (ERASED, ERASED, ERASED)
    assert erased.address["province_code"] == "20"
    assert hashed_data(erased) == hashed_data(event)  # the chain still verifies
