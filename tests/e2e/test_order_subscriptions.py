"""`orderEvents` over a real WebSocket: a subscription ends when its token expires (the operation
ends UNAUTHENTICATED and the socket closes with 4401), and a client that reconnects with
`afterPosition` — the last position it received — gets everything recorded meanwhile, once, then
the live events. GraphiQL's fetcher carries the Authorization header in connection_init."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from farmgate.graphql.auth import issue_token
from tests.e2e.order_steps import CHECKPOINT, a_seller, confirm, dispatch, just_now, on_shipment, place
from tests.e2e.server import ROOT, SECRET, Api
from tests.e2e.ws import Subscription, subscribed

EVENTS = """subscription($id: ID!, $after: Int) { orderEvents(orderId: $id, afterPosition: $after) {
  position stream aggregateId version type } }"""
FETCHER = ROOT / "graphql" / "static" / "graphiql_fetcher.js"


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    return api.role_tokens()


def short_lived(seconds: int) -> str:
    return issue_token(SECRET, "MARKETPLACE", "postmart-ops", seconds, marketplace="POSTMART")


def until_closed(live: Subscription, timeout: float = 20.0) -> tuple[list[dict[str, Any]], int | None]:
    """Every message up to the socket's close, and its close code."""
    messages, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            messages.append(live.message(max(0.1, deadline - time.monotonic())))
    except ConnectionClosed as closed:
        return messages, closed.rcvd.code if closed.rcvd else None
    raise AssertionError(f"the socket stayed open {timeout} s; received {messages}")


def test_a_subscription_ends_at_its_tokens_expiry_and_resumes_from_a_position(
    api: Api, tokens: dict[str, str], personal_data
) -> None:
    seller = a_seller(api, tokens, personal_data, "Na Chi Lăng", stock=50)
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 2)])
    # A browser's connection: the token travels in connection_init, and lives 6 seconds.
    with subscribed(api, short_lived(6), EVENTS, {"id": order["id"], "after": 0}, "orderEvents",
                    token_in_payload=True) as first:
        replayed = first.events(1)
        assert (replayed[0]["stream"], replayed[0]["type"]) == ("Order", "Placed")
        confirm(api, tokens["postmart"], order["id"])
        received = replayed + first.events(1)
        assert received[-1]["type"] == "Confirmed" and received[-1]["position"] > received[0]["position"]
        # Nothing more is recorded; the token lapses: the operation ends and the socket closes.
        after_expiry, close_code = until_closed(first)
    assert close_code == 4401
    assert all(m["type"] != "next" or m["payload"].get("errors") for m in after_expiry), after_expiry
    ended = [m for m in after_expiry if m["type"] in ("next", "error")]
    if ended:  # the operation may end before the socket closes: then it says why
        errors = ended[0]["payload"] if ended[0]["type"] == "error" else ended[0]["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"

    # While the client is away the order is dispatched and travels.
    shipment = dispatch(api, tokens["postmart"], order["id"], "VN-RESUME-1")["shipment"]
    on_shipment(api, CHECKPOINT, "recordCheckpoint", tokens["carrier"], shipment["id"], status="IN_TRANSIT",
                occurredAt=just_now(), location="Bưu cục Chi Lăng")
    last = received[-1]["position"]
    with subscribed(api, short_lived(600), EVENTS, {"id": order["id"], "after": last}, "orderEvents",
                    token_in_payload=True) as again, \
            subscribed(api, tokens["staff"], EVENTS, {"id": order["id"], "after": 0}, "orderEvents") as everything:
        missed = again.events(3)
        assert [(e["stream"], e["type"]) for e in missed][-1] == ("Shipment", "CheckpointRecorded")
        assert {e["stream"] for e in missed} == {"Order", "Shipment"} and all(e["position"] > last for e in missed)
        # Check nothing was lost and nothing came twice: the two sessions are the whole case, in order.
        whole = everything.events(len(received) + len(missed))
        key = [(e["position"], e["aggregateId"], e["version"]) for e in received + missed]
        assert key == [(e["position"], e["aggregateId"], e["version"]) for e in whole]
        assert [e["position"] for e in whole] == sorted(e["position"] for e in whole)


def test_an_expired_token_cannot_open_a_subscription(api: Api, tokens: dict[str, str], personal_data) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều", stock=5)
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)])
    with subscribed(api, short_lived(-60), EVENTS, {"id": order["id"], "after": 0}, "orderEvents") as refused:
        assert refused.refusal()[0] == "UNAUTHENTICATED"


def test_graphiqls_fetcher_sends_the_authorization_header_in_connection_init(
    api: Api, tokens: dict[str, str], personal_data, tmp_path: Path
) -> None:
    seller = a_seller(api, tokens, personal_data, "Vải thiều Thanh Hà", stock=5)
    order = place(api, tokens["postmart"], personal_data, [(seller["listing"]["id"], 1)])
    script = tmp_path / "fetch.js"
    script.write_text("""
const { farmgateFetcher } = require(process.argv[2]);
const [httpUrl, wsUrl, token, orderId] = process.argv.slice(3);
const fetcher = farmgateFetcher(httpUrl, wsUrl);
(async () => {
  // The header editor still holds the template: public fields answer, the placeholder is not sent.
  const template = { Authorization: "Bearer <token from: farmgate token --role ADMIN --subject you>" };
  const publicAnswer = await fetcher({ query: "{ provinces(scheme: 2025) { code } }" }, { headers: template });
  const events = fetcher({ query: "subscription($id: ID!) { orderEvents(orderId: $id, afterPosition: 0) { type } }",
                           variables: { id: orderId } }, { headers: { Authorization: "Bearer " + token } });
  const first = await events.next();
  await events.return();
  console.log(JSON.stringify({ provinces: publicAnswer.data.provinces.length, first: first.value }));
})().catch((error) => { console.error(error); process.exit(1); });
""")
    ws_url = api.url.replace("http://", "ws://") + "/graphql"
    result = subprocess.run(["node", "--experimental-websocket", str(script), str(FETCHER), api.url + "/graphql",
                             ws_url, tokens["postmart"], order["id"]], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["provinces"] == 34
    assert answer["first"]["data"] == {"orderEvents": {"type": "Placed"}}
