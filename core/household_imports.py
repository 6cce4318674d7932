"""Household import jobs: the uploaded file, the job's progress and its per-row errors, in the database.

A job is state, not a fact: the facts are the households it registers (events, with the officer as
actor and ``household-import:<job id>`` as correlation). The database is the job queue of record,
as the webhook outbox is for deliveries: a job is PENDING until a runner takes its lease; the runner
renews the lease at every checkpoint (rows read, counters and errors of the rows since, in one
transaction) and a job whose lease lapsed — its worker died — is taken again and resumes after its
last checkpoint. The uploaded file is kept in chunks of whole lines until the job ends, then deleted
(it holds personal data); only its size and SHA-256 stay.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from farmgate.core.database import ReadStore
from farmgate.core.domain.canonical_text import canonical_text
from farmgate.core.domain.errors import InvalidInput, LimitExceeded
from farmgate.core.household_import_rows import RowError, header_problem

#: characters of the file per stored chunk (whole lines; a quoted field may span chunks)
CHUNK_CHARS = 256 * 1024
#: attempts (runs that took the lease) before a job that keeps failing internally is FAILED
MAX_ATTEMPTS = 5


OPEN = ("PENDING", "RUNNING")


@dataclass(frozen=True)
class ImportJob:
    """One import job as stored. ``province`` is the claim (``SCHEME:CODE``) the rows must lie in,
    None for ADMIN; counters count rows (blank lines are not rows)."""

    id: uuid.UUID
    actor: str
    province: str | None
    file_name: str
    file_sha256: str
    file_bytes: int
    dry_run: bool
    status: str
    rows_total: int
    records_read: int
    imported: int
    already_registered: int
    failed: int
    attempts: int
    request_id: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def rows_done(self) -> int:
        return self.imported + self.already_registered + self.failed

    @property
    def correlation_id(self) -> str:
        """What every household it registers carries as correlation id."""
        return f"household-import:{self.id}"

    @classmethod
    def of(cls, row: dict[str, Any]) -> ImportJob:
        def when(value: Any) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        return cls(
            id=uuid.UUID(row["id"]), actor=row["actor"], province=row["province"], file_name=row["file_name"],
            file_sha256=row["file_sha256"], file_bytes=int(row["file_bytes"]), dry_run=bool(row["dry_run"]),
            status=row["status"], rows_total=int(row["rows_total"]), records_read=int(row["records_read"]),
            imported=int(row["imported"]), already_registered=int(row["already_registered"]),
            failed=int(row["failed"]), attempts=int(row["attempts"]), request_id=row["request_id"],
            created_at=datetime.fromisoformat(row["created_at"]), started_at=when(row["started_at"]),
            finished_at=when(row["finished_at"]),
        )


@dataclass
class Progress:
    """What a runner has done since the job's start: the position in the file and the counters."""

    records_read: int
    imported: int
    already_registered: int
    failed: int


class _CountingReader(io.RawIOBase):
    """A binary stream that hashes and counts what is read through it, refusing past ``limit`` bytes."""

    def __init__(self, stream: IO[bytes], limit: int):
        self.stream, self.limit = stream, limit
        self.digest, self.size = hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        self.size += len(data)
        if self.size > self.limit:
            raise LimitExceeded(f"The file is larger than {self.limit} bytes", ["input", "file"])
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


#: the longest file name a job keeps (longer names are cut, at a character)
MAX_FILE_NAME = 200


def checked_file_name(file_name: str) -> str:
    """The upload's name as a job keeps it: canonical single-line text (``canonical_text``), at most
    ``MAX_FILE_NAME`` characters, "households.csv" when it has none. InvalidInput on
    ``["input", "file"]`` for control, bidirectional or unassigned characters (never naming them)."""
    try:
        name = canonical_text(file_name or "", ["input", "file"])
    except InvalidInput:
        raise InvalidInput("The file's name must not contain control or bidirectional formatting characters",
                           ["input", "file"]) from None
    return name[:MAX_FILE_NAME] or "households.csv"


