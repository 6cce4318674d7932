"""Who may see which object: every scope rule of the API lives here, and every read path
(field, list, ``node(id:)``, payload) goes through it. Out of scope reads as not found."""

from __future__ import annotations

from typing import Any

from farmgate.core.domain.contact import mask_phone
from farmgate.core.domain.province_area import AreaTerm, ProvinceArea
from farmgate.core.domain.provinces import CURRENT_SCHEME
from farmgate.graphql.auth import Principal
from farmgate.graphql.ids import to_global_id, uuid_of


def household_global_id(household_id: str) -> str:
    return to_global_id("Household", household_id)


def household_visible(principal: Principal | None, row: dict[str, Any], *, by_code: bool = False) -> bool:
    if principal is None:
        return False
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return True
    if principal.is_("PROVINCE_OFFICER"):
        return in_province_area(principal, row)
    if principal.is_("HOUSEHOLD"):
        return principal.household == household_global_id(row["id"])
    if principal.is_("MARKETPLACE"):
        # Marketplaces look households up by the shared code, and see those that joined through them.
        return by_code or row.get("channel") == principal.marketplace
    return False


def in_province_area(principal: Principal, row: dict[str, Any]) -> bool:
    """A province officer's records: its province's, under either scheme (core.domain.province_area)."""
    area = principal.province_area
    return area is not None and area.covers(int(row["scheme"]), row["province_code"], row.get("ward_code"))


def oversees(principal: Principal, area: ProvinceArea) -> bool:
    """Plan, launch campaigns for and read the rollout of a province: ADMIN, and the officer whose area
    takes in all of that province (its own, a 2021 province its 2025 province absorbed, or the 2025
    province its 2021 province became alone: 2021:20 and 2025:20 Lạng Sơn are one land)."""
    if principal.is_("ADMIN"):
        return True
    own = principal.province_area
    if not principal.is_("PROVINCE_OFFICER") or own is None:
        return False
    return own == area or AreaTerm(area.scheme, area.code) in own.terms


def registers_in(principal: Principal, address: dict[str, Any]) -> bool:
    """A province officer registers households of its own province (under either scheme) only;
    ``address`` as given (``scheme`` may be absent: the current scheme)."""
    if not principal.is_("PROVINCE_OFFICER"):
        return True
    scheme = address.get("scheme")
    return in_province_area(principal, {**address, "scheme": CURRENT_SCHEME if scheme is None else scheme})


def household_import_visible(principal: Principal, job: Any) -> bool:
    """A household import job: ADMIN's to see, and the province officers' of the province it was
    started for (the claim as the job keeps it, ``SCHEME:CODE``), so one office shares its jobs."""
    if principal.is_("ADMIN"):
        return True
    area = principal.province_area if principal.is_("PROVINCE_OFFICER") else None
    return area is not None and job.province == area.claim


def told_existing_household(principal: Principal, row: dict[str, Any]) -> bool:
    """Whom a duplicate registration tells which household it collides with (its id and code, to link
    to the shared record): a role that may register that household — a marketplace, the officer of its
    province, ADMIN. Anyone else learns only that the national ID is taken."""
    return principal.is_("MARKETPLACE") or manages_household(principal, row)


def manages_household(principal: Principal, row: dict[str, Any], *, itself_too: bool = False) -> bool:
    """Verify, certify, link accounts: ADMIN, the officer of its province, and (``itself_too``) the
    household itself. Anyone else is told the household does not exist."""
    return principal.is_("ADMIN") or (
        principal.is_("PROVINCE_OFFICER") and in_province_area(principal, row)
    ) or (itself_too and principal.is_("HOUSEHOLD") and principal.household == household_global_id(row["id"]))


def household_list_filter(principal: Principal) -> dict[str, Any] | None:
    """SQL filter arguments that keep a household list in scope; None when the role sees none."""
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return {}
    if principal.is_("PROVINCE_OFFICER"):
        return {"area": principal.province_area}
    if principal.is_("MARKETPLACE"):
        return {"channel": principal.marketplace}
    if principal.is_("HOUSEHOLD"):
        own = uuid_of(principal.household or "", "Household")
        return {"only_id": own} if own else None
    return None


