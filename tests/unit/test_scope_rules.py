"""The scope rules (graphql/scope.py) on their own, against the same table the refused-path test
reads (tests/rules.py WHO_MAY), for the same thirteen principals; then the rules of what each viewer
sees of a record (masked fields, seller views, lot households). Fast: no server, no database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from farmgate.core.domain.carrier import VIETTEL_POST, VNPOST
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.graphql import scope
from farmgate.graphql.auth import Principal
from farmgate.graphql.errors import CodedError
from farmgate.graphql.ids import to_global_id
from tests.rules import (
    ADMIN, ALLOWED, ANONYMOUS, CARRIER, CARRIER_OTHER, HOUSEHOLD, HOUSEHOLD_OTHER, MARKETPLACE, MARKETPLACE_OTHER,
    OFFICER, OFFICER_OTHER, PARTNER, PARTNER_OTHER, PRINCIPALS, STAFF, WHO_MAY, role_of,
)

HOUSEHOLD_ID, OTHER_HOUSEHOLD_ID = UUID(int=11), UUID(int=12)
PARTNER_ID, OTHER_PARTNER_ID = UUID(int=21), UUID(int=22)


def gid(type_name: str, value: UUID) -> str:
    return to_global_id(type_name, str(value))


PRINCIPAL_OF: dict[str, Principal | None] = {
    ANONYMOUS: None,
    ADMIN: Principal("ADMIN", "root"),
    MARKETPLACE: Principal("MARKETPLACE", "postmart-ops", marketplace="POSTMART"),
    MARKETPLACE_OTHER: Principal("MARKETPLACE", "voso-ops", marketplace="VOSO"),
    HOUSEHOLD: Principal("HOUSEHOLD", "ho", household=gid("Household", HOUSEHOLD_ID)),
    HOUSEHOLD_OTHER: Principal("HOUSEHOLD", "ho2", household=gid("Household", OTHER_HOUSEHOLD_ID)),
    # as authentication leaves them: the claim ("VNPost", "Viettel Post") resolved to its carrier's global ID
    CARRIER: Principal("CARRIER", "vnpost-bot", carrier=gid("Carrier", VNPOST.id)),
    CARRIER_OTHER: Principal("CARRIER", "viettel-bot", carrier=gid("Carrier", VIETTEL_POST.id)),
    OFFICER: Principal("PROVINCE_OFFICER", "giang", province="24"),
    OFFICER_OTHER: Principal("PROVINCE_OFFICER", "lan", province="20"),
    STAFF: Principal("DISPUTE_STAFF", "minh"),
    PARTNER: Principal("EXPORT_PARTNER", "brussels", partner=gid("ExportPartner", PARTNER_ID)),
    PARTNER_OTHER: Principal("EXPORT_PARTNER", "berlin", partner=gid("ExportPartner", OTHER_PARTNER_ID)),
}

# The world of tests/rules.py, as read-model rows.
HOUSEHOLD_ROW = {"id": str(HOUSEHOLD_ID), "province_code": "24", "channel": "POSTMART", "code": "HH-24-000001",
                 "name": "Hộ Nguyễn Văn Vải", "status": "VERIFIED", "phone": "+84912345678", "scheme": 2021,
                 "district_code": "219", "ward_code": None, "street": "Thôn Quý 2", "registered_at": "2021-05-01",
                 "verified_at": "2021-05-02", "certifications": [], "payment_accounts": ["secret"]}
STOREFRONT_ROW = {"id": str(UUID(int=31)), "household_id": str(HOUSEHOLD_ID), "marketplace": "POSTMART", "status": "OPEN"}
ORDER_ROW = {"id": str(UUID(int=41)), "marketplace": "POSTMART", "household_id": str(HOUSEHOLD_ID),
             "carrier": "Vietnam Post", "carrier_id": str(VNPOST.id), "payment_method": "CASH_ON_DELIVERY"}
EXPORT_ORDER_ROW = {"id": str(UUID(int=51)), "created_by": "POSTMART", "partner_id": str(PARTNER_ID)}


def decided(rule: Callable[[Principal | None], bool]) -> dict[str, bool]:
    return {name: bool(rule(principal)) for name, principal in PRINCIPAL_OF.items()}


def table(operation: str, among: tuple[str, ...] = PRINCIPALS) -> dict[str, bool]:
    return {name: WHO_MAY[operation].expected(name) == ALLOWED for name in among}


def signed_in() -> tuple[str, ...]:
    return tuple(p for p in PRINCIPALS if p != ANONYMOUS)


def within_roles(operation: str) -> tuple[str, ...]:
    """The principals whose role the field's permission lets in: the scope rule decides among them."""
    roles = {role_of(p) for p in WHO_MAY[operation].allowed} | {ADMIN}
    return tuple(p for p in signed_in() if role_of(p) in roles)


