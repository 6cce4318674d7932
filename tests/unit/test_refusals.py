"""Every refusal of the domain, each with the exact error a user is shown: its class and code, the
field path at fault and the message. A user's only guide to what went wrong is this trio, so each is
pinned: a refusal that lost its field, named another, or said something else fails here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from farmgate.core.domain.carrier import VNPOST
from farmgate.core.domain.claim import checked_evidence
from farmgate.core.domain.contact import check_national_id, normalise_phone
from farmgate.core.domain.countries import check_country
from farmgate.core.domain.currency import check_currency
from farmgate.core.domain.errors import (
    AlreadyExists, DomainError, InvalidInput, InvalidTransition, LimitExceeded, OutOfStock,
)
from farmgate.core.domain.export_order import ExportOrder
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.money import Money
from farmgate.core.domain.opening_hours import OpeningHours
from farmgate.core.domain.order import Buyer, checked_lines
from farmgate.core.domain.place import Address, GeoPoint
from farmgate.core.domain.provinces import check_scheme, province
from farmgate.core.domain.storefront import Storefront, check_marketplace
from farmgate.core.domain.text import CLOCK_SKEW, required_text, world_time
from farmgate.core.domain.webhook_endpoint import check_secret, check_url
from tests.unit import test_claim, test_export_order, test_listing, test_order, test_shipment
from tests.personal_data import PersonalData

NOW = datetime(2021, 8, 3, 1, 30, tzinfo=timezone.utc)
PD = PersonalData()  # values of this module only; nothing here is logged


def vnd(amount: int) -> Money:
    return Money(Decimal(amount), "VND")


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


@dataclass(frozen=True)
class Refusal:
    error: type[DomainError]
    field: list[str] | None
    message: str
    code: str | None = None  # when it differs from the class's own


CASES: dict[str, tuple[Callable[[], object], Refusal]] = {}


def case(name: str, error: type[DomainError], field: list[str] | None, message: str, code: str | None = None):
    def register(trigger: Callable[[], object]) -> Callable[[], object]:
        assert name not in CASES, name
        CASES[name] = (trigger, Refusal(error, field, message, code))
        return trigger
    return register


# -- text, times, identifiers, places ------------------------------------------------------------------

case("empty text", InvalidInput, ["input", "title"], "title must not be empty")(
    lambda: required_text("  ", ["input", "title"]))
case("long text", InvalidInput, ["input", "title"], "title is longer than 5 characters")(
    lambda: required_text("abcdef", ["input", "title"], 5))
case("naive time", InvalidInput, ["input", "occurredAt"], "occurredAt must carry a UTC offset")(
    lambda: world_time(datetime(2021, 8, 3), NOW, ["input", "occurredAt"]))
case("future time", InvalidInput, ["input", "occurredAt"],
     "occurredAt must not be in the future (more than 5 minutes ahead of the clock)")(
    lambda: world_time(NOW + CLOCK_SKEW + timedelta(seconds=1), NOW, ["input", "occurredAt"]))
case("before its start", InvalidInput, ["input", "occurredAt"], "occurredAt must not be before the order was placed")(
    lambda: world_time(NOW - CLOCK_SKEW - timedelta(seconds=1), NOW, ["input", "occurredAt"], NOW,
                       "the order was placed"))
case("national id digits", InvalidInput, ["input", "nationalId"], "National ID (CCCD) must be exactly 12 digits")(
    lambda: check_national_id("02012345678", ["input", "nationalId"]))
case("national id province", InvalidInput, ["input", "nationalId"],
     "National ID (CCCD) does not start with a known province code")(
    lambda: check_national_id("099123456789", ["input", "nationalId"]))
case("phone prefix", InvalidInput, ["input", "phone"],
     "Phone must be a Vietnamese mobile number, e.g. 0912345678 or +84912345678")(
    lambda: normalise_phone("01912345678", ["input", "phone"]))  # the 11-digit form retired in 2018
case("phone digits", InvalidInput, ["input", "phone"],
     "Phone must be a Vietnamese mobile number, e.g. 0912345678 or +84912345678")(
    lambda: normalise_phone("0212345678", ["input", "phone"]))
case("country", InvalidInput, ["input", "destinationCountry"],
     "destinationCountry must be an ISO 3166-1 alpha-2 country code, e.g. BE, DE, CZ")(
    lambda: check_country("EU", ["input", "destinationCountry"]))
case("currency", InvalidInput, ["input", "currency"], "currency must be an ISO 4217 currency code, e.g. EUR, CZK, VND")(
    lambda: check_currency("XAU", ["input", "currency"]))
case("scheme", InvalidInput, ["input", "scheme"], "Unknown administrative scheme; use 2021 or 2025")(
    lambda: check_scheme(2020, ["input", "scheme"]))
case("province", InvalidInput, ["input", "provinceCode"], "Unknown province code in the 2025 scheme")(
    lambda: province(2025, "02", ["input", "provinceCode"]))
case("province scheme", InvalidInput, ["input", "address", "scheme"], "Unknown administrative scheme; use 2021 or 2025")(
    lambda: province(2020, "01", ["input", "address", "scheme"]))
case("district in 2025", InvalidInput, ["input", "address", "districtCode"], "The 2025 scheme has no district level")(
    lambda: Address.checked("24", 2025, district_code="219", field=["input", "address"]))
case("district code", InvalidInput, ["input", "address", "districtCode"],
     "districtCode is not a GSO district code of the 2021 scheme")(
    lambda: Address.checked("24", 2021, district_code="21a", field=["input", "address"]))
case("ward code", InvalidInput, ["input", "address", "wardCode"], "wardCode is not a GSO ward code of the 2021 scheme")(
    lambda: Address.checked("24", 2021, ward_code="123456", field=["input", "address"]))
case("street", InvalidInput, ["input", "address", "street"], "street is longer than 300 characters")(
    lambda: Address.checked("24", 2021, street="x" * 301, field=["input", "address"]))
case("latitude", InvalidInput, ["p", "latitude"], "latitude must be between -90 and 90")(
    lambda: GeoPoint.checked(91, 0, ["p"]))
case("longitude", InvalidInput, ["p", "longitude"], "longitude must be between -180 and 180")(
    lambda: GeoPoint.checked(0, -181, ["p"]))
case("money literal", InvalidInput, ["input", "unitPrice", "amount"],
     'amount must be a decimal string such as "35000" or "12.50"')(
    lambda: Money.parse("1e3", "VND", ["input", "unitPrice"]))
case("money whole", InvalidInput, ["input", "unitPrice", "amount"], "VND has no minor unit: the amount must be whole")(
    lambda: Money.parse("35.000", "VND", ["input", "unitPrice"]))
case("money places", InvalidInput, ["input", "unitPrice", "amount"], "EUR amounts have at most 2 decimal places")(
    lambda: Money.parse("1.005", "eur", ["input", "unitPrice"]))
case("money currency", InvalidInput, ["input", "unitPrice", "currency"],
     "currency must be an ISO 4217 currency code, e.g. EUR, CZK, VND")(
    lambda: Money.parse("1", "ABC", ["input", "unitPrice"]))

# -- opening hours, storefronts --------------------------------------------------------------------------

case("hours time", InvalidInput, ["h", "0", "opens"], "opens must be a time HH:MM from 00:00 to 23:59")(
    lambda: OpeningHours.checked([{"day_of_week": 1, "opens": "24:00", "closes": "24:00"}], ["h"]))
case("hours closing time", InvalidInput, ["h", "0", "closes"], "closes must be a time HH:MM from 00:00 to 24:00")(
    lambda: OpeningHours.checked([{"day_of_week": 1, "opens": "08:00", "closes": "8pm"}], ["h"]))
case("hours count", InvalidInput, ["h"], "At most 28 opening hours entries")(
    lambda: OpeningHours.checked([{"day_of_week": 1, "opens": "08:00", "closes": "09:00"}] * 29, ["h"]))
case("hours day", InvalidInput, ["h", "0", "dayOfWeek"], "dayOfWeek must be 1 (Monday) to 7 (Sunday)")(
    lambda: OpeningHours.checked([{"day_of_week": True, "opens": "08:00", "closes": "09:00"}], ["h"]))
case("hours order", InvalidInput, ["h", "0", "closes"], "closes must be later than opens on the same day")(
    lambda: OpeningHours.checked([{"day_of_week": 1, "opens": "09:00", "closes": "09:00"}], ["h"]))
case("hours overlap", InvalidInput, ["h", "0", "opens"], "Opening hours overlap another entry of the same day")(
    lambda: OpeningHours.checked([{"day_of_week": 3, "opens": "10:00", "closes": "12:00"},
                                  {"day_of_week": 3, "opens": "08:00", "closes": "11:00"}], ["h"]))
case("marketplace", InvalidInput, ["input", "marketplace"], "Unknown marketplace; use one of POSTMART, VOSO")(
    lambda: check_marketplace("SHOPEE", ["input", "marketplace"]))


def _storefront(status: str = "OPEN") -> Storefront:
    storefront = Storefront.open(household=test_listing.a_household(), marketplace="VOSO", name="Vải nhà Thiều",
                                 location=GeoPoint(21.38, 106.58), opening_hours=OpeningHours())
    if status != "OPEN":
        storefront.set_status(status)
    return storefront


case("storefront status", InvalidInput, ["input", "status"],
     "Unknown status; use one of OPEN, TEMPORARILY_CLOSED, CLOSED")(lambda: _storefront().set_status("BUSY"))
case("storefront close temporarily", InvalidTransition, ["input", "status"],
     "A CLOSED storefront cannot close temporarily")(lambda: _storefront("CLOSED").close_temporarily())
case("storefront closed twice", InvalidTransition, ["input", "status"], "The storefront is already closed")(
    lambda: _storefront("CLOSED").close())
case("storefront opened twice", InvalidTransition, ["input", "status"], "The storefront is already open")(
    lambda: _storefront().reopen())
case("storefront name", InvalidInput, ["input", "name"], "name must not be empty")(
    lambda: Storefront.open(household=test_listing.a_household(), marketplace="VOSO", name=" ",
                            location=GeoPoint(21.38, 106.58), opening_hours=OpeningHours()))

# -- households --------------------------------------------------------------------------------------------


def _household():
    return test_listing.a_household()


case("verified twice", InvalidTransition, ["input", "householdId"], "A VERIFIED household cannot be verified")(
    lambda: [h := _household(), h.verify("visit"), h.verify("again")])
case("verify method", InvalidInput, ["input", "method"], "method must not be empty")(
    lambda: _household().verify(""))
case("account kind", InvalidInput, ["input", "kind"], "Unknown payment account kind CASH")(
    lambda: _household().link_payment_account("CASH", "MoMo", "****1234"))
case("account provider", InvalidInput, ["input", "provider"], "provider is longer than 100 characters")(
    lambda: _household().link_payment_account("E_WALLET", "M" * 101, "****1234"))
case("account twice", InvalidInput, ["input", "reference"], "This payment account is already linked", "ALREADY_EXISTS")(
    lambda: [h := _household(), h.link_payment_account("E_WALLET", "MoMo", "****1234"),
             h.link_payment_account("E_WALLET", "MoMo", "****1234")])
case("certification scheme", InvalidInput, ["input", "scheme"], "Unknown certification scheme GAP")(
    lambda: _household().add_certification("GAP", "1", "Sở", NOW + timedelta(days=1), NOW))
case("certification number", InvalidInput, ["input", "number"], "number must not be empty")(
    lambda: _household().add_certification("VIETGAP", " ", "Sở", NOW + timedelta(days=1), NOW))
case("certification issuer", InvalidInput, ["input", "issuer"], "issuer is longer than 200 characters")(
    lambda: _household().add_certification("VIETGAP", "1", "S" * 201, NOW + timedelta(days=1), NOW))
case("certification expired", InvalidInput, ["input", "validUntil"], "validUntil must be in the future")(
    lambda: _household().add_certification("VIETGAP", "1", "Sở", NOW, NOW))
case("certification twice", InvalidInput, ["input", "number"], "VIETGAP certificate VG-1 is already on this household",
     "ALREADY_EXISTS")(
    lambda: [h := _household(), h.add_certification("VIETGAP", "VG-1", "Sở", NOW + timedelta(days=1), NOW),
             h.add_certification("VIETGAP", "VG-1", "Sở khác", NOW + timedelta(days=2), NOW)])

# -- listings ------------------------------------------------------------------------------------------------


def _listing(**overrides: object) -> Listing:
    return test_listing.publish(**overrides)


case("stock not whole", InvalidInput, ["input", "stockQuantity"], "stockQuantity must be a whole number")(
    lambda: _listing(stock_quantity=2.5))
case("stock range", InvalidInput, ["input", "stockQuantity"], "stockQuantity must be between 1 and 1,000,000")(
    lambda: _listing(stock_quantity=0))
case("shelf life range", InvalidInput, ["input", "shelfLifeHours"], "shelfLifeHours must be between 1 and 17,520")(
    lambda: _listing(shelf_life_hours=17_521))
case("price zero", InvalidInput, ["input", "unitPrice", "amount"], "unitPrice must be more than zero")(
    lambda: _listing(unit_price=vnd(0)))
case("price high", InvalidInput, ["input", "unitPrice", "amount"], "unitPrice is implausibly high")(
    lambda: _listing(unit_price=vnd(10**12 + 1)))
case("category", InvalidInput, ["input", "category"],
     "Unknown category; use one of FRUIT, VEGETABLE, RICE_AND_GRAIN, SEAFOOD, LIVESTOCK, PROCESSED_FOOD, FARM_INPUT, OTHER")(
    lambda: _listing(category="FLOWERS"))
case("description", InvalidInput, ["input", "description"], "description is longer than 5000 characters")(
    lambda: _listing(description="x" * 5001))
case("title", InvalidInput, ["input", "title"], "title is longer than 200 characters")(lambda: _listing(title="t" * 201))
case("unit", InvalidInput, ["input", "unit"], "unit is longer than 50 characters")(lambda: _listing(unit="u" * 51))
case("closed storefront", InvalidTransition, ["input", "storefrontId"], "The storefront is closed and takes no new listings")(
    lambda: [h := test_listing.a_household(), s := test_listing.a_storefront(h), s.close(), _listing(household=h, storefront=s)])
case("certifications count", InvalidInput, ["input", "certificationIds"], "At most 10 certifications")(
    lambda: _listing(certification_ids=[uuid4() for _ in range(11)]))
case("certification unknown", InvalidInput, ["input", "certificationIds", "0"],
     "Not a certification of this storefront's household")(lambda: _listing(certification_ids=[uuid4()]))
case("certification expired on listing", InvalidInput, ["input", "certificationIds", "0"],
     "This OCOP certification has expired")(
    lambda: [h := test_listing.a_household(),
             c := h.add_certification("OCOP", "3*", "UBND", test_listing.NOW, test_listing.NOW - timedelta(days=1)),
             _listing(household=h, certification_ids=[c])])
case("certification twice on listing", InvalidInput, ["input", "certificationIds", "1"], "This certification is listed twice")(
    lambda: [h := test_listing.a_household(),
             c := h.add_certification("OCOP", "3*", "UBND", test_listing.NOW + timedelta(days=9), test_listing.NOW),
             _listing(household=h, certification_ids=[c, c])])
case("delta zero", InvalidInput, ["input", "delta"], "delta must not be zero")(
    lambda: _listing().adjust_stock(0, "kiểm kho"))
case("delta reason", InvalidInput, ["input", "reason"], "reason must not be empty")(
    lambda: _listing().adjust_stock(1, " "))
case("delta loss", InvalidInput, ["input", "delta"], "Only 10 in stock; the loss cannot exceed it")(
    lambda: _listing(stock_quantity=10).adjust_stock(-11, "hỏng"))
case("delta above max", InvalidInput, ["input", "delta"], "Stock cannot exceed 1,000,000")(
    lambda: _listing(stock_quantity=10).adjust_stock(999_991, "thu hoạch"))
case("delta range", InvalidInput, ["input", "delta"], "delta must be between -1000000 and 1,000,000")(
    lambda: _listing().adjust_stock(-1_000_001, "x"))
case("delisted", InvalidTransition, ["input", "listingId"], "The listing is delisted")(
    lambda: [listing := _listing(), listing.delist(), listing.change_price(vnd(1))])
case("reserve paused", InvalidTransition, ["input", "lines", "0", "quantity"], "The listing is paused and takes no orders")(
    lambda: [listing := _listing(), listing.pause(), listing.reserve(1, field=["input", "lines", "0", "quantity"])])
case("reserve too much", OutOfStock, ["input", "quantity"], "Only 10 hộp 5kg left")(
    lambda: _listing(stock_quantity=10).reserve(11))
case("pause delisted", InvalidTransition, ["input", "listingId"], "A DELISTED listing cannot be paused")(
    lambda: [listing := _listing(), listing.delist(), listing.pause()])
case("resume active", InvalidTransition, ["input", "listingId"], "A ACTIVE listing cannot be resumed")(
    lambda: _listing().resume())

# -- orders -------------------------------------------------------------------------------------------------

SHOP = test_order.Shop(PD)


def _order(**overrides: object):
    shop = test_order.Shop(PD)
    return test_order.place(shop.storefront, [(shop.na, 2)], test_order.a_buyer(PD), **overrides)


case("buyer address", InvalidInput, ["input", "buyer", "address"], "address is required")(
    lambda: Buyer.checked("Mai", "0912345678", None))  # type: ignore[arg-type]
case("buyer name", InvalidInput, ["input", "buyer", "name"], "name must not be empty")(
    lambda: Buyer.checked(None, "0912345678", {"province_code": "01"}))  # type: ignore[arg-type]
case("buyer phone", InvalidInput, ["input", "buyer", "phone"],
     "Phone must be a Vietnamese mobile or landline number, e.g. 0912345678 or 024 3942 1234")(
    lambda: Buyer.checked("Mai", None, {"province_code": "01"}))  # type: ignore[arg-type]
case("buyer province", InvalidInput, ["input", "buyer", "address", "provinceCode"],
     "Unknown province code in the 2025 scheme")(
    lambda: Buyer.checked("Mai", "0912345678", {"province_code": "99"}))
case("payment method", InvalidInput, ["input", "paymentMethod"],
     "Unknown payment method; use one of CASH_ON_DELIVERY, E_WALLET, BANK_TRANSFER, POST_OFFICE_COUNTER")(
    lambda: _order(payment_method="BARTER"))
case("no lines", InvalidInput, ["input", "lines"], "An order needs at least one line")(lambda: checked_lines([]))
case("many lines", InvalidInput, ["input", "lines"], "An order has at most 50 lines")(
    lambda: checked_lines([(uuid4(), 1) for _ in range(51)]))
case("line id", InvalidInput, ["input", "lines", "1", "listingId"], "listingId is not a listing's id")(
    lambda: checked_lines([(uuid4(), 1), ("x", 1)]))
case("line twice", InvalidInput, ["input", "lines", "1", "listingId"], "This listing is already on another line")(
    lambda: [listing := uuid4(), checked_lines([(listing, 1), (listing, 2)])])
case("line quantity type", InvalidInput, ["input", "lines", "0", "quantity"], "quantity must be a whole number")(
    lambda: checked_lines([(uuid4(), True)]))
case("line quantity range", InvalidInput, ["input", "lines", "0", "quantity"], "quantity must be between 1 and 10,000")(
    lambda: checked_lines([(uuid4(), 0)]))
case("line storefront", InvalidInput, ["input", "lines", "1", "listingId"],
     "Every line of an order must come from one storefront")(
    lambda: [other := test_order.Shop(PD),
             test_order.place(SHOP.storefront, [(SHOP.na, 1), (other.na, 1)], test_order.a_buyer(PD))])
case("line sold out", OutOfStock, ["input", "lines", "0", "quantity"], "Na dai Chi Lăng is sold out")(
    lambda: [shop := test_order.Shop(PD), shop.na.reserve(100),
             test_order.place(shop.storefront, [(shop.na, 1)], test_order.a_buyer(PD))])
case("line paused", InvalidTransition, ["input", "lines", "0", "listingId"], "This listing is paused and takes no orders")(
    lambda: [shop := test_order.Shop(PD), shop.na.pause(),
             test_order.place(shop.storefront, [(shop.na, 1)], test_order.a_buyer(PD))])
case("listing currency", InvalidInput, ["input", "unitPrice", "currency"],
     "Domestic prices are in VND only; this one is in EUR")(
    lambda: [shop := test_order.Shop(PD),
             test_order.a_listing(shop.household, shop.storefront, title="Export", unit_price=eur("12.50"))])
case("storefront not open", InvalidTransition, ["input", "lines", "0", "listingId"], "The storefront is not taking orders")(
    lambda: [shop := test_order.Shop(PD), shop.storefront.close_temporarily(),
             test_order.place(shop.storefront, [(shop.na, 1)], test_order.a_buyer(PD))])
case("confirm twice", InvalidTransition, ["input", "orderId"], "A CONFIRMED order cannot be confirmed")(
    lambda: [order := _order(), order.confirm(), order.confirm()])
case("cancel reason", InvalidInput, ["input", "reason"], "reason is longer than 500 characters")(
    lambda: _order().cancel("r" * 501))
case("dispatch placed", InvalidTransition, ["input", "orderId"], "A PLACED order cannot be dispatched")(
    lambda: _order().record_dispatch(uuid4(), "VNPost", "EB-1", VNPOST.id))
case("pay reference", InvalidInput, ["input", "reference"], "reference must not be empty")(
    lambda: _order().record_payment(vnd(1), " ", NOW, NOW))
case("pay before placed", InvalidInput, ["input", "occurredAt"], "occurredAt must not be before the order was placed")(
    lambda: _order().record_payment(vnd(1), "P", NOW - CLOCK_SKEW - timedelta(seconds=1), NOW))
case("pay currency", InvalidInput, ["input", "amount", "currency"], "This order is paid in VND")(
    lambda: _order().record_payment(eur("1.00"), "P", NOW, NOW))
case("pay zero", InvalidInput, ["input", "amount", "amount"], "amount must be more than zero")(
    lambda: _order().record_payment(vnd(0), "P", NOW, NOW))
case("pay reference twice", AlreadyExists, ["input", "reference"], "A payment with this reference is already recorded")(
    lambda: [order := _order(), order.record_payment(vnd(1), "P", NOW, NOW), order.record_payment(vnd(1), "P", NOW, NOW)])
# A payment beyond what is outstanding is a fact, recorded and flagged OVERPAID (test_order), not refused.
case("refund currency", InvalidInput, ["input", "payout", "currency"], "This order was paid in VND")(
    lambda: _order().refund_for_claim(uuid4(), eur("1.00")))

# -- shipments ------------------------------------------------------------------------------------------------

case("tracking number", InvalidInput, ["input", "trackingNumber"], "trackingNumber must be 4 to 40 letters, digits or dashes")(
    lambda: test_shipment.dispatch(tracking_number=None))
case("carrier", InvalidInput, ["input", "carrier"], "No known carrier has this id or name (ADMIN adds carriers: registerCarrier)")(
    lambda: test_shipment.dispatch(carrier="Giao Hàng Tiết Kiệm"))
case("backwards", InvalidTransition, ["input", "status"], "INFO_RECEIVED cannot follow IN_TRANSIT")(
    lambda: test_shipment.reach("IN_TRANSIT").record_checkpoint("INFO_RECEIVED", test_shipment.at(2), test_shipment.at(2)))
case("checkpoint delivered", InvalidInput, ["input", "status"], "Record DELIVERED with confirmDelivery")(
    lambda: test_shipment.dispatch().record_checkpoint("DELIVERED", test_shipment.at(1), test_shipment.at(1)))
case("checkpoint unknown", InvalidInput, ["input", "status"],
     "Unknown shipment status; use one of INFO_RECEIVED, IN_TRANSIT, OUT_FOR_DELIVERY, AVAILABLE_FOR_PICKUP, "
     "EXCEPTION, RETURNED_TO_SENDER")(
    lambda: test_shipment.dispatch().record_checkpoint("LOST", test_shipment.at(1), test_shipment.at(1)))
case("checkpoint location", InvalidInput, ["input", "location"], "location is longer than 200 characters")(
    lambda: test_shipment.dispatch().record_checkpoint("IN_TRANSIT", test_shipment.at(1), test_shipment.at(1),
                                                       location="l" * 201))
case("checkpoint note", InvalidInput, ["input", "note"], "note is longer than 1000 characters")(
    lambda: test_shipment.dispatch().record_checkpoint("IN_TRANSIT", test_shipment.at(1), test_shipment.at(1),
                                                       note="n" * 1001))
case("checkpoint raw status", InvalidInput, ["input", "rawStatus"], "rawStatus is longer than 200 characters")(
    lambda: test_shipment.dispatch().record_checkpoint("IN_TRANSIT", test_shipment.at(1), test_shipment.at(1),
                                                       raw_status="r" * 201))
case("failure reason", InvalidInput, ["input", "reason"],
     "Unknown reason; use one of AREA_RESTRICTED, RECIPIENT_UNREACHABLE, ADDRESS_INVALID, REFUSED_BY_RECIPIENT, "
     "DAMAGED_IN_TRANSIT, CARRIER_CAPACITY, WEATHER, OTHER")(
    lambda: test_shipment.dispatch().record_delivery_failure("LOCKDOWN", test_shipment.at(1), test_shipment.at(1)))
case("failure note", InvalidInput, ["input", "note"], "note is longer than 1000 characters")(
    lambda: test_shipment.dispatch().record_delivery_failure("WEATHER", test_shipment.at(1), test_shipment.at(1),
                                                             note="n" * 1001))
case("received by", InvalidInput, ["input", "receivedBy"], "receivedBy is longer than 200 characters")(
    lambda: test_shipment.dispatch().confirm_delivery(test_shipment.at(1), test_shipment.at(1), received_by="r" * 201))
case("spoilage note", InvalidInput, ["input", "note"], "note must not be empty")(
    lambda: test_shipment.dispatch().declare_spoilage(test_shipment.at(1), test_shipment.at(1), ""))
case("return location", InvalidInput, ["input", "location"], "location is longer than 200 characters")(
    lambda: test_shipment.dispatch().return_to_sender(test_shipment.at(1), test_shipment.at(1), location="l" * 201))
case("return raw status", InvalidInput, ["input", "rawStatus"], "rawStatus is longer than 200 characters")(
    lambda: test_shipment.dispatch().return_to_sender(test_shipment.at(1), test_shipment.at(1), raw_status="r" * 201))
case("return note", InvalidInput, ["input", "note"], "note is longer than 1000 characters")(
    lambda: test_shipment.dispatch().return_to_sender(test_shipment.at(1), test_shipment.at(1), note="n" * 1001))
case("return in the future", InvalidInput, ["input", "occurredAt"],
     "occurredAt must not be in the future (more than 5 minutes ahead of the clock)")(
    lambda: test_shipment.dispatch().return_to_sender(test_shipment.at(2), test_shipment.at(1)))

# -- claims ---------------------------------------------------------------------------------------------------

ONE = [{"party": "CARRIER", "basis_points": 10_000}]


def _claim(status: str = "OPEN"):
    claim = test_claim.a_claim(claimed=300_000)
    if status in ("ASSESSED", "APPROVED"):
        claim.assess("x", ONE, vnd(100_000))
    if status == "APPROVED":
        claim.decide("APPROVED", vnd(100_000), "ok")
    return claim


def _file(**overrides: object):
    args = dict(order_id=uuid4(), marketplace="POSTMART", household_id=uuid4(), kind="SPOILED", claimant="BUYER",
                amount_claimed=vnd(1), description="x", evidence=[], now=NOW)
    args.update(overrides)
    from farmgate.core.domain.claim import CompensationClaim

    return CompensationClaim.file(**args)  # type: ignore[arg-type]


case("evidence digest", InvalidInput, ["input", "evidence", "sha256"], "sha256 must be 64 hexadecimal characters")(
    lambda: checked_evidence("g" * 64, "https://e.example/x", None, ["input", "evidence"]))
case("evidence uri", InvalidInput, ["input", "evidence", "uri"], "uri must be an https://, s3://, gs:// or ipfs:// address")(
    lambda: checked_evidence("a" * 64, "http://e.example/x", None, ["input", "evidence"]))
case("evidence description", InvalidInput, ["input", "evidence", "description"],
     "description is longer than 1000 characters")(
    lambda: checked_evidence("a" * 64, "https://e.example/x", "d" * 1001, ["input", "evidence"]))
case("claim kind", InvalidInput, ["input", "kind"], "Unknown claim kind STOLEN")(lambda: _file(kind="STOLEN"))
case("claimant", InvalidInput, ["input", "claimant"], "Unknown claimant CARRIER")(lambda: _file(claimant="CARRIER"))
case("claim currency", InvalidInput, ["input", "amountClaimed", "currency"], "This order is priced in VND")(
    lambda: _order().note_claim(uuid4(), "BUYER", "SPOILED", "OPEN", eur("1.00"), eur("1.00"), eur("0"), eur("0"),
                                ["input", "amountClaimed"]))
case("claim zero", InvalidInput, ["input", "amountClaimed", "amount"], "amountClaimed must be more than zero")(
    lambda: _file(amount_claimed=vnd(0)))
case("claim too much", LimitExceeded, ["input", "amountClaimed", "amount"],
     "BUYER claims on this order may commit at most 10 VND in all; 10 VND is left")(
    lambda: [order := _order(), order.record_payment(vnd(10), "P", NOW, NOW),
             order.note_claim(uuid4(), "BUYER", "SPOILED", "OPEN", vnd(11), vnd(11), vnd(0), vnd(0),
                              ["input", "amountClaimed"])])
case("claim description", InvalidInput, ["input", "description"], "description is longer than 4000 characters")(
    lambda: _file(description="d" * 4001))
case("evidence twice", InvalidInput, ["input", "evidence", "sha256"], "This evidence is already on the claim",
     "ALREADY_EXISTS")(lambda: _claim().add_evidence(test_claim.EVIDENCE))
case("assess nobody", InvalidInput, ["input", "liability"], "liability must name at least one party")(
    lambda: _claim().assess("x", [], vnd(1)))
case("assess party", InvalidInput, ["input", "liability", "1", "party"], "Unknown party BANK")(
    lambda: _claim().assess("x", [{"party": "CARRIER", "basis_points": 5000}, {"party": "BANK", "basis_points": 5000}],
                            vnd(1)))
case("assess points", InvalidInput, ["input", "liability", "1", "basisPoints"], "basisPoints must be between 0 and 10000")(
    lambda: _claim().assess("x", [{"party": "CARRIER", "basis_points": 10_000},
                                  {"party": "HOUSEHOLD", "basis_points": -1}], vnd(1)))
case("assess twice a party", InvalidInput, ["input", "liability"], "Each party appears once in the liability split")(
    lambda: _claim().assess("x", [{"party": "CARRIER", "basis_points": 5000}, {"party": "CARRIER", "basis_points": 5000}],
                            vnd(1)))
case("assess sum", InvalidInput, ["input", "liability"], "The liability shares must sum to exactly 10000 basis points")(
    lambda: _claim().assess("x", [{"party": "CARRIER", "basis_points": 9999}], vnd(1)))
case("assess currency", InvalidInput, ["input", "recommendedPayout", "currency"], "The claim is in VND")(
    lambda: _claim().assess("x", ONE, eur("1.00")))
case("assess payout", InvalidInput, ["input", "recommendedPayout", "amount"],
     "recommendedPayout must be between zero and the amount claimed")(lambda: _claim().assess("x", ONE, vnd(300_001)))
case("assess findings", InvalidInput, ["input", "findings"], "findings must not be empty")(
    lambda: _claim().assess(" ", ONE, vnd(1)))
case("decide open", InvalidTransition, ["input", "claimId"], "A OPEN claim cannot be decided before it is assessed")(
    lambda: _claim().decide("REJECTED", None, "x"))
case("decide decided", InvalidTransition, ["input", "claimId"], "A APPROVED claim cannot be decided")(
    lambda: _claim("APPROVED").decide("REJECTED", None, "x"))
case("decide reason", InvalidInput, ["input", "reason"], "reason must not be empty")(
    lambda: _claim("ASSESSED").decide("REJECTED", None, ""))
case("approve without payout", InvalidInput, ["input", "payout"], "An approved claim needs a payout")(
    lambda: _claim("ASSESSED").decide("APPROVED", None, "x"))
case("approve currency", InvalidInput, ["input", "payout", "currency"], "The claim is in VND")(
    lambda: _claim("ASSESSED").decide("APPROVED", eur("1.00"), "x"))
case("approve amount", InvalidInput, ["input", "payout", "amount"],
     "payout must be more than zero and not above the amount claimed")(
    lambda: _claim("ASSESSED").decide("APPROVED", vnd(0), "x"))
case("reject with payout", InvalidInput, ["input", "payout"], "A rejected claim has no payout")(
    lambda: _claim("ASSESSED").decide("REJECTED", vnd(1), "x"))
case("outcome", InvalidInput, ["input", "outcome"], "Unknown outcome MAYBE")(
    lambda: _claim("ASSESSED").decide("MAYBE", None, "x"))
case("payer", InvalidInput, ["input", "payer"], "Unknown party BANK")(
    lambda: _claim("APPROVED").record_payment("BANK", vnd(1), "P"))
case("compensation currency", InvalidInput, ["input", "amount", "currency"], "The payout is in VND")(
    lambda: _claim("APPROVED").record_payment("CARRIER", eur("1.00"), "P"))
case("compensation nothing", InvalidInput, ["input", "amount", "amount"], "amount must be more than zero")(
    lambda: _claim("APPROVED").record_payment("CARRIER", vnd(0), "P"))
# A compensation payment on an OPEN claim, from a party without a share, or beyond the payer's share is a
# fact: recorded and flagged (test_claim_money), no longer refused.
case("compensation reference twice", AlreadyExists, ["input", "reference"],
     "A payment with this reference is already recorded")(
    lambda: [claim := _claim("APPROVED"), claim.record_payment("CARRIER", vnd(1), "P"),
             claim.record_payment("CARRIER", vnd(1), "P")])
case("compensation reference", InvalidInput, ["input", "reference"], "reference must not be empty")(
    lambda: _claim("APPROVED").record_payment("CARRIER", vnd(1), " "))
case("withdraw reason", InvalidInput, ["input", "reason"], "reason must not be empty")(lambda: _claim().withdraw(""))
case("withdraw approved", InvalidTransition, ["input", "claimId"], "A APPROVED claim cannot be withdrawn")(
    lambda: _claim("APPROVED").withdraw("x"))
case("evidence on approved", InvalidTransition, ["input", "claimId"], "A APPROVED claim cannot be given more evidence")(
    lambda: _claim("APPROVED").add_evidence({"sha256": "c" * 64, "uri": "https://e.example/c", "description": None}))
case("assess approved", InvalidTransition, ["input", "claimId"], "A APPROVED claim cannot be assessed")(
    lambda: _claim("APPROVED").assess("x", ONE, vnd(1)))

# -- export orders ----------------------------------------------------------------------------------------------


def _export(**overrides: object) -> ExportOrder:
    return test_export_order.an_order(**overrides)


case("export reference", InvalidInput, ["input", "reference"], "reference is longer than 100 characters")(
    lambda: _export(reference="r" * 101))
case("hs code", InvalidInput, ["input", "hsCode"], "hsCode must be 6 to 10 digits, e.g. 081090")(
    lambda: _export(hs_code="0810"))
case("export price", InvalidInput, ["input", "unitPrice", "amount"], "The unit price must be above zero")(
    lambda: _export(unit_price="0"))
case("export product", InvalidInput, ["input", "product"], "product must not be empty")(lambda: _export(product=" "))
case("consignee", InvalidInput, ["input", "consignee"], "consignee is longer than 300 characters")(
    lambda: _export(consignee="c" * 301))
case("incoterm", InvalidInput, ["input", "incoterm"],
     "The Incoterm must be one of EXW, FCA, CPT, CIP, DAP, DPU, DDP, FOB, CFR, CIF")(lambda: _export(incoterm="FAS"))
case("quantity type", InvalidInput, ["input", "quantityKg"], "quantityKg must be a positive whole number")(
    lambda: _export(quantity_kg=True))
case("quantity limit", InvalidInput, ["input", "quantityKg"], "quantityKg must be at most 200,000")(
    lambda: _export(quantity_kg=200_001))
case("lot limit", InvalidInput, ["input", "quantityKg"], "quantityKg must be at most 50,000")(
    lambda: _export(quantity_kg=200_000).allocate_lot(uuid4(), "HH", 50_001))
case("harvest to door", InvalidInput, ["input", "harvestToDoorHours"], "harvestToDoorHours must be at most 8,760")(
    lambda: _export(harvest_to_door_hours=8761))
case("lot on cancelled", InvalidTransition, ["input", "exportOrderId"], "A CANCELLED export order cannot take more lots")(
    lambda: [order := _export(), order.cancel("x"), order.allocate_lot(uuid4(), "HH", 1)])
case("lot too big", LimitExceeded, ["input", "quantityKg"], "Only 1000 kg of this export order are left to allocate")(
    lambda: _export().allocate_lot(uuid4(), "HH", 1001))
case("document kind", InvalidInput, ["input", "kind"],
     "The document kind must be one of PHYTOSANITARY_CERTIFICATE, CERTIFICATE_OF_ORIGIN, COMMERCIAL_INVOICE, "
     "PACKING_LIST, AIR_WAYBILL, EXPORT_DECLARATION, IMPORT_DECLARATION")(
    lambda: _export().file_document("VISA", "1", "x", NOW, None, NOW))
case("document digest", InvalidInput, ["input", "sha256"], "sha256 must be 64 hexadecimal characters")(
    lambda: _export().file_document("PACKING_LIST", "1", "x", NOW, "abc", NOW))
case("document twice", AlreadyExists, ["input", "number"], "PACKING_LIST PL-1 is already filed on this export order")(
    lambda: [order := _export(), order.file_document("PACKING_LIST", "PL-1", "x", NOW, None, NOW),
             order.file_document("PACKING_LIST", "PL-1", "y", NOW, None, NOW)])
case("document number", InvalidInput, ["input", "number"], "number is longer than 100 characters")(
    lambda: _export().file_document("PACKING_LIST", "n" * 101, "x", NOW, None, NOW))
case("document issuer", InvalidInput, ["input", "issuer"], "issuer must not be empty")(
    lambda: _export().file_document("PACKING_LIST", "1", " ", NOW, None, NOW))
case("document issued in the future", InvalidInput, ["input", "issuedAt"],
     "issuedAt must not be in the future (more than 5 minutes ahead of the clock)")(
    lambda: _export().file_document("PACKING_LIST", "1", "x", NOW + CLOCK_SKEW + timedelta(seconds=1), None, NOW))
case("milestone kind", InvalidInput, ["input", "kind"],
     "The milestone kind must be one of HARVESTED, PACKED, PHYTOSANITARY_INSPECTED, EXPORT_CLEARED, DEPARTED, "
     "ARRIVED, IMPORT_CLEARED, OUT_FOR_DELIVERY, DELIVERED")(
    lambda: _export().record_milestone("LOADED", NOW, None, None, NOW))
case("milestone before harvest", InvalidTransition, ["input", "kind"], "PACKED cannot be recorded before HARVESTED")(
    lambda: _export().record_milestone("PACKED", NOW, None, None, NOW))
case("milestone backwards", InvalidTransition, ["input", "kind"], "PACKED cannot be recorded after EXPORT_CLEARED")(
    lambda: [order := _export(), test_export_order.walk(order, "HARVESTED", "EXPORT_CLEARED"),
             order.record_milestone("PACKED", NOW, None, None, test_export_order.NOW)])
case("milestone time", InvalidInput, ["input", "occurredAt"], "occurredAt must not be before the HARVESTED milestone")(
    lambda: [order := _export(), test_export_order.walk(order, "HARVESTED"),
             order.record_milestone("PACKED", test_export_order.HARVEST - timedelta(seconds=1), None, None,
                                    test_export_order.NOW)])
case("depart without documents", InvalidTransition, ["input", "kind"],
     "Cannot depart while documents are missing: AIR_WAYBILL, EXPORT_DECLARATION")(
    lambda: [order := _export(), test_export_order.file_all_required(order, ("AIR_WAYBILL", "EXPORT_DECLARATION")),
             test_export_order.walk(order, "HARVESTED", "DEPARTED")])
case("milestone location", InvalidInput, ["input", "location"], "location is longer than 100 characters")(
    lambda: _export().record_milestone("HARVESTED", NOW, "l" * 101, None, NOW))
case("milestone note", InvalidInput, ["input", "note"], "note is longer than 1000 characters")(
    lambda: _export().record_milestone("HARVESTED", NOW, None, "n" * 1001, NOW))
case("export cancel reason", InvalidInput, ["input", "reason"], "reason must not be empty")(lambda: _export().cancel(""))

# -- webhooks -----------------------------------------------------------------------------------------------------

case("url relative", InvalidInput, ["input", "url"], "url must be an absolute https:// URL")(
    lambda: check_url("/hooks", ["input", "url"]))
case("url credentials", InvalidInput, ["input", "url"], "url must not carry a user name or password")(
    lambda: check_url("https://user:pw@hooks.example/", ["input", "url"]))
case("url plain http", InvalidInput, ["input", "url"], "url must be https:// (plain http only to 127.0.0.1, ::1 or localhost)")(
    lambda: check_url("http://hooks.example/", ["input", "url"]))
case("secret", InvalidInput, ["input", "secret"],
     "secret must be a Standard Webhooks secret: whsec_ followed by the base64 of 24 to 64 random bytes")(
    lambda: check_secret(" " + "s" * 40, ["input", "secret"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_refusal_names_its_field_and_says_what_is_wrong(name: str) -> None:
    trigger, expected = CASES[name]
    with pytest.raises(DomainError) as refused:
        trigger()
    error = refused.value
    assert type(error) is expected.error
    assert (error.code, error.field, error.message) == (expected.code or expected.error.code, expected.field,
                                                        expected.message)
    assert str(error) == expected.message
