"""Household import jobs on each backend: staging a file, running it with the province rule, dry
runs, re-runs, and resuming after a runner died (its lease lapsed) without counting a row twice."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from uuid import UUID

import pytest

from farmgate.core.domain.errors import InvalidInput, LimitExceeded
from farmgate.core.household_import_run import CHECKPOINT_ROWS, LeaseLost, run_import
from farmgate.core.household_imports import HouseholdImports, ImportJob
from farmgate.deploy.container import System
from tests.personal_data import PersonalData

HEADER = "name,national_id,phone,scheme,province_code,district_code,ward_code,street,latitude,longitude"
OFFICER = "PROVINCE_OFFICER:lan"
LANG_SON = "2021:20"


def lang_son_rows(pd: PersonalData, n: int) -> list[str]:
    return [f"Hộ số {i},{pd.national_id()},{pd.phone()},2021,20,187,06466,Thôn {i},21.6,106.6" for i in range(n)]


def stage(system: System, lines: list[str], *, dry_run: bool = False, province: str | None = LANG_SON,
          name: str = "lang-son.csv") -> ImportJob:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    return system.imports.stage(io.BytesIO(data), file_name=name, actor=OFFICER, province=province, dry_run=dry_run,
                                request_id="test", max_bytes=10_000_000)


def run(system: System, job: ImportJob) -> ImportJob:
    token = system.imports.take(job.id)
    assert token is not None
    finished = run_import(system.app, system.imports, job.id, token)
    system.catch_up()
    return finished


def registered_by_job(system: System, job: ImportJob) -> list[dict[str, str]]:
    """(actor, correlation) of every household registration recorded under the job's correlation."""
    found = []
    for notification in system.app.recorder.select_notifications(start=1, limit=1_000_000):
        if notification.topic.endswith("Household.Registered"):
            event = system.app.mapper.to_domain_event(notification)
            if event.correlation_id == job.correlation_id:
                found.append({"actor": event.actor, "correlation": event.correlation_id})
    return found


def test_good_rows_are_registered_as_the_officer_and_bad_rows_reported_by_row_and_column(
        system: System, personal_data: PersonalData) -> None:
    pd = personal_data
    good = lang_son_rows(pd, 3)
    repeated_id = good[0].split(",")[1]
    lines = [HEADER, *good,
             f"Hộ Hà Nội,{pd.national_id()},{pd.phone()},2021,01,,,,,",  # row 5: another province
             f"Hộ sai số,{pd.national_id()},12345,2021,20,,,,,",  # row 6: a phone that is no mobile
             "",  # a blank line is no row
             f"Hộ trùng,{repeated_id},{pd.phone()},2021,20,,,,,",  # row 8: the national ID of row 2
             f"Hộ sai phường,{pd.national_id()},{pd.phone()},2021,20,187,06280,,,",  # row 9: a Văn Quan ward
             f"Hộ thiếu,{pd.national_id()}"]  # row 10: too few cells
    job = stage(system, lines)
    assert (job.status, job.rows_total, job.dry_run) == ("PENDING", 8, False)
    done = run(system, job)
    assert (done.status, done.imported, done.already_registered, done.failed) == ("SUCCEEDED", 3, 0, 5)
    errors = {(e.row, e.column, e.code) for e in system.imports.errors(job.id)}
    assert errors == {(5, "province_code", "FORBIDDEN"), (6, "phone", "INVALID"), (8, "national_id", "ALREADY_EXISTS"),
                      (9, "ward_code", "INVALID"), (10, "row", "INVALID")}
    assert "row 2" in next(e.message for e in system.imports.errors(job.id) if e.row == 8)
    everything = " ".join(e.message for e in system.imports.errors(job.id)) + "".join(system.imports.errors_csv(job.id))
    assert not any(value in everything for value in pd.national_ids)
    assert registered_by_job(system, job) == [{"actor": OFFICER, "correlation": job.correlation_id}] * 3
    assert system.households.page(after_position=0, limit=10)[1] == 3
    assert list(system.imports.lines(job.id)) == []  # the file (personal data) is gone once done


def test_a_row_with_its_cells_in_the_wrong_columns_is_refused_without_repeating_them(
        system: System, personal_data: PersonalData) -> None:
    pd = personal_data
    national_id, phone = pd.national_id(), pd.phone()
    lines = [HEADER,
             f"Hộ lệch,{pd.national_id()},{pd.phone()},2021,{national_id},,,,,",  # row 2: an ID as province
             f"Hộ lệch,{pd.national_id()},{pd.phone()},{national_id},20,,,,,",  # row 3: an ID as scheme
             f"Hộ lệch,{pd.national_id()},{pd.phone()},2021,{phone},,,,,"]  # row 4: a phone as province
    done = run(system, stage(system, lines, province=None))
    assert {(e.row, e.column, e.code) for e in system.imports.errors(done.id)} == {
        (2, "province_code", "INVALID"), (3, "scheme", "INVALID"), (4, "province_code", "INVALID")}
    everything = " ".join(e.message for e in system.imports.errors(done.id)) + "".join(system.imports.errors_csv(done.id))
    for value in (national_id, national_id.lstrip("0"), phone):
        assert value not in everything


