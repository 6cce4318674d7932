"""What the events carry and the value objects do, asserted value by value: each event's envelope and
chained hash, a registration's fields, money's arithmetic and refusals, masking of personal fields,
the provinces, and webhook endpoints."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from farmgate.core.domain.aggregate import ENVELOPE_FIELDS, event_data, hashed_data
from farmgate.core.domain.audit import GENESIS, chain_hash
from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.export_partner import ExportPartner
from farmgate.core.domain.household import Household
from farmgate.core.domain.money import CurrencyMismatch, Money
from farmgate.core.domain.personal_data import REDACTED, mask_personal
from farmgate.core.domain.provenance import Provenance, recording, world_clock
from farmgate.core.domain.provinces import PROVINCES, Province, province, provinces
from farmgate.core.domain.webhook_endpoint import WebhookEndpoint, webhook_endpoint_id_for
from tests.e2e.standard_webhooks import new_secret

AT = datetime(2021, 8, 3, 1, 30, tzinfo=timezone.utc)
ADDRESS = {"scheme": 2021, "province_code": "20", "district_code": "187", "ward_code": None, "street": None}


def a_household() -> Household:
    with recording(Provenance("PROVINCE_OFFICER:lan", "req-1")), world_clock(lambda: AT):
        household = Household.register(code="HH-20-000007", name="  Hộ Hoàng Văn Na ", national_id_digest="d" * 64,
                                       phone="+84912000101", address=ADDRESS, location={"latitude": 21.6, "longitude": 106.6},
                                       channel="VOSO")
        household.verify("commune post office")
    with recording(Provenance("HOUSEHOLD:na", "req-2", causation_id="cause-9")):
        household.link_payment_account("E_WALLET", "MoMo", "****1234")
    return household


def test_each_event_is_chained_over_its_stream_id_version_type_times_and_data() -> None:
    household = a_household()
    events = household.collect_events()
    assert [e.originator_version for e in events] == [1, 2, 3]
    previous = GENESIS
    for event in events:
        assert event.hash == chain_hash(previous, stream="Household", aggregate_id=household.id,
                                        version=event.originator_version, event_type=type(event).__name__,
                                        occurred_at=event.occurred_at, recorded_at=event.timestamp, data=hashed_data(event))
        previous = event.hash
    assert household.head_hash == previous
    registered, verified, linked = events
    # The world clock, or the time reported, is when it happened; the recorded time is the library's.
    assert (registered.occurred_at, verified.occurred_at) == (AT, AT)
    assert linked.occurred_at > AT and linked.timestamp >= linked.occurred_at - timedelta(seconds=5)
    assert (registered.actor, registered.correlation_id, registered.causation_id) == ("PROVINCE_OFFICER:lan", "req-1", None)
    assert (linked.actor, linked.correlation_id, linked.causation_id) == ("HOUSEHOLD:na", "req-2", "cause-9")


def test_event_data_is_the_events_own_fields_and_its_provenance_without_the_envelope() -> None:
    verified = a_household().collect_events()[1]
    assert event_data(verified) == {"method": "commune post office", "actor": "PROVINCE_OFFICER:lan",
                                    "correlation_id": "req-1", "causation_id": None}
    assert ENVELOPE_FIELDS == {"originator_id", "originator_version", "timestamp", "originator_topic", "occurred_at", "hash",
                              "commitments"}


def test_a_registration_keeps_every_field_given() -> None:
    household = a_household()
    assert (household.code, household.name, household.national_id_digest, household.phone) == (
        "HH-20-000007", "Hộ Hoàng Văn Na", "d" * 64, "+84912000101")
    assert (household.address, household.location, household.channel) == (
        ADDRESS, {"latitude": 21.6, "longitude": 106.6}, "VOSO")
    assert (household.status, household.verified_at, household.province_code) == ("VERIFIED", AT, "20")
    assert household.payment_accounts == [{"kind": "E_WALLET", "provider": "MoMo", "reference_masked": "****1234"}]
    with pytest.raises(InvalidInput) as unnamed:
        Household.register(code="HH", name=" ", national_id_digest="e" * 64, phone="+84912000102", address=ADDRESS)
    assert unnamed.value.field == ["input", "name"]


def test_a_partner_keeps_its_name_and_country_and_names_the_field_at_fault() -> None:
    partner = ExportPartner.register(name="  Hội người Việt ", country="be")
    assert (partner.name, partner.country) == ("Hội người Việt", "BE")
    with pytest.raises(InvalidInput) as unnamed:
        ExportPartner.register(name="", country="BE")
    assert unnamed.value.field == ["input", "name"]


# -- money ----------------------------------------------------------------------------------------------


def test_money_negates_compares_at_its_edges_and_refuses_what_is_not_money() -> None:
    ten, eleven = Money(Decimal(10), "VND"), Money(Decimal(11), "VND")
    assert -ten == Money(Decimal(-10), "VND") and (-ten).currency == "VND"
    assert ten >= ten and not ten > ten and eleven >= ten and not ten >= eleven
    assert not ten < ten and ten < eleven and ten <= ten
    with pytest.raises(TypeError, match="^Money cannot be combined with int$"):
        ten < 11  # noqa: B015
    with pytest.raises(CurrencyMismatch, match="^Cannot combine VND with EUR$"):
        ten >= Money(Decimal("1.00"), "EUR")  # noqa: B015
    with pytest.raises(TypeError, match="^Money can only be multiplied by a whole quantity$"):
        ten * True  # noqa: B018
    with pytest.raises(TypeError):
        ten * 2.5  # noqa: B018
    assert 3 * ten == Money(Decimal(30), "VND")


def test_money_is_made_exact_in_its_currencys_minor_unit() -> None:
    assert Money(Decimal("12.5"), "EUR").amount_text == "12.50"
    assert Money(Decimal(0), "EUR").amount_text == "0.00" and Money(Decimal("-0"), "KWD").amount_text == "0.000"
    with pytest.raises(TypeError, match="^Money takes a Decimal amount, not float$"):
        Money(12.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^Unknown currency 'ABC'$"):
        Money(Decimal(1), "ABC")
    with pytest.raises(ValueError, match="^Money must be finite$"):
        Money(Decimal("Infinity"), "VND")
    with pytest.raises(ValueError, match="^VND has 0 decimal places$"):
        Money(Decimal("1.5"), "VND")
    assert Money.parse(" 7 ", "vnd", ["p"]) == Money(Decimal(7), "VND")
    with pytest.raises(InvalidInput) as no_currency:
        Money.parse("7", None, ["p"])  # type: ignore[arg-type]
    assert no_currency.value.field == ["p", "currency"]
    with pytest.raises(InvalidInput) as no_amount:
        Money.parse(7, "VND", ["p"])  # type: ignore[arg-type]
    assert no_amount.value.field == ["p", "amount"]


def test_an_allocation_in_minor_units_gives_remainders_to_the_largest_fractions_then_the_earliest() -> None:
    assert Money(Decimal(10), "VND").allocate([1, 1, 1]) == [Money(Decimal(n), "VND") for n in (4, 3, 3)]
    assert Money(Decimal(11), "VND").allocate([1, 2, 2]) == [Money(Decimal(n), "VND") for n in (2, 5, 4)]
    assert Money(Decimal(-10), "VND").allocate([1, 1, 1]) == [Money(Decimal(n), "VND") for n in (-4, -3, -3)]
    assert Money(Decimal(0), "VND").allocate([1, 3]) == [Money(Decimal(0), "VND")] * 2
    assert Money(Decimal(1), "VND").allocate([0, 1]) == [Money(Decimal(0), "VND"), Money(Decimal(1), "VND")]
    assert Money(Decimal("0.05"), "EUR").allocate([1, 1]) == [Money(Decimal("0.03"), "EUR"), Money(Decimal("0.02"), "EUR")]
    for weights in ([], [1, -1], [True, 1], [1.5]):
        with pytest.raises(ValueError, match="^weights must be non-negative whole numbers$"):
            Money(Decimal(1), "VND").allocate(weights)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^at least one weight must be positive$"):
        Money(Decimal(1), "VND").allocate([0, 0])
    assert Money(Decimal(1), "VND").allocate([1]) == [Money(Decimal(1), "VND")]


# -- personal data, provinces, webhooks ------------------------------------------------------------------


def test_personal_fields_are_masked_anywhere_in_an_events_data_and_revealed_only_where_allowed() -> None:
    data = {"buyer_name": "Trần Thị Mai", "buyer_phone": "+84912345678", "note": "x", "consignee": None,
            "lines": [{"received_by": "Chị Mai", "quantity": 2}], "national_id_digest": "d" * 64,
            "buyer_address": {"street": "Ngõ 12"}}
    assert mask_personal(data, reveal=False) == {
        "buyer_name": REDACTED, "buyer_phone": "*********678", "note": "x", "consignee": None,
        "lines": [{"received_by": REDACTED, "quantity": 2}], "national_id_digest": REDACTED,
        "buyer_address": REDACTED}
    assert mask_personal(data, reveal=True) == {**data, "national_id_digest": REDACTED}
    assert mask_personal([{"phone": "+84912345678"}, 3], reveal=False) == [{"phone": "*********678"}, 3]
    assert mask_personal({"phone": 84912345678}, reveal=False) == {"phone": REDACTED}


def test_the_provinces_of_both_schemes() -> None:
    assert len(provinces(2021)) == 63 and len(provinces(2025)) == 34 and len(provinces()) == 97
    assert provinces(2021)[0] == Province("01", "Hà Nội", 2021)
    # spelt as the reference data package spells it (a hyphen, not an en dash: README, Administrative units)
    assert province(2021, "77") == Province("77", "Bà Rịa - Vũng Tàu", 2021)
    assert province(2025, "24") == Province("24", "Bắc Ninh", 2025)
    assert list(PROVINCES) == [2021, 2025] and len(PROVINCES) == 2
    assert PROVINCES[2021]["20"].name == "Lạng Sơn" and PROVINCES[2025]["96"].name == "Cà Mau"
    assert all(p.code == code and p.scheme == scheme for scheme in (2021, 2025) for code, p in PROVINCES[scheme].items())


def test_an_endpoint_is_registered_once_per_partner_and_replaced_only_by_a_change() -> None:
    partner = UUID(int=5)
    secret, other = new_secret(), new_secret()
    endpoint = WebhookEndpoint.register(partner_id=partner, url=" https://hooks.example/farmgate ", secret=secret)
    assert endpoint.id == webhook_endpoint_id_for(partner)
    assert (endpoint.partner_id, endpoint.url, endpoint.secret) == (partner, "https://hooks.example/farmgate", secret)
    endpoint.collect_events()
    assert endpoint.replace("https://hooks.example/farmgate", secret) is False
    assert endpoint.collect_events() == []
    assert endpoint.replace("https://hooks.example/farmgate", other) is True
    assert endpoint.replace("http://127.0.0.1:8080/hooks", other) is True
    assert (endpoint.url, endpoint.secret, endpoint.previous_secret) == ("http://127.0.0.1:8080/hooks", other, secret)
    assert [type(e).__name__ for e in endpoint.collect_events()] == ["Replaced", "Replaced"]
    for url in ("http://localhost/h", "http://[::1]:9/h"):  # plain http only to this machine
        assert endpoint.replace(url, other)
    for url in ("ftp://hooks.example/", "http://hooks.example/", "https://user:pw@hooks.example/"):
        with pytest.raises(InvalidInput) as bad:
            endpoint.replace(url, other)
        assert bad.value.field == ["input", "url"], url
    for refused in ("s" * 40, other + "\n", "whsec_" + "k" * 20):
        with pytest.raises(InvalidInput) as short:
            WebhookEndpoint.register(partner_id=partner, url="https://hooks.example/", secret=refused)
        assert short.value.field == ["input", "secret"] and refused not in short.value.message