def sees_personal_data(principal: Principal | None, household_id: str) -> bool:
    """The full phone number: ADMIN and the household itself only."""
    if principal is None:
        return False
    return principal.is_("ADMIN") or (
        principal.is_("HOUSEHOLD") and principal.household == household_global_id(household_id)
    )


def sees_household_history(principal: Principal | None, row: dict[str, Any]) -> bool:
    if principal is None:
        return False
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return True
    return principal.is_("PROVINCE_OFFICER") and in_province_area(principal, row)


# -- export partners and export orders --------------------------------------------------------
# MARKETPLACE: the orders it created; EXPORT_PARTNER: its partner's orders; DISPUTE_STAFF reads all.

EXPORT_SIDE, IMPORT_SIDE = "EXPORT", "IMPORT"


def export_partner_global_id(partner_id: Any) -> str:
    return to_global_id("ExportPartner", str(partner_id))


def export_partner_visible(principal: Principal | None, partner_id: Any) -> bool:
    """Partners are business records: marketplaces need them to create orders; a partner sees itself."""
    if principal is None:
        return False
    if principal.is_("ADMIN", "DISPUTE_STAFF", "MARKETPLACE"):
        return True
    return principal.is_("EXPORT_PARTNER") and principal.partner == export_partner_global_id(partner_id)


def _party_to_export_order(principal: Principal, row: dict[str, Any]) -> bool:
    if principal.is_("MARKETPLACE"):
        return row.get("created_by") is not None and row["created_by"] == principal.marketplace
    if principal.is_("EXPORT_PARTNER"):
        return principal.partner == export_partner_global_id(row["partner_id"])
    return False


def export_order_visible(principal: Principal | None, row: dict[str, Any]) -> bool:
    if principal is None:
        return False
    return principal.is_("ADMIN", "DISPUTE_STAFF") or _party_to_export_order(principal, row)


def export_order_list_filter(principal: Principal) -> dict[str, Any] | None:
    """Filter arguments of ``ExportQueries.page`` that keep the list in scope; None: sees none."""
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return {}
    if principal.is_("MARKETPLACE"):
        return {"created_by": principal.marketplace}
    if principal.is_("EXPORT_PARTNER"):
        own = uuid_of(principal.partner or "", "ExportPartner")
        return {"partner_id": own} if own else None
    return None


def may_record_on_export_order(principal: Principal, row: dict[str, Any], side: str) -> bool:
    """Lots and export-side documents and milestones: the creating marketplace; import side: the partner."""
    if principal.is_("ADMIN"):
        return True
    if side == EXPORT_SIDE:
        return principal.is_("MARKETPLACE") and _party_to_export_order(principal, row)
    return principal.is_("EXPORT_PARTNER") and _party_to_export_order(principal, row)


def sees_consignee(principal: Principal | None, row: dict[str, Any]) -> bool:
    """The consignee (personal data): ADMIN and the parties to the order; dispute staff see it masked."""
    if principal is None:
        return False
    return principal.is_("ADMIN") or _party_to_export_order(principal, row)


class _LotHouseholdRow(dict):  # type: ignore[type-arg]
    """A lot's household as a viewer who may not read the household sees it: its id, code and name.
    Any other field is refused, so no resolver can show more of it."""

    def __missing__(self, key: str) -> Any:
        from farmgate.graphql.errors import forbidden

        raise forbidden("Of a lot's household only its code and name are shown to you")

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


def lot_household_row(
    principal: Principal | None, lot: dict[str, Any], directory_row: dict[str, Any] | None
) -> dict[str, Any]:
    """The household row an export lot shows: the full one to a viewer who may read that household,
    otherwise (export partners, always) code and name only."""
    if directory_row is not None and household_visible(principal, directory_row):
        return directory_row
    return _LotHouseholdRow(
        id=str(lot["household_id"]), code=lot["household_code"], name=lot.get("household_name") or lot["household_code"]
    )


def reads_household_directory(principal: Principal | None) -> bool:
    """Whether any household's full record can be visible to this viewer (else lots skip that read)."""
    return principal is not None and household_list_filter(principal) is not None


