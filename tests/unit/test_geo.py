"""Great-circle distances and the boxes the store locator range-scans, with known answers."""

from __future__ import annotations

import math

import pytest

from farmgate.core.domain.geo import EARTH_RADIUS_KM, BoundingBox, distance_km
from farmgate.core.domain.place import GeoPoint

HANOI = GeoPoint(21.0285, 105.8542)
LANG_SON = GeoPoint(21.8537, 106.7615)


def test_known_distances() -> None:
    # A degree of latitude along a meridian is pi * R / 180.
    assert distance_km(GeoPoint(10, 106), GeoPoint(11, 106)) == pytest.approx(math.pi * EARTH_RADIUS_KM / 180, rel=1e-9)
    # A degree of longitude on the equator, the same.
    assert distance_km(GeoPoint(0, 0), GeoPoint(0, 1)) == pytest.approx(111.19508, rel=1e-6)
    # Hà Nội to Lạng Sơn city (checked by the spherical law of cosines): 131.29 km; symmetric; zero to itself.
    assert distance_km(HANOI, LANG_SON) == pytest.approx(131.2917229111, rel=1e-9)
    assert distance_km(LANG_SON, HANOI) == distance_km(HANOI, LANG_SON)
    assert distance_km(HANOI, HANOI) == 0
    # Antipodes: half the circumference (the min(1, …) guards asin against rounding past 1).
    assert distance_km(GeoPoint(0, 0), GeoPoint(0, 180)) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-12)


def test_a_box_holds_every_point_of_its_circle_and_not_much_more() -> None:
    box = BoundingBox.around(HANOI, 30)
    degrees = 30 / (math.pi * EARTH_RADIUS_KM / 180)
    assert box.min_latitude == pytest.approx(HANOI.latitude - degrees, abs=1e-6)
    assert box.max_latitude == pytest.approx(HANOI.latitude + degrees, abs=1e-6)
    assert box.max_longitude - HANOI.longitude == pytest.approx(HANOI.longitude - box.min_longitude, abs=1e-9)
    assert box.max_longitude - HANOI.longitude > degrees  # longitude degrees are shorter away from the equator
    for bearing in range(0, 360, 15):
        rad = math.radians(bearing)
        # A point ~29.9 km away in every direction is inside; one 31 km away north is outside.
        point = GeoPoint(HANOI.latitude + degrees * 0.996 * math.cos(rad),
                         HANOI.longitude + degrees * 0.996 * math.sin(rad) / math.cos(math.radians(HANOI.latitude)))
        assert distance_km(HANOI, point) <= 30 and box.contains(point), bearing
    assert not box.contains(GeoPoint(HANOI.latitude + 31 / 111.195, HANOI.longitude))
    assert not box.contains(GeoPoint(HANOI.latitude, HANOI.longitude + 0.5))
    assert box.contains(GeoPoint(box.min_latitude, box.min_longitude)) and box.contains(GeoPoint(box.max_latitude, box.max_longitude))


def test_near_a_pole_or_the_antimeridian_the_box_takes_every_longitude() -> None:
    polar = BoundingBox.around(GeoPoint(89.9, 0), 50)
    assert (polar.min_longitude, polar.max_longitude, polar.max_latitude) == (-180.0, 180.0, 90.0)
    south = BoundingBox.around(GeoPoint(-89.9, 0), 50)
    assert (south.min_latitude, south.min_longitude, south.max_longitude) == (-90.0, -180.0, 180.0)
    fiji = BoundingBox.around(GeoPoint(-17.7, 179.9), 50)
    assert (fiji.min_longitude, fiji.max_longitude) == (-180.0, 180.0)
    assert fiji.min_latitude > -90 and fiji.max_latitude < 90
    west = BoundingBox.around(GeoPoint(0, -179.9), 50)
    assert (west.min_longitude, west.max_longitude) == (-180.0, 180.0)
    huge = BoundingBox.around(GeoPoint(0, 0), math.pi / 2 * EARTH_RADIUS_KM + 1)
    assert (huge.min_longitude, huge.max_longitude) == (-180.0, 180.0)


def test_a_point_exactly_on_the_radius_is_in_the_box() -> None:
    # The points of the circle farthest north, south, east and west of Hà Nội, by spherical trigonometry:
    # on the boundary of the smallest box, so rounding must not push them out of it.
    radius = 30
    angular = radius / EARTH_RADIUS_KM
    lat = math.radians(HANOI.latitude)
    box = BoundingBox.around(HANOI, radius)
    north = GeoPoint(math.degrees(lat + angular), HANOI.longitude)
    south = GeoPoint(math.degrees(lat - angular), HANOI.longitude)
    widest = math.degrees(math.asin(math.sin(lat) / math.cos(angular)))  # where the circle reaches farthest east
    reach = math.degrees(math.asin(math.sin(angular) / math.cos(lat)))
    east, west = GeoPoint(widest, HANOI.longitude + reach), GeoPoint(widest, HANOI.longitude - reach)
    for point in (north, south, east, west):
        assert distance_km(HANOI, point) == pytest.approx(radius, rel=1e-9)
        assert box.contains(point), point


@pytest.mark.parametrize(("center", "radius_km"), [
    # radii found to put the circle's edge exactly on the pole (min_latitude == -90.0 / max_latitude == 90.0)
    (GeoPoint(-89.0, 0), 111.19508012233678),
    (GeoPoint(-80.0, 30), 1111.950802224133),
    (GeoPoint(89.0, 0), 111.19508012233678),
    (GeoPoint(60.0, -45), 3335.852406894792),
])
def test_a_circle_reaching_exactly_a_pole_takes_every_longitude(center: GeoPoint, radius_km: float) -> None:
    box = BoundingBox.around(center, radius_km)
    assert 90.0 in (-box.min_latitude, box.max_latitude)
    assert (box.min_longitude, box.max_longitude) == (-180.0, 180.0)


def test_a_circle_reaching_exactly_the_antimeridian_keeps_its_longitudes() -> None:
    # Centres chosen so the box's edge is exactly -180.0 or 180.0: the circle touches the antimeridian
    # without crossing it, so the box stays the smallest one.
    west = BoundingBox.around(GeoPoint(0, -179.55033981713774), 50)
    assert west.min_longitude == -180.0 and west.max_longitude == pytest.approx(-179.10067963427548, abs=1e-9)
    east = BoundingBox.around(GeoPoint(0, 179.55033981713774), 50)
    assert east.max_longitude == 180.0 and east.min_longitude == pytest.approx(179.10067963427548, abs=1e-9)


def test_a_circle_of_a_sixth_of_the_globe_on_the_equator_keeps_its_longitudes() -> None:
    # 7000 km from (0, 0) reaches neither pole nor the antimeridian: about 63 degrees either way.
    box = BoundingBox.around(GeoPoint(0, 0), 7000)
    reach = math.degrees(7000 / EARTH_RADIUS_KM)
    assert box.max_latitude == pytest.approx(reach, abs=1e-6) and box.min_latitude == pytest.approx(-reach, abs=1e-6)
    assert box.max_longitude == pytest.approx(reach, abs=1e-6) and box.min_longitude == pytest.approx(-reach, abs=1e-6)
