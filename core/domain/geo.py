"""Distances on the globe for the store locator: great-circle (haversine) distance, and the
latitude/longitude box that surely contains every point within a radius (an index can range-scan
a box; it cannot range-scan a circle)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from farmgate.core.domain.place import GeoPoint

#: mean Earth radius (IUGG), the usual constant for haversine distances
EARTH_RADIUS_KM = 6371.0088

# Widen boxes by a hair so a point exactly on the radius is not lost to floating-point rounding.
_MARGIN_DEGREES = 1e-9


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance by the haversine formula (spherical Earth: within ~0.5% of geodesic)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class BoundingBox:
    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float

    @classmethod
    def around(cls, center: GeoPoint, radius_km: float) -> BoundingBox:
        """The smallest lat/lon box holding the circle (J. P. Matuschek's method).

        Near a pole or across the antimeridian the box takes every longitude: coarser, never wrong.
        """
        angular = radius_km / EARTH_RADIUS_KM
        lat = math.radians(center.latitude)
        min_lat = math.degrees(lat - angular) - _MARGIN_DEGREES
        max_lat = math.degrees(lat + angular) + _MARGIN_DEGREES
        if min_lat <= -90 or max_lat >= 90 or angular >= math.pi / 2:
            return cls(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
        dlon = math.degrees(math.asin(math.sin(angular) / math.cos(lat))) + _MARGIN_DEGREES
        min_lon, max_lon = center.longitude - dlon, center.longitude + dlon
        if min_lon < -180 or max_lon > 180:
            return cls(min_lat, max_lat, -180.0, 180.0)
        return cls(min_lat, max_lat, min_lon, max_lon)

    def contains(self, point: GeoPoint) -> bool:
        return (
            self.min_latitude <= point.latitude <= self.max_latitude
            and self.min_longitude <= point.longitude <= self.max_longitude
        )
