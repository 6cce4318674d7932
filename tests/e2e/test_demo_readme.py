"""`farmgate demo` as `make run` loads it, and the README's "Try it" examples run against it as written:
each token command, each query, mutation and subscription, the webhook check (see readme_examples)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from farmgate.deploy.cli import cli
from farmgate.deploy.demo import EXPORT_REFERENCE, SPOILED_ORDER_NUMBER
from farmgate.deploy.demo_cast import CUSTARD_APPLE_BUYERS, DEMO_HOUSEHOLDS, LYCHEE_BUYERS
from tests.e2e.readme_examples import ID_PLACEHOLDER, Example, examples, token_commands, try_it_section
from tests.e2e.server import ROOT, SECRET, Api, running_api
from tests.e2e.ws import subscribed
from tests.personal_data import LOG_DIR, PersonalData

SECTION = try_it_section()
EXAMPLES = examples(SECTION)
TOKEN_COMMANDS = token_commands(SECTION)


def load_demo(database_url: str, name: str) -> str:
    """`farmgate demo` in its own process, as `make run` runs it; its output, kept with the logs."""
    env = {**os.environ, "FARMGATE_DATABASE_URL": database_url, "FARMGATE_ENV": "test",
           "FARMGATE_JWT_SECRET": SECRET, "FARMGATE_LOG_FORMAT": "json"}
    result = subprocess.run([sys.executable, "-m", "farmgate.deploy", "demo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (LOG_DIR / f"{name}-demo.log").open("a", encoding="utf-8") as log:
        log.write(result.stdout + result.stderr)
    assert result.returncode == 0, result.stderr
    return result.stderr


@pytest.fixture(scope="module", autouse=True)
def demo_people_are_personal_data(personal_data: PersonalData) -> None:
    """The demo's national IDs, phones and names are checked against every log line like a test's own."""
    for h in DEMO_HOUSEHOLDS:
        personal_data.national_ids.add(h.national_id)
        personal_data.phones.add(h.phone[1:])
        personal_data.names.add(h.name)
    for buyer in (*LYCHEE_BUYERS, *CUSTARD_APPLE_BUYERS):
        personal_data.phones.add(buyer.phone[1:])
        personal_data.names.add(buyer.name)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An API serving a database `farmgate demo` loaded: SQLite embedded (`make run`), or PostgreSQL
    with a projector and a worker process and Redis."""
    name = f"demo-{request.param}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name)}/farmgate.db"
        load_demo(url, name)
        with running_api(url, name=name) as server:
            yield server
        return
    from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

    with fresh_postgres_database(postgres_admin_url()) as url:
        load_demo(url, name)
        # A worker, as production runs one: the webhook backfill is its job.
        with running_api(url, broker_url=redis_url(), name=name, workers=1) as server:
            yield server


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    """Each README token command, run through the `farmgate` CLI with the server's secret."""
    runner = CliRunner()
    minted = {}
    for name, args in TOKEN_COMMANDS.items():
        result = runner.invoke(cli, ["token", *args], env={"FARMGATE_JWT_SECRET": SECRET, "FARMGATE_ENV": "test"})
        assert result.exit_code == 0, (name, result.output)
        minted[name] = result.stdout.strip()
    return minted


def order_id(api: Api, admin: str, number: str) -> str:
    found = api.data("query($n: String!) { orderByNumber(number: $n) { id } }", {"n": number}, admin)["orderByNumber"]
    assert found, f"the demo has no order {number}"
    return str(found["id"])


def resolved(api: Api, tokens: dict[str, str], variables: dict[str, Any]) -> dict[str, Any]:
    """The variables with each placeholder replaced by the id it names (see readme_examples)."""
    out = {}
    for key, value in variables.items():
        match = ID_PLACEHOLDER.match(value) if isinstance(value, str) else None
        if match is None:
            out[key] = value
        elif match.group(1) == "id":
            out[key] = order_id(api, tokens["ADMIN"], match.group(2))
        else:
            query = "query($n: String!) { orderByNumber(number: $n) { shipments { id } } }"
            [shipment] = api.data(query, {"n": match.group(2)}, tokens["ADMIN"])["orderByNumber"]["shipments"]
            out[key] = shipment["id"]
    return out


