"""Bulk onboarding over HTTP as a province office does it: upload the province's CSV (GraphQL
multipart request), follow the job, read the row errors and download them as CSV — on SQLite
(workers in the API process) and on PostgreSQL (a `farmgate worker` on Redis), including a worker
killed in the middle of a job."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.server import Api, _start, running_api, stop
from tests.personal_data import PersonalData

HEADER = "name,national_id,phone,scheme,province_code,district_code,ward_code,street,latitude,longitude"
START = """mutation($input: StartHouseholdImportInput!, $key: String) {
  startHouseholdImport(input: $input, idempotencyKey: $key) {
    householdImport { id status dryRun rowsTotal fileSha256 province actor }
    userErrors { field code message } } }"""
JOB = """query($id: ID!) { householdImport(id: $id) {
  id status dryRun rowsTotal rowsDone progress imported alreadyRegistered failed actor province errorsCsvUrl
  errors(first: 100) { row column code message } } }"""


def lang_son(pd: PersonalData, n: int) -> list[str]:
    return [f"Hộ số {i},{pd.national_id()},{pd.phone()},2021,20,187,06466,,21.6,106.6" for i in range(n)]


def upload(api: Api, token: str | None, lines: list[str], *, dry_run: bool = False, key: str | None = None,
           name: str = "lang-son.csv") -> httpx.Response:
    """POST the file as the GraphQL multipart request spec says: operations, map, then the file part."""
    operations = {"query": START, "variables": {"input": {"file": None, "dryRun": dry_run}, "key": key}}
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    content = ("\n".join(lines) + "\n").encode("utf-8")
    return api.client.post(api.url + "/graphql", headers=headers,
                           data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
                           files={"0": (name, content, "text/csv")})


def started(api: Api, token: str, lines: list[str], **options: Any) -> dict[str, Any]:
    response = upload(api, token, lines, **options)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["startHouseholdImport"]
    assert payload["userErrors"] == [], payload
    return payload["householdImport"]


def finished(api: Api, token: str, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = api.data(JOB, {"id": job_id}, token)["householdImport"]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        assert time.monotonic() < deadline, f"the import did not finish in {timeout} s: {job}"
        time.sleep(0.1)  # polling the job, with a deadline


def household_count(api: Api, expected: int | None = None, timeout: float = 60) -> int:
    """Households in the read model; with ``expected``, once it shows that many (the projector may
    still be applying what a worker just recorded)."""
    deadline = time.monotonic() + timeout
    while True:
        count = api.data("{ households(first: 1) { totalCount } }", token=api.token("ADMIN"))["households"]["totalCount"]
        if expected is None or count == expected or time.monotonic() > deadline:
            return int(count)
        time.sleep(0.1)  # polling the read model, with a deadline


def recorded_events(api: Api) -> int:
    """Events in the event store (not the read model): what a dry run must leave as it was."""
    table = "stored_events" if api.database_url.startswith("sqlite") else "farmgate_events"
    return int(api.sql(f"SELECT count(*) FROM {table}")[0][0])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    limits = {"FARMGATE_MAX_UPLOAD_BYTES": "200000"}
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("imports") / "farmgate.db"
        with running_api(f"sqlite:///{path}", name="imports-sqlite", extra_env=limits) as server:
            yield server
    else:
        from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

        with fresh_postgres_database(postgres_admin_url()) as url, \
                running_api(url, broker_url=redis_url(), name="imports-postgres", workers=1, extra_env=limits) as server:
            yield server


def test_an_officer_uploads_a_province_file_and_follows_the_job_to_its_row_errors(
        api: Api, personal_data: PersonalData) -> None:
    pd = personal_data
    lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    before = household_count(api)
    lines = [HEADER, *lang_son(pd, 5),
             f"Hộ Bắc Giang,{pd.national_id()},{pd.phone()},2021,24,,,,,",  # row 7: another province
             f"Hộ sai số,{pd.national_id()},0241234567,2021,20,,,,,",  # row 8: a landline
             f"Hộ không tên,{pd.national_id()},{pd.phone()},2021,20,999,,,,"]  # row 9: no such district
    job = started(api, lan, lines)
    assert (job["status"], job["rowsTotal"], job["dryRun"], job["province"], job["actor"]) == (
        "PENDING", 8, False, "2021:20", "PROVINCE_OFFICER:lan")
    done = finished(api, lan, job["id"])
    assert (done["status"], done["imported"], done["alreadyRegistered"], done["failed"]) == ("SUCCEEDED", 5, 0, 3)
    assert (done["rowsDone"], done["progress"]) == (8, 1.0)
    assert [(e["row"], e["column"], e["code"]) for e in done["errors"]] == [
        (7, "province_code", "FORBIDDEN"), (8, "phone", "INVALID"), (9, "district_code", "INVALID")]
    assert household_count(api, before + 5) == before + 5
    # every household it registered records the officer as actor and the job as correlation
    households = api.data("{ households(first: 100) { edges { node { id history { actor data } } } } }",
                          token=lan)["households"]["edges"]
    correlation = f"household-import:{_uuid(job['id'])}"
    imported = [h for h in households if any(e["data"].get("correlation_id") == correlation
                                             for e in h["node"]["history"])]
    assert len(imported) == 5
    assert {e["actor"] for h in imported for e in h["node"]["history"]} == {"PROVINCE_OFFICER:lan"}

    download = api.client.get(api.url + done["errorsCsvUrl"], headers={"Authorization": f"Bearer {lan}"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.text.splitlines()[0] == "row,column,code,message"
    assert [line.split(",")[:3] for line in download.text.splitlines()[1:]] == [
        ["7", "province_code", "FORBIDDEN"], ["8", "phone", "INVALID"], ["9", "district_code", "INVALID"]]
    assert not any(value in download.text + json.dumps(done) for value in pd.national_ids)

    # another province's officer sees no such job, through the query or the download
    giang = api.token("PROVINCE_OFFICER", "giang", province="2021:24")
    assert api.data(JOB, {"id": job["id"]}, giang)["householdImport"] is None
    assert api.client.get(api.url + done["errorsCsvUrl"], headers={"Authorization": f"Bearer {giang}"}).status_code == 404
    assert api.client.get(api.url + done["errorsCsvUrl"]).status_code == 401
    # a colleague of the same province office does
    colleague = api.token("PROVINCE_OFFICER", "hoa", province="2021:20")
    assert api.data(JOB, {"id": job["id"]}, colleague)["householdImport"]["imported"] == 5


def _uuid(global_id: str) -> str:
    from farmgate.graphql.ids import uuid_of

    return str(uuid_of(global_id, "HouseholdImport"))


def test_a_page_of_row_errors_refuses_a_negative_or_oversized_first_and_a_negative_after_row(
        api: Api, personal_data: PersonalData) -> None:
    pd = personal_data
    lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    lines = [HEADER, *(f"Hộ sai số {i},{pd.national_id()},0241234567,2021,20,,,,," for i in range(3))]
    job = finished(api, lan, started(api, lan, lines, dry_run=True)["id"])
    page = "query($id: ID!, $first: Int, $after: Int) { householdImport(id: $id) { errors(first: $first, afterRow: $after) { row } } }"

    def errors(first: int | None, after: int | None = None) -> dict[str, Any]:
        return api.post(page, {"id": job["id"], "first": first, "after": after}, lan)

    assert errors(2, 2)["data"]["householdImport"]["errors"] == [{"row": 3}, {"row": 4}]
    assert errors(0)["data"]["householdImport"]["errors"] == []
    # Like every other page of the API: a negative size is the caller's error, a size over the page's
    # maximum is refused (not silently cut), and so is a negative row to start after.
    for first, after, code in ((-1, None, "BAD_USER_INPUT"), (1001, None, "LIMIT_EXCEEDED"), (5, -1, "BAD_USER_INPUT")):
        body = errors(first, after)
        assert [e["extensions"]["code"] for e in body.get("errors") or []] == [code], (first, after, body)
        assert body["data"] is None or body["data"]["householdImport"] is None


def test_a_dry_run_records_nothing_and_a_re_run_of_the_file_adds_nothing(api: Api, personal_data: PersonalData) -> None:
    lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    lines = [HEADER, *lang_son(personal_data, 6)]
    before, events = household_count(api), recorded_events(api)
    dry = finished(api, lan, started(api, lan, lines, dry_run=True)["id"])
    assert (dry["dryRun"], dry["imported"], dry["alreadyRegistered"], dry["failed"]) == (True, 6, 0, 0)
    assert recorded_events(api) == events
    real = finished(api, lan, started(api, lan, lines)["id"])
    assert (real["imported"], real["alreadyRegistered"]) == (6, 0)
    assert household_count(api, before + 6) == before + 6
    events = recorded_events(api)
    again = finished(api, lan, started(api, lan, lines)["id"])
    assert (again["imported"], again["alreadyRegistered"], again["failed"]) == (0, 6, 0)
    assert recorded_events(api) == events
    assert household_count(api, before + 6) == before + 6


def test_uploads_are_refused_without_a_token_to_other_roles_past_the_limit_and_when_no_csv(
        api: Api, personal_data: PersonalData) -> None:
    lines = [HEADER, *lang_son(personal_data, 2)]
    anonymous = upload(api, None, lines)  # a cross-site form could send this: refused before anything runs
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    postmart = upload(api, api.token("MARKETPLACE", "ops", marketplace="POSTMART"), lines).json()
    assert postmart["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    too_big = upload(api, lan, [HEADER, *lang_son(personal_data, 3000)])
    assert too_big.status_code == 413
    not_csv = upload(api, lan, ["name,phone", "A,0912345678"]).json()["data"]["startHouseholdImport"]
    assert not_csv["householdImport"] is None
    assert [(e["field"], e["code"]) for e in not_csv["userErrors"]] == [(["input", "file"], "INVALID")]
    # an idempotency key: the same upload again answers the same job, another file under it is refused
    key = f"upload-{time.monotonic_ns()}"
    first = started(api, lan, lines, key=key, dry_run=True)
    assert started(api, lan, lines, key=key, dry_run=True)["id"] == first["id"]
    other = upload(api, lan, lines[:2], key=key, dry_run=True).json()["data"]["startHouseholdImport"]
    assert [e["code"] for e in other["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]


@pytest.mark.parametrize("value", ["lang-son.csv", 42, {"filename": "lang-son.csv"}, ["a"]])
def test_a_file_variable_sent_as_json_instead_of_a_file_part_is_the_callers_error(
        api: Api, value: object) -> None:
    # A plain JSON request can put anything in an Upload variable: it was an internal error (logged,
    # masked), though the caller simply did not send a multipart request.
    lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    body = api.post(START, {"input": {"file": value, "dryRun": True}}, lan)
    assert "errors" not in body, body
    refused = body["data"]["startHouseholdImport"]
    assert refused["householdImport"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input", "file"], "INVALID")]
    assert "multipart" in refused["userErrors"][0]["message"]


def raw_upload(api: Api, token: str, file_name: bytes, content: bytes) -> httpx.Response:
    """The multipart request written by hand: the part's filename bytes exactly as given (an upload
    client escapes a NUL or an ESC; a hostile one does not)."""
    boundary = b"farmgate-r14-boundary"
    operations = json.dumps({"query": START, "variables": {"input": {"file": None, "dryRun": True}}}).encode()
    parts = [(b'name="operations"', operations), (b'name="map"', b'{"0":["variables.input.file"]}'),
             (b'name="0"; filename="' + file_name + b'"\r\nContent-Type: text/csv', content)]
    body = b"".join(b"--" + boundary + b"\r\nContent-Disposition: form-data; " + head + b"\r\n\r\n" + value + b"\r\n"
                    for head, value in parts) + b"--" + boundary + b"--\r\n"
    return api.client.post(api.url + "/graphql", content=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary.decode()}"})


@pytest.mark.parametrize("file_name", ["a\x00b.csv", "lang-son\x1b[2J.csv", "lang-son\u202evsc.exe", "a\x85b.csv"])
def test_an_upload_whose_name_carries_control_or_bidi_characters_is_refused_on_both_backends(
        api: Api, personal_data: PersonalData, file_name: str) -> None:
    lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    content = ("\n".join([HEADER, *lang_son(personal_data, 1)]) + "\n").encode()
    response = raw_upload(api, lan, file_name.encode(), content)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["startHouseholdImport"]
    assert payload["householdImport"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["input", "file"], "INVALID")]
    # Check a Vietnamese name is kept as it was typed.
    kept = raw_upload(api, lan, "Lạng Sơn tháng 8.csv".encode(), content).json()["data"]["startHouseholdImport"]
    assert kept["userErrors"] == []
    name = api.data("query($id: ID!) { householdImport(id: $id) { fileName } }", {"id": kept["householdImport"]["id"]},
                    lan)["householdImport"]["fileName"]
    assert name == "Lạng Sơn tháng 8.csv"


def test_a_job_survives_its_worker_being_killed_and_resumes_where_it_stopped(
        tmp_path_factory: pytest.TempPathFactory, personal_data: PersonalData) -> None:
    """PostgreSQL and a `farmgate worker` on Redis: the worker is killed (SIGKILL) in the middle of a
    job; a new worker takes the job once the dead one's lease lapses and finishes it from its last
    checkpoint, with every household registered once."""
    from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

    rows = 1000
    settings = {"FARMGATE_IMPORT_LEASE_SECONDS": "5"}
    with fresh_postgres_database(postgres_admin_url()) as url, \
            running_api(url, broker_url=redis_url(), name="imports-restart", extra_env=settings) as api:
        lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
        worker = _start(["worker", "--threads", "2"], api.env, "imports-restart-worker.log")
        try:
            job = started(api, lan, [HEADER, *lang_son(personal_data, rows)])
            deadline = time.monotonic() + 120
            while (seen := api.data(JOB, {"id": job["id"]}, lan)["householdImport"])["rowsDone"] < 200:
                assert time.monotonic() < deadline, seen
                time.sleep(0.05)  # polling the job's progress, with a deadline
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=15)
            stopped = api.data(JOB, {"id": job["id"]}, lan)["householdImport"]
            assert stopped["status"] == "RUNNING" and 200 <= stopped["rowsDone"] < rows, stopped
            worker = _start(["worker", "--threads", "2"], api.env, "imports-restart-worker-2.log")
            done = finished(api, lan, job["id"], timeout=600)
        finally:
            stop([worker])
        assert (done["status"], done["imported"], done["alreadyRegistered"], done["failed"]) == (
            "SUCCEEDED", rows, 0, 0)
        [(attempts, records_read)] = api.sql("SELECT attempts, records_read FROM household_imports")
        assert attempts >= 2 and records_read == rows  # taken again after the kill (more if a lease lapsed under load)
        assert household_count(api, rows) == rows
