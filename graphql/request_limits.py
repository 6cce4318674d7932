"""The request body limit: a body over FARMGATE_MAX_BODY_BYTES is refused with 413, whether it
announces its length (refused before a byte is read) or streams in chunks (refused at the chunk that
crosses the limit, so no more than the limit is ever held).

A file upload (``multipart/form-data``: a province's household CSV) has a limit of its own,
FARMGATE_MAX_UPLOAD_BYTES, and is not held here: it streams through to the multipart parser (which
spools files to disk), counted as it goes, and is cut off with 413 at the chunk that crosses it."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware: 413 for a body larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None) -> None:
        if max_bytes < 1 or (upload_max_bytes is not None and upload_max_bytes < 1):
            raise ValueError("max_bytes and upload_max_bytes must be positive")
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if self.upload_max_bytes is not None and headers.get(b"content-type", b"").lower().startswith(
                b"multipart/form-data"):
            await self._stream_upload(scope, receive, send, declared)
            return
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        # Read the body here, up to the limit, before the app sees any of it; then hand it on whole.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)

    async def _stream_upload(self, scope: Scope, receive: Receive, send: Send, declared: bytes) -> None:
        """Pass an upload through as it arrives, counting; past the limit the app is told the client
        went away, whatever it answers is dropped, and the client gets 413."""
        limit = self.upload_max_bytes or 0
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        size, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal size, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int | None = None) -> None:
        body = json.dumps({"errors": [{
            "message": f"The request body is larger than {limit or self.max_bytes} bytes",
            "extensions": {"code": "LIMIT_EXCEEDED"},
        }]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A receive() that gives the buffered body as one message, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if pending is not None:
                return pending
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await receive()

    return replay
