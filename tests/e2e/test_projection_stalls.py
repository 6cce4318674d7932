"""A projection made to fail on one event, over HTTP on SQLite and PostgreSQL: it stops at that
event, loudly — /metrics, /projections and `farmgate projections status` show where and why, the log
says it once per backoff period — while the other projections and the API go on, and mutations
still tell the client what they wrote. Once the cause is removed it resumes by itself.

The fault is put in the read model behind the API's back (a check constraint, a trigger), the way
a bad deploy or a database limit would break one handler: the canonical input rule leaves a client
no way to poison a projection any more (test_hostile_input)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.order_steps import a_seller, place
from tests.e2e.server import ROOT, Api
from tests.e2e.test_households_api import REGISTER, registration
from tests.e2e.receiver import wait_until

POISON_NAME = "Hộ Ngộ Độc"
HOUSEHOLD = "query($id: ID!) { household(id: $id) { id name } }"
REGISTER_WRITTEN = """mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) {
  household { id } householdId userErrors { field code message } } }"""
TRACKING = "household_directory_v2"


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def poison(api: Api) -> None:
    """Make the household directory refuse the next household it is given. Names are sealed tokens in
    the read model (issue 13), so the trigger refuses every insert: only the poisoned registration is
    made while it stands."""
    if api.database_url.startswith("sqlite"):
        api.sql(f"CREATE TRIGGER poison BEFORE INSERT ON {TRACKING} BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
    else:
        api.sql("CREATE OR REPLACE FUNCTION poison() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'poisoned'; END $$"
                " LANGUAGE plpgsql")
        api.sql(f"CREATE TRIGGER poison BEFORE INSERT ON {TRACKING} FOR EACH ROW EXECUTE FUNCTION poison()")


def cure(api: Api) -> None:
    if api.database_url.startswith("sqlite"):
        api.sql("DROP TRIGGER poison")
    else:
        api.sql(f"DROP TRIGGER poison ON {TRACKING}")


def gauge(api: Api, name: str, projection: str) -> float | None:
    text = api.client.get(api.url + "/metrics").text
    found = re.search(rf'^{name}{{kind="projection",projection="{projection}"}} (\S+)$', text, re.M)
    return None if found is None else float(found.group(1))


def follower(api: Api, name: str) -> dict[str, Any]:
    state = api.client.get(api.url + "/projections").json()
    return next(f for f in state["followers"] if f["name"] == name)


def status_cli(api: Api) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FARMGATE_DATABASE_URL": api.database_url, "FARMGATE_ENV": "test",
           "FARMGATE_LOG_FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "farmgate.deploy", "projections", "status"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def stalled_lines(api: Api) -> int:
    lines = api.projector_log.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if '"projection_stalled"' in line and TRACKING in line)


def test_a_projection_failing_on_one_event_stops_there_loudly_and_resumes_once_fixed(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều trước sự cố", stock=50)
    poison(api)
    try:
        body = api.post(REGISTER_WRITTEN, {"input": registration(personal_data, name=POISON_NAME)}, tokens["admin"])
        written = body["data"]["registerHousehold"]
        # Check the client learns what it created, and that the view is behind, not a silent null.
        assert written["userErrors"] == [] and written["household"] is None and written["householdId"]
        behind = body["extensions"]["readModel"]
        assert behind["behind"] is True and behind["projections"] == [TRACKING] and behind["position"] > 0

        # Check the other projections go on: an order is placed and read back at once.
        order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 2)])
        assert order["number"] and order["lines"][0]["quantity"] == 2

        # Check the stall shows where operators look: metrics, the status endpoint, the CLI.
        wait_until(lambda: gauge(api, "farmgate_projection_stalled", "household_directory") == 1.0,
                   "the stall on /metrics")
        assert gauge(api, "farmgate_projection_lag_events", "household_directory") >= 1
        assert gauge(api, "farmgate_projection_stalled", "orders_and_shipments") == 0.0
        stall = follower(api, "household_directory")["stalled"]
        assert stall["eventType"] == "Household.Registered" and stall["position"] <= behind["position"]
        assert "poison" in stall["error"] and POISON_NAME not in json.dumps(stall, ensure_ascii=False)
        shown = status_cli(api)
        assert shown.returncode == 1, shown.stderr
        assert re.search(rf"household_directory .*stalled at {stall['position']} \(Household\.Registered\)",
                         shown.stdout), shown.stdout

        # Check it is tried (and logged) once per backoff period, not once per poll.
        wait_until(lambda: follower(api, "household_directory")["stalled"]["attempts"] >= 3, "three attempts")
        attempts = follower(api, "household_directory")["stalled"]["attempts"]
        assert attempts <= stalled_lines(api) <= attempts + 1
    finally:
        cure(api)

    # Resumed by itself: the household is there, the stall gone.
    household = wait_until(lambda: api.data(HOUSEHOLD, {"id": written["householdId"]}, tokens["admin"])["household"],
                           "the household directory to resume", timeout=60)
    assert household["name"] == POISON_NAME
    wait_until(lambda: follower(api, "household_directory")["stalled"] is None, "the stall to clear")
    wait_until(lambda: gauge(api, "farmgate_projection_stalled", "household_directory") == 0.0, "metrics to clear")
    assert status_cli(api).returncode == 0
    fresh = api.data(REGISTER, {"input": registration(personal_data)}, tokens["admin"])["registerHousehold"]
    assert fresh["household"] is not None
