"""Place filter arguments of queries (``provinceCode``, ``districtCode``, ``wardCode``), read the one way
the API reads a place everywhere.

``provinceCode`` is read as a province scope claim is (core.domain.province_area.ProvinceArea.parse):
``SCHEME:CODE`` (``2021:24`` Bắc Giang, ``2025:24`` Bắc Ninh), a bare code in the 2025 scheme; the filter
then selects that province's AREA under either scheme (a 2025 province with the 2021 provinces it
absorbed; a 2021 province with the 2025 records whose ward lies on its land), as an officer's scope
does. ``districtCode`` is a 2021 district (the 2025 scheme has none); ``wardCode`` a ward of either
scheme, matched as recorded. A code that names no unit is BAD_USER_INPUT naming the argument, never an empty list.
"""

from __future__ import annotations

from typing import Any

from farmgate.core.domain import provinces as units
from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.graphql.errors import CodedError
from farmgate.graphql.inputs import given

#: what a province code in the API is (arguments, and the provinceCode input fields of rollout mutations)
PROVINCE_CODE = ("A GSO province code qualified by its scheme, as in a token's province claim: '2021:20' (Lạng Sơn,"
                 " 2021), '2025:24' (Bắc Ninh, 2025); a bare code is read in the 2025 scheme.")
#: the description of a ``provinceCode`` argument
PROVINCE_ARGUMENT = PROVINCE_CODE + " A malformed or unknown code is BAD_USER_INPUT."
#: the description of a ``provinceCode`` filter argument
PROVINCE_FILTER = (PROVINCE_ARGUMENT + " Selects the province's area under either scheme: a 2025 province with the"
                   " records made under the 2021 provinces it absorbed, a 2021 province with the 2025 records"
                   " whose ward lies in it.")
DISTRICT_FILTER = ("A GSO district code of the 2021 scheme (the 2025 scheme has no districts): records made with"
                   " that district. An unknown code is BAD_USER_INPUT.")
WARD_FILTER = ("A GSO ward or commune code of either scheme (a 2025 ward carries the code of one of the 2021 wards it"
               " was formed from): records made with that ward code, under either scheme. An unknown code is"
               " BAD_USER_INPUT.")


def _user_error(error: InvalidInput, argument: str) -> CodedError:
    message = error.message if argument in error.message else f"{argument}: {error.message}"
    return CodedError(message, "BAD_USER_INPUT")


def province_area(value: str, argument: str = "provinceCode") -> ProvinceArea:
    """The province a ``provinceCode`` argument names; BAD_USER_INPUT naming the argument when it is
    malformed or names no province of its scheme."""
    try:
        return ProvinceArea.parse(value, [argument])
    except InvalidInput as error:
        refused = _user_error(error, argument)
    try:
        code = canonical_code(value, [argument])  # folded as the parser folds it: "７７" is the 77 it read
    except InvalidInput:
        raise refused from None
    if code.isascii() and code.isdigit() and code in {p.code for p in units.provinces(2021)}:
        # The pitfall of the merger: a 2021 code written bare. Say how to write it (the code only, never
        # anything else the client sent).
        refused = CodedError(f"{argument}: {code} is no province of the 2025 scheme, in which a bare code is read;"
                             f" write 2021:{code} for the 2021 province", "BAD_USER_INPUT")
    raise refused


def province_filter(value: str | Any | None, argument: str = "provinceCode") -> ProvinceArea | None:
    """An optional ``provinceCode`` filter: None when left out (or null), else ``province_area``."""
    value = given(value)
    return None if value is None else province_area(value, argument)


def district_filter(value: str | Any | None, argument: str = "districtCode") -> str | None:
    """An optional 2021 ``districtCode`` filter, canonical; BAD_USER_INPUT when it names no district."""
    value = given(value)
    if value is None:
        return None
    try:
        return units.district(canonical_code(value, [argument]), [argument]).code
    except InvalidInput as error:
        raise _user_error(error, argument) from None


def district_of_province(
    value: str | Any | None, scheme: int, province_code: str, argument: str = "districtCode"
) -> str | None:
    """An optional ``districtCode`` filter under one province (``Province.wards``), canonical;
    BAD_USER_INPUT naming the argument when it names no district, a district of another province,
    or any district under a 2025 province (that scheme has none): never an empty list for a code
    that cannot match (core.domain.provinces.check_membership)."""
    wanted = district_filter(value, argument)
    if wanted is not None:
        try:
            units.check_membership(scheme, province_code, wanted, None, [])
        except InvalidInput as error:
            raise _user_error(error, argument) from None
    return wanted


def ward_filter(value: str | Any | None, argument: str = "wardCode") -> str | None:
    """An optional ``wardCode`` filter, canonical; BAD_USER_INPUT when no scheme has that ward."""
    value = given(value)
    if value is None:
        return None
    try:
        code = canonical_code(value, [argument])
    except InvalidInput as error:
        raise _user_error(error, argument) from None
    for scheme in units.SCHEMES:
        try:
            return units.ward(scheme, code, [argument]).code
        except InvalidInput:
            continue
    raise CodedError(f"{argument} is not a GSO ward code of the 2021 or the 2025 scheme", "BAD_USER_INPUT")