# -- read rules that decide on their own, for every principal ----------------------------------------

READS: dict[str, Callable[[Principal | None], bool]] = {
    "household": lambda p: scope.household_visible(p, HOUSEHOLD_ROW),
    "householdByCode": lambda p: scope.household_visible(p, HOUSEHOLD_ROW, by_code=True),
    "order": lambda p: scope.order_visible(p, ORDER_ROW),
    "shipment": lambda p: scope.shipment_visible(p, ORDER_ROW),
    "claim": lambda p: scope.claim_visible(p, ORDER_ROW),
    "exportPartner": lambda p: scope.export_partner_visible(p, PARTNER_ID),
    "exportOrder": lambda p: scope.export_order_visible(p, EXPORT_ORDER_ROW),
    "webhookDeliveries": lambda p: scope.webhook_delivery_visible(p, EXPORT_ORDER_ROW),
}


@pytest.mark.parametrize("operation", sorted(READS))
def test_who_reads_an_object_is_who_the_table_lets_read_it(operation: str) -> None:
    among = PRINCIPALS if operation != "householdByCode" else within_roles(operation)
    assert {k: v for k, v in decided(READS[operation]).items() if k in among} == table(operation, among)


def test_a_case_file_is_read_by_who_reads_the_order_and_may_open_case_files() -> None:
    among = within_roles("caseFile")
    assert {k: v for k, v in decided(lambda p: scope.case_file_visible(p, ORDER_ROW)).items() if k in among} == (
        table("caseFile", among))


# -- rules of who acts, decided within the roles the field's permission lets in -----------------------

ACTS: dict[str, Callable[[Principal], bool]] = {
    "verifyHousehold": lambda p: scope.manages_household(p, HOUSEHOLD_ROW),
    "addCertification": lambda p: scope.manages_household(p, HOUSEHOLD_ROW),
    "linkPaymentAccount": lambda p: scope.manages_household(p, HOUSEHOLD_ROW, itself_too=True),
    "registerHousehold": lambda p: scope.registers_in(p, {"scheme": 2021, "province_code": "24", "district_code": "219"}),
    "setStorefrontStatus": lambda p: scope.manages_storefront(p, STOREFRONT_ROW),
    "openStorefront": lambda p: (scope.opens_storefronts_on(p, "POSTMART")
                                 and scope.opens_storefronts_for(p, str(HOUSEHOLD_ID))),
    "confirmOrder": lambda p: scope.manages_order(p, ORDER_ROW),
    "recordCheckpoint": lambda p: scope.tracks_shipment(p, ORDER_ROW),
    "declareSpoilage": lambda p: scope.declares_spoilage_of(p, ORDER_ROW),
    "recordPayment": lambda p: scope.tracks_shipment(p, ORDER_ROW) and scope.collects_payment(p, ORDER_ROW),
    "fileClaim": lambda p: scope.files_claim_as(p, ORDER_ROW, "HOUSEHOLD"),
    "recordExportMilestone:EXPORT": lambda p: scope.may_record_on_export_order(p, EXPORT_ORDER_ROW, scope.EXPORT_SIDE),
    "recordExportMilestone:IMPORT": lambda p: scope.may_record_on_export_order(p, EXPORT_ORDER_ROW, scope.IMPORT_SIDE),
    "redeliverWebhook": lambda p: scope.may_redeliver_webhook(p, EXPORT_ORDER_ROW),
    "registerWebhookEndpoint": lambda p: scope.webhook_partner_of(p, gid("ExportPartner", PARTNER_ID)) is not None,
    "webhookEndpoint": lambda p: scope.webhook_partner_of(p, gid("ExportPartner", PARTNER_ID)) is not None,
    "recordRefund": lambda p: scope.refunds_order(p, ORDER_ROW),
    "registerMarketplaceWebhookEndpoint": lambda p: scope.webhook_marketplace_of(p, "POSTMART") is not None,
    "marketplaceWebhookEndpoint": lambda p: scope.webhook_marketplace_of(p, "POSTMART") is not None,
}


