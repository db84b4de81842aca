"""Every request body is read whole, bounded and on time, before anything else runs.

The outermost middleware: it reads the body as it streams in (chunked included),
answers 413 the moment it passes ``max_bytes`` and 408 when it has not fully arrived
within ``timeout_s``, and only then hands the request on, with a receive that replays
the body. So nothing behind it (authentication, idempotency, a handler holding a
database connection) ever waits on a slow client, and no layer buffers more than the
limit. Requests without a body pass through untouched (their receive keeps telling
a stream that its client went away).
"""

from __future__ import annotations

import asyncio

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from services.api.core.problems import send_problem
from services.api.core.replay import replay_body


class BodyTooLargeError(Exception):
    pass


class BoundedBodyMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, send)
            return
        try:
            async with asyncio.timeout(self.timeout_s):
                body = await self._read(receive)
        except BodyTooLargeError:
            await self._too_large(scope, send)
            return
        except TimeoutError:
            await send_problem(
                send,
                scope,
                408,
                "the request body did not arrive within {seconds} s; send it again",
                values={"seconds": f"{self.timeout_s:g}"},
                headers=[(b"connection", b"close")],
            )
            return
        if body is None:  # the client went away mid-body: nobody to answer
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await send_problem(
            send,
            scope,
            413,
            "the request body is larger than {size} bytes",
            values={"size": self.max_bytes},
            headers=[(b"connection", b"close")],
        )


def _has_body(scope: Scope) -> bool:
    headers = scope.get("headers", [])
    if any(name.lower() == b"transfer-encoding" for name, _ in headers):
        return True
    length = _content_length(scope)
    return length is not None and length != 0


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            text = bytes(value).decode("latin-1").strip()
            return int(text) if (text.isascii() and text.isdigit()) and len(text) <= 18 else -1
    return None
