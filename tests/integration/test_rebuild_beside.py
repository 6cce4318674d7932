"""A rebuild without an outage, on SQLite and PostgreSQL: the new tables are built beside the live
ones (driven here step by step, paused half-way), readers keep the whole old read model until the
switch, events recorded meanwhile are in the new one, the rebuilt tables equal those projected live,
and a rebuild interrupted or stopped at an event it cannot apply leaves the live tables as they were."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from farmgate.core.projections.base import Projection
from farmgate.core.projections.households import HouseholdDirectory
from farmgate.core.projections.rebuild import RebuildBusy, ShadowRebuild, rebuild
from farmgate.deploy.container import System, build_system
from farmgate.deploy.demo import StoryClock, load_demo
from tests.conftest import _settings
from tests.personal_data import PersonalData


def register(system: System, pd: PersonalData, name: str) -> Any:
    return system.app.register_household(name=name, national_id=pd.national_id(), phone=pd.phone(),
                                         address={"scheme": 2021, "province_code": "20"})


def directory_of(system: System) -> Projection:
    return next(p for p in system.projector.projections if p.name == "household_directory")


def rows(system: System, projection: Projection) -> dict[str, list[str]]:
    """Every row of the projection's tables, table by table, in a fixed order."""
    return {table: sorted(repr(sorted(row.items())) for row in system.store.query(f"SELECT * FROM {table}"))
            for table in projection.tables}