@pytest.mark.parametrize("operation", sorted(ACTS))
def test_who_acts_on_an_object_is_who_the_table_lets_act(operation: str) -> None:
    among = within_roles(operation)
    assert {k: v for k, v in decided(lambda p: p is not None and ACTS[operation](p)).items() if k in among} == (
        table(operation, among))


def test_the_export_side_and_the_import_side_refuse_each_other() -> None:
    marketplace, partner = PRINCIPAL_OF[MARKETPLACE], PRINCIPAL_OF[PARTNER]
    assert scope.may_record_on_export_order(marketplace, EXPORT_ORDER_ROW, scope.EXPORT_SIDE)
    assert not scope.may_record_on_export_order(marketplace, EXPORT_ORDER_ROW, scope.IMPORT_SIDE)
    assert scope.may_record_on_export_order(partner, EXPORT_ORDER_ROW, scope.IMPORT_SIDE)
    assert not scope.may_record_on_export_order(partner, EXPORT_ORDER_ROW, scope.EXPORT_SIDE)
    # An order no marketplace created (ADMIN's) is no marketplace's.
    assert not scope.may_record_on_export_order(marketplace, {**EXPORT_ORDER_ROW, "created_by": None}, scope.EXPORT_SIDE)
    assert not scope.export_order_visible(marketplace, {**EXPORT_ORDER_ROW, "created_by": None})


def test_a_household_files_claims_only_as_itself_a_marketplace_for_either() -> None:
    household, marketplace = PRINCIPAL_OF[HOUSEHOLD], PRINCIPAL_OF[MARKETPLACE]
    assert scope.files_claim_as(household, ORDER_ROW, "HOUSEHOLD")
    assert not scope.files_claim_as(household, ORDER_ROW, "BUYER")
    assert scope.files_claim_as(marketplace, ORDER_ROW, "BUYER") and scope.files_claim_as(marketplace, ORDER_ROW, "HOUSEHOLD")
    assert not scope.files_claim_as(PRINCIPAL_OF[MARKETPLACE_OTHER], ORDER_ROW, "BUYER")
    assert not scope.files_claim_as(PRINCIPAL_OF[STAFF], ORDER_ROW, "BUYER")


def test_a_carrier_records_cash_on_delivery_only_and_only_on_what_it_carries() -> None:
    carrier = PRINCIPAL_OF[CARRIER]
    assert scope.collects_payment(carrier, ORDER_ROW)
    assert not scope.collects_payment(carrier, {**ORDER_ROW, "payment_method": "E_WALLET"})
    assert scope.collects_payment(PRINCIPAL_OF[MARKETPLACE], {**ORDER_ROW, "payment_method": "E_WALLET"})
    # Not yet dispatched: no carrier.
    assert not scope.carries(carrier, {**ORDER_ROW, "carrier": None, "carrier_id": None})
    # A free-text dispatch whose text named no known carrier has no carrier id: nobody carries it.
    assert not scope.carries(carrier, {**ORDER_ROW, "carrier": "VN Express", "carrier_id": None})
    assert not scope.carries(None, ORDER_ROW)
    assert scope.order_visible(carrier, ORDER_ROW, through_shipment=True)
    assert not scope.order_visible(PRINCIPAL_OF[CARRIER_OTHER], ORDER_ROW, through_shipment=True)


