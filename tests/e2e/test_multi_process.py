"""Many processes on the real PostgreSQL and Redis: two API processes, two projectors, one worker,
driven over HTTP by concurrent clients while one projector, then one API process, and (in a test of
its own) the worker are SIGKILLed and restarted.

Every command a client got accepted (retrying with its idempotency key on the other API when its
own died) is in the read models exactly once; two projectors racing never apply a batch twice; a
subscription on either API process sees what was recorded through the other. The worker, killed
while webhook deliveries wait on a loopback receiver that holds its answers and a household import
is part done, loses nothing once restarted: every delivery the outbox holds (those cut off, and
those recorded while it was dead) ends delivered, each event id reaching the receiver (again, under
the same webhook-id, for those cut off), and the import finishes with every row registered once.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from farmgate.core.projections.webhook_outbox import DELIVERIES, LEASE_EXPIRED, SENDING
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql.ids import uuid_of
from tests.e2e.export_steps import create_order, now, record_document, record_milestone, register_partner
from tests.e2e.receiver import Receiver, wait_until
from tests.e2e.server import Api, running_api
from tests.e2e.standard_webhooks import new_secret, verify
from tests.e2e.test_household_imports_api import HEADER, JOB, finished, household_count, lang_son, started
from tests.e2e.test_households_api import registration
from tests.e2e.test_webhooks import REGISTER as REGISTER_ENDPOINT
from tests.e2e.test_webhooks import deliveries, expected_event_ids
from tests.e2e.ws import subscribed
from tests.process_logs import logged
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

CLIENTS = 4
HOUSEHOLDS_PER_CLIENT = 8
ERRORS = "userErrors { field code message }"
REGISTER = f"""mutation($input: RegisterHouseholdInput!, $key: String) {{
  registerHousehold(input: $input, idempotencyKey: $key) {{ householdId {ERRORS} }} }}"""
LINK = f"""mutation($input: LinkPaymentAccountInput!, $key: String) {{
  linkPaymentAccount(input: $input, idempotencyKey: $key) {{ household {{ id }} {ERRORS} }} }}"""
#: five processes start together and build their tables one after another: on a loaded machine, slow
STARTUP_TIMEOUT = 240.0
EVENTS = """subscription($id: ID!, $after: Int) {
  exportOrderEvents(exportOrderId: $id, afterVersion: $after) { type version actor } }"""


@pytest.fixture(scope="module")
def apis() -> Iterator[tuple[Api, Api]]:
    """API a (with the worker, ``a.workers[0]``) and API b, each with a projector process of its own, one
    database and Redis."""
    extra = {"FARMGATE_LOG_LEVEL": "DEBUG",  # the projectors log each batch they applied
             # What a killed worker held is taken again soon: a delivery's lease lapses 2 x 5 + 5 s after
             # its attempt began, an import's 5 s after its last checkpoint. An attempt on a receiver that
             # holds its answer times out after 5 s and is tried again within a second: nearly always in flight.
             "FARMGATE_WEBHOOK_TIMEOUT_SECONDS": "5", "FARMGATE_WEBHOOK_MAX_BACKOFF_SECONDS": "1",
             "FARMGATE_IMPORT_LEASE_SECONDS": "5"}
    with fresh_postgres_database(postgres_admin_url()) as url, \
            running_api(url, broker_url=redis_url(), name="multi-a", workers=1, extra_env=extra,
                        healthy_timeout=STARTUP_TIMEOUT) as a, \
            running_api(url, broker_url=redis_url(), name="multi-b", extra_env=extra,
                        healthy_timeout=STARTUP_TIMEOUT) as b:
        yield a, b


#: what a keyed command answers while another attempt holds its key
IN_PROGRESS = [{"field": ["idempotencyKey"], "code": "CONFLICT",
                "message": "A request with this idempotencyKey is still in progress; retry it shortly"}]


def accepted(apis: list[Api], first: int, query: str, variables: dict[str, Any], token: str, field: str) -> dict[str, Any]:
    """The command's payload once an API accepted it: a client whose API died (connection refused or
    cut) retries with the same idempotency key on the other, as a load balancer would send it, and
    keeps retrying while the dead attempt's lease on the key has not lapsed (CONFLICT, in progress)."""
    deadline = time.monotonic() + 120
    attempt = first
    with httpx.Client(timeout=30) as client:
        while True:
            api = apis[attempt % len(apis)]
            try:
                response = client.post(api.url + "/graphql", json={"query": query, "variables": variables},
                                       headers={"Authorization": f"Bearer {token}"})
                if response.status_code == 200 and not response.json().get("errors"):
                    payload = response.json()["data"][field]
                    # The key is held by an attempt on the API that was killed: retry once its lease lapses,
                    # as the error's message asks (FARMGATE_IDEMPOTENCY_LEASE_SECONDS).
                    if payload["userErrors"] != IN_PROGRESS:
                        assert payload["userErrors"] == [], payload
                        return payload
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{field} was accepted by no API in 120 s")
            attempt += 1
            time.sleep(0.05)  # a client's retry pause


