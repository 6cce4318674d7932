"""GraphQL over HTTP: the graphql-http project's server audit (the reference suite of the spec,
from the npm registry, pinned in tests/http_audit/package-lock.json) passes with no warning, and
`application/graphql-response+json` is served when a client asks for it.

The audit is installed into var/graphql-http-audit on first use (`npm ci`), and again only when
the lock file changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, Api, running_api
from tests.services import unavailable

AUDIT_SOURCE = ROOT / "tests" / "http_audit"
AUDIT_DIR = ROOT / "var" / "graphql-http-audit"


def installed_audit() -> Path:
    """var/graphql-http-audit with the locked packages installed (npm ci when the lock changed)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm", FileNotFoundError("node or npm not on PATH"))
    lock = (AUDIT_SOURCE / "package-lock.json").read_bytes()
    stamp = AUDIT_DIR / ".installed-lock"
    if not stamp.is_file() or stamp.read_bytes() != lock or not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        AUDIT_DIR.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(AUDIT_SOURCE / name, AUDIT_DIR / name)
        installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AUDIT_DIR,
                                   capture_output=True, text=True, timeout=300)
        if installed.returncode != 0:
            unavailable("the npm registry", RuntimeError(installed.stderr.strip() or "npm ci failed"))
        stamp.write_bytes(lock)
    shutil.copyfile(AUDIT_SOURCE / "audit.mjs", AUDIT_DIR / "audit.mjs")
    return AUDIT_DIR


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    path = tmp_path_factory.mktemp("graphql-over-http") / "farmgate.db"
    with running_api(f"sqlite:///{path}", name="test_graphql_over_http") as server:
        yield server


def test_the_graphql_http_audit_passes_with_no_warning(api: Api) -> None:
    audit = installed_audit()
    result = subprocess.run(["node", "audit.mjs", api.url + "/graphql"], cwd=audit, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(results) >= 60, "the audit ran its whole suite"
    not_ok = [f"{r['status']} {r['id']} {r['name']}: {r.get('reason')}" for r in results if r["status"] != "ok"]
    assert not_ok == []


def test_graphql_response_json_is_served_when_asked_with_4xx_for_request_errors(api: Api) -> None:
    def post(query: str, accept: str, variables: dict | None = None, token: str | None = None) -> tuple[int, str, dict]:
        headers = {"Accept": accept}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = api.client.post(api.url + "/graphql", json={"query": query, "variables": variables},
                                   headers=headers)
        return response.status_code, response.headers["content-type"], response.json()

    modern = "application/graphql-response+json, application/json;q=0.9"
    status, content_type, body = post("{ provinces(scheme: 2025) { code } }", modern)
    assert (status, content_type.split(";")[0]) == (200, "application/graphql-response+json")
    assert len(body["data"]["provinces"]) == 34
    for query, variables in (("{ provinces(", None), ("{ nope }", None),
                             ("query($s: Int!) { provinces(scheme: $s) { code } }", {"s": "x"})):
        status, content_type, body = post(query, modern, variables)
        assert status == 400 and "data" not in body and body["errors"], query
        # A legacy client (application/json) keeps 200 and a data entry.
        legacy_status, legacy_type, _ = post(query, "application/json", variables)
        assert (legacy_status, legacy_type.split(";")[0]) == (200, "application/json")
    status, _, body = post("{ provinces(scheme: 2025) { code } }", modern, token="not-a-jwt")
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" and "data" not in body


PROVINCES = "{ provinces(scheme: 2025) { code } }"


def test_a_get_with_null_variables_or_extensions_takes_them_as_absent(api: Api) -> None:
    """GraphQL over HTTP: variables and extensions, if present, are a map or null."""
    for extra in ({"variables": "null"}, {"extensions": "null"}, {"variables": " null ", "extensions": "null"},
                  {"variables": "{}"}):
        response = api.client.get(api.url + "/graphql", params={"query": PROVINCES, **extra},
                                  headers={"Accept": "application/json"})
        assert response.status_code == 200, (extra, response.text)
        assert len(response.json()["data"]["provinces"]) == 34
    # Check null is not a way around a required variable, and other non-maps are still refused.
    needs = "query($s: Int!) { provinces(scheme: $s) { code } }"
    missing = api.client.get(api.url + "/graphql", params={"query": needs, "variables": "null"})
    assert missing.json()["errors"] and not missing.json().get("data")
    for bad in ("3", "[1]", '"null"', "nul"):
        refused = api.client.get(api.url + "/graphql", params={"query": PROVINCES, "variables": bad})
        assert refused.status_code == 400, bad


def test_a_post_in_a_media_type_the_server_does_not_take_is_415(api: Api) -> None:
    body = json.dumps({"query": PROVINCES})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/graphql", "application/xml"):
        response = api.client.post(api.url + "/graphql", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 415, content_type
        assert "application/json" in response.text
    no_type = api.client.post(api.url + "/graphql", content=body.encode())
    assert no_type.status_code == 415
    accepted = api.client.post(api.url + "/graphql", content=body,
                               headers={"Content-Type": "application/json; charset=utf-8"})
    assert accepted.status_code == 200 and len(accepted.json()["data"]["provinces"]) == 34
