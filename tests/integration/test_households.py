"""The household application suite, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition, NotFound
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.history import stream_records, verify
from farmgate.deploy.container import System
from tests.personal_data import PersonalData

LANG_SON = {"scheme": 2021, "province_code": "20", "district_code": "187"}


def register(system: System, pd: PersonalData, name: str = "Hộ Hoàng Văn Na", **overrides: object):
    args = {"name": name, "national_id": pd.national_id(), "phone": pd.phone(), "address": LANG_SON}
    args.update(overrides)
    return system.app.register_household(**args)  # type: ignore[arg-type]


def test_a_registered_household_reaches_the_directory_with_a_standard_code(system: System, personal_data) -> None:
    with recording(Provenance(actor="MARKETPLACE:postmart-ops", correlation_id="req-42")):
        household_id = register(system, personal_data, channel="POSTMART")
    system.catch_up()
    row = system.households.by_ids([household_id])[household_id]
    # Check the standard code, the normalised phone and the channel it came through.
    assert row["code"] == "HH-20-000001"
    assert row["phone"].startswith("+84")
    assert row["channel"] == "POSTMART"
    assert system.households.by_code("HH-20-000001")["id"] == str(household_id)
    # Check the request id followed the request into the event.
    first = stream_records(system.app, household_id)[0]
    assert first.actor == "MARKETPLACE:postmart-ops" and first.data["correlation_id"] == "req-42"


def test_codes_are_issued_in_order_per_province_and_never_reused(system: System, personal_data) -> None:
    taken = personal_data.national_id()
    ids = [register(system, personal_data, national_id=taken)] + [register(system, personal_data) for _ in range(2)]
    other = register(system, personal_data, address={"scheme": 2021, "province_code": "24"})
    with pytest.raises(AlreadyExists):
        # A refused registration must not burn a code.
        register(system, personal_data, national_id=taken)
    fourth = register(system, personal_data)
    system.catch_up()
    rows = system.households.by_ids([*ids, other, fourth])
    assert [rows[i]["code"] for i in [*ids, fourth]] == ["HH-20-000001", "HH-20-000002", "HH-20-000003", "HH-20-000004"]
    assert rows[other]["code"] == "HH-24-000001"


def test_one_household_per_national_id_and_the_id_is_not_stored(system: System, personal_data) -> None:
    national_id = personal_data.national_id()
    register(system, personal_data, national_id=national_id)
    with pytest.raises(AlreadyExists) as refused:
        register(system, personal_data, national_id=national_id, name="Someone else")
    assert refused.value.field == ["input", "nationalId"] and national_id not in refused.value.message
    system.catch_up()
    # Check the number is nowhere in the event log or the read model, in plain text.
    with system.store.transaction(commit=False) as cur:
        events = cur.execute(f"SELECT * FROM {system.app.recorder.events_table_name}").fetchall()
        rows = cur.execute("SELECT * FROM household_directory_v2").fetchall()
    dumped = repr(events) + repr(rows)
    assert national_id not in dumped


def test_two_concurrent_registrations_with_one_national_id_yield_exactly_one(system: System, personal_data) -> None:
    national_id = personal_data.national_id()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait(timeout=10)
        try:
            register(system, personal_data, national_id=national_id)
            outcomes.append("registered")
        except AlreadyExists:
            outcomes.append("already")

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    system.catch_up()
    assert sorted(outcomes) == ["already"] * 5 + ["registered"]
    _, total = system.households.page(after_position=0, limit=10)
    assert total == 1


def test_concurrent_registrations_in_one_province_get_distinct_codes(system: System, personal_data) -> None:
    barrier = threading.Barrier(5)
    errors: list[Exception] = []

    def attempt() -> None:
        barrier.wait(timeout=10)
        try:
            register(system, personal_data)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    system.catch_up()
    rows, total = system.households.page(after_position=0, limit=10)
    assert errors == [] and total == 5
    assert sorted(r["code"] for r in rows) == [f"HH-20-00000{i}" for i in range(1, 6)]


def test_bad_input_is_refused_with_field_paths_and_changes_nothing(system: System, personal_data) -> None:
    cases = [
        ({"national_id": "123"}, ["input", "nationalId"]),
        ({"phone": "12345"}, ["input", "phone"]),
        ({"address": {"scheme": 2021, "province_code": "99"}}, ["input", "address", "provinceCode"]),
        ({"address": {"scheme": 2025, "province_code": "20", "district_code": "187"}}, ["input", "address", "districtCode"]),
        ({"address": {"scheme": 1999, "province_code": "20"}}, ["input", "address", "scheme"]),
        ({"name": "  "}, ["input", "name"]),
        ({"location": {"latitude": 123.0, "longitude": 1.0}}, ["input", "location", "latitude"]),
    ]
    for overrides, field in cases:
        with pytest.raises(InvalidInput) as refused:
            register(system, personal_data, **overrides)
        assert refused.value.field == field, overrides
    assert system.app.recorder.max_notification_id() in (None, 0)


def test_verify_link_and_certify_then_history_verifies(system: System, personal_data) -> None:
    household_id = register(system, personal_data)
    system.app.verify_household(household_id, "commune post office")
    with pytest.raises(InvalidTransition):
        system.app.verify_household(household_id, "again")
    system.app.link_payment_account(household_id, "E_WALLET", "ViettelPay", "VTP-0012345678")
    with pytest.raises(InvalidInput):
        system.app.link_payment_account(household_id, "E_WALLET", "ViettelPay", "x")
    valid_until = datetime.now(timezone.utc) + timedelta(days=365)
    _, certification_id = system.app.add_certification(household_id, "VIETGAP", "VG-20-001", "Sở NN Lạng Sơn", valid_until)
    system.catch_up()
    row = system.households.by_ids([household_id])[household_id]
    assert row["status"] == "VERIFIED" and row["verified_at"]
    assert row["payment_accounts"][0]["reference_masked"] == "****5678"
    assert row["certifications"][0]["id"] == str(certification_id)
    report = verify(system.app, [household_id])
    assert report.verified and report.event_count == 4


def test_unknown_household_is_not_found(system: System) -> None:
    from uuid import uuid4

    with pytest.raises(NotFound):
        system.app.verify_household(uuid4(), "x")


def test_search_is_accent_and_case_insensitive(system: System, personal_data) -> None:
    register(system, personal_data, name="Hộ Đặng Văn Hùng")
    register(system, personal_data, name="Hộ Trần Thị Thiều")
    system.catch_up()
    for query in ("dang van", "ĐẶNG VĂN", "Đặng văn hùng"):
        rows, total = system.households.page(after_position=0, limit=10, search=query)
        assert total == 1 and rows[0]["name"] == "Hộ Đặng Văn Hùng", query
    rows, total = system.households.page(after_position=0, limit=10, search="thieu")
    assert [r["name"] for r in rows] == ["Hộ Trần Thị Thiều"]