# -- list filters ---------------------------------------------------------------------------------------

LISTS: dict[str, tuple[Callable[[Principal], dict[str, Any] | None], dict[str, dict[str, Any]]]] = {
    # operation: (filter, expected filter per principal whose role may list; absent = sees none)
    "households": (scope.household_list_filter, {
        ADMIN: {}, STAFF: {}, OFFICER: {"area": ProvinceArea.parse("24")}, OFFICER_OTHER: {"area": ProvinceArea.parse("20")},
        MARKETPLACE: {"channel": "POSTMART"}, MARKETPLACE_OTHER: {"channel": "VOSO"},
        HOUSEHOLD: {"only_id": HOUSEHOLD_ID}, HOUSEHOLD_OTHER: {"only_id": OTHER_HOUSEHOLD_ID}}),
    "orders": (scope.order_list_filter, {
        ADMIN: {}, STAFF: {}, MARKETPLACE: {"marketplace": "POSTMART"}, MARKETPLACE_OTHER: {"marketplace": "VOSO"},
        HOUSEHOLD: {"household_scope": HOUSEHOLD_ID}, HOUSEHOLD_OTHER: {"household_scope": OTHER_HOUSEHOLD_ID}}),
    "claims": (scope.claim_list_filter, {
        ADMIN: {}, STAFF: {}, MARKETPLACE: {"marketplace": "POSTMART"}, MARKETPLACE_OTHER: {"marketplace": "VOSO"},
        HOUSEHOLD: {"household_id": HOUSEHOLD_ID}, HOUSEHOLD_OTHER: {"household_id": OTHER_HOUSEHOLD_ID}}),
    "exportOrders": (scope.export_order_list_filter, {
        ADMIN: {}, STAFF: {}, MARKETPLACE: {"created_by": "POSTMART"}, MARKETPLACE_OTHER: {"created_by": "VOSO"},
        PARTNER: {"partner_id": PARTNER_ID}, PARTNER_OTHER: {"partner_id": OTHER_PARTNER_ID}}),
    "webhookDeliveries": (scope.webhook_delivery_list_filter, {
        ADMIN: {}, STAFF: {}, MARKETPLACE: {"created_by": "POSTMART"}, MARKETPLACE_OTHER: {"created_by": "VOSO"},
        PARTNER: {"partner_id": PARTNER_ID}, PARTNER_OTHER: {"partner_id": OTHER_PARTNER_ID}}),
}


@pytest.mark.parametrize("operation", sorted(LISTS))
def test_each_list_is_filtered_to_the_callers_scope_and_lists_nothing_for_other_roles(operation: str) -> None:
    rule, expected = LISTS[operation]
    assert {name: rule(PRINCIPAL_OF[name]) for name in signed_in()} == {
        name: expected.get(name) for name in signed_in()}
    # Whoever the table lets list sees something; the roles it refuses see nothing at all.
    assert {name for name in signed_in() if WHO_MAY[operation].expected(name) == ALLOWED} <= set(expected)


