"""The database URL's query parameters reach every connection the system opens (libpq's
sslmode, sslrootcert, application_name…), not only the host, port, user and database name."""

from __future__ import annotations

import pytest

from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings


@pytest.mark.postgres
def test_query_parameters_of_the_database_url_reach_the_connections(postgres_url: str) -> None:
    system = build_system(Settings(database_url=f"{postgres_url}?application_name=farmgate-url-check&sslmode=disable",
                                   env="test"))
    try:
        # Check on a connection of the event store's own pool (the read store shares it).
        row = system.store.query("SELECT application_name, ssl FROM pg_stat_activity a "
                                 "LEFT JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.pid = pg_backend_pid()")[0]
        assert row["application_name"] == "farmgate-url-check" and row["ssl"] is False
    finally:
        system.close()