def test_concurrent_clients_and_killed_processes_lose_and_double_nothing(apis: tuple[Api, Api], personal_data) -> None:
    a, b = apis
    admin = a.token("ADMIN", "root")
    inputs = [[registration(personal_data, "24") for _ in range(HOUSEHOLDS_PER_CLIENT)] for _ in range(CLIENTS)]
    done: list[str] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client(n: int) -> None:
        try:
            for i, household in enumerate(inputs[n]):
                key = f"multi-{n}-{i}-{uuid.uuid4().hex[:6]}"
                hid = accepted([a, b], n, REGISTER, {"input": household, "key": key}, admin, "registerHousehold")["householdId"]
                account = {"householdId": hid, "kind": "POST_OFFICE", "provider": "VNPost", "reference": f"BDVH{n:02d}{i:04d}"}
                accepted([a, b], n + 1, LINK, {"input": account, "key": key + "-link"}, admin, "linkPaymentAccount")
                with lock:
                    done.append(hid)
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)

    total = CLIENTS * HOUSEHOLDS_PER_CLIENT
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    # Mid-run: SIGKILL one projector, then one API process; each is restarted.
    wait_until(lambda: len(done) >= total // 3 or failures, "a third of the commands to be accepted")
    assert a.projector is not None
    a.projector.send_signal(signal.SIGKILL)
    a.projector.wait(timeout=10)
    a.start_projector()
    wait_until(lambda: len(done) >= 2 * total // 3 or failures, "two thirds of the commands to be accepted")
    assert b.serve is not None
    b.serve.send_signal(signal.SIGKILL)
    b.serve.wait(timeout=10)
    b.restart_serve(STARTUP_TIMEOUT)
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures
    assert len(done) == total

    # Every projection catches up, and every accepted command is in the read model exactly once.
    head = lambda: a.sql("SELECT max(notification_id) FROM farmgate_events")[0][0]  # noqa: E731
    wait_until(lambda: a.sql("SELECT min(position) FROM projection_tracking")[0][0] >= head(), "the projectors to catch up")
    reader = build_system(Settings(database_url=a.database_url, env="test"), create_tables=False)
    try:
        rows, count = reader.households.page(after_position=0, limit=total + 10)
    finally:
        reader.close()
    assert count == total
    assert sorted(r["id"] for r in rows) == sorted(str(uuid_of(h, "Household")) for h in done)
    assert all(len(r["payment_accounts"]) == 1 for r in rows), "a link was lost or applied twice"
    assert len({r["code"] for r in rows}) == total

    # The two projectors raced for the batches; none was applied twice (a killed one committed nothing it did not log).
    applied = [logged(f"{api.name}-projector.log", "projection_batch_applied") for api in (a, b)]
    assert all(applied), [len(entries) for entries in applied]
    batches = [(entry["projection"], entry["position"]) for entries in applied for entry in entries]
    assert len(batches) == len(set(batches)), "a batch was applied by two projectors"


def test_subscriptions_fire_in_both_api_processes(apis: tuple[Api, Api]) -> None:
    a, b = apis
    admin, postmart = a.token("ADMIN", "root"), a.token("MARKETPLACE", "postmart-export", marketplace="POSTMART")
    staff = a.token("DISPUTE_STAFF", "minh")
    partner = register_partner(a, admin, "Vlaamse Lychee NV", "BE")
    order = create_order(b, postmart, partner["id"])
    variables = {"id": order["id"], "after": 0}
    with subscribed(a, staff, EVENTS, variables, "exportOrderEvents") as on_a, \
            subscribed(b, staff, EVENTS, variables, "exportOrderEvents") as on_b:
        # Each has replayed the order's first event, so each follows the log from before what comes next.
        assert [e["type"] for e in on_a.events(1) + on_b.events(1)] == ["Opened", "Opened"]
        # Recorded through each API process in turn: both subscriptions see both, live.
        assert record_milestone(a, postmart, order["id"], "HARVESTED", now())["userErrors"] == []
        assert record_document(b, postmart, order["id"], "PACKING_LIST", "PL-1")["userErrors"] == []
        for subscription in (on_a, on_b):
            assert [(e["type"], e["version"]) for e in subscription.events(2)] == [
                ("MilestoneReached", 2), ("DocumentFiled", 3)]


#: rows of the household import the worker is running when it is killed: enough to last past the kill
IMPORT_ROWS = 1000
#: seconds for what the restarted worker has to finish: leases to lapse, deliveries and rows to be redone
RECOVERY_TIMEOUT = 240.0


def test_a_worker_killed_with_deliveries_and_an_import_in_flight_loses_nothing(apis: tuple[Api, Api], personal_data) -> None:
    """The worker is SIGKILLed while webhook deliveries (the first of each of two export orders) wait
    on a receiver that holds its answers and a household import is part done; events go on being
    recorded while it is dead. Restarted, it delivers every event the outbox holds (those cut off
    again, under the same webhook-id, once their lease lapses), and the import resumes after its last
    checkpoint and finishes with every row registered once."""
    a, b = apis
    admin, lan = a.token("ADMIN", "root"), a.token("PROVINCE_OFFICER", "lan", province="2021:20")
    postmart = a.token("MARKETPLACE", "postmart-export", marketplace="POSTMART")
    partner = register_partner(a, admin, "Gentse Exotische Vruchten BV", "BE")
    partner_token = a.token("EXPORT_PARTNER", "gent-desk", partner=partner["id"])
    secret = new_secret()
    receiver = Receiver()
    receiver.answering.clear()  # every attempt waits for its answer until the test lets it through
    receiver.start()
    try:
        registered = a.data(REGISTER_ENDPOINT, {"input": {"url": f"http://127.0.0.1:{receiver.port}/hooks",
                                                          "secret": secret}}, partner_token)["registerWebhookEndpoint"]
        assert registered["userErrors"] == []
        orders = [create_order(api, postmart, partner["id"])["id"] for api in (a, b)]
        households_before = household_count(a)
        # Each order's first event goes out (one at a time per order) and waits on the receiver.
        wait_until(lambda: len(receiver.held()) == len(orders), "a delivery of each order waits on the receiver",
                   timeout=STARTUP_TIMEOUT)
        job = started(b, lan, [HEADER, *lang_son(personal_data, IMPORT_ROWS)])

        def mid_run() -> bool:
            progress = b.data(JOB, {"id": job["id"]}, lan)["householdImport"]
            return progress["status"] == "RUNNING" and progress["rowsDone"] > 0 and bool(receiver.held())

        wait_until(mid_run, "the import is under way while a delivery waits", timeout=STARTUP_TIMEOUT)
        worker = a.workers[0]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

        # Killed mid-attempt: the outbox has the attempts it began and no outcome; the import its last checkpoint.
        in_flight = {row[0] for row in a.sql(f"SELECT event_id FROM {DELIVERIES} WHERE status = %s", (SENDING,))}
        assert in_flight, "the worker was killed with no delivery in flight"
        stopped = b.data(JOB, {"id": job["id"]}, lan)["householdImport"]
        assert stopped["status"] == "RUNNING" and 0 < stopped["rowsDone"] < IMPORT_ROWS, stopped
        # With no worker running, events go on being recorded through both API processes, into the outbox.
        for n, order in enumerate(orders):
            for api in (a, b):
                assert record_document(api, postmart, order, "PACKING_LIST", f"PL-{n}-{api.name}")["userErrors"] == []
        wanted = expected_event_ids(a, partner_token, orders)

        receiver.answering.set()
        a.start_worker(0)
        wait_until(lambda: {d["eventId"] for d in deliveries(a, partner_token, "DELIVERED")} == wanted,
                   "every event the outbox holds is delivered", timeout=RECOVERY_TIMEOUT)
        done = finished(b, lan, job["id"], timeout=RECOVERY_TIMEOUT)
    finally:
        receiver.answering.set()
        receiver.stop()

    # Each event arrived, signed, under its own id; those cut off by the kill were sent again and taken.
    arrived = receiver.event_ids("/hooks")
    assert set(arrived) == wanted
    for headers, body in receiver.received("/hooks"):
        verify(secret, headers, body)
    by_event = {d["eventId"]: d for d in deliveries(a, partner_token)}
    assert set(by_event) == wanted and {d["status"] for d in by_event.values()} == {"DELIVERED"}
    for event_id in in_flight:
        assert arrived.count(event_id) >= 2, event_id
        assert by_event[event_id]["attempts"] >= 2 and by_event[event_id]["lastError"] == LEASE_EXPIRED, by_event[event_id]
    # The import resumed after its checkpoint and registered each row once.
    assert (done["status"], done["imported"], done["alreadyRegistered"], done["failed"]) == ("SUCCEEDED", IMPORT_ROWS, 0, 0)
    [(attempts, records_read)] = a.sql("SELECT attempts, records_read FROM household_imports")
    assert attempts >= 2 and records_read == IMPORT_ROWS
    assert household_count(a, households_before + IMPORT_ROWS) == households_before + IMPORT_ROWS
