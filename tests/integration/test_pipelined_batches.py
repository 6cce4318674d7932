"""Projection batches on PostgreSQL are pipelined (their statements sent without waiting for each
answer), so a statement's error surfaces later than the event that caused it. These tests refuse
one household's row in the database itself (a trigger standing in for any server-side error) and
check the stall still names that event, that the events before it are applied and the ones after
it are not — for the projector on both backends (SQLite is not pipelined: the same answer) and for
a rebuild's shadow tables on PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from farmgate.core.projections.base import Projection
from farmgate.core.projections.households import TABLE
from farmgate.core.projections.rebuild import ShadowRebuild
from farmgate.deploy.container import System
from tests.personal_data import PersonalData

REFUSED_PROVINCE = "22"  # Quảng Ninh: the trigger refuses its households' rows


def register(system: System, pd: PersonalData, province_code: str) -> Any:
    return system.app.register_household(name="Hộ Thử", national_id=pd.national_id(), phone=pd.phone(),
                                         address={"scheme": 2021, "province_code": province_code})


def directory_of(system: System) -> Projection:
    return next(p for p in system.projector.projections if p.name == "household_directory")


def refuse_in_database(system: System, table: str) -> None:
    """A trigger on ``table`` that fails the INSERT of a household of ``REFUSED_PROVINCE``."""
    with system.store.transaction() as cur:
        if system.store.dialect == "postgres":
            cur.execute("""CREATE OR REPLACE FUNCTION test_refuse_household() RETURNS trigger LANGUAGE plpgsql AS $$
                           BEGIN RAISE EXCEPTION 'refused by the test'; END $$""")
            cur.execute(f"CREATE TRIGGER test_refuse BEFORE INSERT ON {table} FOR EACH ROW"
                        f" WHEN (NEW.province_code = '{REFUSED_PROVINCE}') EXECUTE FUNCTION test_refuse_household()")
        else:
            cur.execute(f"CREATE TRIGGER test_refuse BEFORE INSERT ON {table}"
                        f" WHEN NEW.province_code = '{REFUSED_PROVINCE}'"
                        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")


def registered_at(system: System, household_id: UUID) -> int:
    """The log position of the household's registration."""
    notifications = system.app.recorder.select_notifications(start=1, limit=10_000)
    return next(n.id for n in notifications if n.originator_id == household_id and n.originator_version == 1)


def test_a_database_error_in_a_pipelined_batch_stalls_at_its_own_event(system: System,
                                                                       personal_data: PersonalData) -> None:
    directory = directory_of(system)
    refuse_in_database(system, TABLE)
    before = [register(system, personal_data, "20") for _ in range(3)]
    refused = register(system, personal_data, REFUSED_PROVINCE)
    after = [register(system, personal_data, "20") for _ in range(3)]
    system.catch_up()  # one batch: the refused row is in the middle of it
    stall = system.projector.stall_of(directory)
    assert stall is not None and stall.position == registered_at(system, refused)
    assert stall.event_type == "Household.Registered" and "refused by the test" in stall.error
    assert system.projector.position(directory) == stall.position - 1
    assert system.households.by_ids([*before, refused, *after]).keys() == set(before)
    # Check the other projections went past it, the statements after the failure included.
    assert all(system.projector.position(p) == system.projector.head()
               for p in system.projector.projections if p is not directory)


def test_a_database_error_in_a_pipelined_rebuild_batch_stops_it_at_its_own_event(
    postgres_system: System, personal_data: PersonalData
) -> None:
    system = postgres_system
    directory = directory_of(system)
    before = [register(system, personal_data, "20") for _ in range(3)]
    refused = register(system, personal_data, REFUSED_PROVINCE)
    after = [register(system, personal_data, "20") for _ in range(3)]
    system.catch_up()
    live = system.store.query(f"SELECT id FROM {TABLE} ORDER BY id")
    with system.store.own_connection() as connection:
        shadow = ShadowRebuild(system.projector, directory, connection)
        shadow.start()
        refuse_in_database(system, f'"{shadow.schema}".{TABLE}')
        while shadow.step():
            pass
        assert shadow.stall is not None and shadow.stall.position == registered_at(system, refused)
        assert "refused by the test" in shadow.stall.error
        assert not shadow.switch()
        shadow.abandon()
    # Check the live read model is untouched and still holds all seven.
    assert system.store.query(f"SELECT id FROM {TABLE} ORDER BY id") == live
    assert system.households.by_ids([*before, refused, *after]).keys() == {*before, refused, *after}
