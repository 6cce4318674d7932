"""A TCP proxy on loopback that a test can cut: the database going away, as a server sees it.

``forward`` relays bytes both ways; ``cut(hang=True)`` freezes every connection and accepts new
ones without a word (a partitioned network: the worst case, where only timeouts help);
``cut(hang=False)`` drops every connection and refuses new ones (a stopped server).
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.state = "forward"  # forward | hang | refuse
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self, hang: bool) -> None:
        with self._lock:
            self.state = "hang" if hang else "refuse"
            if not hang:
                for s in self._sockets:
                    s.close()
                self._sockets.clear()

    def restore(self) -> None:
        with self._lock:
            for s in self._sockets:  # frozen connections are dead to their clients anyway
                s.close()
            self._sockets.clear()
            self.state = "forward"

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self.restore()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                state = self.state
                if state == "refuse":
                    client.close()
                    continue
                self._sockets.append(client)
            if state == "forward":
                threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.append(upstream)
        pair = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                if self.state == "hang":
                    self._stop.wait(0.05)  # frozen: hold the bytes, as a partitioned network does
                    continue
                readable, _, _ = select.select(list(pair), [], [], 0.1)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    pair[source].sendall(data)
        except (OSError, ValueError):  # cut: the sockets were closed under us
            return
        finally:
            client.close()
            upstream.close()


@contextmanager
def proxy_to(url_host: str, url_port: int) -> Iterator[TcpProxy]:
    proxy = TcpProxy(url_host, url_port)
    try:
        yield proxy
    finally:
        proxy.close()
