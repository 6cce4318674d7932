"""A province's area (core.domain.province_area) as an SQL condition over rows that keep the scheme,
province code and ward code they were recorded with. Read models that scope by province use it."""

from __future__ import annotations

from typing import Any

from farmgate.core.domain.province_area import ProvinceArea


def area_clause(area: ProvinceArea, table: str = "", wards_in: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """SQL (and its parameters) for the rows an area covers: one term per (scheme, province[, wards]);
    ``table`` qualifies the columns (``"h"`` → ``h.scheme``). ``wards_in`` is the SQL a ward-bounded term
    tests its wards with, ``{}`` standing for the placeholders, for rows that keep no ward of their own
    (listings: ``"l.household_id IN (SELECT id FROM … WHERE ward_code IN ({}))"``); by default the
    row's ``ward_code`` column."""
    col = f"{table}." if table else ""
    ward_test = wards_in or f"{col}ward_code IN ({{}})"
    terms, params = [], []
    for term in area.terms:
        sql = f"({col}scheme = %s AND {col}province_code = %s"
        params += [term.scheme, term.province_code]
        if term.ward_codes is not None:
            wards = sorted(term.ward_codes)
            sql += " AND " + ward_test.format(", ".join(["%s"] * len(wards))) if wards else " AND 1 = 0"
            params += wards
        terms.append(sql + ")")
    return "(" + " OR ".join(terms) + ")", tuple(params)
