"""The key store: one AES-256 key per data subject, wrapped by the key-encryption key.

A data subject is a household (``household:<id>``), a buyer (``buyer:<random id>``, one per buyer
phone number, shared by all the buyer's orders), an export order's consignee (``export-order:<id>``)
or a webhook endpoint's secrets (``webhook:<id>``). Its key encrypts its personal fields in events,
snapshots and read models (``personal_cipher``). Keys are stored wrapped (AES-GCM under the
key-encryption key from ``FARMGATE_DATA_KEY``, the subject as associated data), so the database alone
decrypts nothing. Erasure destroys a key: the row stays as a tombstone (who may not get a new key,
and when it was erased), ``wrapped_key`` becomes NULL.

The table lives beside the events (SQLite or PostgreSQL; a private in-memory SQLite database for
the in-memory event store). Unwrapped keys are cached per process for ``cache_seconds``: an erasure
made by another process is in force here at most that much later (in this process at once).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
import uuid
from collections.abc import Iterable
from uuid import UUID
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from farmgate.core.database import ReadStore

KEYS_TABLE = "personal_data_keys"
BUYERS_TABLE = "personal_data_buyers"
STREAMS_TABLE = "personal_data_streams"
#: the development and test key-encryption key; production refuses it (deploy.settings)
DEVELOPMENT_DATA_KEY = "farmgate-development-data-key-not-for-production"
_NONCE_BYTES = 12


def key_encryption_key(secret: str) -> bytes:
    """The 256-bit key-encryption key derived (HKDF-SHA256) from ``FARMGATE_DATA_KEY``'s text."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"farmgate personal data kek v1").derive(
        secret.encode("utf-8"))


def kek_id(kek: bytes) -> str:
    """A short public name of a key-encryption key (which one wrapped a row; for rotation)."""
    return hashlib.sha256(b"farmgate kek id" + kek).hexdigest()[:16]


class SubjectErased(Exception):
    """The subject's key was destroyed: its personal data can be neither read nor written again."""


@dataclass(frozen=True)
class SubjectKeyRecord:
    subject: str
    created_at: str
    erased_at: str | None
    erased_by: str | None
    reason: str | None


