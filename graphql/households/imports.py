"""Bulk household onboarding over GraphQL: ``startHouseholdImport`` takes a province's CSV as a
file upload (the GraphQL multipart request spec) and answers with the job; ``householdImport(id)``
shows its counts, progress and per-row errors, with a link to them as a CSV file.

The file goes to the database in chunks (``core.household_imports``) and a worker imports it
(``workers.household_imports``); the rules are ``core.household_import_run``'s.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.file_uploads import Upload

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.household_imports import ImportJob
from farmgate.graphql.commands import Outcome, execute
from farmgate.graphql.context import Context
from farmgate.graphql.errors import BAD_USER_INPUT, LIMIT_EXCEEDED, CodedError
from farmgate.graphql.ids import to_global_id, uuid_of
from farmgate.graphql.inputs import given
from farmgate.graphql.permissions import allow, authenticated
from farmgate.graphql.scope import household_import_visible
from farmgate.graphql.types import UserError

#: the largest page of row errors one query returns
MAX_ERRORS_PAGE = 1000


@strawberry.enum(description="Where a household import job is.")
class HouseholdImportStatus(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type(description="Why one row of an imported file was not imported. Never the row's values"
                             " (they are personal data): its number and column.")
class HouseholdImportRowError:
    row: int = strawberry.field(description="The row's number as a spreadsheet shows it: the header is row 1.")
    column: str = strawberry.field(description="The CSV column at fault (e.g. national_id, ward_code), or 'row'.")
    code: str = strawberry.field(description="INVALID, ALREADY_EXISTS (a national ID named by an earlier row of"
                                             " the file), FORBIDDEN (a row outside your province) or CONFLICT.")
    message: str = strawberry.field(description="What is wrong, in words, without the value.")


@strawberry.type(description="A bulk household import: a province's CSV, imported (or, as a dry run, checked)"
                             " row by row by a worker, with the uploader as each household's actor and"
                             " household-import:<job id> as its correlation id.")
class HouseholdImport:
    job: strawberry.Private[ImportJob]

    @strawberry.field(description="The job's global ID.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("HouseholdImport", str(self.job.id)))

    @strawberry.field(description="The uploaded file's name.")
    def file_name(self) -> str:
        return self.job.file_name

    @strawberry.field(description="SHA-256 of the uploaded file, hex: the same file uploaded twice has the same.")
    def file_sha256(self) -> str:
        return self.job.file_sha256

    @strawberry.field(description="The uploaded file's size in bytes.")
    def file_bytes(self) -> int:
        return self.job.file_bytes

    @strawberry.field(description="A dry run checks every row and records nothing.")
    def dry_run(self) -> bool:
        return self.job.dry_run

    @strawberry.field(description="Where the job is.")
    def status(self) -> HouseholdImportStatus:
        return HouseholdImportStatus(self.job.status)

    @strawberry.field(description="The province (SCHEME:CODE) the rows must lie in; null for an ADMIN's import.")
    def province(self) -> str | None:
        return self.job.province

    @strawberry.field(description="Who started it (role:subject): every household it registers records this actor.")
    def actor(self) -> str:
        return self.job.actor

    @strawberry.field(description="Household rows in the file (blank lines are not rows).")
    def rows_total(self) -> int:
        return self.job.rows_total

    @strawberry.field(description="Rows done so far: imported + alreadyRegistered + failed.")
    def rows_done(self) -> int:
        return self.job.rows_done

    @strawberry.field(description="rowsDone / rowsTotal, from 0 to 1.")
    def progress(self) -> float:
        return self.job.rows_done / self.job.rows_total if self.job.rows_total else 1.0

    @strawberry.field(description="Households registered by this job (in a dry run: that would be).")
    def imported(self) -> int:
        return self.job.imported

    @strawberry.field(description="Rows whose national ID was registered before this job: they add nothing.")
    def already_registered(self) -> int:
        return self.job.already_registered

    @strawberry.field(description="Rows refused: see errors.")
    def failed(self) -> int:
        return self.job.failed

    @strawberry.field(description="When the file was uploaded.")
    def created_at(self) -> datetime:
        return self.job.created_at

    @strawberry.field(description="When a worker first took the job.")
    def started_at(self) -> datetime | None:
        return self.job.started_at

    @strawberry.field(description="When it ended.")
    def finished_at(self) -> datetime | None:
        return self.job.finished_at

    @strawberry.field(description=f"Row errors in row order, after row afterRow, at most first (≤ {MAX_ERRORS_PAGE}):"
                                  " a negative first or afterRow is BAD_USER_INPUT, a larger first LIMIT_EXCEEDED.")
    async def errors(self, info: strawberry.Info, first: int | None = 100,
                     after_row: int | None = 0) -> list[HouseholdImportRowError]:
        size = 100 if first is None else first
        if size < 0:
            raise CodedError("first must not be negative", BAD_USER_INPUT)
        if size > MAX_ERRORS_PAGE:
            raise CodedError(f"first must be at most {MAX_ERRORS_PAGE}", LIMIT_EXCEEDED)
        if after_row is not None and after_row < 0:
            raise CodedError("afterRow must not be negative", BAD_USER_INPUT)
        ctx: Context = info.context
        page = await run_in_threadpool(ctx.system.imports.errors, self.job.id, after_row=after_row or 0, limit=size)
        return [HouseholdImportRowError(row=e.row, column=e.column, code=e.code, message=e.message) for e in page]

    @strawberry.field(description="Where to download every row error as CSV (row,column,code,message): a path on"
                                  " this API, fetched with the same bearer token.")
    def errors_csv_url(self) -> str:
        return f"/household-imports/{to_global_id('HouseholdImport', str(self.job.id))}/errors.csv"


@strawberry.input(description="A province's household CSV to import.")
class StartHouseholdImportInput:
    file: Upload = strawberry.field(description="The CSV, UTF-8, with a header line: name,national_id,phone,scheme,"
                                                "province_code,district_code,ward_code,street,latitude,longitude.")
    dry_run: bool = strawberry.field(default=False, description="Check every row and record nothing.")


@strawberry.type
class StartHouseholdImportPayload:
    household_import: HouseholdImport | None = strawberry.field(description="The job, PENDING until a worker takes it.")
    user_errors: list[UserError]


def _hash(stream: Any) -> str:
    digest = hashlib.sha256()
    while block := stream.read(1 << 16):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


async def household_import_by_global_id(ctx: Context, global_id: str) -> HouseholdImport | None:
    """The job, if the caller may see it (``scope.household_import_visible``); else None, as if absent."""
    job_id = uuid_of(global_id, "HouseholdImport")
    if job_id is None:
        return None
    job = await run_in_threadpool(ctx.system.imports.get, job_id)
    if job is None or not household_import_visible(ctx.require_principal(), job):
        return None
    return HouseholdImport(job=job)


@strawberry.type
class HouseholdImportQuery:
    # Any signed-in caller may ask: whoever may not see the job gets null, as if it did not exist.
    @strawberry.field(extensions=authenticated())
    async def household_import(self, info: strawberry.Info, id: strawberry.ID) -> HouseholdImport | None:
        return await household_import_by_global_id(info.context, id)


@strawberry.type
class HouseholdImportMutation:
    @strawberry.mutation(extensions=allow("PROVINCE_OFFICER"))
    async def start_household_import(
        self, info: strawberry.Info, input: StartHouseholdImportInput, idempotency_key: str | None = strawberry.UNSET
    ) -> StartHouseholdImportPayload:
        ctx: Context = info.context
        principal = ctx.require_principal()
        area = principal.province_area
        upload = input.file
        stream = getattr(upload, "file", None)
        if not callable(getattr(stream, "read", None)):
            # A JSON request may put anything in an Upload variable; only a multipart request's file part is one.
            return StartHouseholdImportPayload(household_import=None, user_errors=[UserError.of(InvalidInput(
                "file must be the file part of a multipart request (see the GraphQL multipart request spec)",
                ["input", "file"]))])
        sha256 = await run_in_threadpool(_hash, stream)
        request = {"fileSha256": sha256, "fileName": upload.filename or "", "dryRun": input.dry_run}

        def command() -> dict[str, Any]:
            job = ctx.system.imports.stage(
                stream, file_name=upload.filename or "households.csv", actor=principal.actor,
                province=None if area is None else area.claim, dry_run=input.dry_run, request_id=ctx.request_id,
                max_bytes=ctx.system.settings.max_upload_bytes)
            return {"householdImportId": str(job.id)}

        outcome: Outcome = await execute(ctx, "startHouseholdImport", request, given(idempotency_key), command)
        job_id = outcome.get("householdImportId")
        job = None if job_id is None else await run_in_threadpool(ctx.system.imports.get, UUID(job_id))
        return StartHouseholdImportPayload(household_import=None if job is None else HouseholdImport(job=job),
                                           user_errors=outcome.user_errors)
