"""The store locator and the storefront directory, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.domain.errors import InvalidInput, LimitExceeded
from farmgate.core.domain.geo import EARTH_RADIUS_KM, BoundingBox, distance_km
from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.deploy.container import System
from tests.integration.test_catalog import ALL_DAY, BAC_GIANG, LANG_SON, open_storefront, register_household
from tests.personal_data import PersonalData

# Chi Lăng district town, Lạng Sơn: custard-apple country.
CHI_LANG = GeoPoint(21.6611, 106.6289)
KM_PER_DEGREE_OF_LATITUDE = math.pi * EARTH_RADIUS_KM / 180
MONDAY_0800_LOCAL = datetime(2021, 8, 2, 1, 0, tzinfo=timezone.utc)
MONDAY_1200_LOCAL = datetime(2021, 8, 2, 5, 0, tzinfo=timezone.utc)


def north_of(point: GeoPoint, km: float) -> GeoPoint:
    return GeoPoint(point.latitude + km / KM_PER_DEGREE_OF_LATITUDE, point.longitude)


def storefront_at(system: System, pd: PersonalData, point: GeoPoint, address: dict[str, Any] = LANG_SON,
                  **overrides: Any):
    household_id = register_household(system, pd, address)
    location = {"latitude": point.latitude, "longitude": point.longitude}
    return open_storefront(system, household_id, location=location, **overrides)


# -- distances --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "published_km"),
    [
        # Great-circle figures as published (e.g. by distance calculators); haversine must be within 1%.
        (GeoPoint(21.0285, 105.8542), GeoPoint(10.7769, 106.7009), 1138.0),  # Hà Nội – TP Hồ Chí Minh
        (GeoPoint(51.5074, -0.1278), GeoPoint(48.8566, 2.3522), 344.0),  # London – Paris
        (GeoPoint(0.0, 0.0), GeoPoint(0.0, 180.0), math.pi * 6371.0088),  # half the equator
    ],
)
def test_haversine_agrees_with_published_great_circle_distances(a: GeoPoint, b: GeoPoint, published_km: float) -> None:
    assert distance_km(a, b) == pytest.approx(published_km, rel=0.01)
    assert distance_km(a, b) == pytest.approx(distance_km(b, a))


points = st.builds(GeoPoint, st.floats(-89.0, 89.0), st.floats(-180.0, 180.0))


@given(points, st.floats(0.01, 3000.0), st.floats(0.0, 1.0), st.floats(0.0, 360.0))
def test_the_bounding_box_holds_every_point_within_the_radius(
    center: GeoPoint, radius_km: float, fraction: float, bearing_degrees: float
) -> None:
    # A point at ``fraction`` of the radius in any direction (the spherical destination formula).
    angular, bearing = radius_km * fraction / EARTH_RADIUS_KM, math.radians(bearing_degrees)
    lat1, lon1 = math.radians(center.latitude), math.radians(center.longitude)
    lat2 = math.asin(math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(bearing))
    lon2 = lon1 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat1),
                             math.cos(angular) - math.sin(lat1) * math.sin(lat2))
    point = GeoPoint(math.degrees(lat2), (math.degrees(lon2) + 540) % 360 - 180)
    assert BoundingBox.around(center, radius_km).contains(point)


# -- nearby storefronts ----------------------------------------------------------------------------


def test_nearby_storefronts_come_nearest_first_within_the_radius(system: System, personal_data) -> None:
    inside = storefront_at(system, personal_data, north_of(CHI_LANG, 4.99))
    outside = storefront_at(system, personal_data, north_of(CHI_LANG, 5.01))
    nearest = storefront_at(system, personal_data, north_of(CHI_LANG, 0.3))
    system.catch_up()
    found = system.catalog.nearby(CHI_LANG, radius_km=5.0, first=10)
    assert [hit.storefront["id"] for hit in found] == [str(nearest), str(inside)]
    assert found[1].distance_km == pytest.approx(4.99, abs=1e-6)
    # Check the radius edge moves with the radius.
    assert str(outside) in {hit.storefront["id"] for hit in system.catalog.nearby(CHI_LANG, radius_km=5.02)}


def test_only_open_storefronts_are_located_and_open_now_follows_their_hours(system: System, personal_data) -> None:
    mornings = [{"day_of_week": 1, "opens": "07:00", "closes": "11:00"}]
    morning_stall = storefront_at(system, personal_data, north_of(CHI_LANG, 1), opening_hours=mornings)
    all_day = storefront_at(system, personal_data, north_of(CHI_LANG, 2), opening_hours=ALL_DAY)
    on_holiday = storefront_at(system, personal_data, north_of(CHI_LANG, 3))
    shut = storefront_at(system, personal_data, north_of(CHI_LANG, 4))
    system.app.set_storefront_status(on_holiday, "TEMPORARILY_CLOSED")
    system.app.set_storefront_status(shut, "CLOSED")
    system.catch_up()

    def located(**query: Any) -> list[str]:
        return [hit.storefront["id"] for hit in system.catalog.nearby(CHI_LANG, radius_km=10, **query)]

    assert located(now=MONDAY_1200_LOCAL) == [str(morning_stall), str(all_day)]
    assert located(open_now=True, now=MONDAY_0800_LOCAL) == [str(morning_stall), str(all_day)]
    assert located(open_now=True, now=MONDAY_1200_LOCAL) == [str(all_day)]
    stall = system.catalog.storefront(morning_stall, now=MONDAY_0800_LOCAL)
    assert stall["is_open_now"] is True
    assert system.catalog.storefront(morning_stall, now=MONDAY_1200_LOCAL)["is_open_now"] is False


def test_nearby_agrees_with_measuring_every_storefront(system: System, personal_data) -> None:
    rng = random.Random(20210817)
    places = [GeoPoint(CHI_LANG.latitude + rng.uniform(-0.3, 0.3), CHI_LANG.longitude + rng.uniform(-0.3, 0.3))
              for _ in range(24)]
    ids = {str(storefront_at(system, personal_data, p)): p for p in places}
    system.catch_up()
    for first, radius in ((1, 50.0), (3, 50.0), (5, 12.0), (30, 25.0), (0, 50.0)):
        expected = sorted((distance_km(CHI_LANG, p), i) for i, p in ids.items() if distance_km(CHI_LANG, p) <= radius)
        found = system.catalog.nearby(CHI_LANG, radius_km=radius, first=first)
        # Check the widening rings return exactly the brute-force nearest, in order.
        assert [hit.storefront["id"] for hit in found] == [i for _, i in expected[:first]]


def test_nearby_can_keep_to_one_marketplace(system: System, personal_data) -> None:
    postmart = storefront_at(system, personal_data, north_of(CHI_LANG, 1), marketplace="POSTMART")
    storefront_at(system, personal_data, north_of(CHI_LANG, 2), marketplace="VOSO")
    system.catch_up()
    found = system.catalog.nearby(CHI_LANG, radius_km=10, marketplace="POSTMART")
    assert [hit.storefront["id"] for hit in found] == [str(postmart)]


@pytest.mark.parametrize(("radius", "error"), [(0, InvalidInput), (-3, InvalidInput), (math.nan, InvalidInput),
                                                (math.inf, InvalidInput), (5000, LimitExceeded)])
def test_a_radius_must_be_positive_and_bounded(system: System, radius: float, error: type) -> None:
    with pytest.raises(error) as refused:
        system.catalog.nearby(CHI_LANG, radius_km=radius)
    assert refused.value.field == ["radiusKm"]


# -- the directory by area -------------------------------------------------------------------------


def test_storefronts_are_listed_by_marketplace_and_administrative_area(system: System, personal_data) -> None:
    chi_lang_ward = storefront_at(system, personal_data, CHI_LANG, LANG_SON, marketplace="VOSO")
    other_ward = storefront_at(system, personal_data, CHI_LANG, dict(LANG_SON, ward_code="06469"))
    bac_giang = storefront_at(system, personal_data, CHI_LANG, BAC_GIANG)
    closed = storefront_at(system, personal_data, CHI_LANG, LANG_SON)
    system.app.set_storefront_status(closed, "CLOSED")
    system.catch_up()

    def listed(**query: Any) -> list[str]:
        rows, total = system.catalog.storefronts_page(after_position=0, limit=10, **query)
        assert total == len(rows)
        return [r["id"] for r in rows]

    assert listed(province=ProvinceArea.parse("2021:20")) == [str(chi_lang_ward), str(other_ward)]
    lang_son = ProvinceArea.parse("2021:20")
    assert listed(province=lang_son, district_code="187", ward_code="06466") == [str(chi_lang_ward)]
    assert listed(marketplace="VOSO") == [str(chi_lang_ward)]
    assert listed(province=ProvinceArea.parse("2021:24")) == [str(bac_giang)]
    assert listed(province=ProvinceArea.parse("2021:20"), statuses=("CLOSED",)) == [str(closed)]
    # Check pages follow on from a position without repeating.
    first_page, total = system.catalog.storefronts_page(after_position=0, limit=2)
    second_page, _ = system.catalog.storefronts_page(after_position=first_page[-1]["position"], limit=2)
    assert total == 3 and [r["id"] for r in first_page + second_page] == [str(chi_lang_ward), str(other_ward),
                                                                          str(bac_giang)]
