"""Storefronts, listings and catalog search, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition, NotFound
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.projections.catalog import search_text
from farmgate.deploy.container import System
from tests.personal_data import PersonalData

BAC_GIANG = {"scheme": 2021, "province_code": "24", "district_code": "219", "ward_code": "07528", "street": "Thôn Quý 2"}
LANG_SON = {"scheme": 2021, "province_code": "20", "district_code": "187", "ward_code": "06466"}
DAK_LAK = {"scheme": 2021, "province_code": "66", "district_code": "643"}
ALL_DAY = [{"day_of_week": day, "opens": "00:00", "closes": "24:00"} for day in range(1, 8)]
LUC_NGAN = {"latitude": 21.3803, "longitude": 106.5838}


def register_household(system: System, pd: PersonalData, address: dict[str, Any] = BAC_GIANG,
                       name: str = "Hộ Nguyễn Văn Thiều") -> UUID:
    return system.app.register_household(name=name, national_id=pd.national_id(), phone=pd.phone(), address=address)


def open_storefront(system: System, household_id: UUID, marketplace: str = "POSTMART", **overrides: Any) -> UUID:
    args: dict[str, Any] = dict(household_id=household_id, marketplace=marketplace, name="Vườn vải nhà Thiều",
                                location=LUC_NGAN, opening_hours=ALL_DAY)
    args.update(overrides)
    return system.app.open_storefront(**args)


def publish(system: System, storefront_id: UUID, title: str, description: str | None = None, **overrides: Any) -> UUID:
    args: dict[str, Any] = dict(storefront_id=storefront_id, title=title, description=description, category="FRUIT",
                                unit="kg", unit_price={"amount": "35000", "currency": "VND"}, stock_quantity=100,
                                shelf_life_hours=48)
    args.update(overrides)
    return system.app.publish_listing(**args)


def a_storefront(system: System, pd: PersonalData, address: dict[str, Any] = BAC_GIANG, **overrides: Any) -> UUID:
    return open_storefront(system, register_household(system, pd, address), **overrides)


def titles(system: System, **query: Any) -> list[str]:
    query.setdefault("after", None)
    query.setdefault("limit", 100)
    rows, _ = system.catalog.listings_page(**query)
    return [r["title"] for r in rows]


# -- storefronts -----------------------------------------------------------------------------------


def test_a_household_has_one_storefront_per_marketplace_on_both_marketplaces(system: System, personal_data) -> None:
    household_id = register_household(system, personal_data)
    postmart = open_storefront(system, household_id, "POSTMART")
    voso = open_storefront(system, household_id, "VOSO", name="Vải Lục Ngạn trên Voso")
    with pytest.raises(AlreadyExists) as refused:
        open_storefront(system, household_id, "POSTMART")
    assert refused.value.field == ["input", "marketplace"]
    system.catch_up()
    # Check both read back under the one household, with the household's address as theirs.
    rows = system.catalog.storefronts_of_household(household_id)
    assert [r["id"] for r in rows] == [str(postmart), str(voso)]
    assert {r["marketplace"] for r in rows} == {"POSTMART", "VOSO"}
    assert all((r["province_code"], r["ward_code"], r["street"]) == ("24", "07528", "Thôn Quý 2") for r in rows)
    assert rows[0]["opening_hours"][0] == {"day_of_week": 1, "opens": "00:00", "closes": "24:00"}


def test_opening_a_storefront_refuses_bad_input_with_field_paths(system: System, personal_data) -> None:
    household_id = register_household(system, personal_data)
    bad_hours = [{"day_of_week": 1, "opens": "18:00", "closes": "25:00"}]
    with pytest.raises(InvalidInput) as hours:
        open_storefront(system, household_id, opening_hours=bad_hours)
    assert hours.value.field == ["input", "openingHours", "0", "closes"]
    with pytest.raises(InvalidInput) as day:
        open_storefront(system, household_id, opening_hours=[{"day_of_week": 9, "opens": "07:00", "closes": "09:00"}])
    assert day.value.field == ["input", "openingHours", "0", "dayOfWeek"]
    with pytest.raises(InvalidInput) as location:
        open_storefront(system, household_id, location={"latitude": 121.0, "longitude": 106.0})
    assert location.value.field == ["input", "location", "latitude"]
    with pytest.raises(NotFound) as missing:
        open_storefront(system, UUID(int=7))
    assert missing.value.field == ["input", "householdId"]
    # Check nothing was recorded by the refusals.
    system.catch_up()
    assert system.catalog.storefronts_of_household(household_id) == []


def test_storefront_status_reaches_the_directory_and_hides_its_listings(system: System, personal_data) -> None:
    storefront_id = a_storefront(system, personal_data)
    publish(system, storefront_id, "Vải thiều Lục Ngạn")
    system.app.set_storefront_status(storefront_id, "TEMPORARILY_CLOSED")
    system.catch_up()
    assert system.catalog.storefront(storefront_id)["status"] == "TEMPORARILY_CLOSED"
    assert titles(system, search="vai") == []
    system.app.set_storefront_status(storefront_id, "OPEN")
    system.catch_up()
    assert titles(system, search="vai") == ["Vải thiều Lục Ngạn"]


# -- listings: bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "field"),
    [
        ({"amount": "-35000", "currency": "VND"}, "amount"),
        ({"amount": "0", "currency": "VND"}, "amount"),
        ({"amount": "1.5", "currency": "VND"}, "amount"),
        ({"amount": "35.000", "currency": "VND"}, "amount"),
        ({"amount": "35000", "currency": "XYZ"}, "currency"),
        ({"amount": "35000", "currency": ""}, "currency"),
    ],
)
def test_a_listing_price_must_be_exact_positive_and_in_a_known_currency(
    system: System, personal_data, price: dict[str, str], field: str
) -> None:
    storefront_id = a_storefront(system, personal_data)
    with pytest.raises(InvalidInput) as refused:
        publish(system, storefront_id, "Vải thiều", unit_price=price)
    assert refused.value.code == "INVALID"
    assert refused.value.field == ["input", "unitPrice", field]


def test_a_listing_may_claim_only_its_own_households_valid_certifications(system: System, personal_data) -> None:
    now = datetime.now(timezone.utc)
    own_household, other_household = register_household(system, personal_data), register_household(system, personal_data)
    storefront_id = open_storefront(system, own_household)
    _, own = system.app.add_certification(own_household, "VIETGAP", "VG-24-0001", "Sở NN&PTNT", now + timedelta(days=90))
    _, theirs = system.app.add_certification(other_household, "VIETGAP", "VG-24-0002", "Sở NN&PTNT", now + timedelta(days=90))
    with pytest.raises(InvalidInput) as refused:
        publish(system, storefront_id, "Vải thiều VietGAP", certification_ids=[own, theirs])
    assert refused.value.field == ["input", "certificationIds", "1"]
    listing_id = publish(system, storefront_id, "Vải thiều VietGAP", certification_ids=[own])
    system.catch_up()
    certifications = system.catalog.listing(listing_id)["certifications"]
    assert [(c["id"], c["scheme"]) for c in certifications] == [(str(own), "VIETGAP")]


def test_a_closed_storefront_takes_no_listings(system: System, personal_data) -> None:
    storefront_id = a_storefront(system, personal_data)
    system.app.set_storefront_status(storefront_id, "CLOSED")
    with pytest.raises(InvalidTransition) as refused:
        publish(system, storefront_id, "Vải thiều")
    assert refused.value.field == ["input", "storefrontId"]
    with pytest.raises(NotFound) as missing:
        publish(system, UUID(int=1), "Vải thiều")
    assert missing.value.field == ["input", "storefrontId"]


def test_stock_price_and_status_reach_the_catalog(system: System, personal_data) -> None:
    storefront_id = a_storefront(system, personal_data)
    listing_id = publish(system, storefront_id, "Na dai Chi Lăng", stock_quantity=5)
    system.app.adjust_stock(listing_id, -5, "mưa đá")
    system.app.change_price(listing_id, {"amount": "42000", "currency": "VND"})
    system.catch_up()
    row = system.catalog.listing(listing_id)
    assert (row["stock_quantity"], row["status"]) == (0, "SOLD_OUT")
    assert row["unit_price"] == {"amount": "42000", "currency": "VND"}
    # Check a sold-out listing leaves the default catalog, and comes back on a new harvest.
    assert titles(system, search="na") == []
    assert titles(system, search="na", statuses=("ACTIVE", "SOLD_OUT")) == ["Na dai Chi Lăng"]
    system.app.adjust_stock(listing_id, 300, "thu hoạch lứa mới")
    system.app.pause_listing(listing_id)
    system.catch_up()
    assert system.catalog.listing(listing_id)["status"] == "PAUSED"
    system.app.resume_listing(listing_id)
    system.catch_up()
    assert (system.catalog.listing(listing_id)["status"], system.catalog.listing(listing_id)["stock_quantity"]) == (
        "ACTIVE", 300)
    system.app.delist_listing(listing_id)
    system.catch_up()
    assert system.catalog.listing(listing_id)["status"] == "DELISTED"
    assert titles(system, search="na") == []


# -- search ----------------------------------------------------------------------------------------


@pytest.fixture
def orchard(system: System, personal_data) -> System:
    storefront_id = a_storefront(system, personal_data)
    publish(system, storefront_id, "Vải thiều Lục Ngạn loại 1", "Hái sáng, giao trong 48 giờ")
    publish(system, storefront_id, "Sầu riêng Ri6", "Đặc sản Đắk Lắk, chín cây")
    publish(system, storefront_id, "Đậu đen xanh lòng", "Đỗ đen quê")
    publish(system, storefront_id, "Mật ong hoa nhãn", None)
    system.catch_up()
    return system


@pytest.mark.parametrize("query", ["vai thieu", "VẢI THIỀU", "Vải thiều", "vải   THIEU", "thieu vai", "vai thi", "LỤC ngan"])
def test_search_is_case_and_accent_insensitive(orchard: System, query: str) -> None:
    assert titles(orchard, search=query) == ["Vải thiều Lục Ngạn loại 1"]


def test_search_matches_decomposed_unicode_the_same_as_composed(orchard: System) -> None:
    # Text typed on some phones arrives decomposed (NFD): the same letters, other code points.
    assert titles(orchard, search=unicodedata.normalize("NFD", "Vải Thiều")) == ["Vải thiều Lục Ngạn loại 1"]


def test_search_folds_d_with_stroke_to_d(orchard: System) -> None:
    assert titles(orchard, search="dau den") == ["Đậu đen xanh lòng"]
    assert titles(orchard, search="ĐẬU") == ["Đậu đen xanh lòng"]
    # Check "dac san" finds the durian through its description's "Đặc sản".
    assert titles(orchard, search="dac san") == ["Sầu riêng Ri6"]


@pytest.mark.parametrize("query", ["vai sau", "hieu", "ai", "vai thieu sau rieng", "thieux", "mat ong vai"])
def test_search_does_not_over_match(orchard: System, query: str) -> None:
    # Every word must start a word of the listing: no fuzzy neighbours, no mid-word fragments.
    assert titles(orchard, search=query) == []


def test_an_empty_or_punctuation_only_search_is_the_whole_catalog(orchard: System) -> None:
    assert len(titles(orchard, search="  ?!  ")) == 4


def test_search_ranks_title_matches_before_description_only_matches(system: System, personal_data) -> None:
    storefront_id = a_storefront(system, personal_data)
    # Published best-first, so newest-first (the order within a rank) would give the exact opposite.
    publish(system, storefront_id, "Vải thiều Thanh Hà", None)  # the phrase in the title
    publish(system, storefront_id, "Thiều vải sấy khô", "sấy lạnh")  # both words in the title
    publish(system, storefront_id, "Mật ong hoa vải", "ong lấy mật hoa vải thiều")  # one word in the title
    publish(system, storefront_id, "Hộp quà trái cây", "vải thiều tươi, xoài, na")  # description only
    system.catch_up()
    assert titles(system, search="vai thieu") == [
        "Vải thiều Thanh Hà", "Thiều vải sấy khô", "Mật ong hoa vải", "Hộp quà trái cây"
    ]


def test_search_filters_by_category_province_certification_and_marketplace(system: System, personal_data) -> None:
    now = datetime.now(timezone.utc)
    bac_giang_household = register_household(system, personal_data, BAC_GIANG)
    _, vietgap = system.app.add_certification(bac_giang_household, "VIETGAP", "VG-1", "Sở NN", now + timedelta(days=2))
    bac_giang_postmart = open_storefront(system, bac_giang_household, "POSTMART")
    bac_giang_voso = open_storefront(system, bac_giang_household, "VOSO")
    lang_son = a_storefront(system, personal_data, LANG_SON, marketplace="VOSO")
    publish(system, bac_giang_postmart, "Vải thiều VietGAP", certification_ids=[vietgap])
    publish(system, bac_giang_voso, "Vải thiều sấy", category="PROCESSED_FOOD")
    publish(system, lang_son, "Vải thiều Lạng Sơn")
    publish(system, lang_son, "Na Chi Lăng")
    system.catch_up()

    assert titles(system, search="vai", category="PROCESSED_FOOD") == ["Vải thiều sấy"]
    assert titles(system, search="vai", province=ProvinceArea.parse("2021:20")) == ["Vải thiều Lạng Sơn"]
    assert titles(system, province=ProvinceArea.parse("2021:20")) == ["Na Chi Lăng", "Vải thiều Lạng Sơn"]
    assert titles(system, search="vai", marketplace="POSTMART") == ["Vải thiều VietGAP"]
    assert titles(system, search="vai", certification="VIETGAP") == ["Vải thiều VietGAP"]
    assert titles(system, certification="OCOP") == []
    # Check an expired certificate no longer qualifies a listing for the filter.
    assert titles(system, certification="VIETGAP", now=now + timedelta(days=3)) == []
    rows, total = system.catalog.listings_page(after=None, limit=1, search="vai thieu", marketplace="VOSO")
    assert (len(rows), total) == (1, 2)


@pytest.mark.parametrize("search", [None, "vai thieu"])
def test_pages_neither_repeat_nor_skip_while_listings_are_being_published(
    system: System, personal_data, search: str | None
) -> None:
    storefront_id = a_storefront(system, personal_data)
    originals = set()
    for n in range(7):
        title = f"Vải thiều lô {n}" if n % 2 else f"Hộp quà {n}"
        publish(system, storefront_id, title, "vải thiều Lục Ngạn")
        originals.add(title)
    system.catch_up()

    seen: list[str] = []
    after = None
    while True:
        rows, total = system.catalog.listings_page(after=after, limit=3 + 1, search=search)
        seen += [r["title"] for r in rows[:3]]
        if len(rows) <= 3:
            break
        after = rows[2]["sort_key"]
        # A rival storefront publishes between page loads: best-ranked and worst-ranked newcomers.
        publish(system, storefront_id, f"Vải thiều mới {len(seen)}", None)
        publish(system, storefront_id, f"Quà quê {len(seen)}", "vải thiều")
        system.catch_up()
    assert len(seen) == len(set(seen)), "a listing was shown twice"
    assert originals <= set(seen), "a listing that existed before the first page was skipped"


def test_a_malformed_cursor_is_refused(orchard: System) -> None:
    with pytest.raises(InvalidInput) as refused:
        orchard.catalog.listings_page(after="not-a-key", limit=5)
    assert refused.value.field == ["after"]


def test_postgres_folds_vietnamese_exactly_as_python_does(postgres_system: System) -> None:
    # Every vowel with every tone, in both cases, composed and decomposed, plus đ/Đ and punctuation.
    vowels, tones = "aăâeêioôơuưy", ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    letters = [unicodedata.normalize("NFC", v + t) for v in vowels + vowels.upper() for t in tones]
    samples = letters + [unicodedata.normalize("NFD", s) for s in letters] + [
        "Đặc sản Đắk Lắk", "VẢI THIỀU (Lục Ngạn), loại-1", "  Na   dai\tChi Lăng ", "quả_bơ 034",
    ]
    with postgres_system.store.transaction(commit=False) as cur:
        for sample in samples:
            folded = cur.execute("SELECT farmgate_fold(%s) AS f", (sample,)).fetchone()["f"]
            assert folded == search_text(sample), sample
