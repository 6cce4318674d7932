"""The rules the tests hold the code to, written out by hand from DESIGN.md ("Who may do what"),
the README's roles and DOMAIN.md, in one place. Tests read these tables; the code never does.

When a rule changes on purpose, change it here, and every test that reads the table follows:
- ``WHO_MAY``: every operation of the served schema (queries, mutations, subscriptions, and
  ``node(id:)`` per type) and which principals may run it. tests/e2e/test_refused_paths.py fails when
  the served schema has an operation this table does not cover.
- ``SHIPMENT_MAY_FOLLOW``, ``ORDER_AFTER``, ``CLAIM_AFTER``, ``LISTING_AFTER``, ``STOREFRONT_AFTER``,
  ``EXPORT_ORDER_AFTER``: transition tables (tests/unit/test_transition_tables.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# -- who may do what -------------------------------------------------------------------------------
# Principals, relative to the one world the refused-path test builds: a household of province 24 that
# joined through POSTMART, its POSTMART storefront and listing, a cash-on-delivery order carried by
# VNPost with a claim on it, an export order POSTMART created for one partner, that partner's webhook.
ANONYMOUS = "anonymous"
ADMIN = "ADMIN"
MARKETPLACE, MARKETPLACE_OTHER = "MARKETPLACE", "MARKETPLACE other"  # POSTMART / VOSO
HOUSEHOLD, HOUSEHOLD_OTHER = "HOUSEHOLD", "HOUSEHOLD other"  # the world's household / another one
CARRIER, CARRIER_OTHER = "CARRIER", "CARRIER other"  # VNPost, which carries the shipment / Viettel Post
OFFICER, OFFICER_OTHER = "PROVINCE_OFFICER", "PROVINCE_OFFICER other"  # province 24 / province 20
STAFF = "DISPUTE_STAFF"
PARTNER, PARTNER_OTHER = "EXPORT_PARTNER", "EXPORT_PARTNER other"  # the world's partner / another one

PRINCIPALS = (ANONYMOUS, ADMIN, MARKETPLACE, MARKETPLACE_OTHER, HOUSEHOLD, HOUSEHOLD_OTHER, CARRIER, CARRIER_OTHER,
              OFFICER, OFFICER_OTHER, STAFF, PARTNER, PARTNER_OTHER)

ALLOWED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = "ALLOWED", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"


def role_of(principal: str) -> str:
    return principal.split(" ")[0]


@dataclass(frozen=True)
class Access:
    """Who may run one operation. ADMIN always may. Everyone else not in ``allowed`` is refused:
    no token UNAUTHENTICATED (unless ``public``); a role that may not do it at all ``role_refusal``
    (FORBIDDEN; NOT_FOUND for reads by id, which must not tell whether an object exists); an allowed
    role out of its scope NOT_FOUND ("out of scope reads as not found"); ``refusals`` overrides one."""

    allowed: frozenset[str]
    public: bool = False
    role_refusal: str = FORBIDDEN
    refusals: Mapping[str, str] = field(default_factory=dict)

    def expected(self, principal: str) -> str:
        if principal in self.refusals:
            return self.refusals[principal]
        if principal == ADMIN or principal in self.allowed or self.public:
            return ALLOWED
        if principal == ANONYMOUS:
            return UNAUTHENTICATED
        if role_of(principal) in {role_of(p) for p in self.allowed}:
            return NOT_FOUND
        return self.role_refusal


def may(*allowed: str, **options: object) -> Access:
    return Access(frozenset(allowed), **options)  # type: ignore[arg-type]


def read_by_id(*allowed: str) -> Access:
    """A read of one object (and node(id:)): whoever may not see it gets null, as if it did not exist."""
    return Access(frozenset(allowed), role_refusal=NOT_FOUND)


PUBLIC = Access(frozenset(), public=True)
EVERYONE_SIGNED_IN = may(MARKETPLACE, MARKETPLACE_OTHER, HOUSEHOLD, HOUSEHOLD_OTHER, CARRIER, CARRIER_OTHER,
                         OFFICER, OFFICER_OTHER, STAFF, PARTNER, PARTNER_OTHER)
_STOREFRONT_MANAGERS = may(MARKETPLACE, HOUSEHOLD)
_ORDER_PARTIES = may(MARKETPLACE, HOUSEHOLD)
_SHIPMENT_TRACKERS = may(MARKETPLACE, CARRIER)
_STAFF_ONLY = may(STAFF)
_HOUSEHOLD_READERS = (MARKETPLACE, HOUSEHOLD, OFFICER, STAFF)
_ORDER_READERS = (MARKETPLACE, HOUSEHOLD, STAFF)
_EXPORT_READERS = (MARKETPLACE, STAFF, PARTNER)

# A marketplace's webhooks for its own orders' topics, which DESIGN lists under registerWebhookEndpoint,
# are served as registerMarketplaceWebhookEndpoint and marketplaceWebhookEndpoint; registerWebhookEndpoint
# stays the export partners'.

WHO_MAY: dict[str, Access] = {
    # households
    "registerHousehold": may(MARKETPLACE, MARKETPLACE_OTHER, OFFICER, refusals={OFFICER_OTHER: FORBIDDEN}),
    "verifyHousehold": may(OFFICER),
    "addCertification": may(OFFICER),
    "linkPaymentAccount": may(HOUSEHOLD, OFFICER),
    "household": read_by_id(MARKETPLACE, HOUSEHOLD, OFFICER, STAFF),
    "householdByCode": may(MARKETPLACE, MARKETPLACE_OTHER, HOUSEHOLD, OFFICER, STAFF),
    "households": may(*_HOUSEHOLD_READERS),
    # bulk onboarding: any province's officer uploads (each row is held to its province); a job is read
    # by the officers of the province it was started for (the world's job: province 24's officer's)
    "startHouseholdImport": may(OFFICER, OFFICER_OTHER),
    "householdImport": read_by_id(OFFICER),
    # storefronts and listings; the catalog is public
    "openStorefront": may(MARKETPLACE, HOUSEHOLD, refusals={MARKETPLACE_OTHER: FORBIDDEN}),
    "setStorefrontStatus": _STOREFRONT_MANAGERS,
    "publishListing": _STOREFRONT_MANAGERS,
    "adjustStock": _STOREFRONT_MANAGERS,
    "changePrice": _STOREFRONT_MANAGERS,
    "pauseListing": _STOREFRONT_MANAGERS,
    "resumeListing": _STOREFRONT_MANAGERS,
    "delistListing": _STOREFRONT_MANAGERS,
    "storefront": PUBLIC,
    "storefronts": PUBLIC,
    "nearbyStorefronts": PUBLIC,
    "listing": PUBLIC,
    "listings": PUBLIC,
    # reference data: provinces, districts and wards of both schemes, carriers; ADMIN alone adds a carrier
    "provinces": PUBLIC,
    "province": PUBLIC,
    "district": PUBLIC,
    "ward": PUBLIC,
    "carriers": PUBLIC,
    "registerCarrier": may(),
    "viewer": PUBLIC,
    # orders and shipments
    "placeOrder": may(MARKETPLACE),
    "confirmOrder": _ORDER_PARTIES,
    "dispatchOrder": _ORDER_PARTIES,
    "cancelOrder": _ORDER_PARTIES,
    "recordPayment": may(MARKETPLACE, CARRIER),  # a carrier: cash on delivery, on its own shipments
    # Money returned to the buyer: by whoever took the payment for the order, its marketplace. DESIGN's
    # row "recordPayment, recordRefund" gives CARRIER cash on delivery, which is collecting, not returning.
    "recordRefund": may(MARKETPLACE),
    "recordCheckpoint": _SHIPMENT_TRACKERS,
    "recordDeliveryFailure": _SHIPMENT_TRACKERS,
    "confirmDelivery": _SHIPMENT_TRACKERS,
    "declareSpoilage": may(MARKETPLACE, CARRIER, STAFF),
    "order": read_by_id(*_ORDER_READERS),
    "orderByNumber": read_by_id(*_ORDER_READERS),
    "orders": may(*_ORDER_READERS),
    "shipment": read_by_id(*_ORDER_READERS, CARRIER),
    # claims and case files
    "fileClaim": may(MARKETPLACE, HOUSEHOLD),
    "addClaimEvidence": may(MARKETPLACE, HOUSEHOLD, CARRIER, STAFF),
    "assessClaim": _STAFF_ONLY,
    "decideClaim": _STAFF_ONLY,
    "recordCompensationPayment": _STAFF_ONLY,
    "withdrawClaim": may(MARKETPLACE, HOUSEHOLD, STAFF),
    "claim": read_by_id(*_ORDER_READERS, CARRIER),
    "claims": may(*_ORDER_READERS),
    "caseFile": may(*_ORDER_READERS),
    "orderEvents": may(*_ORDER_READERS),
    # exports
    "registerExportPartner": may(),
    "createExportOrder": may(MARKETPLACE, MARKETPLACE_OTHER),
    "allocateExportLot": may(MARKETPLACE),
    "recordExportDocument:EXPORT": may(MARKETPLACE, refusals={PARTNER_OTHER: NOT_FOUND}),
    "recordExportDocument:IMPORT": may(PARTNER, refusals={MARKETPLACE_OTHER: NOT_FOUND}),
    "recordExportMilestone:EXPORT": may(MARKETPLACE, refusals={PARTNER_OTHER: NOT_FOUND}),
    "recordExportMilestone:IMPORT": may(PARTNER, refusals={MARKETPLACE_OTHER: NOT_FOUND}),
    "cancelExportOrder": may(MARKETPLACE),
    "exportPartner": read_by_id(MARKETPLACE, MARKETPLACE_OTHER, STAFF, PARTNER),
    "exportOrder": read_by_id(*_EXPORT_READERS),
    "exportOrders": may(*_EXPORT_READERS),
    "exportOrderEvents": may(*_EXPORT_READERS),
    # partner webhooks
    "registerWebhookEndpoint": may(PARTNER),
    # A marketplace sees the deliveries of the export orders it created, but sending them again is the
    # partner's call; another marketplace does not see them at all.
    "redeliverWebhook": may(PARTNER, refusals={MARKETPLACE: FORBIDDEN, MARKETPLACE_OTHER: NOT_FOUND}),
    "webhookEndpoint": read_by_id(PARTNER),
    "webhookDeliveries": may(*_EXPORT_READERS),
    # marketplace webhooks: each marketplace its own endpoint (the world's is POSTMART's; ADMIN names it)
    "registerMarketplaceWebhookEndpoint": may(MARKETPLACE, refusals={MARKETPLACE_OTHER: FORBIDDEN}),
    "marketplaceWebhookEndpoint": may(MARKETPLACE),
    # rollout dashboards and campaigns: the officer of the province (24 in the world, under either scheme)
    # plans, launches and reads it; another province's officer is told it may not (provinces are public
    # reference data, so there is nothing to hide by "not found"); the nation is ADMIN's; campaigns are public
    "planProvinceRollout": may(OFFICER, refusals={OFFICER_OTHER: FORBIDDEN}),
    "launchCampaign": may(OFFICER, refusals={OFFICER_OTHER: FORBIDDEN}),
    "provinceRollout": may(OFFICER, refusals={OFFICER_OTHER: FORBIDDEN}),
    "nationalRollout": may(),
    "campaign": PUBLIC,
    # personal data: erasure and access requests, ADMIN only (DESIGN.md)
    "erasePersonalData": may(),
    "personalDataExport": may(),
}

#: node(id:) reaches every type: each reads exactly as that type's own query does
NODE_READS: dict[str, str] = {
    "Household": "household",
    "Storefront": "storefront",
    "Listing": "listing",
    "Order": "order",
    "Shipment": "shipment",
    "CompensationClaim": "claim",
    "ExportPartner": "exportPartner",
    "ExportOrder": "exportOrder",
    "WebhookEndpoint": "webhookEndpoint",
    "WebhookDelivery": "webhookDeliveries",
    "MarketplaceWebhookEndpoint": "marketplaceWebhookEndpoint",
    "Carrier": "carriers",
    "Campaign": "campaign",
}


def _as_node(access: Access) -> Access:
    """node(id:) takes no token: for those who may not see the object, null, whoever they are."""
    if access.public:
        return access
    return Access(access.allowed, role_refusal=NOT_FOUND, refusals={**access.refusals, ANONYMOUS: NOT_FOUND})


WHO_MAY.update({f"node:{type_name}": _as_node(WHO_MAY[query]) for type_name, query in NODE_READS.items()})
# A delivery read by id (node) is null, never FORBIDDEN, for those who may not list deliveries.
WHO_MAY["node:WebhookDelivery"] = _as_node(read_by_id(*_EXPORT_READERS))


# -- transition tables --------------------------------------------------------------------------------
# Written from DOMAIN.md and the module docstrings of core/domain, as a person would draw them; a test
# drives the aggregates through every cell (tests/unit/test_transition_tables.py).


def _matrix(columns: str, rows: str) -> dict[str, frozenset[str]]:
    """Rows of 'x' (may follow) and '.' (may not) under the named columns."""
    names = columns.split()
    table: dict[str, frozenset[str]] = {}
    for line in rows.strip().splitlines():
        status, *marks = line.split()
        assert len(marks) == len(names), line
        table[status] = frozenset(name for name, mark in zip(names, marks) if mark == "x")
    return table


_SHIPMENT_STATUSES = ("INFO_RECEIVED IN_TRANSIT OUT_FOR_DELIVERY ATTEMPT_FAILED AVAILABLE_FOR_PICKUP EXCEPTION "
                      "DELIVERED SPOILED RETURNED_TO_SENDER")
#: shipment status in flight -> the statuses a newer fact (one that happened after the current status
#: began) may move it to. Scans come in any order but nothing returns to INFO_RECEIVED (the carrier has
#: handled the parcel); a fact the row forbids is refused (INVALID_TRANSITION), recording nothing.
SHIPMENT_MAY_FOLLOW = _matrix(_SHIPMENT_STATUSES, """
INFO_RECEIVED         x x x x x x x x x
IN_TRANSIT            . x x x x x x x x
OUT_FOR_DELIVERY      . x x x x x x x x
ATTEMPT_FAILED        . x x x x x x x x
AVAILABLE_FOR_PICKUP  . x x x x x x x x
EXCEPTION             . x x x x x x x x
""")
SHIPMENT_FINAL = ("DELIVERED", "SPOILED", "RETURNED_TO_SENDER")

#: A fact from the world is always recorded (issue 11): once DELIVERED, SPOILED or RETURNED_TO_SENDER
#: ended the way, no fact is refused; the table says what it means. Rows: how the way ended ("SPOILED by
#: SYSTEM" is the promise watchdog's inference, "SPOILED" a person's declaration); columns: the fact,
#: when it happened against the end ("<" before it, ">" after it). Cells:
#:   h  history: recorded as itself, moves nothing (a scan or failure from before the end, reported late)
#:   c  contradiction: recorded as ContradictionRecorded, moves nothing; the case file flags it
#:   w  the fact shows the inference wrong: recorded, moves the shipment to the fact's status, and the
#:      spoilage is withdrawn naming it (a delivery or return that happened before the promise ran out)
_FACT_COLUMNS = " ".join(f"{status}{when}" for status in _SHIPMENT_STATUSES.split() for when in "<>")
SHIPMENT_AFTER_THE_END: dict[str, dict[str, str]] = {}
for _line in """
DELIVERED          h c  h c  h c  h c  h c  h c  c c  c c  c c
SPOILED            h c  h c  h c  h c  h c  h c  c c  c c  c c
SPOILED_BY_SYSTEM  h c  h c  h c  h c  h c  h c  w c  c c  w c
RETURNED_TO_SENDER h c  h c  h c  h c  h c  h c  c c  c c  c c
""".strip().splitlines():
    _ended, *_cells = _line.split()
    assert len(_cells) == len(_FACT_COLUMNS.split()), _line
    SHIPMENT_AFTER_THE_END[_ended] = dict(zip(_FACT_COLUMNS.split(), _cells))

#: an order after its shipment's news: the order follows while DISPATCHED or DELIVERY_FAILED, and a SPOILED
#: one follows the fact that withdrew its shipment's automatic spoilage
ORDER_FOLLOWS_SHIPMENT = {
    "INFO_RECEIVED": "DISPATCHED", "IN_TRANSIT": "DISPATCHED", "OUT_FOR_DELIVERY": "DISPATCHED",
    "AVAILABLE_FOR_PICKUP": "DISPATCHED", "EXCEPTION": "DISPATCHED", "ATTEMPT_FAILED": "DELIVERY_FAILED",
    "DELIVERED": "DELIVERED", "SPOILED": "SPOILED", "RETURNED_TO_SENDER": "RETURNED",
}

REFUSED = None
#: (order status, command) -> status after it, or REFUSED. "pay" keeps the status (it moves payment): money
#: that arrived is recorded whatever the status, a cancelled order's as owed back (issue 11).
ORDER_AFTER: dict[tuple[str, str], str | None] = {}
for _status, _confirm, _cancel, _dispatch, _pay in (
    ("PLACED", "CONFIRMED", "CANCELLED", REFUSED, "PLACED"),
    ("CONFIRMED", REFUSED, "CANCELLED", "DISPATCHED", "CONFIRMED"),
    ("DISPATCHED", REFUSED, REFUSED, REFUSED, "DISPATCHED"),
    ("DELIVERY_FAILED", REFUSED, REFUSED, REFUSED, "DELIVERY_FAILED"),
    ("DELIVERED", REFUSED, REFUSED, REFUSED, "DELIVERED"),
    ("SPOILED", REFUSED, REFUSED, REFUSED, "SPOILED"),
    ("RETURNED", REFUSED, REFUSED, REFUSED, "RETURNED"),
    ("CANCELLED", REFUSED, REFUSED, REFUSED, "CANCELLED"),
):
    ORDER_AFTER.update({(_status, "confirm"): _confirm, (_status, "cancel"): _cancel,
                        (_status, "dispatch"): _dispatch, (_status, "pay"): _pay})

#: (claim status, command) -> status after it, or REFUSED. "pay_part" pays less than the payout,
#: "pay_rest" what is left of it. A compensation payment is a fact: recorded whatever the status (on a
#: claim not APPROVED it keeps the status and is flagged OVERPAID); on a PAID claim nothing is left, so
#: "pay_rest" pays zero, which is refused.
CLAIM_AFTER: dict[tuple[str, str], str | None] = {}
for _status, _evidence, _assess, _approve, _reject, _pay_part, _pay_rest, _withdraw in (
    ("OPEN", "OPEN", "ASSESSED", REFUSED, REFUSED, "OPEN", "OPEN", "WITHDRAWN"),
    ("ASSESSED", "ASSESSED", "ASSESSED", "APPROVED", "REJECTED", "ASSESSED", "ASSESSED", "WITHDRAWN"),
    ("APPROVED", REFUSED, REFUSED, REFUSED, REFUSED, "APPROVED", "PAID", REFUSED),
    ("REJECTED", REFUSED, REFUSED, REFUSED, REFUSED, "REJECTED", "REJECTED", REFUSED),
    ("PAID", REFUSED, REFUSED, REFUSED, REFUSED, "PAID", REFUSED, REFUSED),
    ("WITHDRAWN", REFUSED, REFUSED, REFUSED, REFUSED, "WITHDRAWN", "WITHDRAWN", REFUSED),
):
    CLAIM_AFTER.update({(_status, "add_evidence"): _evidence, (_status, "assess"): _assess,
                        (_status, "approve"): _approve, (_status, "reject"): _reject,
                        (_status, "pay_part"): _pay_part, (_status, "pay_rest"): _pay_rest,
                        (_status, "withdraw"): _withdraw})

#: (listing status, command) -> status after it, or REFUSED. Stock changes keep a paused listing paused;
#: "reserve_all" takes the last of the stock, "restock" adds some.
LISTING_AFTER: dict[tuple[str, str], str | None] = {}
for _status, _pause, _resume, _delist, _reserve_all, _restock, _price in (
    ("ACTIVE", "PAUSED", REFUSED, "DELISTED", "SOLD_OUT", "ACTIVE", "ACTIVE"),
    ("SOLD_OUT", "PAUSED", REFUSED, "DELISTED", REFUSED, "ACTIVE", "SOLD_OUT"),
    ("PAUSED", REFUSED, "ACTIVE", "DELISTED", REFUSED, "PAUSED", "PAUSED"),
    ("DELISTED", REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
):
    LISTING_AFTER.update({(_status, "pause"): _pause, (_status, "resume"): _resume, (_status, "delist"): _delist,
                          (_status, "reserve_all"): _reserve_all, (_status, "restock"): _restock,
                          (_status, "change_price"): _price})

#: storefront status -> the statuses setStorefrontStatus may set (its own status: nothing happens)
STOREFRONT_MAY_BECOME = _matrix("OPEN TEMPORARILY_CLOSED CLOSED", """
OPEN                x x x
TEMPORARILY_CLOSED  x x x
CLOSED              x . x
""")

#: (export order status, command) -> status after it, or REFUSED
EXPORT_ORDER_AFTER: dict[tuple[str, str], str | None] = {}
for _status, _allocate, _document, _milestone, _cancel in (
    ("OPEN", "OPEN", "OPEN", "OPEN", "CANCELLED"),
    ("IN_TRANSIT", REFUSED, "IN_TRANSIT", "IN_TRANSIT", REFUSED),
    ("DELIVERED", REFUSED, "DELIVERED", REFUSED, REFUSED),
    ("CANCELLED", REFUSED, REFUSED, REFUSED, REFUSED),
):
    EXPORT_ORDER_AFTER.update({(_status, "allocate"): _allocate, (_status, "file_document"): _document,
                               (_status, "record_milestone"): _milestone, (_status, "cancel"): _cancel})
