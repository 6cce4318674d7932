"""One real API per backend per module: SQLite embedded, and PostgreSQL with a projector process and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.receiver import Receiver
from tests.e2e.server import Api, running_api
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    module = request.module.__name__.rsplit(".", 1)[-1]
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("e2e") / "farmgate.db"
        with running_api(f"sqlite:///{path}", name=f"{module}-sqlite") as server:
            yield server
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name=f"{module}-postgres") as server:
            yield server


@pytest.fixture(scope="module")
def receiver(api: Api) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, one per module's server (each module's own `api`), so each
    run counts only its own deliveries."""
    server = Receiver()
    server.start()
    yield server
    server.stop()
