"""Serialization failures and deadlocks (SQLSTATE 40001, 40P01) are retried here.

PostgreSQL rolls the whole transaction back and says to run it again; the client did
nothing wrong, so it should not see the failure. The problem handler answers such a
request 503 with a marker header; this middleware, outermost, holds the request's
body, sees the marker and runs the request again (up to ``ATTEMPTS`` times, with a
short random pause so two colliding requests don't collide again). Only when every
attempt failed does the client get the 503, with ``Retry-After``, never a 500.
Streams and bodies larger than ``MAX_BUFFERED`` bytes pass through untouched.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services.api.core.replay import read_body, replay_body

MARKER = b"x-samlast-transient"
ATTEMPTS = 4
MAX_BUFFERED = 6 * 1024 * 1024


class TransientRetryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not _small(scope):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        for attempt in range(1, ATTEMPTS + 1):
            retry = await self._once(scope, body, receive, send, last=attempt == ATTEMPTS)
            if not retry:
                return
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 - jitter

    async def _once(
        self, scope: Scope, body: bytes, receive: Receive, send: Send, *, last: bool
    ) -> bool:
        """Run the request once; True if it hit a transient failure and nothing was sent."""
        state: dict[str, Any] = {"retry": False}

        async def forward(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if any(name.lower() == MARKER for name, _ in headers):
                    message["headers"] = [(n, v) for n, v in headers if n.lower() != MARKER]
                    state["retry"] = not last
            if not state["retry"]:
                await send(message)

        await self.app(scope, replay_body(body, receive), forward)
        return bool(state["retry"])


def _small(scope: Scope) -> bool:
    """A body we may hold: announced, and small; or none at all."""
    headers = dict(scope.get("headers", []))
    if b"content-length" in headers:
        length = headers[b"content-length"]
        return (length.isascii() and length.isdigit()) and int(length) <= MAX_BUFFERED
    return b"transfer-encoding" not in headers  # chunked: of unknown length