def test_the_error_csv_carries_no_spreadsheet_formula_whatever_the_cells_held(
        system: System, personal_data: PersonalData) -> None:
    """OWASP CSV injection: a cell starting with = + - @ TAB or CR runs as a formula when the error
    file is opened in a spreadsheet; the error file repeats no cell, so none starts one."""
    pd = personal_data
    formulas = ["=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(1)", "\t=1+2", '"=HYPERLINK(""http://x"")"']
    lines = [HEADER]
    for formula in formulas:
        for column in (4, 3, 6, 8):  # province_code, scheme, ward_code, latitude
            cells = f"Hộ,{pd.national_id()},{pd.phone()},2021,20,187,06466,,21.6,106.6".split(",")
            cells[column] = formula
            lines.append(",".join(cells))
    done = run(system, stage(system, lines))
    assert done.failed == len(formulas) * 4
    for record in list(csv.reader("".join(system.imports.errors_csv(done.id)).splitlines()))[1:]:
        assert record and not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in record), record
        assert not any(token in cell for cell in record for token in ("cmd|", "SUM(", "HYPERLINK")), record


def test_a_dry_run_records_nothing_and_a_re_run_adds_nothing(system: System, personal_data: PersonalData) -> None:
    lines = [HEADER, *lang_son_rows(personal_data, 4), f"Hộ Hà Nội,{personal_data.national_id()},"
             f"{personal_data.phone()},2021,01,,,,,"]
    head = system.app.recorder.max_notification_id() or 0
    dry = run(system, stage(system, lines, dry_run=True))
    assert (dry.imported, dry.already_registered, dry.failed) == (4, 0, 1)
    assert (system.app.recorder.max_notification_id() or 0) == head
    first = run(system, stage(system, lines))
    assert (first.imported, first.already_registered, first.failed) == (4, 0, 1)
    head = system.app.recorder.max_notification_id()
    again = run(system, stage(system, lines))
    assert (again.imported, again.already_registered, again.failed) == (0, 4, 1)
    assert system.app.recorder.max_notification_id() == head
    assert again.file_sha256 == first.file_sha256
    dry_after = run(system, stage(system, lines, dry_run=True))
    assert (dry_after.imported, dry_after.already_registered) == (0, 4)


