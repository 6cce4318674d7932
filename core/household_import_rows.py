"""One row of a province's household CSV: its columns, and the registration it asks for.

The file is what province offices keep (UTF-8, a header line, one household a row):
``name,national_id,phone,scheme,province_code,district_code,ward_code,street,latitude,longitude``.
Rows are numbered as a spreadsheet shows them: the header is row 1, the first household row 2.
A refused row is reported by its number and the column at fault, never by the value in it (the
values are personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from farmgate.core.domain.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate
    from farmgate.core.households import PreparedRegistration

COLUMNS = ("name", "national_id", "phone", "scheme", "province_code", "district_code", "ward_code", "street",
           "latitude", "longitude")
REQUIRED_COLUMNS = ("name", "national_id", "phone", "province_code")

#: the CSV column of each input field the registration checks name
_COLUMN_OF_FIELD = {
    "name": "name", "nationalId": "national_id", "phone": "phone", "scheme": "scheme",
    "provinceCode": "province_code", "districtCode": "district_code", "wardCode": "ward_code", "street": "street",
    "latitude": "latitude", "longitude": "longitude",
}


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported: its number (header = 1), its column ("row" for the whole row),
    a code as the API's userErrors have them, and a message free of the row's values."""

    row: int
    column: str
    code: str
    message: str


def column_of(error: DomainError) -> str:
    """The CSV column a registration error names (``["input", "address", "wardCode"]`` → ward_code)."""
    for part in reversed(error.field or []):
        if part in _COLUMN_OF_FIELD:
            return _COLUMN_OF_FIELD[part]
    return "row"


def missing_columns(header: list[str]) -> list[str]:
    """The required columns a header lacks (names compared trimmed and lower-cased)."""
    present = {name.strip().lower() for name in header}
    return [name for name in REQUIRED_COLUMNS if name not in present]


def header_problem(header: list[str]) -> str | None:
    """Why a header cannot be read, or None: a required column missing, a column this import does not
    know (a misspelt "distric_code" would drop every row's district unseen), or one named twice (the
    later cell would win). Names compared trimmed and lower-cased; columns other than the known ones
    are named by position (1 = first), since a header cell may be a data row's personal data."""
    missing = missing_columns(header)
    if missing:
        return f"The header lacks the columns {', '.join(missing)}"
    names = [name.strip().lower() for name in header]
    unknown = [str(n) for n, name in enumerate(names, start=1) if name not in COLUMNS]
    if unknown:
        shown = ", ".join(unknown[:10]) + (", …" if len(unknown) > 10 else "")
        return (f"The header has columns this import does not know (columns {shown}): the columns are"
                f" {', '.join(COLUMNS)}")
    repeated = [str(n) for n, name in enumerate(names, start=1) if name in names[:n - 1]]
    if repeated:
        return f"The header names a column more than once (column {', '.join(repeated)})"
    return None


def _number(row: dict[str, str], column: str, kind: type) -> Any:
    text = row.get(column, "")
    try:
        return kind(text)
    except ValueError:
        raise InvalidInput(f"{column} must be a number", [column]) from None


def prepare_row(app: Farmgate, header: list[str], values: list[str]) -> PreparedRegistration:
    """The registration a row asks for, checked as ``registerHousehold`` checks its input
    (DomainError naming the field otherwise). Empty optional cells are absent values."""
    if len(values) != len(header):
        raise InvalidInput(f"The row has {len(values)} cells; the header has {len(header)}", ["row"])
    row = {name.strip().lower(): value.strip() for name, value in zip(header, values)}
    location = None
    if row.get("latitude") or row.get("longitude"):
        location = {"latitude": _number(row, "latitude", float), "longitude": _number(row, "longitude", float)}
    address = {
        "scheme": _number(row, "scheme", int) if row.get("scheme") else None,
        "province_code": row.get("province_code", ""),
        "district_code": row.get("district_code") or None,
        "ward_code": row.get("ward_code") or None,
        "street": row.get("street") or None,
    }
    return app.prepare_registration(name=row.get("name", ""), national_id=row.get("national_id", ""),
                                    phone=row.get("phone", ""), address=address, location=location)
