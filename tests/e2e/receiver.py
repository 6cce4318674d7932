"""A webhook receiver on 127.0.0.1 for end-to-end tests: keeps every request it accepts (path,
headers, raw body), can go away and come back on the same port (an outage), and can hold its
answers (a slow receiver: the sender's attempts stay in flight until the test lets them through)."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

T = TypeVar("T")


class Receiver:
    """A partner's endpoint: keeps every request it accepts (path, headers, raw body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        #: cleared: each request is held unanswered until it is set again, or its sender hangs up
        self.answering = threading.Event()
        self.answering.set()
        #: the webhook-id of each request held now, its sender still connected and waiting
        self.waiting: list[str] = []

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                held = not receiver.answering.is_set()
                if held and not receiver.hold(self.headers.get("webhook-id", ""), self.connection):
                    return  # the sender hung up while held: no one to answer
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        # HTTPServer reuses the address, so the receiver comes back on the same port.
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def hold(self, webhook_id: str, connection: socket.socket) -> bool:
        """Hold one request until ``answering`` is set (True) or its sender hangs up (False)."""
        with self.lock:
            self.waiting.append(webhook_id)
        try:
            while not self.answering.wait(0.05):
                if _hung_up(connection):
                    return False
            return True
        finally:
            with self.lock:
                self.waiting.remove(webhook_id)

    def held(self) -> list[str]:
        """The webhook-ids of the requests held now, their senders waiting for the answer."""
        with self.lock:
            return list(self.waiting)

    def received(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return [(headers, body) for p, headers, body in self.requests if p == path]

    def event_ids(self, path: str) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.received(path)]


def _hung_up(connection: socket.socket) -> bool:
    """Whether the peer closed the connection (it sent nothing more: the request was read whole)."""
    if not select.select([connection], [], [], 0)[0]:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:  # reset by the peer
        return True


def wait_until(condition: Callable[[], T], what: str, timeout: float = 90.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until {what}")
        time.sleep(0.1)  # polling a condition, with a deadline