# -- partner webhooks -------------------------------------------------------------------------


def webhook_partner_of(principal: Principal, given_partner: str | None) -> str | None:
    """The partner (global id) whose endpoint a caller manages: its own, or the one ADMIN names."""
    if principal.is_("EXPORT_PARTNER"):
        return principal.partner if given_partner in (None, principal.partner) else None
    return given_partner if principal.is_("ADMIN") else None


def webhook_delivery_visible(principal: Principal | None, row: dict[str, Any]) -> bool:
    """Deliveries are read like the export orders they carry events of."""
    return export_order_visible(principal, row)


def webhook_delivery_list_filter(principal: Principal) -> dict[str, Any] | None:
    return export_order_list_filter(principal)


def webhook_marketplace_of(principal: Principal | None, given_marketplace: str | None) -> str | None:
    """The marketplace whose endpoint a caller manages: its own, or the one ADMIN names."""
    if principal is None:
        return None
    if principal.is_("MARKETPLACE"):
        return principal.marketplace if given_marketplace in (None, "", principal.marketplace) else None
    return given_marketplace or None if principal.is_("ADMIN") else None


def may_redeliver_webhook(principal: Principal, row: dict[str, Any]) -> bool:
    """ADMIN; a partner its own deliveries; a marketplace those of its own endpoint."""
    return principal.is_("ADMIN") or (
        principal.is_("EXPORT_PARTNER") and principal.partner == export_partner_global_id(row["partner_id"])
    ) or (principal.is_("MARKETPLACE") and row.get("marketplace") is not None
          and row["marketplace"] == principal.marketplace)


# -- storefronts and listings: the public catalog ----------------------------------------------
# Anyone reads the catalog, with or without a token. A CLOSED storefront has left it: the storefront
# and its listings are then read only by those who manage it and by DISPUTE_STAFF (orders name
# listings). Rules take a storefront row or a listing row: both carry household_id and marketplace.

PUBLIC_STOREFRONT_STATUSES = ("OPEN", "TEMPORARILY_CLOSED")
PUBLIC_LISTING_STATUSES = ("ACTIVE", "SOLD_OUT")
ALL_LISTING_STATUSES = ("ACTIVE", "SOLD_OUT", "PAUSED", "DELISTED")


def manages_storefront(principal: Principal | None, row: dict[str, Any]) -> bool:
    """Changes a storefront or its listings: ADMIN, the storefront's household, its marketplace."""
    if principal is None:
        return False
    if principal.is_("ADMIN"):
        return True
    if principal.is_("HOUSEHOLD"):
        return principal.household == household_global_id(row["household_id"])
    return principal.is_("MARKETPLACE") and principal.marketplace == row["marketplace"]


def opens_storefronts_on(principal: Principal, marketplace: str) -> bool:
    """A marketplace opens storefronts on itself only; ADMIN and households on any marketplace."""
    return not principal.is_("MARKETPLACE") or principal.marketplace == marketplace


def opens_storefronts_for(principal: Principal, household_id: str) -> bool:
    """A household opens its own storefronts; ADMIN and marketplaces (the shared registry) any household's."""
    return not principal.is_("HOUSEHOLD") or principal.household == household_global_id(household_id)


def _storefront_status(row: dict[str, Any]) -> str:
    # A listing row carries its storefront's status beside its own.
    return str(row["storefront_status"] if "storefront_status" in row else row["status"])


def in_public_catalog(row: dict[str, Any]) -> bool:
    return _storefront_status(row) in PUBLIC_STOREFRONT_STATUSES


def catalog_entry_visible(principal: Principal | None, row: dict[str, Any]) -> bool:
    """A storefront or listing by id: public unless its storefront is CLOSED."""
    if in_public_catalog(row):
        return True
    return principal is not None and (principal.is_("DISPUTE_STAFF") or manages_storefront(principal, row))


