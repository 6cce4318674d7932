"""Internal faults stay masked however requests interleave, over HTTP on SQLite and PostgreSQL.

A read model's table is dropped behind the API's back, so every read of it is an internal fault
whose raw message names the table. Slow failing requests (mutations waiting on a frozen projector,
then reading the dropped table) run while fast ones come and go: every one of them answers
"Internal error (request …)" with its own request id, and each fault is logged with that id. With
schema extensions shared between requests, the slow ones used to go out unmasked."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.server import Api, running_on
from tests.e2e.test_households_api import REGISTER, registration

HOUSEHOLDS = "{ households(first: 5) { totalCount edges { node { id name } } } }"
RAW_WORDS = ("household_directory", "no such table", "does not exist", "relation", "Traceback")


@pytest.fixture(params=["sqlite", "postgres"])
def broken(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    wait = {"FARMGATE_PROJECTION_WAIT_SECONDS": "2"}
    with running_on(request.param, tmp_path_factory, "masking", extra_env=wait) as server:
        yield server


def test_a_failing_request_concurrent_with_a_slow_one_never_shows_the_raw_message(broken: Api, personal_data) -> None:
    api = broken
    admin = api.token("ADMIN", "root")
    assert api.data(REGISTER, {"input": registration(personal_data)}, admin)["registerHousehold"]["household"]
    # Freeze the projector (mutations then wait their full bound) and break the household directory.
    api.freeze_projections()
    api.sql("DROP TABLE household_directory_v2")

    bodies: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def call(query: str, variables: dict[str, Any]) -> None:
        with httpx.Client(timeout=60) as client:
            response = client.post(api.url + "/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {admin}"})
        with lock:
            bodies.append((response.headers["x-request-id"], response.json()))

    slow = [(REGISTER, {"input": registration(personal_data)}) for _ in range(4)]
    fast = [(HOUSEHOLDS, {}) for _ in range(24)]
    with ThreadPoolExecutor(12) as pool:
        for query, variables in slow:  # in flight first, failing last
            pool.submit(call, query, variables)
        for query, variables in fast:
            pool.submit(call, query, variables)
    assert len(bodies) == len(slow) + len(fast)

    for request_id, body in bodies:
        shown = json.dumps(body["errors"])
        assert not any(word in shown for word in RAW_WORDS), shown
        [error] = body["errors"]
        assert error["message"] == f"Internal error (request {request_id})"
        assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    # Check each fault was logged, under its own request id.
    log = api.serve_log.read_text(encoding="utf-8").splitlines()
    logged = {json.loads(line).get("request_id") for line in log if '"graphql_internal_error"' in line}
    assert {request_id for request_id, _ in bodies} <= logged
