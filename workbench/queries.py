"""The GraphQL documents the workbench's pages run (``workbench.gateway``), one per need."""

from __future__ import annotations

VIEWER = "{ viewer { role subject provinceCode provinceScheme } }"

ORDER_FIELDS = """
  id number status marketplace placedAt promisedBy paymentStatus
  total { amount currency }
  household { code name address { scheme provinceCode provinceName } }
  shipments { carrier status spoiledAt deliveredAt }
  claims { status }
"""

ORDERS = ("query($first: Int, $after: String, $status: OrderStatus) {"
          " orders(first: $first, after: $after, status: $status) {"
          " pageInfo { hasNextPage endCursor } edges { node {" + ORDER_FIELDS + "} } } }")

ORDER_BY_NUMBER = "query($number: String!) { orderByNumber(number: $number) {" + ORDER_FIELDS + "} }"

CASE_FILE = """
query($order: ID!, $at: DateTime!, $axis: TimeAxis!, $withSnapshot: Boolean!) {
  caseFile(orderId: $order) {
    order {
      id number status marketplace placedAt promisedBy paymentStatus
      total { amount currency } amountPaid { amount } amountRefunded { amount }
      household { code name }
      buyer { name phoneMasked }
      claimExposure { claimant limit { amount } claimed { amount } approved { amount } paid { amount } room { amount } }
      shipments { id carrier trackingNumber status promisedBy deliveredAt spoiledAt }
      claims {
        id kind status claimant amountClaimed { amount currency } filedAt respondBy description
        assessment { assessor findings liability { party basisPoints } recommendedPayout { amount } assessedAt }
        decision { outcome payout { amount } reason decidedAt }
        payments { payer amount { amount } reference paidAt }
      }
    }
    timeline { stream aggregateId version type occurredAt recordedAt actor summary data hash position }
    slaBreaches { kind dueBy breachedAt }
    integrity { verified eventCount headHash anchoredAt reason firstBrokenEvent { stream version type recordedAt } }
    flags { kind summary }
    asOf(at: $at, axis: $axis) @include(if: $withSnapshot) {
      at status paymentStatus shipmentStatus version claimStatuses
    }
  }
}
"""

ASSESS = """
mutation($input: AssessClaimInput!) {
  assessClaim(input: $input) { claim { status } userErrors { field code message } }
}
"""
DECIDE = """
mutation($input: DecideClaimInput!) {
  decideClaim(input: $input) { claim { status } userErrors { field code message } }
}
"""
PAY = """
mutation($input: RecordCompensationPaymentInput!) {
  recordCompensationPayment(input: $input) { claim { status } userErrors { field code message } }
}
"""

ROLLOUT = """
query($province: String!) {
  provinceRollout(provinceCode: $province) {
    provinceCode scheme provinceName households verifiedHouseholds storefronts paymentAccounts listings orders
    revenue { amount currency }
    targets { households storefronts paymentAccounts deadline }
    progress { households storefronts paymentAccounts }
    byDistrict {
      districtCode scheme name households verifiedHouseholds storefronts paymentAccounts orders revenue { amount }
    }
    daily { day storefronts orders }
  }
}
"""

HOUSEHOLD_IMPORT = """
query($id: ID!) {
  householdImport(id: $id) {
    id fileName dryRun status province actor rowsTotal rowsDone imported alreadyRegistered failed createdAt finishedAt
  }
}
"""

CAMPAIGN = """
query($id: ID!) {
  campaign(id: $id) {
    id name product provinceCode scheme targetKg soldKg domesticKg exportKg progress startsAt endsAt
    destinations { destination kind kilograms orders }
  }
}
"""
