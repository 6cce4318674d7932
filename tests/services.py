"""Finding the real services the tests need: PostgreSQL and Redis. Missing on CI is a failure."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("FARMGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
#: dramatiq's queue names are global per Redis database: each pytest-xdist worker gets its own database,
#: the run's own (FARMGATE_TEST_REDIS_URL's, 0 when it names none) plus WORKER_REDIS_STRIDE per worker number,
#: so runs given databases 0..3 keep apart with up to four workers each on Redis's sixteen
WORKER_REDIS_STRIDE = 4


def worker_redis_url(url: str, worker: str) -> str:
    """``url`` moved to the Redis database of xdist worker ``worker`` ("gw1": the run's database + 4);
    unchanged outside xdist (``worker`` empty). ValueError when the path names no database by number."""
    parts = urlsplit(url)
    database = parts.path.strip("/") or "0"
    if not database.isdigit():
        raise ValueError(f"FARMGATE_TEST_REDIS_URL must name a Redis database by number, not {parts.path!r}")
    number = int(database) + WORKER_REDIS_STRIDE * int(worker.removeprefix("gw") or 0)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, parts.fragment))


REDIS_URL = worker_redis_url(os.environ.get("FARMGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
                             os.environ.get("PYTEST_XDIST_WORKER", ""))


#: every skip for a missing service starts so; the run's summary counts them (see conftest)
UNREACHABLE = " is not reachable"


def unavailable(service: str, error: Exception) -> None:
    reason = f"{service}{UNREACHABLE} ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
    if ON_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_admin_url() -> str:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        unavailable("PostgreSQL", error)
    return POSTGRES_URL


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database for one test; dropped afterwards."""
    import psycopg

    name = "fg_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    parts = urlsplit(admin_url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001
        unavailable("Redis", error)
    return REDIS_URL


def emptied_redis_url() -> str:
    """``redis_url()``'s database, emptied first, for a test that waits for a queue to drain
    (dramatiq's ``broker.join`` counts queued, delayed and unacknowledged messages): workers killed by
    earlier tests on this database leave unacknowledged messages and delayed retries behind, which
    hold a join until dramatiq requeues them. Only for a test that starts its own servers: the
    database is this run's (and this worker's) alone, and no earlier test's server is still running."""
    import redis

    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()
    return url
