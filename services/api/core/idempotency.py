"""``Idempotency-Key`` on POST: a retried request gets the first answer, not a second write.

Per token and key we store a fingerprint of the request and, once it finishes, its
response. The same key with the same request replays that response (with
``Idempotent-Replayed: true``); with a different request it answers 422; while the
first is still running it answers 409. A request that dies mid-way holds the key
for at most ``LEASE_S`` seconds; a 5xx answer is not stored, so a retry runs again.

An answer marked ``Cache-Control: no-store`` holds a secret shown once (a new token):
its body is never written down, and a replay answers 409 saying so (with the
``Location`` of what was created, if the answer had one). The body is already bounded when this runs
(``services/api/core/body.py``); the matcher's sweep deletes keys past their day.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from services.api.core.problems import send_problem
from services.api.core.replay import read_body, replay_body
from shared.db import idempotency as idempotency_db
from shared.errors import ConflictError, InvalidParameterError, UnprocessableError

HEADER = b"idempotency-key"
LEASE_S = 60.0
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = {"content-type", "etag", "location"}


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        key = _header(scope, HEADER)
        token_id = scope.get("auth")
        if scope.get("method") != "POST" or key is None or not isinstance(token_id, UUID):
            await next_app(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            await _problem(
                send, scope, 400, "`Idempotency-Key` must be 1 to 255 printable characters"
            )
            return
        body = await read_body(receive)
        receive = replay_body(body, receive)
        fingerprint = _fingerprint(scope, body)
        pool = scope["litestar_app"].state.pool
        async with pool.acquire() as conn:
            claimed = await idempotency_db.claim_key(
                conn, token_id, key, "POST", scope["path"], fingerprint
            ) or await idempotency_db.reclaim_key(
                conn, token_id, key, fingerprint, "POST", scope["path"], LEASE_S
            )
            stored = (
                None if claimed else await idempotency_db.select_key(conn, token_id, key, LEASE_S)
            )
        if not claimed:
            await _answer_repeat(send, scope, stored, fingerprint)
            return
        await _run_and_store(scope, receive, send, next_app, token_id, key)


async def _run_and_store(
    scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, token_id: UUID, key: str
) -> None:
    status, headers, chunks, secret = 500, {}, [], False

    async def capture(message: Message) -> None:
        nonlocal status, headers, secret
        if message["type"] == "http.response.start":
            status = message["status"]
            all_headers = [
                (name.decode("latin-1").lower(), value.decode("latin-1"))
                for name, value in message.get("headers", [])
            ]
            headers = {name: value for name, value in all_headers if name in REPLAYED_HEADERS}
            secret = any(
                name == "cache-control" and "no-store" in value.lower()
                for name, value in all_headers
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    pool = scope["litestar_app"].state.pool
    try:
        await next_app(scope, receive, capture)
    except BaseException:
        async with pool.acquire() as conn:
            await idempotency_db.release_key(conn, token_id, key)
        raise
    async with pool.acquire() as conn:
        if status >= 500:
            await idempotency_db.release_key(conn, token_id, key)
        else:
            await idempotency_db.complete_key(
                conn, token_id, key, status, headers, b"".join(chunks), secret_withheld=secret
            )


async def _answer_repeat(send: Send, scope: Scope, stored: Any, fingerprint: bytes) -> None:
    if stored is None:  # the key was released between our two statements: ask for a retry
        await _problem(send, scope, 409, "a request with this `Idempotency-Key` is being processed")
    elif bytes(stored["fingerprint"]) != fingerprint:
        await _problem(send, scope, 422, "this `Idempotency-Key` was used for a different request")
    elif stored["state"] == "in_flight":
        await _problem(
            send, scope, 409, "a request with this `Idempotency-Key` is still in progress"
        )
    elif stored["secret_withheld"]:
        location = (stored["response_headers"] or {}).get("location")
        await _problem(
            send,
            scope,
            409,
            "this request already succeeded ({status}); its answer held "
            "a secret that is shown once and never stored, so it cannot be shown again. "
            "If it was lost, revoke what was created and make a new one",
            headers=[(b"location", location.encode())] if location else [],
            values={"status": stored["response_status"]},
        )
    else:
        headers = [(k.encode(), v.encode()) for k, v in (stored["response_headers"] or {}).items()]
        headers.append((b"idempotent-replayed", b"true"))
        await _send(send, stored["response_status"], headers, bytes(stored["response_body"] or b""))


def _fingerprint(scope: Scope, body: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in (
        str(scope.get("method")),
        scope["path"],
        scope.get("query_string", b"").decode(),
        _header(scope, b"content-type") or "",
    ):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.digest()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _problem(
    send: Send,
    scope: Scope,
    status: int,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    values: dict[str, object] | None = None,
) -> None:
    """The same problem document the app's exception handlers write."""
    error = {400: InvalidParameterError, 409: ConflictError, 422: UnprocessableError}[status]
    await send_problem(
        send,
        scope,
        status,
        message,
        values=values,
        code=error.code,
        title=error.title,
        headers=headers,
        field="Idempotency-Key",
    )


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    await send(start)
    chunk: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(chunk)