def test_a_token_whose_scope_claim_is_not_an_id_of_its_kind_lists_nothing() -> None:
    assert scope.household_list_filter(Principal("HOUSEHOLD", "x", household=gid("Order", HOUSEHOLD_ID))) is None
    assert scope.order_list_filter(Principal("HOUSEHOLD", "x", household="garbage")) is None
    assert scope.claim_list_filter(Principal("HOUSEHOLD", "x", household="garbage")) is None
    assert scope.export_order_list_filter(Principal("EXPORT_PARTNER", "x", partner="garbage")) is None
    assert not scope.reads_household_directory(Principal("EXPORT_PARTNER", "x", partner=gid("ExportPartner", PARTNER_ID)))
    assert not scope.reads_household_directory(None)
    assert scope.reads_household_directory(PRINCIPAL_OF[STAFF]) and scope.reads_household_directory(PRINCIPAL_OF[HOUSEHOLD])


def test_placing_orders_keeps_a_marketplace_to_its_own_listings() -> None:
    assert scope.orders_marketplace(PRINCIPAL_OF[MARKETPLACE]) == "POSTMART"
    assert scope.orders_marketplace(PRINCIPAL_OF[MARKETPLACE_OTHER]) == "VOSO"
    assert scope.orders_marketplace(PRINCIPAL_OF[ADMIN]) is None


def test_webhook_endpoints_are_managed_by_their_partner_or_by_admin_naming_one() -> None:
    own, other = gid("ExportPartner", PARTNER_ID), gid("ExportPartner", OTHER_PARTNER_ID)
    partner = PRINCIPAL_OF[PARTNER]
    assert scope.webhook_partner_of(partner, None) == own and scope.webhook_partner_of(partner, own) == own
    assert scope.webhook_partner_of(partner, other) is None
    assert scope.webhook_partner_of(PRINCIPAL_OF[ADMIN], other) == other
    assert scope.webhook_partner_of(PRINCIPAL_OF[ADMIN], None) is None
    assert scope.webhook_partner_of(PRINCIPAL_OF[MARKETPLACE], own) is None


# -- what each viewer sees of a record ------------------------------------------------------------------


def test_the_full_phone_is_for_admin_and_the_household_itself() -> None:
    seeing = {name for name, p in PRINCIPAL_OF.items() if scope.sees_personal_data(p, str(HOUSEHOLD_ID))}
    assert seeing == {ADMIN, HOUSEHOLD}


def test_a_households_history_is_read_by_admin_staff_and_its_provinces_officer() -> None:
    seeing = {name for name, p in PRINCIPAL_OF.items() if scope.sees_household_history(p, HOUSEHOLD_ROW)}
    assert seeing == {ADMIN, STAFF, OFFICER}


def test_the_buyer_is_shown_to_admin_and_the_orders_marketplace_only() -> None:
    seeing = {name for name, p in PRINCIPAL_OF.items() if scope.sees_buyer(p, ORDER_ROW)}
    assert seeing == {ADMIN, MARKETPLACE}


def test_the_consignee_is_shown_to_admin_and_the_parties_to_the_export_order() -> None:
    seeing = {name for name, p in PRINCIPAL_OF.items() if scope.sees_consignee(p, EXPORT_ORDER_ROW)}
    assert seeing == {ADMIN, MARKETPLACE, PARTNER}


def test_a_seller_view_shows_the_public_fields_with_the_phone_masked_and_refuses_the_rest() -> None:
    seller = scope.seller_view(HOUSEHOLD_ROW)
    assert set(seller) == set(scope.SELLER_FIELDS) | {"phone"}
    assert seller["phone"] == "*********678" and seller["name"] == HOUSEHOLD_ROW["name"]
    assert seller.get("code") == "HH-24-000001"
    with pytest.raises(CodedError) as refused:
        seller["payment_accounts"]
    assert refused.value.extensions == {"code": "FORBIDDEN"}
    with pytest.raises(CodedError):
        seller.get("payment_accounts")