class SubjectKeys:
    """Subject keys in the database, wrapped; see the module docstring."""

    def __init__(self, store: ReadStore, kek: bytes, *, previous_keks: tuple[bytes, ...] = (),
                 pepper: bytes = b"", cache_seconds: float = 5.0):
        self.store = store
        self._kek = kek
        self._keks = {kek_id(k): k for k in (kek, *previous_keks)}
        self._pepper = pepper
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()
        self._created = False
        self._noted: set[tuple[str, str]] = set()
        #: buyer subjects this process just created (``buyer_subject``): they have no key row yet
        self._minted: set[str] = set()

    def create_table(self) -> None:
        blob = "BYTEA" if self.store.dialect == "postgres" else "BLOB"
        with self.store.transaction() as cur:
            cur.execute(f"""CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (
                subject TEXT PRIMARY KEY,
                wrapped_key {blob},
                kek_id TEXT,
                created_at TEXT NOT NULL,
                erased_at TEXT,
                erased_by TEXT,
                reason TEXT
            )""")
            cur.execute(f"""CREATE TABLE IF NOT EXISTS {BUYERS_TABLE} (
                phone_digest TEXT PRIMARY KEY,
                subject TEXT NOT NULL
            )""")
            cur.execute(f"CREATE INDEX IF NOT EXISTS {BUYERS_TABLE}_subject ON {BUYERS_TABLE} (subject)")
            cur.execute(f"""CREATE TABLE IF NOT EXISTS {STREAMS_TABLE} (
                subject TEXT NOT NULL,
                stream_id TEXT NOT NULL,
                PRIMARY KEY (subject, stream_id)
            )""")
        self._created = True

    def tables_migrated(self) -> None:
        """The key store's tables exist (``farmgate migrate``, core/migrations/0003): skip the
        ``create_table`` that otherwise runs at first use (kept for a bare ``Farmgate`` in unit tests)."""
        self._created = True

    def _ensure_table(self) -> None:
        if not self._created:
            self.create_table()

    # -- wrapping ----------------------------------------------------------------------------------

    def _wrap(self, subject: str, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + AESGCM(self._kek).encrypt(nonce, key, subject.encode())

    def _unwrap(self, subject: str, wrapped: bytes, wrapped_by: str | None) -> bytes:
        kek = self._keks.get(wrapped_by or "")
        if kek is None:
            raise RuntimeError("A subject key is wrapped by a key-encryption key this process does not hold"
                               " (set FARMGATE_DATA_KEY_PREVIOUS while rotating)")
        wrapped = bytes(wrapped)
        return AESGCM(kek).decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], subject.encode())

    # -- keys ----------------------------------------------------------------------------------------

    def key_for_sealing(self, subject: str, stream_id: Any = None) -> bytes:
        """The subject's key, made on first use, noting that ``stream_id`` holds its data (one
        statement for a subject this process just minted, ``buyer_subject``; a read first for any
        other subject not cached; none when both are known to this process). Raises SubjectErased
        if the key was destroyed."""
        noted = stream_id is None or (subject, str(stream_id)) in self._noted
        with self._lock:
            fresh = subject in self._minted
        key = None if fresh else self.key_for_opening(subject)
        if key is not None and noted:
            return key
        self._ensure_table()
        if key is None:
            key = self._make_key(subject, None if noted else stream_id)
        elif not noted:
            with self.store.statement() as cur:
                cur.execute(f"INSERT INTO {STREAMS_TABLE} (subject, stream_id) VALUES (%s, %s)"
                            " ON CONFLICT (subject, stream_id) DO NOTHING", (subject, str(stream_id)))
        with self._lock:
            self._minted.discard(subject)
            self._cache[subject] = (time.monotonic() + self._cache_seconds, key)
            if not noted:
                if len(self._noted) >= 100_000:  # a bound, not a record: forgetting costs one idempotent insert
                    self._noted.clear()
                self._noted.add((subject, str(stream_id)))
        return key

    def _make_key(self, subject: str, stream_id: Any) -> bytes:
        """A new key for ``subject`` (and the note that ``stream_id`` holds its data, unless None),
        or the key another process made first; SubjectErased if it was destroyed. On PostgreSQL the
        common case, no row yet, is one statement; otherwise one transaction."""
        wrapped = self._wrap(subject, AESGCM.generate_key(bit_length=256))
        values = (subject, wrapped, kek_id(self._kek), datetime.now(timezone.utc).isoformat())
        insert_key = (f"INSERT INTO {KEYS_TABLE} (subject, wrapped_key, kek_id, created_at) VALUES (%s, %s, %s, %s)"
                      " ON CONFLICT (subject) DO NOTHING")
        if self.store.dialect == "postgres":
            # The stream is noted only if this key was inserted (an erased subject notes nothing).
            note = "" if stream_id is None else (
                f", noted AS (INSERT INTO {STREAMS_TABLE} (subject, stream_id) SELECT %s, %s FROM made"
                " ON CONFLICT (subject, stream_id) DO NOTHING)")
            params = values if stream_id is None else (*values, subject, str(stream_id))
            with self.store.statement() as cur:
                made = cur.execute(f"WITH made AS ({insert_key} RETURNING subject){note}"
                                   " SELECT subject FROM made", params).fetchone()
            if made is not None:
                return self._unwrap(subject, wrapped, kek_id(self._kek))
        with self.store.transaction() as cur:
            cur.execute(insert_key, values)
            row = cur.execute(f"SELECT wrapped_key, kek_id FROM {KEYS_TABLE} WHERE subject = %s",
                              (subject,)).fetchone()
            if row is None or row["wrapped_key"] is None:
                raise SubjectErased(subject)
            if stream_id is not None:
                cur.execute(f"INSERT INTO {STREAMS_TABLE} (subject, stream_id) VALUES (%s, %s)"
                            " ON CONFLICT (subject, stream_id) DO NOTHING", (subject, str(stream_id)))
            return self._unwrap(subject, row["wrapped_key"], row["kek_id"])

    def clear_cache(self) -> None:
        """Forget every key this process cached: the next opening reads the key store again."""
        with self._lock:
            self._cache.clear()

    def prefetch(self, subjects: Iterable[str]) -> None:
        """Load the keys of ``subjects`` in one query, cached afresh for the cache's lifetime, so a page
        of rows opens its tokens with no query per subject. Every subject is read again, cached or not:
        a key cached a moment earlier could lapse while the page is revealed (then each row would cost a
        query of its own), and a page costs the same one query however warm the cache. Subjects
        without a row stay uncached."""
        now = time.monotonic()
        missing = sorted(set(subjects))
        if not missing:
            return
        self._ensure_table()
        rows = self.store.query(f"SELECT subject, wrapped_key, kek_id FROM {KEYS_TABLE} WHERE subject IN"
                                f" ({', '.join(['%s'] * len(missing))})", missing)
        loaded = {row["subject"]: None if row["wrapped_key"] is None else self._unwrap(
            row["subject"], row["wrapped_key"], row["kek_id"]) for row in rows}
        with self._lock:
            for subject, key in loaded.items():
                self._cache[subject] = (now + self._cache_seconds, key)

    def key_for_opening(self, subject: str) -> bytes | None:
        """The subject's key, or None when it has none (never made, or destroyed)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(subject)
        if cached is not None and cached[0] > now:
            return cached[1]
        self._ensure_table()
        row = self.store.query_one(f"SELECT wrapped_key, kek_id FROM {KEYS_TABLE} WHERE subject = %s", (subject,))
        key = None if row is None or row["wrapped_key"] is None else self._unwrap(
            subject, row["wrapped_key"], row["kek_id"])
        if row is not None:  # a subject that has no row yet may get one any moment: do not cache that
            with self._lock:
                self._cache[subject] = (now + self._cache_seconds, key)
        return key

    def _forget(self, subject: str) -> None:
        with self._lock:
            self._cache.pop(subject, None)

    def erase(self, subject: str, *, erased_at: datetime, erased_by: str, reason: str) -> bool:
        """Destroy the subject's key (and, for a buyer, the phone digest that found it). False if it
        was already erased. A subject that never had a key gets a tombstone, so none is made later."""
        self._ensure_table()
        with self.store.transaction() as cur:
            row = cur.execute(f"SELECT erased_at FROM {KEYS_TABLE} WHERE subject = %s{self.store.lock_clause()}",
                              (subject,)).fetchone()
            if row is not None and row["erased_at"] is not None:
                return False
            if row is None:
                cur.execute(
                    f"INSERT INTO {KEYS_TABLE} (subject, wrapped_key, kek_id, created_at, erased_at, erased_by, reason)"
                    " VALUES (%s, NULL, NULL, %s, %s, %s, %s)",
                    (subject, erased_at.isoformat(), erased_at.isoformat(), erased_by, reason),
                )
            else:
                cur.execute(
                    f"UPDATE {KEYS_TABLE} SET wrapped_key = NULL, kek_id = NULL, erased_at = %s, erased_by = %s,"
                    " reason = %s WHERE subject = %s",
                    (erased_at.isoformat(), erased_by, reason, subject),
                )
            cur.execute(f"DELETE FROM {BUYERS_TABLE} WHERE subject = %s", (subject,))
        self._forget(subject)
        return True

    def record(self, subject: str) -> SubjectKeyRecord | None:
        """What the key store holds about a subject (never the key)."""
        self._ensure_table()
        row = self.store.query_one(
            f"SELECT subject, created_at, erased_at, erased_by, reason FROM {KEYS_TABLE} WHERE subject = %s", (subject,))
        return None if row is None else SubjectKeyRecord(**row)

    def rewrap(self) -> int:
        """Wrap every live key under the current key-encryption key (after FARMGATE_DATA_KEY changed,
        with the old one in FARMGATE_DATA_KEY_PREVIOUS). Returns how many rows were rewrapped."""
        self._ensure_table()
        current = kek_id(self._kek)
        rows = self.store.query(
            f"SELECT subject, wrapped_key, kek_id FROM {KEYS_TABLE} WHERE wrapped_key IS NOT NULL AND kek_id <> %s",
            (current,))
        for row in rows:
            key = self._unwrap(row["subject"], row["wrapped_key"], row["kek_id"])
            with self.store.transaction() as cur:
                cur.execute(f"UPDATE {KEYS_TABLE} SET wrapped_key = %s, kek_id = %s WHERE subject = %s"
                            " AND wrapped_key IS NOT NULL", (self._wrap(row["subject"], key), current, row["subject"]))
        return len(rows)

    def live_subjects(self, prefix: str) -> list[str]:
        """Subjects whose id starts with ``prefix`` ("buyer:") and whose key is not destroyed."""
        self._ensure_table()
        rows = self.store.query(f"SELECT subject FROM {KEYS_TABLE} WHERE subject LIKE %s AND erased_at IS NULL"
                                " ORDER BY subject", (prefix + "%",))
        return [str(r["subject"]) for r in rows]

    # -- which streams hold a subject's data --------------------------------------------------------

    def streams_of(self, subject: str) -> list[UUID]:
        """The streams noted as holding the subject's personal data."""
        self._ensure_table()
        rows = self.store.query(f"SELECT stream_id FROM {STREAMS_TABLE} WHERE subject = %s ORDER BY stream_id",
                                (subject,))
        return [UUID(r["stream_id"]) for r in rows]

    def note_stream(self, subject: str, stream_id: Any) -> None:
        """Note that ``stream_id`` holds (or is about to hold) the subject's personal data: erasure and
        the subject's export then cover it, and its sealing finds the subject (``subject_of_stream``)."""
        self._ensure_table()
        with self.store.transaction() as cur:
            cur.execute(f"INSERT INTO {STREAMS_TABLE} (subject, stream_id) VALUES (%s, %s)"
                        " ON CONFLICT (subject, stream_id) DO NOTHING", (subject, str(stream_id)))

    def subject_of_stream(self, stream_id: Any, prefix: str) -> str | None:
        """The subject whose id starts with ``prefix`` ("buyer:") noted for ``stream_id``, or None."""
        self._ensure_table()
        row = self.store.query_one(f"SELECT subject FROM {STREAMS_TABLE} WHERE stream_id = %s AND subject LIKE %s"
                                   " ORDER BY subject LIMIT 1", (str(stream_id), prefix + "%"))
        return None if row is None else str(row["subject"])

    # -- buyers ----------------------------------------------------------------------------------------

    def buyer_key_for_sealing(self, phone: str, stream_id: Any) -> tuple[str, bytes | None]:
        """``buyer_subject(phone)`` and ``key_for_sealing`` of it for ``stream_id`` together: the
        subject and its key (None once destroyed: what would be its data is not kept). On PostgreSQL
        one statement finds the buyer with its key, or creates both, and notes the stream (under a
        live key only). Anything else (SQLite, a race with another process creating the same buyer,
        a buyer without a key row) goes the two calls' way."""
        if self.store.dialect == "postgres":
            found = self._buyer_key_at_once(phone, stream_id)
            if found is not None:
                return found
        subject = self.buyer_subject(phone)
        try:
            return subject, self.key_for_sealing(subject, stream_id)
        except SubjectErased:
            return subject, None

    def _buyer_key_at_once(self, phone: str, stream_id: Any) -> tuple[str, bytes | None] | None:
        self._ensure_table()
        subject = f"buyer:{uuid.uuid4()}"
        kek = kek_id(self._kek)
        key: bytes | None = AESGCM.generate_key(bit_length=256)
        assert key is not None
        # found: the buyer's subject and key row, if it has them; minted: a new subject and key when
        # the phone has none (nothing when another process inserts it first: then None below);
        # noted: the stream, under a live key found or the one made.
        row = self.store_statement(
            f"""WITH found AS (
                SELECT b.subject, k.wrapped_key, k.kek_id, k.subject IS NOT NULL AS has_key
                FROM {BUYERS_TABLE} b LEFT JOIN {KEYS_TABLE} k ON k.subject = b.subject WHERE b.phone_digest = %s),
            buyer AS (
                INSERT INTO {BUYERS_TABLE} (phone_digest, subject) SELECT %s, %s WHERE NOT EXISTS (SELECT 1 FROM found)
                ON CONFLICT (phone_digest) DO NOTHING RETURNING subject),
            minted AS (
                INSERT INTO {KEYS_TABLE} (subject, wrapped_key, kek_id, created_at) SELECT subject, %s, %s, %s FROM buyer
                ON CONFLICT (subject) DO NOTHING RETURNING subject),
            noted AS (
                INSERT INTO {STREAMS_TABLE} (subject, stream_id)
                SELECT subject, %s FROM minted UNION SELECT subject, %s FROM found WHERE wrapped_key IS NOT NULL
                ON CONFLICT (subject, stream_id) DO NOTHING)
            SELECT subject, wrapped_key, kek_id, has_key, FALSE AS made FROM found
            UNION ALL SELECT subject, NULL, NULL, TRUE, TRUE FROM minted""",
            (self._digest(phone), self._digest(phone), subject, self._wrap(subject, key), kek,
             datetime.now(timezone.utc).isoformat(), str(stream_id), str(stream_id)))
        if row is None or not row["has_key"]:
            return None
        found_subject = str(row["subject"])
        if not row["made"]:
            key = None if row["wrapped_key"] is None else self._unwrap(found_subject, row["wrapped_key"], row["kek_id"])
        with self._lock:
            self._cache[found_subject] = (time.monotonic() + self._cache_seconds, key)
            if key is not None:
                if len(self._noted) >= 100_000:
                    self._noted.clear()
                self._noted.add((found_subject, str(stream_id)))
        return found_subject, key

    def store_statement(self, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        """The first row of one statement that may write (``ReadStore.statement``)."""
        with self.store.statement() as cur:
            return cur.execute(sql, params).fetchone()

    def _digest(self, phone: str) -> str:
        return hmac.new(self._pepper, b"buyer-phone:" + phone.encode(), hashlib.sha256).hexdigest()

    def buyer_subject(self, phone: str) -> str:
        """The data subject of the buyer with this phone number (E.164): one per buyer, shared by all
        its orders, a random id (not derived from the number, so it tells nothing once erased). The
        link phone digest -> subject is deleted on erasure: a later order of that number is a new subject."""
        self._ensure_table()
        digest = self._digest(phone)
        row = self.store.query_one(f"SELECT subject FROM {BUYERS_TABLE} WHERE phone_digest = %s", (digest,))
        if row is not None:
            return str(row["subject"])
        with self.store.statement() as cur:
            row = cur.execute(f"INSERT INTO {BUYERS_TABLE} (phone_digest, subject) VALUES (%s, %s)"
                              " ON CONFLICT (phone_digest) DO NOTHING RETURNING subject",
                              (digest, f"buyer:{uuid.uuid4()}")).fetchone()
        if row is not None:
            # Minted here: a random subject nobody else has seen has no key row to look for.
            with self._lock:
                if len(self._minted) >= 10_000:
                    self._minted.clear()
                self._minted.add(str(row["subject"]))
            return str(row["subject"])
        row = self.store.query_one(f"SELECT subject FROM {BUYERS_TABLE} WHERE phone_digest = %s", (digest,))
        assert row is not None
        return str(row["subject"])
