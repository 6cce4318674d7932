"""Audit anchors over HTTP, on the embedded default (SQLite: the API process's own scheduler seals)
and on PostgreSQL with a `farmgate worker` on Redis: the case file's `integrity.anchoredAt` appears
once the log is sealed, the public key is served at the well-known URL, and a payment edited in the
database with the order's hashes recomputed is `verified: false` with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from farmgate.deploy.clock import FileClock
from farmgate.deploy.container import build_system
from farmgate.deploy.settings import Settings
from tests.e2e.receiver import wait_until
from tests.e2e.server import Api, running_api
from tests.e2e.test_dispute_case import T0, set_the_scene
from tests.e2e.test_dispute_case import uuid_of as order_uuid
from tests.integration.test_audit_anchors import rewrite_and_rechain
from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

INTEGRITY = """query($id: ID!) { caseFile(orderId: $id) { integrity {
  verified eventCount anchoredAt reason firstBrokenEvent { stream version type } } } }"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, FileClock]]:
    folder = tmp_path_factory.mktemp("anchors")
    clock = FileClock(folder / "clock")
    clock.set(T0)
    env = {"FARMGATE_TEST_CLOCK_FILE": str(clock.path), "FARMGATE_AUDIT_ANCHOR_SECONDS": "1"}
    if request.param == "sqlite":
        with running_api(f"sqlite:///{folder}/farmgate.db", name="anchors-sqlite", extra_env=env) as served:
            yield served, clock
    else:
        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name="anchors-postgres", workers=True, extra_env=env) as served:
            yield served, clock


def test_the_public_key_is_served_as_a_jwk_set(api: tuple[Api, Any]) -> None:
    served, _ = api
    response = served.client.get(served.url + "/.well-known/farmgate-audit-key")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/jwk-set+json")
    [key] = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert key["kid"] == Settings(env="test").audit_signer().key_id
    pem = served.client.get(served.url + "/.well-known/farmgate-audit-key.pem")
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN PUBLIC KEY-----")


def test_the_sealing_job_anchors_the_case_and_a_rechained_edit_is_caught(api: tuple[Api, Any], personal_data) -> None:
    served, clock = api
    clock.set(T0)
    scene = set_the_scene(served, clock, personal_data)
    order_id, staff = scene["order"]["id"], scene["staff"]

    def integrity() -> dict[str, Any]:
        return served.data(INTEGRITY, {"id": order_id}, staff)["caseFile"]["integrity"]

    # The job runs every second (FARMGATE_AUDIT_ANCHOR_SECONDS=1) in the API process or the worker.
    wait_until(lambda: integrity()["anchoredAt"] is not None, "the log sealed past the case", timeout=60)
    sealed = integrity()
    assert sealed["verified"] and sealed["reason"] is None
    # Sealed on the app's clock (the shared test clock), after the case's last event was recorded.
    assert datetime.fromisoformat(sealed["anchoredAt"]) >= T0.astimezone(timezone.utc)
    # Someone with write access raises the payment and recomputes the order's hashes.
    system = build_system(Settings(database_url=served.database_url, env="test"), create_tables=False)
    try:
        order = order_uuid(order_id)
        paid = next(e for e in system.app.stored_events(order) if type(e).__name__ == "PaymentRecorded")
        rewrite_and_rechain(system, order, paid.originator_version,
                            lambda e: object.__setattr__(e, "amount", {**e.amount, "amount": "4500000"}))
    finally:
        system.close()
    tampered = integrity()
    assert tampered["verified"] is False
    assert "altered after it was anchored" in tampered["reason"]
    assert tampered["firstBrokenEvent"] == {"stream": "Order", "version": paid.originator_version,
                                            "type": "PaymentRecorded"}