def shows_something(value: Any, path: str) -> None:
    """A root field's answer is there and not empty; a payload's userErrors are."""
    assert value not in (None, [], {}), f"{path} is empty"
    if isinstance(value, dict):
        if "userErrors" in value:
            assert value["userErrors"] == [], (path, value["userErrors"])
        if "edges" in value:
            assert value["edges"], f"{path} has no edges"


def test_the_readme_names_a_token_for_each_role_it_uses() -> None:
    used = {example.token for example in EXAMPLES if example.token}
    assert used <= set(TOKEN_COMMANDS), used - set(TOKEN_COMMANDS)
    roles = {args[args.index("--role") + 1] for args in TOKEN_COMMANDS.values()}
    assert roles == {"ADMIN", "MARKETPLACE", "HOUSEHOLD", "CARRIER", "PROVINCE_OFFICER", "DISPUTE_STAFF",
                     "EXPORT_PARTNER"}
    operations = {example.query.lstrip().split("(")[0].split("{")[0].strip() or "query" for example in EXAMPLES}
    assert operations == {"query", "mutation", "subscription"}
    assert any("webhookDeliveries" in example.root_fields for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_each_try_it_example_works_against_the_demo(api: Api, tokens: dict[str, str], example: Example) -> None:
    token = tokens[example.token] if example.token else None
    variables = resolved(api, tokens, example.variables)
    if example.is_subscription:
        [field] = example.root_fields
        with subscribed(api, token, example.query, variables, field, token_in_payload=True) as subscription:
            received = subscription.events(3)
        assert all(event for event in received)
        return
    if "webhookDeliveries" in example.root_fields:
        # Deliveries are written by the projector from the events the registration backfills: wait for them.
        deadline = time.monotonic() + 30
        while not api.data(example.query, variables, token)["webhookDeliveries"]["edges"]:
            assert time.monotonic() < deadline, "no webhook delivery was queued"
            time.sleep(0.2)  # polling the delivery log, with a deadline
    body = api.post(example.query, variables, token)
    assert not body.get("errors"), body["errors"]
    for name in example.root_fields:
        shows_something(body["data"][name], f"{example}: {name}")


CASE_FILE = """query($order: ID!) { caseFile(orderId: $order) {
  order { number status promisedBy paymentStatus total { amount } }
  timeline { stream type occurredAt recordedAt actor data }
  integrity { verified } } }"""


def test_the_spoiled_custard_apple_orders_case_file_tells_failure_spoilage_claim_assessment_and_payments(
        api: Api, tokens: dict[str, str]) -> None:
    staff = tokens["STAFF"]
    case = api.data(CASE_FILE, {"order": order_id(api, tokens["ADMIN"], SPOILED_ORDER_NUMBER)}, staff)["caseFile"]
    order, timeline = case["order"], case["timeline"]
    # Check it is the story's order: Hà Nội, August 2021, spoiled, and the record unaltered.
    assert order["status"] == "SPOILED" and order["promisedBy"].startswith("2021-08-05")
    assert case["integrity"]["verified"] is True
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in timeline:
        by_type.setdefault(f"{event['stream']}.{event['type']}", []).append(event)
    [failure] = by_type["Shipment.DeliveryFailed"]
    assert failure["data"]["reason"] == "AREA_RESTRICTED" and failure["actor"].startswith("CARRIER:")
    # Check the spoilage was declared by the promise watchdog, as having happened when the promise passed.
    [spoilage] = by_type["Shipment.SpoilageDeclared"]
    assert spoilage["actor"] == "SYSTEM:promise-watchdog"
    assert datetime.fromisoformat(spoilage["occurredAt"]) == datetime.fromisoformat(order["promisedBy"])
    assert datetime.fromisoformat(failure["occurredAt"]) < datetime.fromisoformat(spoilage["occurredAt"])
    [filed] = by_type["CompensationClaim.Filed"]
    assert filed["data"]["claimant"] == "HOUSEHOLD" and filed["actor"].startswith("HOUSEHOLD:")
    [assessed] = by_type["CompensationClaim.Assessed"]
    split = {share["party"]: share["basis_points"] for share in assessed["data"]["liability"]}
    assert split == {"CARRIER": 6000, "MARKETPLACE": 4000}
    [decided] = by_type["CompensationClaim.Decided"]
    assert decided["data"]["outcome"] == "APPROVED"
    payments = by_type["CompensationClaim.CompensationPaid"]
    paid = {p["data"]["payer"]: Decimal(p["data"]["amount"]["amount"]) for p in payments}
    payout = Decimal(decided["data"]["payout"]["amount"])
    assert paid == {"CARRIER": payout * 6 / 10, "MARKETPLACE": payout * 4 / 10}
    assert payout == Decimal(order["total"]["amount"])
    # Check the facts happened in August 2021 and were recorded when the demo ran, in the story's order.
    story = [failure, spoilage, filed, assessed, decided, *payments]
    moments = [datetime.fromisoformat(e["occurredAt"]) for e in story]
    assert moments == sorted(moments) and all(m.year == 2021 and m.month == 8 for m in moments)
    recorded = datetime.fromisoformat(spoilage["recordedAt"])
    assert recorded - datetime.fromisoformat(spoilage["occurredAt"]) > timedelta(days=365)


EXPORT_ORDERS = """{ exportOrders { edges { node { reference status slaState harvestedAt deliveredAt
  quantityKg allocatedKg householdCount missingDocuments documents { kind } milestones { kind occurredAt } } } } }"""


def test_the_czech_export_order_is_filled_from_several_households_and_delivered_within_96_hours(
        api: Api, tokens: dict[str, str]) -> None:
    edges = api.data(EXPORT_ORDERS, token=tokens["PARTNER"])["exportOrders"]["edges"]
    [export] = [edge["node"] for edge in edges]
    assert export["reference"] == EXPORT_REFERENCE and export["status"] == "DELIVERED"
    assert export["householdCount"] == 3 and export["allocatedKg"] == export["quantityKg"]
    assert export["missingDocuments"] == [] and "IMPORT_DECLARATION" in {d["kind"] for d in export["documents"]}
    assert [m["kind"] for m in export["milestones"]][0] == "HARVESTED"
    hours = (datetime.fromisoformat(export["deliveredAt"]) - datetime.fromisoformat(export["harvestedAt"]))
    assert hours <= timedelta(hours=96) and export["slaState"] == "MET"


def test_the_lychee_sold_through_both_marketplaces_to_many_provinces(api: Api, tokens: dict[str, str]) -> None:
    query = """{ orders(first: 100) { edges { node { number marketplace status paymentStatus
      buyer { address { provinceCode } } } } } }"""
    orders = [e["node"] for e in api.data(query, token=tokens["ADMIN"])["orders"]["edges"]]
    lychee = [o for o in orders if o["number"] <= f"FG-2021-{len(LYCHEE_BUYERS):06d}"]
    assert len(lychee) == len(LYCHEE_BUYERS)
    assert {o["marketplace"] for o in lychee} == {"POSTMART", "VOSO"}
    assert len({o["buyer"]["address"]["provinceCode"] for o in lychee}) == len(LYCHEE_BUYERS)
    assert {(o["status"], o["paymentStatus"]) for o in lychee} == {("DELIVERED", "PAID")}


def test_the_carriers_example_shows_the_2021_buyer_erased_by_retention_as_the_readme_says(
    api: Api, tokens: dict[str, str]
) -> None:
    """The README says the demo's carrier sees `[erased]`, not a masked name: the buyer-retention job,
    first run at start, erased the 2021 buyers whose orders closed more than a year ago."""
    from tests.e2e.test_dispute_case import wait_until

    [example] = [e for e in EXAMPLES if e.token == "CARRIER" and "shipment" in e.root_fields]
    assert '`buyer { name: "[erased]", phoneMasked: "[erased]" }`' in SECTION
    variables = resolved(api, tokens, example.variables)

    def buyer() -> dict[str, Any]:
        return dict(api.data(example.query, variables, tokens["CARRIER"])["shipment"]["order"]["buyer"])

    wait_until(lambda: buyer()["name"] == "[erased]", "the buyer-retention job's first run", timeout=60)
    assert buyer() == {"name": "[erased]", "phoneMasked": "[erased]"}