def shadow_schemas(system: System) -> list[str]:
    if system.store.dialect != "postgres":
        return []
    return [r["nspname"] for r in system.store.query(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'farmgate_rebuild_%%'")]


def test_readers_keep_the_whole_old_model_until_the_switch_and_then_see_every_event(
    system: System, personal_data: PersonalData
) -> None:
    ids = [register(system, personal_data, f"Hộ {n}") for n in range(5)]
    system.catch_up()
    directory = directory_of(system)
    before = rows(system, directory)
    assert len(before["household_directory_v2"]) == 5
    with system.store.own_connection() as connection:
        shadow = ShadowRebuild(system.projector, directory, connection, batch_size=2)
        shadow.start()
        assert shadow.step() == 2
        # Check half-way: readers see the complete old rows, through the tables and the queries.
        assert 0 < shadow.position < system.projector.head()
        assert rows(system, directory) == before
        assert system.households.by_ids(ids).keys() == set(ids)

        # Events recorded during the rebuild: the live projector keeps the live tables current.
        during = [register(system, personal_data, f"Hộ trong {n}") for n in range(2)]
        system.catch_up()
        live = rows(system, directory)
        assert len(live["household_directory_v2"]) == 7
        # One more the live projector has not applied: the switch applies it itself.
        last = register(system, personal_data, "Hộ cuối")
        while shadow.step():
            assert rows(system, directory) == live
        assert shadow.switch()
    after = system.households.by_ids([*ids, *during, last])
    assert after.keys() == {*ids, *during, last}
    assert system.projector.position(directory) == system.projector.head()
    assert shadow_schemas(system) == []
    # Check the live projector goes on from the switched position: a new event lands once.
    later = register(system, personal_data, "Hộ sau")
    system.catch_up()
    assert len(rows(system, directory)["household_directory_v2"]) == 9
    assert later in system.households.by_ids([later])


def test_every_rebuilt_table_equals_the_one_projected_live(backend_url: str) -> None:
    clock = StoryClock()
    system = build_system(_settings(backend_url), clock=clock)
    try:
        load_demo(system, clock)
        system.catch_up()
        projections = system.projector.projections
        live = {p.name: rows(system, p) for p in projections}
        positions = {p.name: system.projector.position(p) for p in projections}
        assert sum(len(r) for tables in live.values() for r in tables.values()) > 50
        seen: list[tuple[int, int]] = []
        for projection in projections:
            outcome = rebuild(system.projector, projection, on_progress=lambda at, head: seen.append((at, head)))
            assert outcome.switched and outcome.position == positions[projection.name]
        assert seen and all(0 < at <= head for at, head in seen)
        assert {p.name: rows(system, p) for p in projections} == live
        assert {p.name: system.projector.position(p) for p in projections} == positions
        assert shadow_schemas(system) == []
    finally:
        system.close()


def test_an_interrupted_rebuild_leaves_the_live_model_and_runs_again(
    system: System, personal_data: PersonalData
) -> None:
    ids = [register(system, personal_data, f"Hộ {n}") for n in range(4)]
    system.catch_up()
    directory = directory_of(system)
    before, position = rows(system, directory), system.projector.position(directory)
    # A rebuild that dies half-way: its connection goes without a switch or a clean-up.
    with system.store.own_connection() as connection:
        shadow = ShadowRebuild(system.projector, directory, connection, batch_size=1)
        shadow.start()
        assert shadow.step() == 1
    assert rows(system, directory) == before
    assert system.projector.position(directory) == position
    assert system.households.by_ids(ids).keys() == set(ids)
    if system.store.dialect == "postgres":  # the shadow schema outlives its connection
        assert shadow_schemas(system) == ["farmgate_rebuild_household_directory_v2"]

    # Run again: the leftover shadow is dropped, the rebuild switches in the same rows.
    outcome = rebuild(system.projector, directory)
    assert outcome.switched
    assert rows(system, directory) == before
    assert shadow_schemas(system) == []


class BrokenDirectory(HouseholdDirectory):
    """The household directory whose registration handler fails on one event (a release that cannot
    apply an old event), found by ``fails_at``."""

    def __init__(self, fails_at: Callable[[int], bool]) -> None:
        self.fails_at = fails_at

    def handlers(self) -> dict[str, Callable[..., None]]:
        handlers = super().handlers()
        registered = handlers["Household.Registered"]

        def failing(cur: Any, event: Any, position: int) -> None:
            if self.fails_at(position):
                raise RuntimeError("injected fault")
            registered(cur, event, position)

        return {**handlers, "Household.Registered": failing}


def test_a_rebuild_that_stalls_keeps_the_live_tables(system: System, personal_data: PersonalData) -> None:
    for n in range(3):
        register(system, personal_data, f"Hộ {n}")
    system.catch_up()
    directory = directory_of(system)
    before, position = rows(system, directory), system.projector.position(directory)
    head = system.projector.head()

    # Stopped while replaying: nothing switched, nothing recorded as the live projection's stall.
    outcome = rebuild(system.projector, BrokenDirectory(lambda at: at == head))
    assert outcome.stall is not None and outcome.stall.position == head and not outcome.switched
    assert outcome.stall.event_type == "Household.Registered" and "injected fault" not in outcome.stall.error
    assert rows(system, directory) == before and system.projector.position(directory) == position
    assert system.projector.stall_of(directory) is None
    assert shadow_schemas(system) == []

    # Stopped at the switch, on an event recorded after the replay caught up: the switch changes nothing.
    broken = BrokenDirectory(lambda at: at > head)
    with system.store.own_connection() as connection:
        shadow = ShadowRebuild(system.projector, broken, connection)
        shadow.start()
        while shadow.step():
            pass
        register(system, personal_data, "Hộ mới")
        assert not shadow.switch()
        assert shadow.stall is not None and head < shadow.stall.position <= system.projector.head()
        shadow.abandon()
    assert rows(system, directory) == before and system.projector.position(directory) == position
    assert shadow_schemas(system) == []


def test_a_rebuild_under_live_writes_never_shows_readers_fewer_rows(
    system: System, personal_data: PersonalData
) -> None:
    for n in range(20):
        register(system, personal_data, f"Hộ {n}")
    system.catch_up()
    directory = directory_of(system)
    system.projector.start(poll_interval=0.01)
    stop, counts, failures = threading.Event(), [], []

    def read() -> None:
        while not stop.is_set():
            try:
                counts.append(int(system.store.query_one("SELECT COUNT(*) AS n FROM household_directory_v2")["n"]))
            except Exception as error:  # kept, asserted below
                failures.append(error)

    def write() -> None:
        for n in range(10):
            register(system, personal_data, f"Hộ ghi {n}")

    reader, writer = threading.Thread(target=read), threading.Thread(target=write)
    reader.start()
    writer.start()
    try:
        outcome = rebuild(system.projector, directory)
        writer.join(timeout=60)
    finally:
        stop.set()
        reader.join(timeout=10)
        system.projector.stop()
    assert outcome.switched and not failures
    # The count never went below the 20 rows of the old model, nor backwards.
    assert counts and min(counts) >= 20 and counts == sorted(counts)
    system.catch_up()
    assert len(rows(system, directory)["household_directory_v2"]) == 30


def test_a_second_rebuild_of_a_projection_is_refused_while_one_runs_on_postgres(postgres_system: System) -> None:
    system = postgres_system
    directory = directory_of(system)
    with system.store.own_connection() as first, system.store.own_connection() as second:
        running = ShadowRebuild(system.projector, directory, first)
        running.start()
        with pytest.raises(RebuildBusy, match="household_directory_v2"):
            ShadowRebuild(system.projector, directory, second).start()
        with pytest.raises(RebuildBusy):
            rebuild(system.projector, directory)
        # Check the refused one dropped nothing: the running one still switches.
        while running.step():
            pass
        assert running.switch()
    # Its lock went with its connection: the next rebuild runs.
    assert rebuild(system.projector, directory).switched
