"""GraphiQL for development: opens on a farmgate operation, with an Authorization header template
in the header editor, and a fetcher that sends that header in connection_init for subscriptions
(browsers cannot set headers on a WebSocket)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

STATIC = Path(__file__).with_name("static")

EXAMPLE_OPERATION = """# farmgate: the commerce core for farming households on Postmart and Voso.
#
# The catalog and the store locator need no token. For everything else, put a token in the
# Authorization header below (Headers tab); make one with:
#     .venv/bin/farmgate token --role ADMIN --subject you
# Subscriptions (orderEvents, exportOrderEvents) send that header in connection_init.

query Catalog {
  listings(search: "vai thieu", first: 10) {
    edges {
      node {
        title
        unitPrice { amount currency }
        storefront { name isOpenNow household { code name } }
      }
    }
  }
  nearbyStorefronts(near: {latitude: 21.38, longitude: 106.61}, radiusKm: 30, first: 5) {
    distanceKm
    storefront { name }
  }
}

# subscription FollowOrder {
#   orderEvents(orderId: "<an order's id>", afterPosition: 0) { position type occurredAt actor data }
# }
"""

AUTHORIZATION_TEMPLATE = {"Authorization": "Bearer <token from: farmgate token --role ADMIN --subject you>"}


@cache
def graphiql_page() -> str:
    """The GraphiQL HTML page (the fetcher script inlined)."""
    page = (STATIC / "graphiql.html").read_text(encoding="utf-8")
    fetcher = (STATIC / "graphiql_fetcher.js").read_text(encoding="utf-8")
    return (page.replace("/*FETCHER*/", fetcher)
            .replace("/*EXAMPLE_QUERY*/", json.dumps(EXAMPLE_OPERATION))
            .replace("/*DEFAULT_HEADERS*/", json.dumps(json.dumps(AUTHORIZATION_TEMPLATE, indent=2))))