class HouseholdImports:
    """The jobs' tables in the read store's database: stage a file, take and renew a job's lease,
    checkpoint its progress, finish it, and read jobs and their errors."""

    def __init__(self, store: ReadStore, *, lease_seconds: float = 60.0, clock: Any = None):
        from farmgate.core.application import utc_now

        self.store = store
        self.lease_seconds = lease_seconds
        self.clock = clock or utc_now

    # -- staging ----------------------------------------------------------------------------------

    def stage(self, stream: IO[bytes], *, file_name: str, actor: str, province: str | None, dry_run: bool,
              request_id: str, max_bytes: int) -> ImportJob:
        """Store an uploaded CSV (read once, in chunks: memory stays flat) as a PENDING job.

        InvalidInput on ``["input", "file"]`` when it is not UTF-8 CSV with the required columns or
        has no row, or when its name is no canonical text (control or bidirectional characters: a
        NUL, which PostgreSQL cannot store, or an override that shows "vsc.exe" as "exe.csv");
        LimitExceeded past ``max_bytes``. Nothing is kept of a refused file."""
        file_name = checked_file_name(file_name)
        job_id = uuid.uuid4()
        counting = _CountingReader(stream, max_bytes)
        text = io.TextIOWrapper(io.BufferedReader(counting), encoding="utf-8-sig", newline="")
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT INTO household_imports (id, actor, province, file_name, file_sha256, file_bytes, dry_run,"
                " status, rows_total, request_id, created_at) VALUES (%s, %s, %s, %s, '', 0, %s, 'STAGING', 0, %s, %s)",
                (str(job_id), actor, province, file_name, int(dry_run), request_id, self.clock().isoformat()),
            )
        try:
            rows = self._store_chunks(job_id, text)
        except BaseException:
            self._discard(job_id)
            raise
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE household_imports SET status = 'PENDING', rows_total = %s, file_sha256 = %s, file_bytes = %s"
                " WHERE id = %s",
                (rows, counting.digest.hexdigest(), counting.size, str(job_id)),
            )
        return self.get(job_id)  # type: ignore[return-value]

    def _store_chunks(self, job_id: uuid.UUID, text: IO[str]) -> int:
        pending: list[str] = []
        pending_size, seq = 0, 0

        def flush() -> None:
            nonlocal pending, pending_size, seq
            if pending:
                with self.store.transaction() as cur:
                    cur.execute("INSERT INTO household_import_chunks (import_id, seq, content) VALUES (%s, %s, %s)",
                                (str(job_id), seq, "".join(pending)))
                seq += 1
                pending, pending_size = [], 0

        def lines() -> Iterator[str]:
            nonlocal pending_size
            for line in text:
                if "\x00" in line:
                    raise InvalidInput("The file is not CSV text (it holds NUL characters)", ["input", "file"])
                if pending_size >= CHUNK_CHARS:
                    flush()
                pending.append(line)
                pending_size += len(line)
                yield line

        try:
            reader = csv.reader(lines())
            header = next(reader, None)
            if header is None:
                raise InvalidInput("The file is empty: it needs a header line and a row per household",
                                   ["input", "file"])
            problem = header_problem(header)
            if problem:
                raise InvalidInput(problem, ["input", "file"])
            rows = sum(1 for record in reader if any(cell.strip() for cell in record))
        except UnicodeDecodeError:
            raise InvalidInput("The file is not UTF-8 text", ["input", "file"]) from None
        except csv.Error as error:
            raise InvalidInput(f"The file is not valid CSV ({error})", ["input", "file"]) from None
        if rows == 0:
            raise InvalidInput("The file has a header but no household row", ["input", "file"])
        flush()
        return rows

    def _discard(self, job_id: uuid.UUID) -> None:
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM household_import_chunks WHERE import_id = %s", (str(job_id),))
            cur.execute("DELETE FROM household_imports WHERE id = %s", (str(job_id),))

    def lines(self, job_id: uuid.UUID) -> Iterator[str]:
        """The stored file's lines in order, one chunk in memory at a time."""
        seq = 0
        while True:
            row = self.store.query_one(
                "SELECT content FROM household_import_chunks WHERE import_id = %s AND seq = %s", (str(job_id), seq))
            if row is None:
                return
            yield from io.StringIO(row["content"], newline="")
            seq += 1

    # -- leases -----------------------------------------------------------------------------------

    def claimable(self, limit: int = 20) -> list[uuid.UUID]:
        """Open jobs no runner holds: never taken, or whose runner stopped renewing its lease."""
        rows = self.store.query(
            "SELECT id FROM household_imports WHERE status IN ('PENDING', 'RUNNING')"
            " AND (lease_until IS NULL OR lease_until < %s) ORDER BY created_at LIMIT %s",
            (time.time(), limit),
        )
        return [uuid.UUID(r["id"]) for r in rows]

    def take(self, job_id: uuid.UUID) -> str | None:
        """Take the job's lease if nobody holds it (compare-and-set): the token to renew it with, or
        None. A job taken ``MAX_ATTEMPTS`` times without finishing is FAILED instead."""
        token = uuid.uuid4().hex
        now = time.time()
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE household_imports SET lease_token = %s, lease_until = %s, attempts = attempts + 1,"
                " status = 'RUNNING', started_at = COALESCE(started_at, %s)"
                " WHERE id = %s AND status IN ('PENDING', 'RUNNING') AND (lease_until IS NULL OR lease_until < %s)"
                " AND attempts < %s",
                (token, now + self.lease_seconds, self.clock().isoformat(), str(job_id), now, MAX_ATTEMPTS),
            )
            if cur.rowcount == 1:
                return token
            cur.execute(
                "UPDATE household_imports SET status = 'FAILED', finished_at = %s, lease_token = NULL"
                " WHERE id = %s AND status IN ('PENDING', 'RUNNING') AND (lease_until IS NULL OR lease_until < %s)"
                " AND attempts >= %s",
                (self.clock().isoformat(), str(job_id), now, MAX_ATTEMPTS),
            )
            if cur.rowcount == 1:  # given up: its file (personal data) goes as a finished job's does
                cur.execute("DELETE FROM household_import_chunks WHERE import_id = %s", (str(job_id),))
                cur.execute("DELETE FROM household_import_seen WHERE import_id = %s", (str(job_id),))
        return None

    def discard_abandoned_uploads(self, older_than_seconds: float = 3600) -> int:
        """Delete uploads whose staging never finished (the API process died while storing them),
        with their chunks: they hold personal data and no job will ever read them."""
        cutoff = (self.clock() - timedelta(seconds=older_than_seconds)).isoformat()
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM household_import_chunks WHERE import_id IN"
                        " (SELECT id FROM household_imports WHERE status = 'STAGING' AND created_at < %s)", (cutoff,))
            cur.execute("DELETE FROM household_imports WHERE status = 'STAGING' AND created_at < %s", (cutoff,))
            return cur.rowcount

    def checkpoint(self, job_id: uuid.UUID, token: str, progress: Progress, errors: list[RowError],
                   seen: list[tuple[str, int]]) -> bool:
        """Keep the progress, the errors and the households seen since the last checkpoint, and renew
        the lease, in one transaction; False (and nothing kept) if the lease was lost to another runner."""
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE household_imports SET records_read = %s, imported = %s, already_registered = %s, failed = %s,"
                " lease_until = %s WHERE id = %s AND lease_token = %s AND status = 'RUNNING'",
                (progress.records_read, progress.imported, progress.already_registered, progress.failed,
                 time.time() + self.lease_seconds, str(job_id), token),
            )
            if cur.rowcount != 1:  # the lease is someone else's: keep nothing
                return False
            if errors:
                cur.executemany(
                    "INSERT INTO household_import_errors (import_id, row_number, column_name, code, message)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (import_id, row_number) DO NOTHING",
                    [(str(job_id), e.row, e.column, e.code, e.message) for e in errors],
                )
            if seen:
                cur.executemany(
                    "INSERT INTO household_import_seen (import_id, household_id, row_number) VALUES (%s, %s, %s)"
                    " ON CONFLICT (import_id, household_id) DO NOTHING",
                    [(str(job_id), household_id, row) for household_id, row in seen],
                )
        return True

    def first_row_naming(self, job_id: uuid.UUID, household_id: uuid.UUID) -> int | None:
        """The row (checkpointed) of this job that named this household first, if any."""
        row = self.store.query_one(
            "SELECT row_number FROM household_import_seen WHERE import_id = %s AND household_id = %s",
            (str(job_id), str(household_id)),
        )
        return None if row is None else int(row["row_number"])

    def finish(self, job_id: uuid.UUID, token: str) -> bool:
        """Mark the job SUCCEEDED and delete its file and working set (the file holds personal data)."""
        with self.store.transaction() as cur:
            cur.execute(
                "UPDATE household_imports SET status = 'SUCCEEDED', finished_at = %s, lease_token = NULL,"
                " lease_until = NULL WHERE id = %s AND lease_token = %s AND status = 'RUNNING'",
                (self.clock().isoformat(), str(job_id), token),
            )
            if cur.rowcount != 1:
                return False
            cur.execute("DELETE FROM household_import_chunks WHERE import_id = %s", (str(job_id),))
            cur.execute("DELETE FROM household_import_seen WHERE import_id = %s", (str(job_id),))
        return True

    # -- reads ------------------------------------------------------------------------------------

    def get(self, job_id: uuid.UUID) -> ImportJob | None:
        row = self.store.query_one("SELECT * FROM household_imports WHERE id = %s AND status <> 'STAGING'",
                                   (str(job_id),))
        return None if row is None else ImportJob.of(row)

    def recent(self, province: str | None, *, limit: int = 20) -> list[ImportJob]:
        """The newest jobs (staged uploads excluded) started for ``province`` (``SCHEME:CODE``, as
        jobs keep it), or of every province for None; newest first, at most ``limit``."""
        sql = "SELECT * FROM household_imports WHERE status <> 'STAGING'"
        params: list[Any] = []
        if province is not None:
            sql += " AND province = %s"
            params.append(province)
        sql += " ORDER BY created_at DESC, id LIMIT %s"
        params.append(limit)
        return [ImportJob.of(row) for row in self.store.query(sql, params)]

    def errors(self, job_id: uuid.UUID, *, after_row: int = 0, limit: int | None = None) -> list[RowError]:
        """The job's row errors in row order, after ``after_row``, at most ``limit`` (None: all)."""
        sql = ("SELECT row_number, column_name, code, message FROM household_import_errors"
               " WHERE import_id = %s AND row_number > %s ORDER BY row_number")
        params: list[Any] = [str(job_id), after_row]
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        return [RowError(int(r["row_number"]), r["column_name"], r["code"], r["message"])
                for r in self.store.query(sql, params)]

    def errors_csv(self, job_id: uuid.UUID) -> Iterator[str]:
        """The job's errors as CSV lines (``row,column,code,message``), read a page at a time."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row", "column", "code", "message"])
        yield out.getvalue()
        after = 0
        while page := self.errors(job_id, after_row=after, limit=1000):
            out.seek(0)
            out.truncate()
            for error in page:
                writer.writerow([error.row, error.column, error.code, error.message])
            yield out.getvalue()
            after = page[-1].row
