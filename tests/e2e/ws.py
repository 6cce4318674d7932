"""A graphql-transport-ws client for tests: one subscription operation per connection."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.e2e.server import Api


class Subscription:
    def __init__(self, ws: ClientConnection, field: str) -> None:
        self.ws = ws
        self.field = field

    def message(self, timeout: float = 15.0) -> dict[str, Any]:
        message = json.loads(self.ws.recv(timeout=timeout))
        while message["type"] == "ping":
            self.ws.send(json.dumps({"type": "pong"}))
            message = json.loads(self.ws.recv(timeout=timeout))
        return message

    def events(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The next ``count`` results, waiting at most ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        received = []
        while len(received) < count:
            message = self.message(max(0.1, deadline - time.monotonic()))
            assert message["type"] == "next" and "errors" not in message["payload"], message
            received.append(message["payload"]["data"][self.field])
        return received

    def refusal(self) -> tuple[str, str]:
        """The error code the operation ended with, and that it then completed with no event."""
        message = self.message()
        errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
        assert errors and not (message["payload"].get("data") if message["type"] == "next" else None), message
        following = self.message()["type"] if message["type"] == "next" else "complete"
        return errors[0]["extensions"]["code"], following


@contextmanager
def subscribed(api: Api, token: str | None, query: str, variables: dict[str, Any], field: str,
               token_in_payload: bool = False) -> Iterator[Subscription]:
    """``token_in_payload``: send the token in connection_init, as a browser must (no WebSocket headers)."""
    bearer = {"Authorization": f"Bearer {token}"} if token else {}
    url = api.url.replace("http://", "ws://") + "/graphql"
    headers = {} if token_in_payload else bearer
    with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": bearer if token_in_payload else {}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
        yield Subscription(ws, field)
