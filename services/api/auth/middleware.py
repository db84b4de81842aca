"""Bearer-token authentication for every route not marked public, and the request limits.

Every caller is counted in a window of its own (``services/api/core/limits.py``): a verified
token counts against its organisation (an admin's against its user), so minting more
tokens buys no more requests; a request that does not verify counts against its
client address. Refused credentials are counted per address too: past
``auth_failures_per_minute`` the address hears 429 instead of 401, and no audit row is
written. A credential that verifies is always let in, whatever its address did
(a co-op's office shares one address; one stale token there must not lock out the
rest). The client address is the connecting one, or what a trusted proxy says
(``SAMLAST_TRUSTED_PROXIES``, applied by the server before the app sees the request).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Message, Scope

from services.api.auth.actor import ORGANISATION_ROLES, Actor, Role
from services.api.auth.tokens import hash_token, is_well_formed
from services.api.core.limits import WINDOW_S, Limiter, Window
from shared.db import tokens as tokens_db
from shared.db.pool import Pool
from shared.errors import ServiceUnavailableError

BEARER = "bearer "
# The web pages' sign-in: the token in an HTTP-only, SameSite=Strict cookie, honoured
# under /app only (the API takes the header alone, so it can't be driven by a page).
COOKIE = "samlast_token"
PAGES = "/app"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="samlast"'}
WINDOW_KEY = "samlast.rate_window"  # in the request's scope state, for rate_limit_headers


def token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The bearer token of the request, or under /app the sign-in cookie's."""
    header = connection.headers.get("authorization", "")
    if header.lower().startswith(BEARER):
        return header[len(BEARER) :].strip()
    if connection.scope["path"].startswith(PAGES + "/") or connection.scope["path"] == PAGES:
        return connection.cookies.get(COOKIE)
    return None


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


class Gate:
    """Who may come in, and how often: one per app, shared by the API and the pages."""

    def __init__(
        self, pool: Pool, limiter: Limiter, *, per_minute: int, failures_per_minute: int
    ) -> None:
        self.pool = pool
        self.limiter = limiter
        self.per_minute = per_minute
        self.failures_per_minute = failures_per_minute

    async def admit(self, token: str | None, address: str) -> tuple[Actor, Window]:
        """The actor ``token`` verifies as, and its window; 401 or 429 saying why not."""
        if token is None:
            await self.charge("address:" + address)
            raise NotAuthorizedException("send `Authorization: Bearer <token>`", headers=CHALLENGE)
        try:
            actor = await actor_for(self.pool, token)
        except NotAuthorizedException:
            refused = await self.limiter.hit("refused:" + address)
            if refused.count > self.failures_per_minute:
                raise TooManyRequestsException(
                    "too many refused authentications from this address; wait and retry",
                    headers={"Retry-After": str(refused.reset_s)},
                ) from None
            await self.charge("address:" + address)
            raise
        bucket = f"user:{actor.user_id}" if actor.role is Role.ADMIN else ""
        return actor, await self.charge(bucket or f"organisation:{actor.organisation_id}")

    async def charge(self, bucket: str) -> Window:
        """Count a request in ``bucket``'s window; 429 with the limit's headers past it."""
        window = await self.limiter.hit("requests:" + bucket)
        if window.count > self.per_minute:
            raise TooManyRequestsException(
                "too many requests; wait and retry",
                headers={**self.headers(window), "Retry-After": str(window.reset_s)},
            )
        return window

    def headers(self, window: Window) -> dict[str, str]:
        """The IETF draft's RateLimit fields, as Litestar's own limiter wrote them."""
        return {
            "RateLimit-Policy": f"{self.per_minute}; w={WINDOW_S}",
            "RateLimit-Limit": str(self.per_minute),
            "RateLimit-Remaining": str(max(self.per_minute - window.count, 0)),
            "RateLimit-Reset": str(window.reset_s),
        }


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        gate: Gate = connection.app.state.gate
        actor, window = await gate.admit(token_of(connection), client_address(connection))
        connection.scope.setdefault("state", {})[WINDOW_KEY] = window
        return AuthenticationResult(user=actor, auth=actor.token_id)


async def rate_limit_headers(message: Message, scope: Scope) -> None:
    """before_send: tell an admitted caller where it stands in its window."""
    window = scope.get("state", {}).get(WINDOW_KEY)
    if window is None or message["type"] != "http.response.start":
        return
    gate: Gate = scope["litestar_app"].state.gate
    headers = list(message.get("headers", []))
    headers.extend((k.lower().encode(), v.encode()) for k, v in gate.headers(window).items())
    message["headers"] = headers


async def actor_for(pool: Pool, token: str) -> Actor:
    """Who ``token`` acts for; NotAuthorizedException saying why not."""
    if not is_well_formed(token):  # refused without a database lookup
        raise NotAuthorizedException("the token is malformed", headers=CHALLENGE)
    async with pool.acquire() as conn:
        row = await tokens_db.select_token_actor(conn, hash_token(token))
    if row is None:
        raise NotAuthorizedException("the token is not recognised", headers=CHALLENGE)
    if row["revoked_at"] is not None:
        raise NotAuthorizedException("the token was revoked", headers=CHALLENGE)
    if row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC):
        raise NotAuthorizedException("the token expired", headers=CHALLENGE)
    role = Role.ADMIN if row["is_admin"] else ORGANISATION_ROLES[row["kind"]]
    return Actor(
        user_id=row["user_id"],
        token_id=row["token_id"],
        role=role,
        organisation_id=row["organisation_id"],
        network_ids=frozenset(row["network_ids"]),
    )


async def optional_actor(
    connection: ASGIConnection[Any, Any, Any, Any], timeout_s: float
) -> Actor | None:
    """For a public route that tells a caller with a token more: who the token acts for.

    None without a token, or when the database cannot say within ``timeout_s`` (the
    route must still answer then); a token that is refused raises, as on any route, and
    is counted against its address as on any route (``Gate``).
    """
    token = token_of(connection)
    if token is None:
        return None
    gate: Gate = connection.app.state.gate
    try:
        async with asyncio.timeout(timeout_s):
            actor, _ = await gate.admit(token, client_address(connection))
    except (NotAuthorizedException, TooManyRequestsException):
        raise
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ServiceUnavailableError):
        return None  # TimeoutError is an OSError
    return actor
