"""Where things are: addresses by administrative codes, and points on the globe."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from farmgate.core.domain.canonical_text import canonical_code
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.provinces import CURRENT_SCHEME, check_membership, province
from farmgate.core.domain.text import optional_text


@dataclass(frozen=True)
class Address:
    """A place by GSO codes of one scheme (2021: province, district, ward; 2025: province, ward), and
    a free street line (personal data: never in a message)."""

    scheme: int
    province_code: str
    district_code: str | None = None
    ward_code: str | None = None
    street: str | None = None

    @classmethod
    def checked(
        cls,
        province_code: str,
        scheme: int | None = None,
        district_code: str | None = None,
        ward_code: str | None = None,
        street: str | None = None,
        field: list[str] | None = None,
    ) -> Address:
        """An address whose codes are GSO codes of ``scheme`` (digits folded to ASCII) and whose
        street is canonical single-line text; InvalidInput names the part at fault under ``field``."""
        path = field or ["address"]
        scheme = CURRENT_SCHEME if scheme is None else scheme
        province_code = canonical_code(province_code, path + ["provinceCode"])
        district_code = None if district_code is None else canonical_code(district_code, path + ["districtCode"])
        ward_code = None if ward_code is None else canonical_code(ward_code, path + ["wardCode"])
        check_membership(scheme, province_code, district_code, ward_code, path)
        return cls(scheme, province_code, district_code, ward_code, optional_text(street, path + ["street"], 300))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Address:
        return cls(**data)

    @property
    def province_name(self) -> str:
        return province(self.scheme, self.province_code).name


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float

    @classmethod
    def checked(cls, latitude: float, longitude: float, field: list[str]) -> GeoPoint:
        if not -90 <= latitude <= 90:
            raise InvalidInput("latitude must be between -90 and 90", field + ["latitude"])
        if not -180 <= longitude <= 180:
            raise InvalidInput("longitude must be between -180 and 180", field + ["longitude"])
        return cls(latitude, longitude)