def test_a_2025_officer_covers_the_2021_rows_of_the_provinces_its_province_absorbed(
        system: System, personal_data: PersonalData) -> None:
    pd = personal_data
    lines = [HEADER, f"Hộ Vũng Tàu,{pd.national_id()},{pd.phone()},2021,77,,,,,",  # BR-VT, now in 2025:79
             f"Hộ Bắc Giang,{pd.national_id()},{pd.phone()},2021,24,,,,,"]
    done = run(system, stage(system, lines, province="2025:79"))
    assert (done.imported, done.failed) == (1, 1)
    assert [(e.row, e.column, e.code) for e in system.imports.errors(done.id)] == [(3, "province_code", "FORBIDDEN")]
    admin = run(system, stage(system, [HEADER, lines[2]], province=None))
    assert admin.imported == 1


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"name,phone\nA,0912345678\n", "national_id, province_code"),
    (HEADER.encode() + b"\n", "no household row"),
    (b"\xff\xfename\n", "UTF-8"),
    (HEADER.encode() + b"\nA,\x00,1,2021,20,,,,,\n", "NUL"),
    # A misspelt column was ignored, so its values were silently dropped (households without their
    # district and ward); a column named twice had its later cell win. Named by position: a header
    # cell may be a data row's value.
    (HEADER.replace("district_code", "distric_code").replace("ward_code", "ward").encode()
     + b"\nA,020080000001,0912345678,2021,20,187,06523,,,\n", "does not know (columns 6, 7)"),
    (HEADER.encode() + b",Name\nA,020080000001,0912345678,2021,20,,,,,,B\n", "more than once (column 11)"),
])
def test_a_file_that_is_no_household_csv_is_refused_and_nothing_is_kept(
        system: System, content: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        system.imports.stage(io.BytesIO(content), file_name="x.csv", actor=OFFICER, province=LANG_SON,
                             dry_run=False, request_id="t", max_bytes=10_000)
    assert message in refused.value.message and refused.value.field == ["input", "file"]
    assert "distric_code" not in refused.value.message
    assert system.store.query("SELECT id FROM household_imports") == []
    assert system.store.query("SELECT import_id FROM household_import_chunks") == []


def test_a_file_over_the_upload_limit_is_refused(system: System, personal_data: PersonalData) -> None:
    data = ("\n".join([HEADER, *lang_son_rows(personal_data, 50)]) + "\n").encode()
    with pytest.raises(LimitExceeded):
        system.imports.stage(io.BytesIO(data), file_name="x.csv", actor=OFFICER, province=LANG_SON,
                             dry_run=False, request_id="t", max_bytes=len(data) - 1)
    assert system.store.query("SELECT import_id FROM household_import_chunks") == []


def test_a_job_whose_runner_died_resumes_after_its_last_checkpoint_and_counts_each_row_once(
        system: System, personal_data: PersonalData) -> None:
    rows = lang_son_rows(personal_data, CHECKPOINT_ROWS + 50)
    repeated = rows[10].split(",")[1]
    # The repeat lies after the first checkpoint, among the rows the dead runner registered unrecorded.
    rows.append(f"Hộ trùng,{repeated},{personal_data.phone()},2021,20,,,,,")
    job = stage(system, [HEADER, *rows])
    imports = system.imports
    short_lease = HouseholdImports(system.store, lease_seconds=0.2)
    token = short_lease.take(job.id)
    assert token is not None and imports.take(job.id) is None  # held: nobody else takes it

    class Died(Exception):
        pass

    original_checkpoint = short_lease.checkpoint
    kept = []

    def checkpoint_then_stop(job_id: UUID, token_: str, progress, errors, seen) -> bool:  # type: ignore[no-untyped-def]
        if kept:  # the dead run's last rows: registered in the event store, never checkpointed
            raise Died
        kept.append(progress.records_read)
        return original_checkpoint(job_id, token_, progress, errors, seen)

    short_lease.checkpoint = checkpoint_then_stop  # type: ignore[method-assign]
    with pytest.raises(Died):
        run_import(system.app, short_lease, job.id, token)
    stopped = imports.get(job.id)
    assert stopped is not None and stopped.status == "RUNNING" and stopped.records_read == kept[0] < len(rows)
    registered_before = len(registered_by_job(system, job))
    assert registered_before > stopped.imported  # rows past the checkpoint were registered by the dead run

    deadline = time.monotonic() + 10
    while (second := imports.take(job.id)) is None:  # the lapsed lease is taken over
        assert time.monotonic() < deadline, "the dead runner's lease never lapsed"
        time.sleep(0.05)  # polling the lease, with a deadline
    with pytest.raises(LeaseLost):  # the dead runner, were it alive, could no longer write
        short_lease.checkpoint = original_checkpoint  # type: ignore[method-assign]
        run_import(system.app, short_lease, job.id, token)
    done = run_import(system.app, imports, job.id, second)
    assert (done.status, done.attempts) == ("SUCCEEDED", 2)
    assert (done.imported, done.already_registered, done.failed) == (len(rows) - 1, 0, 1)
    assert [(e.row, e.code) for e in imports.errors(job.id)] == [(len(rows) + 1, "ALREADY_EXISTS")]
    assert len(registered_by_job(system, job)) == len(rows) - 1


def test_an_upload_abandoned_while_staging_is_discarded_with_its_file(system: System) -> None:
    old = (system.app.clock() - timedelta(hours=2)).isoformat()
    with system.store.transaction() as cur:
        cur.execute("INSERT INTO household_imports (id, actor, province, file_name, file_sha256, file_bytes, dry_run,"
                    " status, rows_total, request_id, created_at) VALUES ('a', %s, NULL, 'x.csv', '', 0, 0, 'STAGING',"
                    " 0, 'r', %s)", (OFFICER, old))
        cur.execute("INSERT INTO household_import_chunks (import_id, seq, content) VALUES ('a', 0, 'name\n')")
    assert system.imports.discard_abandoned_uploads() == 1
    assert system.store.query("SELECT import_id FROM household_import_chunks") == []
    assert system.store.query("SELECT id FROM household_imports") == []


def test_a_job_taken_too_many_times_is_failed_and_its_file_deleted(system: System, personal_data: PersonalData) -> None:
    from farmgate.core.household_imports import MAX_ATTEMPTS

    job = stage(system, [HEADER, *lang_son_rows(personal_data, 2)])
    lapsing = HouseholdImports(system.store, lease_seconds=-1)  # every lease it gives has already lapsed
    assert all(lapsing.take(job.id) is not None for _ in range(MAX_ATTEMPTS))
    assert lapsing.take(job.id) is None
    failed = system.imports.get(job.id)
    assert failed is not None and failed.status == "FAILED" and list(system.imports.lines(job.id)) == []
