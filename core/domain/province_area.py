"""A province's area across both administrative schemes: what a province officer's scope covers.

Records keep the scheme and codes they were captured with, so one piece of land can be on record
under two codes (a Vũng Tàu household registered as 2021:77 lies in 2025:79). An area is named by a
scope claim ``SCHEME:CODE`` (``2021:24`` Bắc Giang, ``2025:24`` Bắc Ninh); a bare code is read in the
current scheme (2025), as an address without a scheme is. It covers:

* ``2025:X`` — records of 2025 province X, and records of every 2021 province X absorbed
  (2025:79 covers 2021:74, 2021:77 and 2021:79).
* ``2021:Y`` — records of 2021 province Y, and 2025 records on its land: all of the 2025 province it
  became when that province absorbed Y alone (2021:20 covers 2025:20), otherwise those whose 2025
  ward lies in Y (2021:77 covers 2025:79 records in the wards of old Bà Rịa - Vũng Tàu, not the rest
  of Hồ Chí Minh; a 2025 record without a ward there is not on Y's land for sure, so not covered).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from farmgate.core.domain import provinces as units
from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.errors import InvalidInput

#: the scheme a bare province claim (no ``SCHEME:``) is read in
BARE_CLAIM_SCHEME = units.CURRENT_SCHEME


@dataclass(frozen=True)
class AreaTerm:
    """Records of ``scheme`` and ``province_code``, and (when ``ward_codes`` is not None) only those
    whose ward is one of ``ward_codes``."""

    scheme: int
    province_code: str
    ward_codes: frozenset[str] | None = None

    def matches(self, scheme: int, province_code: str, ward_code: str | None) -> bool:
        return (scheme, province_code) == (self.scheme, self.province_code) and (
            self.ward_codes is None or ward_code in self.ward_codes
        )


@dataclass(frozen=True)
class ProvinceArea:
    """A province of one scheme and the records it covers under both schemes (see the module doc)."""

    scheme: int
    code: str

    @classmethod
    def parse(cls, claim: str, field: list[str] | None = None) -> ProvinceArea:
        """``"2021:24"``, ``"2025:24"`` or a bare ``"24"`` (read as 2025) → the area; InvalidInput if the
        scheme or the province is unknown."""
        text = canonical_code(claim, field or ["provinceCode"])  # control characters refused, digits ASCII
        scheme_text, qualified, code = text.rpartition(":")
        if not qualified:
            scheme = BARE_CLAIM_SCHEME
        elif scheme_text.isascii() and scheme_text.isdigit() and len(scheme_text) <= 4:
            # ASCII digits only ("²".isdigit() is true, int("²") fails); short (int() of 4,301 digits fails)
            scheme = int(scheme_text)
        else:
            raise InvalidInput("A province scope is SCHEME:CODE, e.g. 2021:24 or 2025:24", field)
        units.province(scheme, code, field)
        return cls(scheme, code)

    @property
    def claim(self) -> str:
        """The qualified claim, e.g. ``"2025:79"``."""
        return f"{self.scheme}:{self.code}"

    @property
    def terms(self) -> tuple[AreaTerm, ...]:
        """The (scheme, province[, wards]) records this area covers, its own province first."""
        return _terms(self.scheme, self.code)

    @property
    def land(self) -> ProvinceArea:
        """The 2025 province whose land takes in all of this one: itself for a 2025 province, the
        province a 2021 one became part of otherwise (2021:77 → 2025:79, 2021:20 → 2025:20). What is
        unique per land (a campaign's name) is unique within it."""
        if self.scheme == units.CURRENT_SCHEME:
            return self
        return ProvinceArea(units.CURRENT_SCHEME, units.successor(self.code).code)

    @property
    def on_the_land(self) -> tuple[ProvinceArea, ...]:
        """Every province of either scheme whose land lies in ``land``: the 2025 province first, then
        the 2021 provinces it absorbed (2025:79 → 2025:79, 2021:74, 2021:77, 2021:79)."""
        land = self.land
        return (land, *(ProvinceArea(2021, old.code) for old in units.absorbed(land.code)))

    @property
    def same_land(self) -> ProvinceArea | None:
        """The province of the other scheme that is exactly this one's land (2021:20 ↔ 2025:20 Lạng Sơn,
        which absorbed nothing), or None when the land was merged (2021:24 is part of 2025:24)."""
        if len(self.terms) == 2 and self.terms[1].ward_codes is None:
            return ProvinceArea(self.terms[1].scheme, self.terms[1].province_code)
        return None

    def covers(self, scheme: int, province_code: str, ward_code: str | None = None) -> bool:
        """Whether a record captured with these codes is in this area."""
        return any(term.matches(scheme, province_code, ward_code) for term in self.terms)


@cache
def _terms(scheme: int, code: str) -> tuple[AreaTerm, ...]:
    own = AreaTerm(scheme, code)
    if scheme == 2025:
        return (own, *(AreaTerm(2021, old.code) for old in units.absorbed(code)))
    became = units.successor(code)
    if [p.code for p in units.absorbed(became.code)] == [code]:
        return own, AreaTerm(2025, became.code)
    on_its_land = frozenset(w.code for w in units.wards(2025, became.code)
                            if code in {p.code for p in units.ward_origins(w.code)})
    return own, AreaTerm(2025, became.code, on_its_land)