def storefront_listing_statuses(principal: Principal | None, storefront_row: dict[str, Any]) -> tuple[str, ...]:
    """Which of a storefront's listings its page shows: all to those who manage it (and DISPUTE_STAFF),
    the ones on sale or sold out to everyone else."""
    if principal is not None and (principal.is_("DISPUTE_STAFF") or manages_storefront(principal, storefront_row)):
        return ALL_LISTING_STATUSES
    return PUBLIC_LISTING_STATUSES


class _SellerRow(dict):  # type: ignore[type-arg]
    """A seller as the public sees it. Any other field is refused, so no resolver can show more."""

    def __missing__(self, key: str) -> Any:
        from farmgate.graphql.errors import forbidden

        raise forbidden("Of a seller only its code, name, status, address and certifications are shown to you")

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


SELLER_FIELDS = (
    "id", "code", "name", "status", "scheme", "province_code", "district_code", "ward_code", "street",
    "registered_at", "verified_at", "certifications",
)


def seller_view(household_row: dict[str, Any]) -> dict[str, Any]:
    """A household that sells in the public catalog, as anyone may see it: no payment accounts, no
    history, and the phone masked already (so no path can unmask it)."""
    seller = _SellerRow({key: household_row.get(key) for key in SELLER_FIELDS})
    seller["phone"] = mask_phone(household_row["phone"])
    return seller


def catalog_household_row(
    principal: Principal | None, household_row: dict[str, Any], via: dict[str, Any]
) -> dict[str, Any] | None:
    """The household a storefront or listing (``via``, already visible to the caller) shows.

    Who may read the household sees all of it (PII masked by the usual rules), as does the marketplace
    the storefront sells on (DESIGN: a marketplace reads its own storefronts' households). Anyone else
    sees the seller view while the storefront is in the public catalog."""
    if household_visible(principal, household_row):
        return household_row
    if principal is not None and principal.is_("MARKETPLACE") and principal.marketplace == via["marketplace"]:
        return household_row
    return seller_view(household_row) if in_public_catalog(via) else None


# -- orders and shipments ---------------------------------------------------------------------
# MARKETPLACE: its marketplace's orders and their shipments; HOUSEHOLD: its own (it sells them);
# CARRIER: the shipments it carries, and their orders only through those shipments; DISPUTE_STAFF
# reads all. Rules take an order row or a shipment row: both carry marketplace, household_id and
# (once dispatched) carrier_id. An order shows the storefront and listings it names to whoever sees the
# order, even after they left the catalog.


def _its_marketplace(principal: Principal | None, row: dict[str, Any]) -> bool:
    return principal is not None and principal.is_("MARKETPLACE") and principal.marketplace == row["marketplace"]


def _party_to_order(principal: Principal, row: dict[str, Any]) -> bool:
    """The order's marketplace, or its household (it sells the produce)."""
    return _its_marketplace(principal, row) or (
        principal.is_("HOUSEHOLD") and principal.household == household_global_id(row["household_id"])
    )


def carrier_global_id(carrier_id: Any) -> str:
    return to_global_id("Carrier", str(carrier_id))


def carries(principal: Principal | None, row: dict[str, Any]) -> bool:
    """The caller is the carrier of this shipment (or of this order's shipment), by carrier id: the
    token's claim, whichever spelling it used, was resolved to one at authentication
    (``graphql.carrier_claim``), and so was the shipment's carrier at dispatch."""
    return (principal is not None and principal.is_("CARRIER") and row.get("carrier_id") is not None
            and principal.carrier == carrier_global_id(row["carrier_id"]))


def order_visible(principal: Principal | None, row: dict[str, Any], *, through_shipment: bool = False) -> bool:
    """``order``, ``orderByNumber``, ``orders``, ``node(id:)``; ``through_shipment`` for an order reached
    from a shipment the caller sees (``Shipment.order``, a carrier's payment), which lets its carrier in."""
    if principal is None:
        return False
    if principal.is_("ADMIN", "DISPUTE_STAFF") or _party_to_order(principal, row):
        return True
    return through_shipment and carries(principal, row)


def shipment_visible(principal: Principal | None, row: dict[str, Any]) -> bool:
    return order_visible(principal, row) or carries(principal, row)


