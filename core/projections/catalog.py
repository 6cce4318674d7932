"""Storefront directory (with the store locator) and listing catalog (with Vietnamese search).

Search folds case and accents so "vai thieu", "VẢI THIỀU" and "Vải thiều" are one query, "đ"
matches "d", and every query word must start a word of the title or description (prefixes, not
fuzzy similarity: "vai thieu" must never find durian). On PostgreSQL the folding is SQL
(``unaccent``) into stored folded columns; on SQLite it is the same
folding in Python. Titles rank above description-only matches, and pages are keyset-paginated on
(rank, publication position), both immutable per row, so inserts never shift a page.

PostgreSQL finds the candidates through a GIN index over every word's prefixes (1 to
``PREFIX_CHARS`` characters) of the folded text: a query word is one exact key, so the index hands
over the matches themselves, not the trigram candidates of a pattern (a common trigram such as
" va" lists most of the catalog). The LIKE conditions stay as the definition of a match on both
backends; the prefix test is a superset of them that the index can answer. Ranking and counting
read narrow rows; only the page's rows are read whole.

The locator range-scans an index on (latitude, longitude) for a box around the circle, then
measures exact great-circle distances in Python — never a scan of every storefront — and decodes
(opening hours, sealed street) only the storefronts it returns or must test for ``open_now``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from farmgate.core.application import Clock, utc_now
from farmgate.core.database import Cursor, ReadStore
from farmgate.core.domain.canonical_text import cursor_position
from farmgate.core.domain.errors import InvalidInput, LimitExceeded
from farmgate.core.domain.folding import fold
from farmgate.core.domain.geo import BoundingBox, distance_km
from farmgate.core.domain.opening_hours import OpeningHours
from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.storefront import open_at
from farmgate.core.personal_cipher import reveal, stored_form
from farmgate.core.personal_keys import SubjectKeys
from farmgate.core.projections.area_sql import area_clause
from farmgate.core.projections.base import Projection
from farmgate.core.projections.households import iso

STOREFRONTS = "storefront_directory_v1"
# Households' addresses as this projection saw them registered: a storefront's address is its
# household's, and reading another projection's table would couple the two rebuilds.
HOUSEHOLD_ADDRESSES = "storefront_household_address_v1"
# A storefront's own contact number, when it gave one (else the household's is its contact). A table
# of its own, added after storefronts without one were projected: nothing to rebuild.
STOREFRONT_CONTACTS = "storefront_contact_v1"
LISTINGS = "listing_catalog_v2"
LISTING_CERTIFICATIONS = "listing_certification_v2"
# Storefront status as the catalog saw it, so listings of a closed storefront drop out of search.
LISTING_STOREFRONTS = "listing_storefront_status_v2"
# PostgreSQL's search index: the word prefixes of the folded title and description (v2; v1 had a
# trigram index the planner answered with the candidates of common trigrams).
LISTINGS_SEARCH_INDEX = f"{LISTINGS}_word_prefixes"

MAX_SEARCH_WORDS = 8
MAX_SEARCH_LENGTH = 200
MAX_RADIUS_KM = 1000.0
# The locator's first ring; it grows fourfold until it holds enough storefronts or reaches the radius.
FIRST_RING_KM = 2.0

_WORD = re.compile(r"[^\W_]+")

# The SQL twin of ``search_text``: unaccent does what NFD-and-strip does in Python (đ → d too).
# Naming the dictionary removes the search_path dependence that makes unaccent only STABLE, so the
# wrapper may be IMMUTABLE; should unaccent's rules file ever change, rebuild this projection.
FOLD_FUNCTION = """CREATE OR REPLACE FUNCTION farmgate_fold(value TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT ' ' || btrim(regexp_replace(
        lower(public.unaccent('public.unaccent'::regdictionary, value)), '[^[:alnum:]]+', ' ', 'g')) || ' '
$$"""

#: The longest word prefix the search index keeps; a longer query word is looked up by its first
#: PREFIX_CHARS characters and the LIKE conditions decide.
PREFIX_CHARS = 12

# Every prefix (1 to PREFIX_CHARS characters) of every word of an already folded text (words between
# single spaces, as farmgate_fold writes them). Duplicates are left in: GIN keeps each key once.
PREFIXES_FUNCTION = f"""CREATE OR REPLACE FUNCTION farmgate_word_prefixes(folded TEXT) RETURNS TEXT[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT ARRAY(SELECT left(word, n) FROM unnest(string_to_array(btrim(folded), ' ')) AS word,
                 generate_series(1, least(length(word), {PREFIX_CHARS})) AS n)
$$"""

# The keys a query word must find: the words farmgate_fold makes of it, cut to PREFIX_CHARS. Every
# row whose folded text LIKE-matches the word holds all of them (the word's words start words of
# the row), so the index test never drops a match; it may keep a few the LIKE then refuses.
QUERY_PREFIXES_FUNCTION = f"""CREATE OR REPLACE FUNCTION farmgate_query_prefixes(value TEXT) RETURNS TEXT[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT ARRAY(SELECT left(word, {PREFIX_CHARS})
                 FROM unnest(string_to_array(btrim(farmgate_fold(value)), ' ')) AS word WHERE word <> '')
$$"""

# Whether the index test of a query word is exactly its LIKE: the word folds to one word of at most
# PREFIX_CHARS characters, whose LIKE ('% word%' over words between single spaces) holds exactly
# when a word of the row starts with it. On a constant the planner folds this to true or false, so
# an exact word leaves no LIKE behind to recheck each match and to skew the row estimate.
EXACT_QUERY_FUNCTION = f"""CREATE OR REPLACE FUNCTION farmgate_query_is_one_prefix(value TEXT) RETURNS BOOLEAN
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT cardinality(farmgate_query_prefixes(value)) = 1
       AND length(btrim(farmgate_fold(value))) <= {PREFIX_CHARS}
$$"""


def search_words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def search_text(text: str) -> str:
    """Folded words between single spaces, with a space at each end so ' word' marks a word start."""
    return " " + " ".join(search_words(text)) + " "


def sortable_utc(value: datetime) -> str:
    """One fixed-width UTC form, so text comparison in SQL is time comparison on both dialects."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def word_pattern(dialect: str, words: str) -> tuple[str, str]:
    """SQL for a LIKE pattern matching ``words`` (folded, space-separated) at a word start, and its
    parameter."""
    if dialect == "postgres":
        # Fold the query with the same SQL that folded the rows, so the two always agree.
        return "('%%' || rtrim(farmgate_fold(%s)) || '%%')", words
    return "%s", f"% {words}%"


def search_condition(dialect: str, words: Sequence[str]) -> tuple[str, list[str]]:
    """SQL over the listing table aliased ``l`` (and its parameters) for the rows where every word of
    ``words`` (``search_words`` of the query) starts a word of the title or description.

    On PostgreSQL each word is tested against the word-prefix index (a superset of its LIKE, see the
    top of the module), which the planner answers from the index; the LIKE is kept only for a word
    the index cannot decide alone (one that folds to several words or to more than PREFIX_CHARS).
    """
    terms, params = [], []
    for word in words:
        pattern, value = word_pattern(dialect, word)
        if dialect == "postgres":
            terms.append("farmgate_word_prefixes(l.search_text) @> farmgate_query_prefixes(%s)"
                         f" AND (farmgate_query_is_one_prefix(%s) OR l.search_text LIKE {pattern})")
            params += [word, word, value]
        else:
            terms.append(f"l.search_text LIKE {pattern}")
            params.append(value)
    return " AND ".join(terms) or "1 = 1", params


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


# ---------------------------------------------------------------------------------------------
# Storefront directory


class StorefrontDirectory(Projection):
    name = "storefront_directory"
    version = 1
    tables = (STOREFRONTS, HOUSEHOLD_ADDRESSES, STOREFRONT_CONTACTS)

    COLUMNS = (
        "id", "household_id", "marketplace", "name", "status", "latitude", "longitude", "opening_hours",
        "scheme", "province_code", "district_code", "ward_code", "street", "opened_at", "version", "position",
    )

    def ddl(self, dialect: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {HOUSEHOLD_ADDRESSES} (
                id TEXT PRIMARY KEY,
                scheme INTEGER NOT NULL,
                province_code TEXT NOT NULL,
                district_code TEXT,
                ward_code TEXT,
                street TEXT
            )""",
            f"""CREATE TABLE IF NOT EXISTS {STOREFRONT_CONTACTS} (
                id TEXT PRIMARY KEY,
                phone TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {STOREFRONTS} (
                id TEXT PRIMARY KEY,
                household_id TEXT NOT NULL,
                marketplace TEXT NOT NULL,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                latitude DOUBLE PRECISION NOT NULL,
                longitude DOUBLE PRECISION NOT NULL,
                opening_hours TEXT NOT NULL,
                scheme INTEGER,
                province_code TEXT,
                district_code TEXT,
                ward_code TEXT,
                street TEXT,
                opened_at TEXT NOT NULL,
                version INTEGER NOT NULL,
                position BIGINT NOT NULL
            )""",
            # The locator's box scan; only OPEN storefronts are ever located.
            f"CREATE INDEX IF NOT EXISTS {STOREFRONTS}_located ON {STOREFRONTS} (latitude, longitude)"
            " WHERE status = 'OPEN'",
            f"CREATE INDEX IF NOT EXISTS {STOREFRONTS}_household ON {STOREFRONTS} (household_id)",
            f"CREATE INDEX IF NOT EXISTS {STOREFRONTS}_area ON {STOREFRONTS}"
            " (province_code, district_code, ward_code, position)",
            f"CREATE INDEX IF NOT EXISTS {STOREFRONTS}_marketplace ON {STOREFRONTS} (marketplace, position)",
            f"CREATE INDEX IF NOT EXISTS {STOREFRONTS}_position ON {STOREFRONTS} (position)",
        ]

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {
            "Household.Registered": self.household_registered,
            "Storefront.Opened": self.opened,
            "Storefront.ClosedTemporarily": self._status("TEMPORARILY_CLOSED"),
            "Storefront.Closed": self._status("CLOSED"),
            "Storefront.Reopened": self._status("OPEN"),
        }

    def household_registered(self, cur: Cursor, e: Any, position: int) -> None:
        a = e.address
        cur.execute(
            f"INSERT INTO {HOUSEHOLD_ADDRESSES} (id, scheme, province_code, district_code, ward_code, street)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), a["scheme"], a["province_code"], a.get("district_code"), a.get("ward_code"),
             stored_form(e, "address.street")),
        )

    @classmethod
    def insert_sql(cls) -> str:
        """The one INSERT of a storefront row (the benchmark bulk-loads through it too)."""
        return f"INSERT INTO {STOREFRONTS} ({', '.join(cls.COLUMNS)}) VALUES ({_in(cls.COLUMNS)})"

    @classmethod
    def insert_params(cls, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row.get(column) for column in cls.COLUMNS)

    def opened(self, cur: Cursor, e: Any, position: int) -> None:
        address = cur.execute(
            f"SELECT scheme, province_code, district_code, ward_code, street FROM {HOUSEHOLD_ADDRESSES} WHERE id = %s",
            (str(e.household_id),),
        ).fetchone() or {}
        row = dict(
            address,
            id=str(e.originator_id), household_id=str(e.household_id), marketplace=e.marketplace, name=e.name,
            status="OPEN", latitude=e.location["latitude"], longitude=e.location["longitude"],
            opening_hours=json.dumps(e.opening_hours), opened_at=iso(e.occurred_at),
            version=e.originator_version, position=position,
        )
        cur.execute(self.insert_sql(), self.insert_params(row))
        contact_phone = getattr(e, "contact_phone", None)  # absent from events before it existed
        if contact_phone:
            cur.execute(f"INSERT INTO {STOREFRONT_CONTACTS} (id, phone) VALUES (%s, %s)",
                        (str(e.originator_id), stored_form(e, "contact_phone")))

    def _status(self, status: str) -> Callable[[Cursor, Any, int], None]:
        def handler(cur: Cursor, e: Any, position: int) -> None:
            cur.execute(
                f"UPDATE {STOREFRONTS} SET status = %s, version = %s WHERE id = %s",
                (status, e.originator_version, str(e.originator_id)),
            )

        return handler


# ---------------------------------------------------------------------------------------------
# Listing catalog


class ListingCatalog(Projection):
    name = "listing_catalog"
    # v2: the word-prefix search index replaces the trigram index (PostgreSQL; same rows on SQLite)
    version = 2
    tables = (LISTINGS, LISTING_CERTIFICATIONS, LISTING_STOREFRONTS)

    COLUMNS = (
        "id", "storefront_id", "household_id", "marketplace", "scheme", "province_code", "district_code",
        "title", "description", "category", "unit", "price_amount", "price_currency", "stock_quantity",
        "status", "storefront_status", "shelf_life_hours", "certifications", "campaign_id", "published_at",
        "version", "position",
    )

    def ddl(self, dialect: str) -> list[str]:
        statements = []
        if dialect == "postgres":
            statements += [
                # unaccent (and pg_trgm, which v1 used): created by `farmgate migrate` (core/migrations/0002)
                FOLD_FUNCTION,
                PREFIXES_FUNCTION,
                QUERY_PREFIXES_FUNCTION,
                EXACT_QUERY_FUNCTION,
            ]
        statements += [
            f"""CREATE TABLE IF NOT EXISTS {LISTING_STOREFRONTS} (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {LISTINGS} (
                id TEXT PRIMARY KEY,
                storefront_id TEXT NOT NULL,
                household_id TEXT NOT NULL,
                marketplace TEXT NOT NULL,
                scheme INTEGER NOT NULL,
                province_code TEXT NOT NULL,
                district_code TEXT,
                title TEXT NOT NULL,
                description TEXT,
                category TEXT NOT NULL,
                unit TEXT NOT NULL,
                price_amount TEXT NOT NULL,
                price_currency TEXT NOT NULL,
                stock_quantity INTEGER NOT NULL,
                status TEXT NOT NULL,
                storefront_status TEXT NOT NULL,
                shelf_life_hours INTEGER NOT NULL,
                certifications TEXT NOT NULL,
                campaign_id TEXT,
                published_at TEXT NOT NULL,
                title_search TEXT NOT NULL,
                search_text TEXT NOT NULL,
                version INTEGER NOT NULL,
                position BIGINT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {LISTING_CERTIFICATIONS} (
                listing_id TEXT NOT NULL,
                certification_id TEXT NOT NULL,
                scheme TEXT NOT NULL,
                valid_until TEXT NOT NULL,
                PRIMARY KEY (listing_id, certification_id)
            )""",
            f"CREATE INDEX IF NOT EXISTS {LISTINGS}_position ON {LISTINGS} (status, position)",
            f"CREATE INDEX IF NOT EXISTS {LISTINGS}_category ON {LISTINGS} (category, position)",
            f"CREATE INDEX IF NOT EXISTS {LISTINGS}_province ON {LISTINGS} (province_code, position)",
            f"CREATE INDEX IF NOT EXISTS {LISTINGS}_marketplace ON {LISTINGS} (marketplace, position)",
            f"CREATE INDEX IF NOT EXISTS {LISTINGS}_storefront ON {LISTINGS} (storefront_id, position)",
            f"CREATE INDEX IF NOT EXISTS {LISTINGS}_household ON {LISTINGS} (household_id)",
            f"CREATE INDEX IF NOT EXISTS {LISTING_CERTIFICATIONS}_scheme"
            f" ON {LISTING_CERTIFICATIONS} (scheme, valid_until)",
        ]
        if dialect == "postgres":
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {LISTINGS_SEARCH_INDEX} ON {LISTINGS}"
                # A small pending list (256 kB, not 4 MB): every search reads the whole list of keys
                # not yet merged, until a vacuum or the limit merges them; with fastupdate off each
                # listing's ~50 keys would cost its INSERT 3 to 5 times more (measured).
                " USING gin (farmgate_word_prefixes(search_text)) WITH (gin_pending_list_limit = 256)"
                # Not partial (WHERE status = 'ACTIVE' AND storefront_status = 'OPEN'), though only the
                # public catalog is searched: that saved a fifth of the heap visits but PostgreSQL 15
                # then estimated 2 matches for 9,297 and joined the certifications by a nested loop
                # (34,000 buffers instead of 5,000).
            )
        return statements

    def handlers(self) -> dict[str, Callable[[Cursor, Any, int], None]]:
        return {
            "Storefront.Opened": self.storefront_opened,
            "Storefront.ClosedTemporarily": self._storefront_status("TEMPORARILY_CLOSED"),
            "Storefront.Closed": self._storefront_status("CLOSED"),
            "Storefront.Reopened": self._storefront_status("OPEN"),
            "Listing.Published": self.published,
            "Listing.StockAdjusted": self.stock_changed,
            "Listing.StockReserved": self.stock_changed,
            "Listing.StockReleased": self.stock_changed,
            "Listing.SoldOut": self._status("SOLD_OUT"),
            "Listing.BackInStock": self._status("ACTIVE"),
            "Listing.Paused": self._status("PAUSED"),
            "Listing.Resumed": self.resumed,
            "Listing.Delisted": self._status("DELISTED"),
            "Listing.PriceChanged": self.price_changed,
        }

    # -- storefront status -----------------------------------------------------------------------

    def storefront_opened(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(f"INSERT INTO {LISTING_STOREFRONTS} (id, status) VALUES (%s, 'OPEN')", (str(e.originator_id),))

    def _storefront_status(self, status: str) -> Callable[[Cursor, Any, int], None]:
        def handler(cur: Cursor, e: Any, position: int) -> None:
            storefront_id = str(e.originator_id)
            cur.execute(f"UPDATE {LISTING_STOREFRONTS} SET status = %s WHERE id = %s", (status, storefront_id))
            cur.execute(f"UPDATE {LISTINGS} SET storefront_status = %s WHERE storefront_id = %s", (status, storefront_id))

        return handler

    # -- listings --------------------------------------------------------------------------------

    @classmethod
    def insert_sql(cls, dialect: str) -> str:
        """The one INSERT of a listing row (the benchmark bulk-loads through it too).

        Parameters: the COLUMNS, then the title and the title with description to fold.
        """
        folded = "farmgate_fold(%s)" if dialect == "postgres" else "%s"
        return (
            f"INSERT INTO {LISTINGS} ({', '.join(cls.COLUMNS)}, title_search, search_text)"
            f" VALUES ({_in(cls.COLUMNS)}, {folded}, {folded})"
        )

    @classmethod
    def insert_params(cls, dialect: str, row: dict[str, Any]) -> tuple[Any, ...]:
        title, whole = row["title"], f"{row['title']}\n{row.get('description') or ''}"
        if dialect != "postgres":
            title, whole = search_text(title), search_text(whole)
        return (*(row.get(column) for column in cls.COLUMNS), title, whole)

    @staticmethod
    def certification_sql() -> str:
        return (
            f"INSERT INTO {LISTING_CERTIFICATIONS} (listing_id, certification_id, scheme, valid_until)"
            " VALUES (%s, %s, %s, %s)"
        )

    def published(self, cur: Cursor, e: Any, position: int) -> None:
        listing_id = str(e.originator_id)
        storefront = cur.execute(
            f"SELECT status FROM {LISTING_STOREFRONTS} WHERE id = %s", (str(e.storefront_id),)
        ).fetchone()
        certifications = [
            {"id": str(c["certification_id"]), "scheme": c["scheme"], "valid_until": iso(c["valid_until"])}
            for c in e.certifications
        ]
        row = {
            "id": listing_id, "storefront_id": str(e.storefront_id), "household_id": str(e.household_id),
            "marketplace": e.marketplace, "scheme": e.address_scheme, "province_code": e.province_code,
            "district_code": e.district_code, "title": e.title, "description": e.description,
            "category": e.category, "unit": e.unit, "price_amount": e.unit_price["amount"],
            "price_currency": e.unit_price["currency"], "stock_quantity": e.stock_quantity, "status": "ACTIVE",
            "storefront_status": storefront["status"] if storefront else "OPEN",
            "shelf_life_hours": e.shelf_life_hours, "certifications": json.dumps(certifications),
            "campaign_id": None if e.campaign_id is None else str(e.campaign_id),
            "published_at": iso(e.occurred_at), "version": e.originator_version, "position": position,
        }
        cur.execute(self.insert_sql(cur.dialect), self.insert_params(cur.dialect, row))
        for c in e.certifications:
            cur.execute(
                self.certification_sql(),
                (listing_id, str(c["certification_id"]), c["scheme"], sortable_utc(c["valid_until"])),
            )

    def stock_changed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"UPDATE {LISTINGS} SET stock_quantity = %s, version = %s WHERE id = %s",
            (e.stock_quantity, e.originator_version, str(e.originator_id)),
        )

    def _status(self, status: str) -> Callable[[Cursor, Any, int], None]:
        def handler(cur: Cursor, e: Any, position: int) -> None:
            cur.execute(
                f"UPDATE {LISTINGS} SET status = %s, version = %s WHERE id = %s",
                (status, e.originator_version, str(e.originator_id)),
            )

        return handler

    def resumed(self, cur: Cursor, e: Any, position: int) -> None:
        self._status(e.status)(cur, e, position)

    def price_changed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            f"UPDATE {LISTINGS} SET price_amount = %s, price_currency = %s, version = %s WHERE id = %s",
            (e.unit_price["amount"], e.unit_price["currency"], e.originator_version, str(e.originator_id)),
        )


# ---------------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True)
class NearbyStorefront:
    storefront: dict[str, Any]
    distance_km: float


def _page_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidInput("first must not be negative", ["first"])
    return limit


class CatalogQueries:
    """Queries the storefront directory and the listing catalog answer; scope filters come in as
    plain arguments. ``now`` (for opening hours and certificate validity) defaults to the clock."""

    def __init__(self, store: ReadStore, keys: SubjectKeys, clock: Clock = utc_now):
        self.store = store
        self.keys = keys
        self.clock = clock

    # -- storefronts -----------------------------------------------------------------------------

    def _storefront(self, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        row = dict(row)
        row["street"] = reveal(self.keys, row["street"])  # the household's street: sealed
        row["opening_hours"] = json.loads(row["opening_hours"])
        row["is_open_now"] = open_at(row["status"], OpeningHours.from_primitive(row["opening_hours"]), now)
        return row

    def storefronts_by_ids(self, ids: Sequence[UUID], now: datetime | None = None) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        now = now or self.clock()
        rows = self.store.query(f"SELECT * FROM {STOREFRONTS} WHERE id IN ({_in(ids)})", [str(i) for i in ids])
        return {UUID(r["id"]): self._storefront(r, now) for r in rows}

    def storefront_contact_phones(self, ids: Sequence[UUID]) -> dict[UUID, str]:
        """The storefronts' own contact numbers (E.164), for those that gave one."""
        if not ids:
            return {}
        rows = self.store.query(f"SELECT id, phone FROM {STOREFRONT_CONTACTS} WHERE id IN ({_in(ids)})",
                                [str(i) for i in ids])
        return {UUID(r["id"]): reveal(self.keys, r["phone"]) for r in rows}

    def storefront(self, storefront_id: UUID, now: datetime | None = None) -> dict[str, Any] | None:
        return self.storefronts_by_ids([storefront_id], now).get(storefront_id)

    def storefronts_of_household(self, household_id: UUID, now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or self.clock()
        rows = self.store.query(
            f"SELECT * FROM {STOREFRONTS} WHERE household_id = %s ORDER BY position", (str(household_id),)
        )
        return [self._storefront(r, now) for r in rows]

    def storefronts_page(
        self,
        *,
        after_position: int,
        limit: int,
        marketplace: str | None = None,
        province: ProvinceArea | None = None,
        district_code: str | None = None,
        ward_code: str | None = None,
        statuses: Sequence[str] = ("OPEN", "TEMPORARILY_CLOSED"),
        now: datetime | None = None,
        count: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Storefronts after a position, oldest first, and the total matching the filters (None, and
        no ``COUNT(*)``, when ``count`` is False).

        ``province``: storefronts in that province's area under either scheme (core.domain.province_area);
        ``district_code``, ``ward_code``: as recorded. Closed storefronts are left out unless
        ``statuses`` asks for them.
        """
        where, params = [f"status IN ({_in(statuses)})"], list(statuses)
        if province is not None:
            sql, area_params = area_clause(province)
            where.append(sql)
            params += area_params
        for column, value in (
            ("marketplace", marketplace), ("district_code", district_code), ("ward_code", ward_code),
        ):
            if value:
                where.append(f"{column} = %s")
                params.append(value)
        clause = " AND ".join(where)
        total: int | None = None
        if count:
            counted = self.store.query_one(f"SELECT COUNT(*) AS n FROM {STOREFRONTS} WHERE {clause}", params)
            total = int(counted["n"]) if counted else 0
        rows = self.store.query(
            f"SELECT * FROM {STOREFRONTS} WHERE {clause} AND position > %s ORDER BY position LIMIT %s",
            [*params, after_position, _page_limit(limit)],
        )
        now = now or self.clock()
        return [self._storefront(r, now) for r in rows], total

    def nearby(
        self,
        near: GeoPoint,
        radius_km: float,
        first: int = 20,
        open_now: bool | None = None,
        marketplace: str | None = None,
        now: datetime | None = None,
    ) -> list[NearbyStorefront]:
        """OPEN storefronts within ``radius_km`` of ``near``, nearest first (ties by id).

        ``open_now=True`` keeps only those open by their hours at ``now``; ``None``/``False`` filter
        nothing. The search starts with a small ring and widens it: the nearest ``first`` inside a
        ring are the nearest overall, so a dense district never loads the whole radius.
        """
        if not (isinstance(radius_km, (int, float)) and math.isfinite(radius_km) and radius_km > 0):
            raise InvalidInput("radiusKm must be a positive number", ["radiusKm"])
        if radius_km > MAX_RADIUS_KM:
            raise LimitExceeded(f"radiusKm must be at most {MAX_RADIUS_KM:g}", ["radiusKm"])
        first = _page_limit(first)
        now = now or self.clock()
        reach = min(radius_km, FIRST_RING_KM)
        while True:
            found = self._nearest_within(near, reach, first, bool(open_now), marketplace, now)
            if len(found) >= first or reach >= radius_km:
                return found
            reach = min(radius_km, reach * 4)

    def _nearest_within(
        self, near: GeoPoint, radius_km: float, first: int, open_now: bool, marketplace: str | None,
        now: datetime,
    ) -> list[NearbyStorefront]:
        """The nearest ``first`` OPEN storefronts within ``radius_km`` (open by their hours at ``now``
        when ``open_now``), nearest first, ties by id. Fewer than ``first`` means the ring holds no
        more. Rows are decoded in distance order and only until the page is full: a wide ring in a
        dense district measures hundreds of rows but opens twenty."""
        box = BoundingBox.around(near, radius_km)
        sql = (
            f"SELECT * FROM {STOREFRONTS} WHERE status = 'OPEN'"
            " AND latitude BETWEEN %s AND %s AND longitude BETWEEN %s AND %s"
        )
        params: list[Any] = [box.min_latitude, box.max_latitude, box.min_longitude, box.max_longitude]
        if marketplace:
            sql += " AND marketplace = %s"
            params.append(marketplace)
        measured = []
        for row in self.store.query(sql, params):
            distance = distance_km(near, GeoPoint(row["latitude"], row["longitude"]))
            if distance <= radius_km:
                measured.append((distance, row["id"], row))
        measured.sort(key=lambda hit: (hit[0], hit[1]))
        hits: list[NearbyStorefront] = []
        for distance, _, row in measured:
            if len(hits) >= first:
                break
            storefront = self._storefront(row, now)
            if open_now and not storefront["is_open_now"]:
                continue
            hits.append(NearbyStorefront(storefront, distance))
        return hits

    # -- listings --------------------------------------------------------------------------------

    @staticmethod
    def _listing(row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row["certifications"] = json.loads(row["certifications"])
        row["unit_price"] = {"amount": row.pop("price_amount"), "currency": row.pop("price_currency")}
        row.pop("title_search", None)
        row.pop("search_text", None)
        return row

    def listings_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.store.query(f"SELECT * FROM {LISTINGS} WHERE id IN ({_in(ids)})", [str(i) for i in ids])
        return {UUID(r["id"]): self._listing(r) for r in rows}

    def listing(self, listing_id: UUID) -> dict[str, Any] | None:
        return self.listings_by_ids([listing_id]).get(listing_id)

    def listings_page(
        self,
        *,
        after: str | None,
        limit: int,
        search: str | None = None,
        category: str | None = None,
        province: ProvinceArea | None = None,
        certification: str | None = None,
        marketplace: str | None = None,
        storefront_id: UUID | None = None,
        household_id: UUID | None = None,
        statuses: Sequence[str] = ("ACTIVE",),
        open_storefronts_only: bool = True,
        now: datetime | None = None,
        count: bool = True,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """A page of listings after the cursor key ``after`` and the total matching the filters (None,
        and nothing counted, when ``count`` is False).

        With ``search``: best rank first (the whole phrase in the title, then more query words in
        the title), newest first within a rank. Each row's ``sort_key`` is the next page's
        ``after``. By default the public catalog: ACTIVE listings of OPEN storefronts. ``province``:
        listings in that province's area under either scheme (a listing keeps its household's scheme
        and province; the ward of a ward-bounded area is its household's, from the storefront
        directory's addresses).
        """
        where: list[str] = [f"l.status IN ({_in(statuses)})"]
        params: list[Any] = list(statuses)
        if open_storefronts_only:
            where.append("l.storefront_status = 'OPEN'")
        if province is not None:
            sql, area_params = area_clause(
                province, "l", f"l.household_id IN (SELECT id FROM {HOUSEHOLD_ADDRESSES} WHERE ward_code IN ({{}}))")
            where.append(sql)
            params += area_params
        for column, value in (
            ("category", category), ("marketplace", marketplace),
            ("storefront_id", storefront_id and str(storefront_id)),
            ("household_id", household_id and str(household_id)),
        ):
            if value:
                where.append(f"l.{column} = %s")
                params.append(value)
        if certification:
            where.append(
                f"EXISTS (SELECT 1 FROM {LISTING_CERTIFICATIONS} c WHERE c.listing_id = l.id"
                " AND c.scheme = %s AND c.valid_until > %s)"
            )
            params += [certification, sortable_utc(now or self.clock())]

        rank_sql, rank_params = "0", []
        if search is not None and len(search) > MAX_SEARCH_LENGTH:
            raise InvalidInput(f"search is longer than {MAX_SEARCH_LENGTH} characters", ["search"])
        words = search_words(search or "")[:MAX_SEARCH_WORDS]
        if words:
            terms = []
            match_sql, match_params = search_condition(self.store.dialect, words)
            where.append(match_sql)
            params += match_params
            for word in words:
                pattern, value = word_pattern(self.store.dialect, word)
                terms.append(f"CASE WHEN l.title_search LIKE {pattern} THEN 1 ELSE 0 END")
                rank_params.append(value)
            if len(words) > 1:
                # The words together, in order, in the title outrank them anywhere in it.
                pattern, value = word_pattern(self.store.dialect, " ".join(words))
                terms.append(f"CASE WHEN l.title_search LIKE {pattern} THEN {len(words) + 1} ELSE 0 END")
                rank_params.append(value)
            rank_sql = " + ".join(terms)

        clause = " AND ".join(where)
        after_sql, after_params = "1 = 1", []
        if after is not None:
            rank, position = self._decode_key(after)
            after_sql = "(search_rank < %s OR (search_rank = %s AND position < %s))"
            after_params = [rank, rank, position]
        if words:
            # Ranking must visit every match anyway, so the same pass counts them (a window over
            # the matches before the cursor filter): one scan instead of two. The pass keeps only
            # (id, position, rank); the page's rows are read whole afterwards, so the sort and the
            # window never carry (or spill to disk) whole rows of every match.
            counted_sql = ", COUNT(*) OVER () AS total_count" if count else ""
            rows = self.store.query(
                f"SELECT l.*, page.search_rank{', page.total_count' if count else ''} FROM ("
                f"SELECT * FROM (SELECT l.id, l.position, {rank_sql} AS search_rank{counted_sql}"
                f" FROM {LISTINGS} l WHERE {clause}) hits"
                f" WHERE {after_sql} ORDER BY search_rank DESC, position DESC LIMIT %s) page"
                f" JOIN {LISTINGS} l ON l.id = page.id ORDER BY page.search_rank DESC, page.position DESC",
                [*rank_params, *params, *after_params, _page_limit(limit)],
            )
        else:
            # Browsing walks an index in position order and stops at the page; counting is apart.
            rows = self.store.query(
                f"SELECT * FROM (SELECT l.*, 0 AS search_rank FROM {LISTINGS} l WHERE {clause}) hits"
                f" WHERE {after_sql} ORDER BY position DESC LIMIT %s",
                [*params, *after_params, _page_limit(limit)],
            )
        total: int | None = None
        if count and rows and "total_count" in rows[0]:
            total = int(rows[0]["total_count"])
        elif count:
            counted = self.store.query_one(f"SELECT COUNT(*) AS n FROM {LISTINGS} l WHERE {clause}", params)
            total = int(counted["n"]) if counted else 0
        page = []
        for row in rows:
            listing = self._listing(row)
            listing.pop("total_count", None)
            listing["sort_key"] = f"{listing.pop('search_rank')}:{listing['position']}"
            page.append(listing)
        return page, total

    def first_listings_of_storefronts(
        self, storefront_ids: Sequence[UUID], limit: int, statuses: Sequence[str], count: bool = True
    ) -> dict[UUID, tuple[list[dict[str, Any]], int | None]]:
        """The first page (newest first, as ``listings_page`` browses) of each storefront's listings
        and each one's total (None, not counted, when ``count`` is False), in one query: a page of
        storefronts costs one listing query, not N."""
        if not storefront_ids:
            return {}
        counted_sql = ", COUNT(*) OVER (PARTITION BY l.storefront_id) AS total_count" if count else ""
        rows = self.store.query(
            f"SELECT * FROM (SELECT l.*, ROW_NUMBER() OVER (PARTITION BY l.storefront_id ORDER BY l.position DESC)"
            f" AS row_number{counted_sql} FROM {LISTINGS} l"
            f" WHERE l.storefront_id IN ({_in(storefront_ids)}) AND l.status IN ({_in(statuses)})) ranked"
            " WHERE row_number <= %s ORDER BY storefront_id, position DESC",
            [*(str(i) for i in storefront_ids), *statuses, _page_limit(limit)],
        )
        found: dict[UUID, tuple[list[dict[str, Any]], int | None]] = {
            i: ([], 0 if count else None) for i in storefront_ids}
        for row in rows:
            total = int(row.pop("total_count")) if count else None
            row.pop("row_number")
            listing = self._listing(row)
            listing["sort_key"] = f"0:{listing['position']}"
            key = UUID(str(listing["storefront_id"]))
            found[key] = (found[key][0] + [listing], total)
        return found

    @staticmethod
    def _decode_key(key: str) -> tuple[int, int]:
        rank, position = cursor_position(key, 2, ["after"])
        return rank, position
