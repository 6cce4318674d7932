"""A rebuild as the API's clients see it, on SQLite (embedded) and PostgreSQL (a projector process):
while a rebuild is paused half-way the API stays ready and answers from the whole old read model,
its live projector keeps projecting new events, and after the switch the API answers from the
rebuilt one with every event in it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from farmgate.core.projections.rebuild import ShadowRebuild
from farmgate.deploy.container import System, build_system
from tests.conftest import _settings
from tests.e2e.receiver import wait_until
from tests.e2e.server import Api, running_on
from tests.personal_data import PersonalData

COUNT = "{ households(first: 1) { totalCount } }"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_on(request.param, tmp_path_factory, "rebuild") as server:
        yield server


@pytest.fixture
def system(api: Api) -> Iterator[System]:
    built = build_system(_settings(api.database_url))
    yield built
    built.close()


def register(system: System, pd: PersonalData, name: str) -> Any:
    return system.app.register_household(name=name, national_id=pd.national_id(), phone=pd.phone(),
                                         address={"scheme": 2021, "province_code": "20"})


def test_the_api_stays_ready_and_whole_during_a_rebuild(api: Api, system: System,
                                                         personal_data: PersonalData) -> None:
    admin = api.token("ADMIN")

    def count() -> int:
        return int(api.data(COUNT, token=admin)["households"]["totalCount"])

    for n in range(6):
        register(system, personal_data, f"Hộ {n}")
    wait_until(lambda: count() == 6, "the API's projector projected the households")
    directory = next(p for p in system.projector.projections if p.name == "household_directory")

    with system.store.own_connection() as connection:
        shadow = ShadowRebuild(system.projector, directory, connection, batch_size=2)
        shadow.start()
        assert shadow.step() == 2
        # Half-way: ready, and every household still there.
        assert api.client.get(api.url + "/readyz").json() == {"status": "ready", "database": "ok"}
        assert count() == 6
        for n in range(2):
            register(system, personal_data, f"Hộ trong {n}")
        wait_until(lambda: count() == 8, "the live projector projected the households recorded during the rebuild")
        while shadow.step():
            assert count() == 8
        assert shadow.switch()
    assert count() == 8
    assert api.client.get(api.url + "/readyz").status_code == 200
    register(system, personal_data, "Hộ sau")
    wait_until(lambda: count() == 9, "the live projector goes on from the switched tables")
