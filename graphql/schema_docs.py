"""The schema documents itself: every operation, type, field and argument of the served SDL has a
description, so the rules a caller meets — who may call, limits, error codes, time and money
formats — are in GraphiQL's docs and the SDL file, not only in the README.

A description written where a field is declared (``strawberry.field(description=…)``) stays as it
is. Everything else is described here: by convention for what every connection, edge, payload and
mutation shares (written once), and by name for the rest. ``document(schema)`` applies both to the
built graphql-core schema; ``undocumented(schema)`` lists what still has none (a test keeps it empty).
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

BUILT_IN = frozenset({"String", "Int", "Float", "Boolean", "ID"})

TIMES = ("Times are ISO-8601 with an offset. occurredAt is when it happened in the world, as reported (a carrier may"
         " report late; it may not be in the future); recordedAt is when farmgate recorded it.")
MONEY = ("Money is exact: a decimal string in the currency's major unit (\"518966000\" VND, \"12.50\" EUR) and an"
         " ISO 4217 currency code.")
SCOPE = "Objects outside the caller's scope read as not found."
#: the rule of a reference or number someone typed (core.domain.text: required_code, code_key)
CODE_RULE = ("Stored as typed after Unicode NFKC (full-width letters and digits become ASCII; other digits are"
             " folded to ASCII) with outer spaces stripped, and compared ignoring case: 'BANK-TX-2',"
             " ' bank-tx-2 ' and 'ＢＡＮＫ-TX-2' are one, the later ones ALREADY_EXISTS.")

# -- by convention ---------------------------------------------------------------------------------

ARGUMENTS = {
    "input": "What to record; see the input type. Invalid input is a userErrors entry and changes nothing.",
    "idempotencyKey": "Optional, 1 to 200 characters. The same caller repeating the mutation with the same key and"
                      " input gets the first answer and records nothing new; the same key with another input is"
                      " IDEMPOTENCY_KEY_REUSED. Keys are kept 48 hours.",
    "first": "Page size: 20 when not given, at most 100 (more is LIMIT_EXCEEDED). The query cost counts what is"
             " under this connection this many times over.",
    "after": "Continue after this cursor (the previous page's pageInfo.endCursor).",
    "id": f"The object's global ID. {SCOPE}",
}
FIELDS = {
    "edges": "The items of this page, in the list's order.",
    "pageInfo": "Where this page sits; pass endCursor as after: for the next one.",
    "totalCount": "How many match, over all pages.",
    "cursor": "Opaque; pass it as after: to continue after this item.",
    "node": "The item.",
    "userErrors": "Why nothing was recorded, each with a code and the input field at fault; empty on success.",
    "id": "Global, opaque ID (Relay); node(id:) fetches the object again.",
}
INPUT_FIELDS = {
    "occurredAt": "When it happened in the world (ISO-8601 with an offset); not in the future. A fact reported late"
                  " keeps the time it happened.",
    "idempotencyKey": ARGUMENTS["idempotencyKey"],
}

# -- by name -------------------------------------------------------------------------------------

TYPES = {
    "Query": f"Reads. Catalog, store locator and reference data are public; the rest needs a bearer token. {SCOPE}"
             " Every answer reports extensions.cost {requested, budget}; an operation over the caller's budget is"
             " refused before it runs (LIMIT_EXCEEDED). Depth 12, 30 aliases, 4000 tokens at most.",
    "Mutation": "Writes. Each takes one input and an optional idempotencyKey and answers a payload whose userErrors"
                " is empty on success; a mutation with userErrors changed nothing. Missing or invalid token:"
                " UNAUTHENTICATED; a role that may not: FORBIDDEN. " + TIMES + " " + MONEY,
    "Subscription": "Live events over WebSocket (graphql-transport-ws on /graphql; browsers send"
                    " {\"Authorization\": \"Bearer …\"} in connection_init). A subscription ends UNAUTHENTICATED, and"
                    " the socket closes with 4401, when its token expires: reconnect with a new token and resume.",
    "Node": "Anything with a global ID (Relay).",
    "PageInfo": "Relay page information.",
    "Money": MONEY,
    "MoneyInput": MONEY,
    "UserError": "Why a mutation recorded nothing: a code, a message, and the input field at fault.",
    "UserErrorCode": "INVALID (input breaks a rule), NOT_FOUND (does not exist or out of scope), ALREADY_EXISTS,"
                     " OUT_OF_STOCK, INVALID_TRANSITION (not from the object's present state), CONFLICT (concurrent"
                     " change; try again), IDEMPOTENCY_KEY_REUSED, LIMIT_EXCEEDED.",
    "Role": "Who a token speaks for; each role sees and does only what its scope claim covers (see the README).",
    "Viewer": "The caller as its token describes it (all null without a token).",
    "Marketplace": "The marketplaces that carry the programme: Postmart (Vietnam Post) and Voso (Viettel Post).",
    "Address": "A Vietnamese address by General Statistics Office codes, in the scheme it was recorded in (2021:"
               " provinces with districts; 2025: 34 provinces, no district level).",
    "AddressInput": "An address by General Statistics Office codes of the given scheme (2021 or 2025).",
    "GeoPoint": "A point on the map, WGS 84 degrees.",
    "GeoPointInput": "A point on the map, WGS 84 degrees: latitude -90..90, longitude -180..180.",
    "Household": "A farming household that sells (hộ sản xuất nông nghiệp): one record and code shared by every"
                 " marketplace. Personal data is masked for roles that may not see it; fields a role may not read"
                 " are null with a FORBIDDEN error on that field only.",
    "HouseholdStatus": "REGISTERED, then VERIFIED by its province's officer; SUSPENDED stops its storefronts.",
    "PaymentAccount": "An account a household is paid into (e-wallet, bank account, or the commune post office).",
    "PaymentAccountKind": "E_WALLET, BANK_ACCOUNT, or POST_OFFICE (paid at the commune post office).",
    "Certification": "A production standard the household holds (VietGAP, GlobalGAP, organic, OCOP).",
    "CertificationScheme": "VietGAP (Vietnam's Good Agricultural Practice), GlobalGAP, organic, OCOP.",
    "Storefront": "A household's shop on one marketplace (cửa hàng số). Public while OPEN or TEMPORARILY_CLOSED.",
    "StorefrontStatus": "OPEN, TEMPORARILY_CLOSED (still listed, not taking orders) or CLOSED (left the catalog).",
    "OpeningHours": "When a storefront is open on one day of the week, local time (Asia/Ho_Chi_Minh).",
    "OpeningHoursInput": "One day's opening hours, local time (Asia/Ho_Chi_Minh), HH:MM.",
    "NearbyStorefront": "A storefront near the point asked for, with its distance.",
    "Listing": "A product a storefront offers: price per unit, stock, shelf life, certifications.",
    "ListingStatus": "ACTIVE (buyable), SOLD_OUT (no stock), PAUSED (by its seller), DELISTED (gone for good).",
    "ProductCategory": "What kind of produce a listing is.",
    "Order": "A buyer's order from one storefront, placed through a marketplace; its shipment and claims follow it."
             " " + SCOPE,
    "OrderStatus": "Follows the order's life: PLACED, CONFIRMED, DISPATCHED, then as its shipment goes (DELIVERED,"
                   " DELIVERY_FAILED, SPOILED, RETURNED); CANCELLED before dispatch.",
    "OrderLine": "One listing of an order, at the price when it was placed.",
    "OrderLineInput": "A listing and how many of its units.",
    "Buyer": "Who the order is for. Name, phone and street are masked except for ADMIN and the order's marketplace.",
    "BuyerInput": "Who the order is for: personal data, stored encrypted and shown masked to most roles.",
    "PaymentMethod": "How the buyer pays.",
    "PaymentStatus": "Where the order's money stands.",
    "Shipment": "An order's parcel with its carrier: checkpoints and failures as the carrier reported them, with"
                " the time each happened and the time it was recorded.",
    "ShipmentStatus": "The carrier's tracking states (AfterShip's vocabulary), plus SPOILED: perishable produce past"
                      " its promise, undelivered.",
    "Checkpoint": "A tracking event of a shipment.",
    "DeliveryFailure": "An attempt that did not reach the buyer.",
    "DeliveryFailureReason": "Why a delivery attempt failed; AREA_RESTRICTED is a lockdown (e.g. Directive 16).",
    "CompensationClaim": "A buyer's or household's claim for money after spoilage, loss, damage or lateness.",
    "ClaimKind": "What went wrong.",
    "ClaimOutcome": "What dispute staff decided.",
    "ClaimParty": "Who claims.",
    "ClaimStatus": "OPEN, ASSESSED, APPROVED or REJECTED, PAID; WITHDRAWN by its claimant.",
    "ClaimAssessment": "Dispute staff's findings: who is liable for what share, and the payout they recommend.",
    "ClaimDecision": "The decision on a claim.",
    "CompensationPayment": "Money paid out on an approved claim, by one liable party.",
    "LiabilityParty": "Who may carry part of a loss.",
    "LiabilityShare": "A party's share of a loss, in basis points (10,000 = 100%).",
    "LiabilityShareInput": "A party's share of a loss in basis points; the shares add up to exactly 10,000.",
    "Evidence": "A file backing a claim, fixed by its SHA-256 so a swapped file is detected.",
    "EvidenceInput": "A file backing a claim: where it is and its SHA-256 (64 hex digits).",
    "SlaBreach": "A promise that was not kept: delivery by its promise, a claim answered by its deadline.",
    "SlaState": "Where an export order stands against its harvest-to-door promise.",
    "IntegrityReport": "Whether the stored events still hash to the chain they were recorded with.",
    "ExportPartner": "An importer or forwarder abroad that follows its own export orders.",
    "ExportOrder": "A cross-border order from an export partner, filled from many households' lots, with its"
                   " documents, milestones and harvest-to-door clock. EXPORT_PARTNER sees only its own.",
    "ExportOrderStatus": "OPEN (being filled), IN_TRANSIT, DELIVERED, CANCELLED.",
    "ExportLot": "A household's share of an export order, in kilograms.",
    "ExportDocument": "A document of an export order (phytosanitary certificate, invoice, waybill…).",
    "ExportDocumentKind": "Export-side documents are recorded by the creating marketplace; IMPORT_DECLARATION by the"
                          " partner.",
    "ExportMilestone": "A step of an export order's journey, when it happened and when it was recorded.",
    "ExportMilestoneKind": "The journey from harvest to door; ARRIVED onwards are recorded by the partner.",
    "Incoterm": "Incoterms 2020 rule of the sale.",
    "WebhookDeliveryStatus": "PENDING (waiting for its turn or its retry), SENDING, DELIVERED, FAILED (gave up after"
                             " the maximum attempts; redeliverWebhook sends it again).",
}

DOCS = {
    # -- Query ---------------------------------------------------------------------------------------
    "Query.node": f"Any object by its global ID. {SCOPE}",
    "Query.provinces": "Vietnam's provinces, public reference data.",
    "Query.provinces.scheme": "2021 (63 provinces) or 2025 (34); both when not given.",
    "Query.viewer": "Who the caller's token says it is.",
    "Query.household": "A household (MARKETPLACE: those that joined through it; PROVINCE_OFFICER: its province;"
                       " HOUSEHOLD: itself; DISPUTE_STAFF and ADMIN: all).",
    "Query.householdByCode": "A household by its shared code (HH-<province>-<n>); marketplaces look any up this way.",
    "Query.householdByCode.code": "The household's code, e.g. HH-20-000123.",
    "Query.households": "Households the caller may see, oldest registration first.",
    "Query.householdImport": "A bulk household import job: counts, progress and row errors. The PROVINCE_OFFICERs"
                             " of the province it was started for, and ADMIN; null for anyone else.",
    "Query.householdImport.id": "The job's global ID (startHouseholdImport's answer).",
    "HouseholdImport.errors.first": "How many errors, at most 1000.",
    "HouseholdImport.errors.afterRow": "Only errors of rows after this row number (the last row of the previous"
                                       " page).",
    # provinceCode, districtCode and wardCode filters: described in code (graphql/area_arguments.py), the
    # one reading of a place argument.
    "Query.households.status": "Only households in this status.",
    "Query.households.search": "Name search, accent-insensitive (\"nguyen van\" finds \"Nguyễn Văn\").",
    "Query.storefront": "A storefront (public while open or temporarily closed).",
    "Query.storefronts": "Storefronts of the catalog, public; filter by marketplace and administrative unit.",
    "Query.storefronts.marketplace": "Only this marketplace's.",
    "Query.nearbyStorefronts.near": "Where the buyer is.",
    "Query.nearbyStorefronts.radiusKm": "How far to look, in kilometres (above 0, at most 1000; more is LIMIT_EXCEEDED).",
    "Query.nearbyStorefronts.first": "How many at most: 20 when not given, at most 100.",
    "Query.nearbyStorefronts.openNow": "Only those open at this moment.",
    "Query.nearbyStorefronts.marketplace": "Only this marketplace's.",
    "Query.listing": "A listing (public while its storefront is).",
    "Query.listings.search": "Accent-insensitive search of titles and descriptions (\"vai thieu\" finds \"Vải thiều\").",
    "Query.listings.category": "Only this category.",
    "Query.listings.certification": "Only listings holding this certification.",
    "Query.listings.marketplace": "Only this marketplace's.",
    "Query.exportPartner": "An export partner (ADMIN, DISPUTE_STAFF, MARKETPLACE; a partner sees itself).",
    "Query.exportOrder": "An export order (the creating marketplace, its partner, DISPUTE_STAFF, ADMIN).",
    "Query.exportOrders": "The export orders the caller may see, oldest first.",
    "Query.exportOrders.status": "Only orders in this status.",
    "Query.webhookEndpoint.partnerId": "The partner (ADMIN only; a partner reads its own without it).",
    "Query.webhookDeliveries.status": "Only deliveries in this status.",
    "Query.marketplaceWebhookEndpoint.marketplace": "The marketplace (ADMIN only; a marketplace reads its own).",
    "Query.order": "An order (its marketplace, household, carrier, DISPUTE_STAFF, ADMIN).",
    "Query.orderByNumber": "An order by its number, as printed for the buyer.",
    "Query.orderByNumber.number": "The order's number, e.g. FG-2021-000123.",
    "Query.orders": "The orders the caller may see, in the order they were placed.",
    "Query.orders.status": "Only orders in this status.",
    "Query.orders.storefrontId": "Only this storefront's orders.",
    "Query.orders.householdId": "Only this household's orders.",
    "Query.shipment": "A shipment (as its order; a carrier sees its own shipments).",
    "Query.claim": "A compensation claim (as its order; DISPUTE_STAFF sees all).",
    "Query.claims": "The claims the caller may see, oldest first.",
    "Query.claims.status": "Only claims in this status.",
    "Query.caseFile": "The case file of an order: its timeline, broken promises and integrity (its marketplace, its"
                      " household, DISPUTE_STAFF, ADMIN).",
    "Query.caseFile.orderId": "The order's global ID.",
    # -- Mutation ------------------------------------------------------------------------------------
    "Mutation.registerHousehold": "Register a household once, with its national ID (never stored: a keyed digest"
                                  " finds a second registration, ALREADY_EXISTS). MARKETPLACE; PROVINCE_OFFICER in its"
                                  " province.",
    "Mutation.planProvinceRollout": "Record or revise a province's rollout targets (planning again replaces them;"
                                    " the same targets again record nothing). PROVINCE_OFFICER of that province"
                                    " (under either scheme), ADMIN; another officer's province is FORBIDDEN.",
    "Mutation.launchCampaign": "Launch a campaign to sell one crop of one province; listings of households on its"
                               " land join it with publishListing's campaignId, export orders with"
                               " createExportOrder's. A second campaign of the same name in the province is"
                               " ALREADY_EXISTS. PROVINCE_OFFICER of that province, ADMIN.",
    "Mutation.startHouseholdImport": "Upload a province's household CSV (GraphQL multipart request: a"
                                     " multipart/form-data POST with operations, map and the file, and a bearer"
                                     " token) to import, or with dryRun only check, by a worker. Rows outside the"
                                     " officer's province are refused; each household records the officer as actor;"
                                     " a national ID already registered adds nothing. PROVINCE_OFFICER; ADMIN (any"
                                     " province).",
    "Mutation.verifyHousehold": "Record that a household's identity was checked. PROVINCE_OFFICER of its province.",
    "Mutation.linkPaymentAccount": "Link an account the household is paid into. The household itself, or its"
                                   " province's officer.",
    "Mutation.addCertification": "Record a certification the household holds. PROVINCE_OFFICER of its province.",
    "Mutation.openStorefront": "Open a household's storefront on a marketplace (one per marketplace). The"
                               " marketplace, or the household itself.",
    "Mutation.setStorefrontStatus": "Open, close for a while, or close a storefront. Its marketplace or household.",
    "Mutation.publishListing": "Offer a product in a storefront. Its marketplace or household.",
    "Mutation.adjustStock": "Add or remove stock; it never goes below what is reserved (OUT_OF_STOCK).",
    "Mutation.changePrice": "Change a listing's unit price; orders keep the price they were placed at.",
    "Mutation.registerExportPartner": "Register an importer or forwarder abroad. ADMIN.",
    "Mutation.createExportOrder": "Open a cross-border order for a partner. MARKETPLACE (it becomes the order's"
                                  " creator).",
    "Mutation.allocateExportLot": "Fill part of an export order from a household's harvest. The creating"
                                  " marketplace, while the order is open.",
    "Mutation.recordExportDocument": "Record a document of an export order: export side by the creating marketplace,"
                                     " IMPORT_DECLARATION by the partner.",
    "Mutation.recordExportMilestone": "Record a step of the journey: up to DEPARTED by the creating marketplace,"
                                      " ARRIVED onwards by the partner. Starts the harvest-to-door clock at HARVESTED.",
    "Mutation.registerWebhookEndpoint": "Register the partner's webhook endpoint, or replace its URL and secret"
                                        " (rotation: the old secret also signs for an overlap window). Destinations"
                                        " must be https:// to a public address. EXPORT_PARTNER (ADMIN names it).",
    "Mutation.redeliverWebhook": "Send a delivery again now (attempts start over). The partner, or the marketplace"
                                 " of its own endpoint's deliveries; not while it is being sent (CONFLICT).",
    "Mutation.placeOrder": "Place an order on the caller's marketplace. Stock is reserved in the same write: too"
                           " little is OUT_OF_STOCK at once, never oversold. MARKETPLACE.",
    "Mutation.confirmOrder": "Confirm a placed order. Its marketplace or household.",
    "Mutation.cancelOrder": "Cancel an order before dispatch; its stock is released. Its marketplace or household.",
    "Mutation.recordPayment": "Record money that arrived for an order (always recorded, even more than owed: the"
                              " payment status says REFUND_DUE, `overpaid` how much, `flags` OVERPAID; the same"
                              " reference again is ALREADY_EXISTS and records nothing). Its marketplace; the"
                              " carrier for cash on delivery.",
    "Mutation.dispatchOrder": "Hand a confirmed order to a carrier: its shipment starts, promised by the delivery"
                              " promise (48 h for perishables). Its marketplace or household.",
    "Mutation.recordCheckpoint": "A carrier's tracking event. The shipment's carrier, or the order's marketplace.",
    "Mutation.recordDeliveryFailure": "A delivery attempt that failed. The shipment's carrier, or the order's"
                                      " marketplace.",
    "Mutation.confirmDelivery": "The buyer received it (refused after spoilage: INVALID_TRANSITION). The carrier or"
                                " the order's marketplace.",
    "Mutation.declareSpoilage": "The produce is no longer fit to sell. The carrier, the order's marketplace, or"
                                " DISPUTE_STAFF; the promise watchdog declares it too (SYSTEM).",
    "Mutation.fileClaim": "Claim compensation for an order (no more than was paid). Its marketplace (for the buyer"
                          " or household) or the household itself.",
    "Mutation.addClaimEvidence": "Add a file to a claim. Its marketplace, household, carrier, or DISPUTE_STAFF.",
    "Mutation.assessClaim": "Record findings and liability shares. DISPUTE_STAFF.",
    "Mutation.decideClaim": "Approve (with a payout) or reject a claim; an approved claim refunds its order."
                            " DISPUTE_STAFF.",
    "Mutation.recordCompensationPayment": "Record a payout by a liable party: always recorded (beyond its share or"
                                          " on a claim not approved, the claim is flagged OVERPAID:<reference>; the"
                                          " same reference again is ALREADY_EXISTS). DISPUTE_STAFF.",
    # -- Subscription --------------------------------------------------------------------------------
    "Subscription.orderEvents.orderId": "The order's global ID.",
    "Subscription.orderEvents.afterPosition": "Resume: first the case's events recorded after this log position"
                                              " (the last EventRecord.position received), then new ones.",
    "Subscription.exportOrderEvents.exportOrderId": "The export order's global ID.",
    # -- Viewer, reference ---------------------------------------------------------------------------
    "Viewer.role": "The token's role.",
    "Viewer.subject": "The token's subject (sub).",
    "Viewer.marketplace": "MARKETPLACE: which one.",
    "Viewer.partnerId": "EXPORT_PARTNER: its partner's global ID.",
    "Viewer.householdId": "HOUSEHOLD: its household's global ID.",
    "Query.province.scheme": "2021 (63 provinces, with districts) or 2025 (34 provinces, no district level).",
    "Query.province.code": "The province's GSO code in that scheme, e.g. 20 (Lạng Sơn).",
    "Query.district.code": "The district's GSO code (2021 scheme), e.g. 187 (Chi Lăng).",
    "Query.ward.scheme": "2021 or 2025.",
    "Query.ward.code": "The ward's or commune's GSO code in that scheme.",
    "Province.wards.districtCode": "2021 scheme: only the wards of this district (a 2021 GSO district code). An"
                                   " unknown code, a district of another province, or any district under a"
                                   " 2025 province (that scheme has none) is BAD_USER_INPUT.",
    "District.code": "GSO code, e.g. 187 (Chi Lăng).",
    "District.name": "The district's name.",
    "District.provinceCode": "The 2021 province it belongs to.",
    "Ward.code": "GSO code of the ward or commune.",
    "Ward.name": "The ward's or commune's name.",
    "Ward.scheme": "2021 or 2025.",
    "Ward.provinceCode": "The province it belongs to, in the same scheme.",
    "Province.code": "General Statistics Office code, e.g. 20 (Lạng Sơn).",
    "Province.name": "The province's name.",
    "PageInfo.hasNextPage": "Whether another page follows.",
    "PageInfo.hasPreviousPage": "Whether this page was asked for after a cursor.",
    "PageInfo.startCursor": "The cursor of this page's first item.",
    "PageInfo.endCursor": "The cursor of this page's last item: pass it as after: for the next page.",
    "Money.amount": "Decimal string in the major unit, e.g. \"518966000\" or \"12.50\".",
    "Money.currency": "ISO 4217 code, e.g. VND, EUR.",
    "MoneyInput.amount": "Decimal string in the major unit, with no more decimals than the currency has (VND: none).",
    "MoneyInput.currency": "ISO 4217 code.",
    "UserError.code": "What kind of refusal.",
    "UserError.message": "What was wrong, for a person; never repeats personal data or secrets.",
    "Address.provinceCode": "Province code in the address's scheme.",
    "Address.provinceName": "The province's name in that scheme.",
    "Address.districtCode": "District code (2021 scheme only).",
    "Address.wardCode": "Ward or commune code.",
    "Address.street": "Street and number; masked for roles that may not see it.",
    "AddressInput.provinceCode": "Province code in the scheme given.",
    "AddressInput.districtCode": "District code (2021 scheme; none in 2025).",
    "AddressInput.wardCode": "Ward or commune code.",
    "AddressInput.street": "Street and number.",
    "GeoPoint.latitude": "Degrees north.",
    "GeoPoint.longitude": "Degrees east.",
    "GeoPointInput.latitude": "Degrees north, -90 to 90.",
    "GeoPointInput.longitude": "Degrees east, -180 to 180.",
    # -- households ----------------------------------------------------------------------------------
    "Household.name": "The household's name (its head's), as registered.",
    "Household.status": "Registration status; null (with FORBIDDEN) for roles that may not see it.",
    "Household.address": "Where it farms; null (with FORBIDDEN) for roles that may not see it.",
    "Household.registeredAt": "When it was registered.",
    "Household.verifiedAt": "When its identity was verified, if it was.",
    "Household.paymentAccounts": "Accounts it is paid into, references masked.",
    "Household.certifications": "Certifications it holds.",
    "Household.storefronts": "Its storefronts, one per marketplace at most.",
    "RegisterHouseholdInput.name": "The household's name.",
    "RegisterHouseholdInput.address": "Where it farms.",
    "RegisterHouseholdInput.location": "Where its farm is on the map, for the store locator.",
    "VerifyHouseholdInput.householdId": "The household's global ID.",
    "LinkPaymentAccountInput.householdId": "The household's global ID.",
    "LinkPaymentAccountInput.kind": "What kind of account.",
    "LinkPaymentAccountInput.provider": "Who keeps it (a bank, an e-wallet, the post office).",
    "LinkPaymentAccountInput.reference": "The account's number; shown masked afterwards.",
    "AddCertificationInput.householdId": "The household's global ID.",
    "AddCertificationInput.scheme": "Which standard.",
    "AddCertificationInput.number": f"The certificate's number, once per scheme on a household. {CODE_RULE}",
    "AddCertificationInput.issuer": "Who issued it.",
    "AddCertificationInput.validUntil": "When it expires.",
    "PaymentAccount.kind": "What kind of account.",
    "PaymentAccount.provider": "Who keeps it.",
    "PaymentAccount.linkedAt": "When it was linked.",
    "Certification.scheme": "Which standard.",
    "Certification.number": "The certificate's number.",
    "Certification.issuer": "Who issued it.",
    "Certification.validUntil": "When it expires.",
    # -- catalog -------------------------------------------------------------------------------------
    "Storefront.household": "The household that sells here.",
    "Storefront.marketplace": "The marketplace it is on.",
    "Storefront.name": "The storefront's name.",
    "Storefront.status": "Open, temporarily closed, or closed.",
    "Storefront.location": "Where to find it.",
    "Storefront.address": "Its address (street masked for the public).",
    "Storefront.openingHours": "When it is open, per day of the week.",
    "Storefront.listings": "Its listings, public ones for the public.",
    "OpeningHours.closes": "Closing time, HH:MM local time.",
    "OpeningHoursInput.dayOfWeek": "1 (Monday) to 7 (Sunday), ISO 8601.",
    "OpeningHoursInput.opens": "Opening time, HH:MM local time.",
    "OpeningHoursInput.closes": "Closing time, HH:MM local time, after opens.",
    "NearbyStorefront.storefront": "The storefront.",
    "NearbyStorefront.distanceKm": "Great-circle distance from the point asked for, in kilometres.",
    "OpenStorefrontInput.householdId": "The household's global ID.",
    "OpenStorefrontInput.marketplace": "Which marketplace (a MARKETPLACE caller opens on its own).",
    "OpenStorefrontInput.name": "The storefront's name.",
    "OpenStorefrontInput.location": "Where it is.",
    "OpenStorefrontInput.openingHours": "When it is open, per day of the week.",
    "SetStorefrontStatusInput.storefrontId": "The storefront's global ID.",
    "SetStorefrontStatusInput.status": "The new status.",
    "Listing.storefront": "The storefront offering it.",
    "Listing.household": "The household that grows it.",
    "Listing.title": "What it is, e.g. Vải thiều Lục Ngạn.",
    "Listing.description": "More about it.",
    "Listing.category": "Its category.",
    "Listing.unitPrice": "Price of one unit. " + MONEY,
    "Listing.stockQuantity": "Units left to sell.",
    "Listing.status": "Whether it can be bought.",
    "Listing.certifications": "Certifications of its household it is sold under.",
    "Listing.publishedAt": "When it was published.",
    "PublishListingInput.storefrontId": "The storefront's global ID.",
    "PublishListingInput.title": "What it is.",
    "PublishListingInput.description": "More about it.",
    "PublishListingInput.category": "Its category.",
    "PublishListingInput.unit": "The unit sold, e.g. kg, box of 5 kg.",
    "PublishListingInput.shelfLifeHours": "How long it keeps after harvest; 48 or less makes it perishable (the"
                                          " delivery promise).",
    "PublishListingInput.certificationIds": "Certifications of the household to show on it.",
    "PublishListingInput.campaignId": "A campaign it is part of (e.g. Bắc Giang lychee 2021).",
    "AdjustStockInput.listingId": "The listing's global ID.",
    "AdjustStockInput.reason": "Why (harvest, spoilage, count).",
    "ChangePriceInput.listingId": "The listing's global ID.",
    "ListingStatusInput.listingId": "The listing's global ID.",
    # -- orders ----------------------------------------------------------------------------------------
    "Order.marketplace": "The marketplace it was placed on.",
    "Order.status": "Where it stands.",
    "Order.storefront": "The storefront it was placed with.",
    "Order.household": "The household that sells it.",
    "Order.lines": "What was ordered.",
    "Order.total": "What it costs in all.",
    "Order.paymentMethod": "How the buyer pays.",
    "Order.paymentStatus": "Where its money stands.",
    "Order.placedAt": "When it was placed.",
    "Order.shipments": "Its shipments.",
    "Order.claims": "Compensation claims about it.",
    "OrderLine.listing": "The listing.",
    "OrderLine.title": "The listing's title when ordered.",
    "OrderLine.quantity": "How many units.",
    "OrderLine.unitPrice": "Price of one unit when ordered.",
    "OrderLine.lineTotal": "quantity × unitPrice.",
    "OrderLineInput.listingId": "The listing's global ID.",
    "Buyer.name": "The buyer's name (masked to its first letter for most roles).",
    "Buyer.phoneMasked": "The buyer's phone, masked to its last 3 digits for most roles.",
    "Buyer.address": "Where to deliver (street masked for most roles).",
    "BuyerInput.name": "The buyer's name.",
    "BuyerInput.address": "Where to deliver.",
    "PlaceOrderInput.lines": "The listings and quantities, all of one storefront.",
    "PlaceOrderInput.buyer": "Who it is for.",
    "PlaceOrderInput.paymentMethod": "How the buyer pays.",
    "ConfirmOrderInput.orderId": "The order's global ID.",
    "CancelOrderInput.orderId": "The order's global ID.",
    "CancelOrderInput.reason": "Why.",
    "RecordPaymentInput.orderId": "The order's global ID.",
    "RecordPaymentInput.amount": "What arrived.",
    "RecordPaymentInput.reference": f"The payment's reference (transaction id, COD slip), once per order. {CODE_RULE}",
    "DispatchOrderInput.orderId": "The order's global ID.",
    "DispatchOrderInput.trackingNumber": "The carrier's tracking number, 4 to 40 letters, digits or dashes.",
    "DispatchOrderInput.harvestedAt": "When the produce was harvested, if known.",
    "Shipment.order": "The order it carries.",
    "Shipment.trackingNumber": "The carrier's tracking number.",
    "Shipment.status": "Its tracking status.",
    "Shipment.harvestedAt": "When the produce was harvested, if known.",
    "Shipment.promisedBy": "The latest moment perishable produce may reach the buyer.",
    "Shipment.failures": "Failed delivery attempts.",
    "Shipment.deliveredAt": "When it was delivered (as reported).",
    "Shipment.spoiledAt": "When it spoiled (as declared).",
    "Checkpoint.status": "The status it reports.",
    "Checkpoint.occurredAt": "When it happened, as reported.",
    "Checkpoint.recordedAt": "When farmgate recorded it.",
    "Checkpoint.location": "Where.",
    "Checkpoint.note": "A note.",
    "DeliveryFailure.reason": "Why it failed.",
    "DeliveryFailure.occurredAt": "When, as reported.",
    "DeliveryFailure.recordedAt": "When farmgate recorded it.",
    "DeliveryFailure.note": "A note.",
    "RecordCheckpointInput.shipmentId": "The shipment's global ID.",
    "RecordCheckpointInput.status": "The status it reports.",
    "RecordCheckpointInput.location": "Where.",
    "RecordCheckpointInput.note": "A note.",
    "RecordDeliveryFailureInput.shipmentId": "The shipment's global ID.",
    "RecordDeliveryFailureInput.reason": "Why it failed.",
    "RecordDeliveryFailureInput.note": "A note.",
    "ConfirmDeliveryInput.shipmentId": "The shipment's global ID.",
    "ConfirmDeliveryInput.receivedBy": "Who took it, if not the buyer.",
    "DeclareSpoilageInput.shipmentId": "The shipment's global ID.",
    "DeclareSpoilageInput.note": "What was found.",
    # -- claims and the case file --------------------------------------------------------------------
    "CompensationClaim.order": "The order it is about.",
    "CompensationClaim.kind": "What went wrong.",
    "CompensationClaim.status": "Where it stands.",
    "CompensationClaim.claimant": "Who claims.",
    "CompensationClaim.amountClaimed": "What is claimed.",
    "CompensationClaim.description": "The claimant's account.",
    "CompensationClaim.evidence": "Files backing it.",
    "CompensationClaim.filedAt": "When it was filed.",
    "CompensationClaim.assessment": "Dispute staff's assessment, once made.",
    "CompensationClaim.decision": "The decision, once made.",
    "CompensationClaim.payments": "Payouts made.",
    "ClaimAssessment.assessor": "Who assessed it.",
    "ClaimAssessment.findings": "What was found.",
    "ClaimAssessment.liability": "Who carries what share.",
    "ClaimAssessment.recommendedPayout": "The payout recommended.",
    "ClaimAssessment.assessedAt": "When.",
    "ClaimDecision.outcome": "Approved or rejected.",
    "ClaimDecision.payout": "What is to be paid, when approved.",
    "ClaimDecision.reason": "Why.",
    "ClaimDecision.decidedBy": "Who decided.",
    "ClaimDecision.decidedAt": "When.",
    "CompensationPayment.payer": "Which liable party paid.",
    "CompensationPayment.amount": "How much.",
    "CompensationPayment.reference": "The payment's reference.",
    "CompensationPayment.paidAt": "When.",
    "LiabilityShare.party": "The party.",
    "LiabilityShareInput.party": "The party.",
    "LiabilityShareInput.basisPoints": "Its share, 0 to 10,000 (100%).",
    "Evidence.uri": "Where the file is.",
    "Evidence.description": "What it shows.",
    "Evidence.addedBy": "Who added it (role:subject).",
    "Evidence.addedAt": "When.",
    "EvidenceInput.sha256": "The file's SHA-256, 64 hex digits.",
    "EvidenceInput.uri": "Where the file is (https://).",
    "EvidenceInput.description": "What it shows.",
    "FileClaimInput.orderId": "The order's global ID.",
    "FileClaimInput.kind": "What went wrong.",
    "FileClaimInput.claimant": "Who claims (a HOUSEHOLD token claims as HOUSEHOLD).",
    "FileClaimInput.amountClaimed": "What is claimed: no more than was paid for the order.",
    "FileClaimInput.description": "What happened.",
    "FileClaimInput.evidence": "Files backing it.",
    "AddClaimEvidenceInput.claimId": "The claim's global ID.",
    "AddClaimEvidenceInput.evidence": "The file.",
    "AssessClaimInput.claimId": "The claim's global ID.",
    "AssessClaimInput.findings": "What was found.",
    "AssessClaimInput.liability": "Who carries what share; the shares add up to 10,000.",
    "AssessClaimInput.recommendedPayout": "The payout recommended, no more than claimed.",
    "DecideClaimInput.claimId": "The claim's global ID.",
    "DecideClaimInput.outcome": "Approve or reject.",
    "DecideClaimInput.reason": "Why.",
    "DecideClaimInput.payout": "What is to be paid (required to approve).",
    "RecordCompensationPaymentInput.claimId": "The claim's global ID.",
    "RecordCompensationPaymentInput.payer": "Which liable party paid.",
    "RecordCompensationPaymentInput.amount": "How much (more than its share is recorded and flagged).",
    "RecordCompensationPaymentInput.reference": f"The payment's reference; once per claim. {CODE_RULE}",
    "WithdrawClaimInput.claimId": "The claim's global ID.",
    "WithdrawClaimInput.reason": "Why.",
    "CaseFile.order": "The order.",
    "CaseFile.slaBreaches": "Promises not kept.",
    "CaseFile.integrity": "Whether the record was altered after it was recorded.",
    "CaseFile.asOf.at": "The moment, ISO-8601 with an offset.",
    "CaseFile.asOf.axis": "RECORDED (what farmgate knew then; the default) or OCCURRED (what had happened by then,"
                          " as reported since).",
    "SlaBreach.dueBy": "When it was due.",
    "ClaimExposure.claimant": "Whose claims these are.",
    "ClaimExposure.approved": "Approved (and paid) payouts on its claims.",
    "ClaimFlag.reason": "Why the claim needs a second look.",
    "ClaimFlag.flaggedAt": "When it was flagged.",
    "SnapshotFact.status": "The shipment status the fact reported.",
    "SnapshotFact.occurredAt": "When it happened, as reported.",
    "SnapshotFact.recordedAt": "When farmgate recorded it.",
    "SnapshotFact.actor": "Who reported it (role:subject, or SYSTEM:<worker>).",
    "ClaimSnapshot.claimId": "The claim's global ID.",
    "ClaimSnapshot.claimant": "Who claimed.",
    "ClaimSnapshot.kind": "What went wrong.",
    "ClaimSnapshot.status": "Its status then.",
    "ClaimSnapshot.amountClaimed": "What was claimed.",
    "ClaimSnapshot.approved": "The payout approved by then.",
    "ClaimSnapshot.paid": "What had been paid on it by then.",
    "CaseFlag.summary": "What it is about, in one line.",
    "CaseFlag.event": "The event that raised it, as the case file's timeline shows it.",
    "IntegrityReport.eventCount": "How many events were checked.",
    "IntegrityReport.headHash": "The hash of the newest event, chaining all before it.",
    "OrderSnapshot.at": "The moment.",
    "OrderSnapshot.status": "The order's status then.",
    "OrderSnapshot.paymentStatus": "Its payment status then.",
    "OrderSnapshot.shipmentStatus": "Its shipment's status then, if it had one.",
    "OrderSnapshot.claimStatuses": "Its claims' statuses then.",
    "EventRecord.aggregateId": "The global ID of the object the event is of.",
    "EventRecord.version": "Its version in that object's stream, from 1.",
    "EventRecord.occurredAt": "When it happened in the world, as reported.",
    "EventRecord.recordedAt": "When farmgate recorded it.",
    # -- exports -------------------------------------------------------------------------------------
    "ExportPartner.name": "The partner's name.",
    "RegisterExportPartnerInput.name": "The partner's name.",
    "RegisterExportPartnerInput.country": "ISO 3166-1 alpha-2 country code, e.g. BE.",
    "ExportOrder.reference": "The partner's reference, as typed after Unicode NFKC (full-width letters and digits in"
    " their plain forms, digits in ASCII, outer spaces stripped, case kept).",
    "ExportOrder.partner": "The partner.",
    "ExportOrder.status": "Where it stands.",
    "ExportOrder.product": "What is shipped.",
    "ExportOrder.hsCode": "Harmonized System code (6 digits), e.g. 081090 for lychee.",
    "ExportOrder.destinationCountry": "ISO 3166-1 alpha-2 country code.",
    "ExportOrder.incoterm": "The Incoterms rule.",
    "ExportOrder.quantityKg": "Kilograms ordered.",
    "ExportOrder.allocatedKg": "Kilograms allocated from households' lots so far.",
    "ExportOrder.unitPrice": "Price per kilogram.",
    "ExportOrder.total": "quantityKg × unitPrice.",
    "ExportOrder.harvestedAt": "When the harvest was recorded (starts the clock).",
    "ExportOrder.deliveredAt": "When it reached the consignee.",
    "ExportOrder.lots": "The households' lots filling it (of a household, only its code and name are shown to"
                        " those who may not read the household).",
    "ExportOrder.householdCount": "How many households' produce it carries.",
    "ExportOrder.documents": "Its documents.",
    "ExportOrder.milestones": "Its journey so far.",
    "ExportLot.household": "The household.",
    "ExportLot.quantityKg": "Kilograms.",
    "ExportDocument.kind": "Which document.",
    "ExportDocument.number": "Its number.",
    "ExportDocument.issuer": "Who issued it.",
    "ExportDocument.issuedAt": "When.",
    "ExportDocument.sha256": "The scanned file's SHA-256, if given.",
    "ExportMilestone.kind": "Which step.",
    "ExportMilestone.occurredAt": "When it happened, as reported.",
    "ExportMilestone.recordedAt": "When farmgate recorded it.",
    "ExportMilestone.note": "A note.",
    "CreateExportOrderInput.partnerId": "The partner's global ID.",
    "CreateExportOrderInput.reference": "The partner's reference, at most 100 characters, unique per partner for the"
    " creating marketplace whatever its case, width or outer spaces: `BE-2021-001`, ` be-2021-001 ` and"
    " `ＢＥ-2021-001` are one order, so the second create is ALREADY_EXISTS. Stored as typed after Unicode NFKC.",
    "CreateExportOrderInput.product": "What is shipped.",
    "CreateExportOrderInput.hsCode": "Harmonized System code, 6 digits.",
    "CreateExportOrderInput.destinationCountry": "ISO 3166-1 alpha-2 country code.",
    "CreateExportOrderInput.consignee": "Who receives it abroad (personal data).",
    "CreateExportOrderInput.incoterm": "The Incoterms rule.",
    "CreateExportOrderInput.unitPrice": "Price per kilogram.",
    "CreateExportOrderInput.harvestToDoorHours": "The promise: hours from harvest to the consignee (96 in the"
                                                 " lychee export).",
    "AllocateExportLotInput.exportOrderId": "The export order's global ID.",
    "AllocateExportLotInput.householdId": "The household's global ID.",
    "RecordExportDocumentInput.exportOrderId": "The export order's global ID.",
    "RecordExportDocumentInput.kind": "Which document.",
    "RecordExportDocumentInput.number": f"Its number, once per kind on an export order. {CODE_RULE}",
    "RecordExportDocumentInput.issuer": "Who issued it.",
    "RecordExportDocumentInput.issuedAt": "When it was issued (ISO-8601 with an offset): at most 5 minutes ahead of the"
                                          " clock, and not before the order's harvest-to-door window opens (its"
                                          " creation minus harvestToDoorHours, less the same 5 minutes).",
    "RecordExportDocumentInput.sha256": "The scanned file's SHA-256.",
    "RecordExportMilestoneInput.exportOrderId": "The export order's global ID.",
    "RecordExportMilestoneInput.kind": "Which step.",
    "RecordExportMilestoneInput.occurredAt": "When it happened in the world (ISO-8601 with an offset): at most 5 minutes"
                                             " ahead of the clock, not before the previous milestone, and not before"
                                             " the order's harvest-to-door window opens (its creation minus"
                                             " harvestToDoorHours, less the same 5 minutes): a harvest may precede"
                                             " the order, but not by more than its whole promise.",
    "RecordExportMilestoneInput.location": "Where.",
    "RecordExportMilestoneInput.note": "A note.",
    "CancelExportOrderInput.exportOrderId": "The export order's global ID.",
    "CancelExportOrderInput.reason": "Why.",
    # -- webhooks ------------------------------------------------------------------------------------
    "WebhookEndpoint.partner": "The partner it belongs to.",
    "WebhookEndpoint.url": "Where deliveries are POSTed.",
    "WebhookEndpoint.registeredAt": "When it was registered.",
    "MarketplaceWebhookEndpoint.marketplace": "The marketplace it belongs to.",
    "MarketplaceWebhookEndpoint.url": "Where deliveries are POSTed.",
    "MarketplaceWebhookEndpoint.topics": "What it receives.",
    "MarketplaceWebhookEndpoint.registeredAt": "When it was registered.",
    "WebhookDelivery.status": "Where it stands.",
    "WebhookDelivery.topic": "The topic it was sent under (EXPORT_ORDER_EVENT for a partner's export orders, AUDIT_ANCHOR for an anchor).",
    "WebhookDelivery.deliveredAt": "When the receiver took it (2xx).",
    "RegisterMarketplaceWebhookEndpointInput.topics": "What to receive, of the marketplace's own orders.",
    "RedeliverWebhookInput.deliveryId": "The delivery's global ID.",
}


def document(schema: GraphQLSchema) -> None:
    """Fill in every missing description of ``schema`` (a description already written is kept)."""
    mutation = schema.mutation_type
    payload_of: dict[str, str] = {}
    input_of: dict[str, str] = {}
    if mutation is not None:
        for name, field in mutation.fields.items():
            payload_of[re.sub(r"[!\[\]]", "", str(field.type))] = name
            if "input" in field.args:
                input_of[re.sub(r"[!\[\]]", "", str(field.args["input"].type))] = name
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or type_name in BUILT_IN:
            continue
        if not graphql_type.description:
            graphql_type.description = _type_description(type_name, payload_of, input_of)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    field.description = _field_description(type_name, field_name, field, payload_of)
                for arg_name, arg in field.args.items():
                    if not arg.description:
                        arg.description = DOCS.get(f"{type_name}.{field_name}.{arg_name}") or ARGUMENTS.get(arg_name)
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    field.description = (DOCS.get(f"{type_name}.{field_name}") or INPUT_FIELDS.get(field_name)
                                         or _id_input(field_name))


def _type_description(name: str, payload_of: dict[str, str], input_of: dict[str, str]) -> str | None:
    if name in TYPES:
        return TYPES[name]
    if name in payload_of:
        return f"What {payload_of[name]} answers: userErrors is empty on success; otherwise it says why and nothing" \
               " was recorded."
    if name in input_of:
        return f"The input of {input_of[name]}."
    if name.endswith("Connection"):
        return f"A page of {name.removesuffix('Connection')} (Relay connection)."
    if name.endswith("Edge"):
        return f"One {name.removesuffix('Edge')} of a page, with its cursor."
    return None


def _field_description(type_name: str, field_name: str, field: Any, payload_of: dict[str, str]) -> str | None:
    specific = DOCS.get(f"{type_name}.{field_name}")
    if specific:
        return specific
    if type_name in payload_of and field_name != "userErrors":
        return (f"The {field_name} as the read model shows it after the change; null when userErrors is not empty."
                " While the read model is behind (extensions.readModel) it is null or as it stood before: the"
                " ids beside it come from the write side.")
    return FIELDS.get(field_name)


def _id_input(field_name: str) -> str | None:
    if field_name.endswith("Id"):
        return f"The global ID of the {field_name.removesuffix('Id')}."
    return None


def undocumented(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument and input field of ``schema`` without a description."""
    missing = []
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or type_name in BUILT_IN:
            continue
        if not graphql_type.description:
            missing.append(type_name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{type_name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{type_name}.{field_name}({arg_name})")
    return missing