def test_a_lots_household_is_code_and_name_only_to_who_may_not_read_the_household() -> None:
    lot = {"household_id": HOUSEHOLD_ID, "household_code": "HH-24-000001", "household_name": "Hộ Vải"}
    assert scope.lot_household_row(PRINCIPAL_OF[STAFF], lot, HOUSEHOLD_ROW) is HOUSEHOLD_ROW
    partner_view = scope.lot_household_row(PRINCIPAL_OF[PARTNER], lot, HOUSEHOLD_ROW)
    assert dict(partner_view) == {"id": str(HOUSEHOLD_ID), "code": "HH-24-000001", "name": "Hộ Vải"}
    with pytest.raises(CodedError) as refused:
        partner_view["phone"]
    assert refused.value.extensions == {"code": "FORBIDDEN"}
    with pytest.raises(CodedError):
        partner_view.get("province_code")
    unnamed = scope.lot_household_row(PRINCIPAL_OF[PARTNER], {**lot, "household_name": None}, None)
    assert unnamed["name"] == "HH-24-000001"


def test_a_closed_storefront_and_its_listings_are_read_only_by_who_manages_it_and_staff() -> None:
    closed = {**STOREFRONT_ROW, "status": "CLOSED"}
    listing = {"household_id": str(HOUSEHOLD_ID), "marketplace": "POSTMART", "status": "ACTIVE",
               "storefront_status": "CLOSED"}
    for row in (closed, listing):
        seeing = {name for name, p in PRINCIPAL_OF.items() if scope.catalog_entry_visible(p, row)}
        assert seeing == {ADMIN, MARKETPLACE, HOUSEHOLD, STAFF}
    for status in ("OPEN", "TEMPORARILY_CLOSED"):
        assert all(scope.catalog_entry_visible(p, {**STOREFRONT_ROW, "status": status}) for p in PRINCIPAL_OF.values())
        assert all(scope.catalog_entry_visible(p, {**listing, "storefront_status": status}) for p in PRINCIPAL_OF.values())
    assert not scope.in_public_catalog({**listing, "status": "OPEN"}), "a listing row is judged by its storefront"


def test_a_storefront_page_lists_every_listing_to_its_managers_and_staff_and_those_on_sale_to_others() -> None:
    for name, principal in PRINCIPAL_OF.items():
        statuses = scope.storefront_listing_statuses(principal, STOREFRONT_ROW)
        full = name in (ADMIN, MARKETPLACE, HOUSEHOLD, STAFF)
        assert statuses == (scope.ALL_LISTING_STATUSES if full else scope.PUBLIC_LISTING_STATUSES), name
    assert scope.PUBLIC_LISTING_STATUSES == ("ACTIVE", "SOLD_OUT")


def test_the_household_behind_a_storefront_or_order_is_whole_to_who_may_read_it_else_the_seller_view() -> None:
    for name, principal in PRINCIPAL_OF.items():
        shown = scope.catalog_household_row(principal, HOUSEHOLD_ROW, STOREFRONT_ROW)
        whole = scope.household_visible(principal, HOUSEHOLD_ROW) or name == MARKETPLACE
        assert (shown is HOUSEHOLD_ROW) == whole, name
        if not whole:
            assert shown["phone"] == "*********678" and set(shown) == set(scope.SELLER_FIELDS) | {"phone"}
    # Of a closed storefront, who may not read the household sees nothing of it.
    assert scope.catalog_household_row(None, HOUSEHOLD_ROW, {**STOREFRONT_ROW, "status": "CLOSED"}) is None
    # Through the voso storefront, POSTMART is just the public.
    voso = {**STOREFRONT_ROW, "marketplace": "VOSO"}
    assert scope.catalog_household_row(PRINCIPAL_OF[MARKETPLACE_OTHER], {**HOUSEHOLD_ROW, "channel": None}, voso) is not None
    for name, principal in PRINCIPAL_OF.items():
        if principal is None:
            continue
        shown = scope.order_household_row(principal, HOUSEHOLD_ROW, ORDER_ROW)
        assert (shown is HOUSEHOLD_ROW) == (scope.household_visible(principal, HOUSEHOLD_ROW) or name == MARKETPLACE), name