def order_list_filter(principal: Principal) -> dict[str, Any] | None:
    """Scope arguments of ``OrderQueries.page``; None when the role sees no order list."""
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return {}
    if principal.is_("MARKETPLACE"):
        return {"marketplace": principal.marketplace}
    if principal.is_("HOUSEHOLD"):
        own = uuid_of(principal.household or "", "Household")
        return {"household_scope": own} if own else None
    return None


def orders_marketplace(principal: Principal) -> str | None:
    """placeOrder: a marketplace orders from its own marketplace's listings only (others' read as not
    found); ADMIN from any."""
    return principal.marketplace if principal.is_("MARKETPLACE") else None


def manages_order(principal: Principal, row: dict[str, Any]) -> bool:
    """confirmOrder, dispatchOrder, cancelOrder: ADMIN, the order's marketplace, its household."""
    return principal.is_("ADMIN") or _party_to_order(principal, row)


def collects_payment(principal: Principal, row: dict[str, Any]) -> bool:
    """A carrier records only the cash it collects on delivery."""
    return not principal.is_("CARRIER") or row["payment_method"] == "CASH_ON_DELIVERY"


def refunds_order(principal: Principal, row: dict[str, Any]) -> bool:
    """recordRefund: ADMIN and the order's marketplace (it took the payment, it returns it)."""
    return principal.is_("ADMIN") or _its_marketplace(principal, row)


def tracks_shipment(principal: Principal, row: dict[str, Any]) -> bool:
    """recordCheckpoint, recordDeliveryFailure, confirmDelivery, and recordPayment (a carrier's for cash
    on delivery only, ``collects_payment``): ADMIN, the order's marketplace, the shipment's carrier."""
    return principal.is_("ADMIN") or _its_marketplace(principal, row) or carries(principal, row)


def declares_spoilage_of(principal: Principal, row: dict[str, Any]) -> bool:
    """declareSpoilage: who tracks the shipment, and DISPUTE_STAFF for any."""
    return principal.is_("DISPUTE_STAFF") or tracks_shipment(principal, row)


def sees_buyer(principal: Principal | None, row: dict[str, Any]) -> bool:
    """The buyer's name, phone and street address: ADMIN and the order's marketplace; everyone else who
    sees the order gets them masked (first letter, last 3 digits, province)."""
    return (principal is not None and principal.is_("ADMIN")) or _its_marketplace(principal, row)


def order_household_row(principal: Principal | None, household_row: dict[str, Any], order_row: dict[str, Any]
                        ) -> dict[str, Any]:
    """The selling household an order (already visible to the caller) shows: all of it to who may read
    the household and to the order's marketplace; the seller's public face to anyone else (a carrier)."""
    if household_visible(principal, household_row) or _its_marketplace(principal, order_row):
        return household_row
    return seller_view(household_row)


# -- claims and case files ------------------------------------------------------------------------
# DISPUTE_STAFF and ADMIN read every claim and case file and decide claims; the order's MARKETPLACE
# and HOUSEHOLD read their own and file claims and evidence; the CARRIER of the order's shipment
# sees the claims about it and may add evidence. Everyone else: not found. Rules take the order row.


def claim_visible(principal: Principal | None, order_row: dict[str, Any]) -> bool:
    return order_visible(principal, order_row) or carries(principal, order_row)


def case_file_visible(principal: Principal | None, order_row: dict[str, Any]) -> bool:
    return order_visible(principal, order_row)


def files_claim_as(principal: Principal, order_row: dict[str, Any], claimant: str) -> bool:
    """A marketplace files for the buyer or the household; a household only as itself."""
    if principal.is_("ADMIN"):
        return True
    if principal.is_("MARKETPLACE"):
        return _its_marketplace(principal, order_row)
    return principal.is_("HOUSEHOLD") and claimant == "HOUSEHOLD" and _party_to_order(principal, order_row)


def claim_list_filter(principal: Principal) -> dict[str, Any] | None:
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return {}
    if principal.is_("MARKETPLACE"):
        return {"marketplace": principal.marketplace}
    if principal.is_("HOUSEHOLD"):
        own = uuid_of(principal.household or "", "Household")
        return {"household_id": own} if own else None
    return None
