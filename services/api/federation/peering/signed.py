"""Inbound signed requests: who a peer is, proven by its RFC 9421 signature.

``PeerSignatureMiddleware`` sits on the federation routes only (the bearer-token gate
skips ``/federation/``). It reads the body (already bounded by the outermost layer),
finds the peer whose key the signature names, verifies the signature over the method,
the target URI as our public URL spells it, and the body's digest, and takes the nonce
in PostgreSQL: a nonce seen before is a replay. Every refusal is a 401 saying why; the
verified peer becomes the request's ``user``, a ``PeerActor``, which only ``PEERS``
routes admit (the API's role guards want an ``Actor`` and answer it 401).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from services.api.core.replay import read_body, replay_body
from shared.db import peers as peers_db
from shared.db.pool import Pool
from shared.security.http_signatures import (
    SignatureRefusedError,
    signature_key_id,
    verify_request,
)
from shared.settings import Settings

CHALLENGE = {"WWW-Authenticate": 'Signature realm="samlast-federation"'}


class PeerActor(msgspec.Struct, frozen=True, kw_only=True):
    """A peer deployment, as its verified signature names it: the actor of a
    federation request. It acts for itself only: its id comes from the key, never
    from the request."""

    peer_id: UUID
    name: str
    base_url: str
    key_id: str


def refused(reason: str) -> NotAuthorizedException:
    return NotAuthorizedException(reason, headers=CHALLENGE)


def target_uri(public_url: str, scope: Scope) -> str:
    """The URI the peer signed: our public URL's origin and path, and the request's
    path and query as they arrived."""
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    uri = public_url.rstrip("/") + bytes(path).decode("latin-1")
    return uri + ("?" + bytes(query).decode("latin-1") if query else "")


async def verify_peer(
    pool: Pool, settings: Settings, scope: HTTPScope, body: bytes, *, now: float | None = None
) -> PeerActor:
    """The peer that signed this request; 401 saying why when none did."""
    lines = [
        (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
        for name, value in scope.get("headers", [])
    ]
    clock = int(time.time() if now is None else now)
    try:
        key_id = signature_key_id(lines)
    except SignatureRefusedError as exc:
        raise refused(str(exc)) from None
    async with pool.acquire() as conn:
        owner = await peers_db.select_key_owner(conn, key_id)
        if owner is None:
            raise refused(f"the key {key_id!r} is not a key of any peer of this deployment")
        try:
            verified = verify_request(
                method=scope["method"],
                url=target_uri(settings.mail.public_url, scope),
                lines=lines,
                body=body,
                public_key=bytes(owner["public_key"]),
                now=clock,
                window_s=settings.federation.signature_window_s,
            )
        except SignatureRefusedError as exc:
            raise refused(str(exc)) from None
        expires = dt.datetime.fromtimestamp(verified.expires, dt.UTC)
        if not await peers_db.take_nonce(conn, key_id, verified.nonce, expires):
            raise refused("this signature's nonce was used before: a replayed request")
    return PeerActor(
        peer_id=owner["peer_id"], name=owner["peer_name"], base_url=owner["base_url"], key_id=key_id
    )


class PeerSignatureMiddleware:
    """Verify the peer's signature before the route runs (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or isinstance(scope.get("user"), PeerActor):
            # verified already: a transient retry runs the route again, not the check
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        state = scope["litestar_app"].state
        try:
            scope["user"] = await verify_peer(state.pool, state.settings, scope, body)
        except NotAuthorizedException:
            client = scope.get("client")
            address = client[0] if client else "unknown"
            window = await state.gate.limiter.hit("refused:" + address)
            if window.count > state.gate.failures_per_minute:
                raise TooManyRequestsException(
                    "too many refused signatures from this address; wait and retry",
                    headers={"Retry-After": str(window.reset_s)},
                ) from None
            raise
        await self.app(scope, replay_body(body, receive), send)


async def _peer_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not isinstance(connection.scope.get("user"), PeerActor):
        raise refused("sign the request as a peer (HTTP Message Signatures, RFC 9421)")


PEERS = _peer_guard
PEERS.roles = frozenset()  # type: ignore[attr-defined] # no API role: peers only


class PeerSignedController(Controller):
    """Routes only a peer's verified signature reaches (each subclass gives its path)."""

    tags = ["federation"]
    guards = [PEERS]
    middleware = [PeerSignatureMiddleware]
    security = [{"HttpSignature": []}]
