"""One real API per backend per module: SQLite embedded, and PostgreSQL with a projector process and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.receiver import Receiver
from tests.e2e.server import Api, running_on


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_on(request.param, tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1]) as server:
        yield server


@pytest.fixture(scope="module")
def receiver(api: Api) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, one per module's server (each module's own `api`), so each
    run counts only its own deliveries."""
    server = Receiver()
    server.start()
    yield server
    server.stop()
