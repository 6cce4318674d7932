"""A province's area (core.domain.province_area) as an SQL condition over rows that keep the scheme,
province code and ward code they were recorded with. Read models that scope by province use it."""

from __future__ import annotations

from typing import Any

from farmgate.core.domain.province_area import ProvinceArea


def area_clause(area: ProvinceArea, table: str = "") -> tuple[str, tuple[Any, ...]]:
    """SQL (and its parameters) for the rows an area covers: one term per (scheme, province[, wards]);
    ``table`` qualifies the columns (``"h"`` → ``h.scheme``)."""
    col = f"{table}." if table else ""
    terms, params = [], []
    for term in area.terms:
        sql = f"({col}scheme = %s AND {col}province_code = %s"
        params += [term.scheme, term.province_code]
        if term.ward_codes is not None:
            wards = sorted(term.ward_codes)
            sql += f" AND {col}ward_code IN ({', '.join(['%s'] * len(wards))})" if wards else " AND 1 = 0"
            params += wards
        terms.append(sql + ")")
    return "(" + " OR ".join(terms) + ")", tuple(params)