def test_global_ids_of_households_and_partners() -> None:
    assert scope.household_global_id(str(HOUSEHOLD_ID)) == gid("Household", HOUSEHOLD_ID)
    assert scope.export_partner_global_id(PARTNER_ID) == gid("ExportPartner", PARTNER_ID)


def test_the_marketplace_a_storefront_sells_on_reads_its_household_even_when_it_did_not_register_it() -> None:
    registered_elsewhere = {**HOUSEHOLD_ROW, "channel": None}
    postmart, voso = PRINCIPAL_OF[MARKETPLACE], PRINCIPAL_OF[MARKETPLACE_OTHER]
    assert not scope.household_visible(postmart, registered_elsewhere)
    assert scope.catalog_household_row(postmart, registered_elsewhere, STOREFRONT_ROW) is registered_elsewhere
    assert scope.order_household_row(postmart, registered_elsewhere, ORDER_ROW) is registered_elsewhere
    assert scope.catalog_household_row(voso, registered_elsewhere, STOREFRONT_ROW) is not registered_elsewhere
    assert scope.order_household_row(voso, registered_elsewhere, ORDER_ROW) is not registered_elsewhere


def test_a_province_officer_sees_the_whole_household_behind_a_lot_of_its_province() -> None:
    lot = {"household_id": HOUSEHOLD_ID, "household_code": "HH-24-000001", "household_name": "Hộ Vải"}
    assert scope.lot_household_row(PRINCIPAL_OF[OFFICER], lot, HOUSEHOLD_ROW) is HOUSEHOLD_ROW
    assert scope.lot_household_row(PRINCIPAL_OF[OFFICER_OTHER], lot, HOUSEHOLD_ROW) is not HOUSEHOLD_ROW


def test_verifying_and_certifying_are_not_the_households_own_to_do() -> None:
    household = PRINCIPAL_OF[HOUSEHOLD]
    assert not scope.manages_household(household, HOUSEHOLD_ROW)
    assert scope.manages_household(household, HOUSEHOLD_ROW, itself_too=True)
    assert not scope.manages_storefront(None, STOREFRONT_ROW)


def test_only_a_marketplace_token_keeps_orders_to_one_marketplace() -> None:
    # A scope claim on another role's token means nothing: ADMIN orders from any marketplace.
    assert scope.orders_marketplace(Principal("ADMIN", "root", marketplace="VOSO")) is None


def test_the_refusals_of_restricted_views_say_what_is_shown() -> None:
    seller = scope.seller_view(HOUSEHOLD_ROW)
    with pytest.raises(CodedError, match="^Of a seller only its code, name, status, address and certifications "
                                         "are shown to you$"):
        seller["phone_full"]
    lot = scope.lot_household_row(None, {"household_id": HOUSEHOLD_ID, "household_code": "HH-24-000001"}, None)
    with pytest.raises(CodedError, match="^Of a lot's household only its code and name are shown to you$"):
        lot["street"]


def test_a_duplicate_registration_names_the_household_only_to_who_may_register_it() -> None:
    # Written from the rule: any marketplace, the officer of the household's province, ADMIN; anyone else
    # (the other officer, staff, carriers, partners, households, the household itself) learns only that the
    # national ID is taken.
    told = {ADMIN: True, MARKETPLACE: True, MARKETPLACE_OTHER: True, OFFICER: True, OFFICER_OTHER: False,
            STAFF: False, CARRIER: False, CARRIER_OTHER: False, PARTNER: False, PARTNER_OTHER: False,
            HOUSEHOLD: False, HOUSEHOLD_OTHER: False}
    assert {name: scope.told_existing_household(PRINCIPAL_OF[name], HOUSEHOLD_ROW) for name in told} == told


