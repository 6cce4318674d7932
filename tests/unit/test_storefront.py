"""Storefront aggregates on POPO: opening, status, and opening hours in Vietnam's local time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from farmgate.core.domain.errors import InvalidInput, InvalidTransition
from farmgate.core.domain.household import Household
from farmgate.core.domain.opening_hours import OpeningHours
from farmgate.core.domain.place import GeoPoint
from farmgate.core.domain.storefront import Storefront, storefront_id_for

HOURS = ["input", "openingHours"]
CHI_LANG = GeoPoint(21.6611, 106.6289)

# A market stall: mornings, a lunch break, evenings on into the small hours of Tuesday, Sunday mornings.
STALL_HOURS = [
    {"day_of_week": 1, "opens": "07:00", "closes": "11:30"},
    {"day_of_week": 1, "opens": "13:30", "closes": "24:00"},
    {"day_of_week": 2, "opens": "00:00", "closes": "02:00"},
    {"day_of_week": 7, "opens": "06:00", "closes": "12:00"},
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def a_household(digest: str = "d" * 64) -> Household:
    return Household.register(
        code="HH-20-000001",
        name="Hộ Hoàng Văn Na",
        national_id_digest=digest,
        phone="+84912000101",
        address={"scheme": 2021, "province_code": "20", "district_code": "187", "ward_code": None, "street": None},
    )


def a_storefront(household: Household | None = None, marketplace: str = "POSTMART", hours=STALL_HOURS) -> Storefront:
    return Storefront.open(
        household=household or a_household(),
        marketplace=marketplace,
        name="Na Chi Lăng nhà Hoàng",
        location=CHI_LANG,
        opening_hours=OpeningHours.checked(hours, HOURS),
    )


def test_one_household_has_one_storefront_per_marketplace_under_one_id_each() -> None:
    household = a_household()
    postmart, voso = a_storefront(household, "POSTMART"), a_storefront(household, "VOSO")
    # Check the id is fixed by household and marketplace, so a second POSTMART storefront collides.
    assert postmart.id == storefront_id_for(household.id, "POSTMART") == a_storefront(household, "POSTMART").id
    assert voso.id != postmart.id
    assert postmart.household_id == voso.household_id == household.id
    assert postmart.status == "OPEN" and postmart.location == CHI_LANG


def test_an_unknown_marketplace_or_a_blank_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as unknown:
        a_storefront(marketplace="SHOPEE")
    assert unknown.value.field == ["input", "marketplace"]
    with pytest.raises(InvalidInput) as blank:
        Storefront.open(household=a_household(), marketplace="VOSO", name="  ", location=CHI_LANG,
                        opening_hours=OpeningHours())
    assert blank.value.field == ["input", "name"]


def test_status_moves_between_open_temporarily_closed_and_closed() -> None:
    storefront = a_storefront()
    storefront.set_status("TEMPORARILY_CLOSED")
    storefront.set_status("OPEN")
    storefront.set_status("CLOSED")
    # Check a closed storefront may reopen: its id is fixed, so refusing would bar it for good.
    storefront.set_status("OPEN")
    names = [type(e).__name__ for e in storefront.collect_events()]
    assert names == ["Opened", "ClosedTemporarily", "Reopened", "Closed", "Reopened"]


def test_setting_the_status_it_already_has_records_nothing() -> None:
    storefront = a_storefront()
    storefront.collect_events()
    storefront.set_status("OPEN")
    assert storefront.collect_events() == []


def test_a_closed_storefront_cannot_close_temporarily_and_an_unknown_status_is_refused() -> None:
    storefront = a_storefront()
    storefront.set_status("CLOSED")
    with pytest.raises(InvalidTransition) as refused:
        storefront.set_status("TEMPORARILY_CLOSED")
    assert refused.value.field == ["input", "status"]
    with pytest.raises(InvalidInput):
        storefront.set_status("BANKRUPT")


# -- opening hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        # 2021-08-02 is a Monday; Vietnam is UTC+7 all year.
        (utc(2021, 8, 1, 23, 59), False),  # Monday 06:59 local (still Sunday in UTC)
        (utc(2021, 8, 2, 0, 0), True),  # Monday 07:00 local: opens inclusive
        (utc(2021, 8, 2, 4, 30), False),  # Monday 11:30 local: closes exclusive, lunch break
        (utc(2021, 8, 2, 6, 30), True),  # Monday 13:30 local
        (utc(2021, 8, 2, 16, 59), True),  # Monday 23:59 local
        (utc(2021, 8, 2, 17, 0), True),  # Tuesday 00:00 local: the night market goes on
        (utc(2021, 8, 2, 18, 59), True),  # Tuesday 01:59 local
        (utc(2021, 8, 2, 19, 0), False),  # Tuesday 02:00 local
        (utc(2021, 8, 3, 3, 0), False),  # Tuesday 10:00 local: no Tuesday day hours
        (utc(2021, 8, 7, 23, 0), True),  # Sunday 06:00 local (Saturday in UTC)
        (utc(2021, 8, 8, 5, 0), False),  # Sunday 12:00 local
    ],
)
def test_is_open_by_its_hours_in_vietnams_local_time(instant: datetime, open_: bool) -> None:
    assert a_storefront().is_open_at(instant) is open_
    # Check the same instant given in another offset reads the same.
    assert a_storefront().is_open_at(instant.astimezone(timezone(timedelta(hours=-5)))) is open_


def test_a_storefront_not_open_by_status_is_not_open_within_its_hours() -> None:
    storefront = a_storefront()
    monday_morning = utc(2021, 8, 2, 2, 0)
    assert storefront.is_open_at(monday_morning)
    storefront.set_status("TEMPORARILY_CLOSED")
    assert not storefront.is_open_at(monday_morning)


def test_a_storefront_without_hours_is_never_open_now() -> None:
    assert not a_storefront(hours=[]).is_open_at(utc(2021, 8, 2, 2, 0))


def test_a_naive_time_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError):
        a_storefront().is_open_at(datetime(2021, 8, 2, 9, 0))


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"day_of_week": 0, "opens": "07:00", "closes": "11:00"}, "dayOfWeek"),
        ({"day_of_week": 8, "opens": "07:00", "closes": "11:00"}, "dayOfWeek"),
        ({"day_of_week": True, "opens": "07:00", "closes": "11:00"}, "dayOfWeek"),
        ({"day_of_week": 1, "opens": "7:00", "closes": "11:00"}, "opens"),
        ({"day_of_week": 1, "opens": "24:00", "closes": "24:00"}, "opens"),
        ({"day_of_week": 1, "opens": "07:60", "closes": "11:00"}, "opens"),
        ({"day_of_week": 1, "opens": "07:00", "closes": "24:01"}, "closes"),
        ({"day_of_week": 1, "opens": "07:00", "closes": "25:00"}, "closes"),
        ({"day_of_week": 1, "opens": "11:00", "closes": "11:00"}, "closes"),
        ({"day_of_week": 1, "opens": "22:00", "closes": "02:00"}, "closes"),
    ],
)
def test_hours_out_of_range_are_refused_at_the_entry_and_field(entry: dict, field: str) -> None:
    good = {"day_of_week": 3, "opens": "08:00", "closes": "17:00"}
    with pytest.raises(InvalidInput) as refused:
        OpeningHours.checked([good, entry], HOURS)
    assert refused.value.field == HOURS + ["1", field]


def test_overlapping_hours_of_one_day_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        OpeningHours.checked(
            [
                {"day_of_week": 2, "opens": "13:00", "closes": "18:00"},
                {"day_of_week": 2, "opens": "07:00", "closes": "13:30"},
            ],
            HOURS,
        )
    assert refused.value.field == HOURS + ["0", "opens"]


def test_hours_read_back_the_same_from_their_primitive_form() -> None:
    hours = OpeningHours.checked(STALL_HOURS, HOURS)
    assert OpeningHours.from_primitive(hours.to_primitive()) == hours
    assert hours.to_primitive()[1] == {"day_of_week": 1, "opens": "13:30", "closes": "24:00"}


def test_a_storefront_may_give_a_landline_as_its_contact_number_kept_in_e164() -> None:
    storefront = Storefront.open(household=a_household(), marketplace="VOSO", name="Điểm bán Bưu điện Chi Lăng",
                                 location=CHI_LANG, opening_hours=OpeningHours(), contact_phone="0205 3870 123")
    assert storefront.contact_phone == "+842053870123"
    [opened] = storefront.collect_events()
    assert opened.contact_phone == "+842053870123"
    # Without one, the household's own number is the contact.
    assert a_storefront().contact_phone is None


def test_a_storefront_contact_number_that_is_no_vietnamese_number_is_refused_at_its_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        Storefront.open(household=a_household(), marketplace="VOSO", name="Na", location=CHI_LANG,
                        opening_hours=OpeningHours(), contact_phone="0205 3870 12")
    assert refused.value.field == ["input", "contactPhone"] and "3870" not in refused.value.message


def test_a_storefront_opened_before_contact_numbers_replays_without_one() -> None:
    storefront = a_storefront()
    [opened] = storefront.collect_events()
    del opened.__dict__["contact_phone"]  # as an event stored before the field existed reads back
    assert opened.mutate(None).contact_phone is None
