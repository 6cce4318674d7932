"""One real API per backend per module: SQLite embedded, and PostgreSQL with a projector process and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.server import Api, running_on


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_on(request.param, tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1]) as server:
        yield server