def test_a_marketplace_webhook_endpoint_is_managed_by_its_marketplace_or_by_admin_naming_one() -> None:
    marketplace = PRINCIPAL_OF[MARKETPLACE]
    # Its own, named or not (an empty name is no name); another marketplace's is not its to manage.
    for given in (None, "", "POSTMART"):
        assert scope.webhook_marketplace_of(marketplace, given) == "POSTMART", given
    assert scope.webhook_marketplace_of(marketplace, "VOSO") is None
    assert scope.webhook_marketplace_of(PRINCIPAL_OF[ADMIN], "VOSO") == "VOSO"
    assert scope.webhook_marketplace_of(PRINCIPAL_OF[ADMIN], None) is None
    assert scope.webhook_marketplace_of(PRINCIPAL_OF[ADMIN], "") is None
    # Whatever the field's permission lets in, the rule itself names no endpoint for any other role.
    for name in (ANONYMOUS, STAFF, OFFICER, CARRIER, PARTNER, HOUSEHOLD):
        assert scope.webhook_marketplace_of(PRINCIPAL_OF[name], "POSTMART") is None, name


def test_a_marketplace_redelivers_the_deliveries_of_its_own_endpoint_only() -> None:
    to_postmart = {"partner_id": None, "marketplace": "POSTMART"}
    to_partner = {"partner_id": str(PARTNER_ID), "marketplace": None}
    redelivers = {name: scope.may_redeliver_webhook(PRINCIPAL_OF[name], to_postmart)
                  for name in (ADMIN, MARKETPLACE, MARKETPLACE_OTHER, STAFF, OFFICER, CARRIER, HOUSEHOLD)}
    assert redelivers == {ADMIN: True, MARKETPLACE: True, MARKETPLACE_OTHER: False, STAFF: False, OFFICER: False,
                          CARRIER: False, HOUSEHOLD: False}
    assert scope.may_redeliver_webhook(PRINCIPAL_OF[PARTNER], to_partner)
    assert not scope.may_redeliver_webhook(PRINCIPAL_OF[PARTNER_OTHER], to_partner)
    assert not scope.may_redeliver_webhook(PRINCIPAL_OF[MARKETPLACE], to_partner)
    # A marketplace principal without its claim does not match an endpoint without a marketplace.
    assert not scope.may_redeliver_webhook(Principal("MARKETPLACE", "nobody"), to_partner)


def test_an_officer_registers_in_its_province_under_the_scheme_the_address_gives_else_the_current_one() -> None:
    officer = PRINCIPAL_OF[OFFICER]  # "24": 2025 Bắc Ninh, which absorbed 2021 Bắc Giang (24) and Bắc Ninh (27)
    assert scope.registers_in(officer, {"scheme": 2021, "province_code": "27"})
    assert not scope.registers_in(officer, {"scheme": 2025, "province_code": "27"})  # no 2025 province 27
    assert not scope.registers_in(officer, {"province_code": "27"})  # without a scheme: 2025's codes
    assert scope.registers_in(officer, {"province_code": "24"})
    assert scope.registers_in(officer, {"scheme": None, "province_code": "24"})
    assert not scope.registers_in(PRINCIPAL_OF[OFFICER_OTHER], {"province_code": "24"})
    assert scope.registers_in(PRINCIPAL_OF[MARKETPLACE], {"province_code": "27"})  # not an officer: anywhere


def test_a_2021_officer_whose_province_was_merged_covers_only_the_2025_records_on_its_land() -> None:
    vung_tau = Principal("PROVINCE_OFFICER", "an", province="2021:77")  # now part of 2025 Hồ Chí Minh (79)
    in_vung_tau = {"scheme": 2025, "province_code": "79", "ward_code": "26732"}  # a ward of old Bà Rịa - Vũng Tàu
    assert scope.in_province_area(vung_tau, in_vung_tau)
    assert not scope.in_province_area(vung_tau, {**in_vung_tau, "ward_code": None})
    assert not scope.in_province_area(vung_tau, {"scheme": 2025, "province_code": "79"})
