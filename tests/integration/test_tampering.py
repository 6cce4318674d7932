"""Tampering with stored events, one hashed field at a time, on SQLite and PostgreSQL: each edit of a
row as stored (occurred time, type, version, recorded time, aggregate id, stream, data, the chain to
the previous event, the recorded hash itself) is caught by re-verification, at the right event.

Every forged row still decodes: only the hash can tell, so each test fails if its field is dropped
from the chained hash (the known-answer digests are in tests/unit/test_known_answers.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest

from farmgate.core.history import verify
from farmgate.deploy.container import System
from tests.integration.test_claims_case_file import stored_id
from tests.personal_data import PersonalData

HOUSEHOLD_TOPIC = "farmgate.core.domain.household:Household"


def a_household_stream(system: System, pd: PersonalData) -> UUID:
    """Registered, Verified, PaymentAccountLinked, CertificationAdded: versions 1 to 4."""
    app = system.app
    household = app.register_household(name=pd.name(), national_id=pd.national_id(), phone=pd.phone(),
                                       address={"scheme": 2021, "province_code": "20", "street": pd.street()})
    app.verify_household(household, method="commune post office")
    app.link_payment_account(household, kind="E_WALLET", provider="MoMo", reference="MOMO-20210803")
    app.add_certification(household, scheme="VIETGAP", number="VG-20-0042", issuer="Sở NN&PTNT Lạng Sơn",
                          valid_until=datetime.now(timezone.utc) + timedelta(days=365))
    return household


def edit_row(system: System, household: UUID, version: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite one stored row: ``change`` gets its columns (topic, version, id) and decoded state."""
    table = system.app.recorder.events_table_name
    with system.store.transaction() as cur:
        key = stored_id(cur.dialect, household)
        row = cur.execute(f"SELECT originator_version, topic, state FROM {table} WHERE originator_id = %s"
                          " AND originator_version = %s", (key, version)).fetchone()
        assert row is not None
        columns = {"topic": row["topic"], "version": row["originator_version"], "originator_id": key,
                   "state": json.loads(bytes(row["state"]))}
        change(columns)
        cur.execute(f"UPDATE {table} SET topic = %s, originator_version = %s, originator_id = %s, state = %s"
                    " WHERE originator_id = %s AND originator_version = %s",
                    (columns["topic"], columns["version"], columns["originator_id"],
                     json.dumps(columns["state"], separators=(",", ":")).encode(), key, version))


def shifted(stored_time: dict[str, str]) -> dict[str, str]:
    """A stored datetime one microsecond later (the library keeps them as ISO text)."""
    moment = datetime.fromisoformat(stored_time["_data_"]) + timedelta(microseconds=1)
    return {**stored_time, "_data_": moment.isoformat()}


def assert_caught(system: System, household: UUID, version: int) -> None:
    report = verify(system.app, [household])
    assert not report.verified
    assert report.first_broken is not None
    assert (report.first_broken.aggregate_id, report.first_broken.version) == (household, version)
    # Check the forged row still decodes: the hash caught it, not a decoding error.
    assert report.first_broken.occurred_at is not None and report.first_broken.hash


@pytest.fixture
def household(system: System, personal_data: PersonalData) -> UUID:
    household = a_household_stream(system, personal_data)
    report = verify(system.app, [household])
    assert report.verified and report.event_count == 4, "the untouched stream verifies"
    return household


def test_changing_when_an_event_occurred_is_caught(system: System, household: UUID) -> None:
    edit_row(system, household, 2, lambda row: row["state"].update(occurred_at=shifted(row["state"]["occurred_at"])))
    assert_caught(system, household, 2)


def test_changing_when_an_event_was_recorded_is_caught(system: System, household: UUID) -> None:
    edit_row(system, household, 2, lambda row: row["state"].update(timestamp=shifted(row["state"]["timestamp"])))
    assert_caught(system, household, 2)


def test_changing_an_events_type_is_caught(system: System, household: UUID) -> None:
    def relabel(row: dict[str, Any]) -> None:
        assert row["topic"] == f"{HOUSEHOLD_TOPIC}.PaymentAccountLinked"
        row["topic"] = f"{HOUSEHOLD_TOPIC}.Verified"

    edit_row(system, household, 3, relabel)
    assert_caught(system, household, 3)


def test_changing_an_events_stream_is_caught(system: System, household: UUID) -> None:
    # Household.Registered read as ExportPartner.Registered: same event name, another stream.
    def restream(row: dict[str, Any]) -> None:
        assert row["topic"] == f"{HOUSEHOLD_TOPIC}.Registered"
        row["topic"] = "farmgate.core.domain.export_partner:ExportPartner.Registered"

    edit_row(system, household, 1, restream)
    assert_caught(system, household, 1)


def test_changing_an_events_version_is_caught(system: System, household: UUID) -> None:
    edit_row(system, household, 4, lambda row: row.update(version=5))
    assert_caught(system, household, 5)


def test_moving_a_stream_to_another_aggregate_id_is_caught(system: System, household: UUID) -> None:
    other = uuid4()
    for version in (1, 2, 3, 4):
        edit_row(system, household, version, lambda row: row.update(originator_id=stored_id(
            "sqlite" if isinstance(row["originator_id"], str) else "postgres", other)))
    assert_caught(system, other, 1)


def test_changing_an_events_data_is_caught(system: System, household: UUID) -> None:
    edit_row(system, household, 2, lambda row: row["state"].update(method="province officer visit"))
    assert_caught(system, household, 2)


def test_removing_an_event_breaks_the_chain_of_the_next(system: System, household: UUID) -> None:
    table = system.app.recorder.events_table_name
    with system.store.transaction() as cur:
        cur.execute(f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = 2",
                    (stored_id(cur.dialect, household),))
    # Version 3 chained to version 2's hash; it is now read after version 1.
    assert_caught(system, household, 3)


def test_changing_a_recorded_hash_is_caught(system: System, household: UUID) -> None:
    edit_row(system, household, 2, lambda row: row["state"].update(hash="f" * 64))
    assert_caught(system, household, 2)
