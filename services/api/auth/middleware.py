"""Bearer-token authentication for every route not marked public.

Refused attempts are counted per client address in Redis: past the limit an address
gets 429 without a database lookup or an audit row, so guessing tokens (well-formed
ones pass the checksum and each is its own rate-limit bucket) stays cheap for us.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from services.api.auth.actor import ORGANISATION_ROLES, Actor, Role
from services.api.auth.tokens import hash_token, is_well_formed
from shared.db import tokens as tokens_db
from shared.db.pool import Pool

BEARER = "bearer "
# The web pages' sign-in: the token in an HTTP-only, SameSite=Strict cookie, honoured
# under /app only (the API takes the header alone, so it can't be driven by a page).
COOKIE = "samlast_token"
PAGES = "/app"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="samlast"'}
FAILURE_WINDOW_S = 60


def token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The bearer token of the request, or under /app the sign-in cookie's."""
    header = connection.headers.get("authorization", "")
    if header.lower().startswith(BEARER):
        return header[len(BEARER) :].strip()
    if connection.scope["path"].startswith(PAGES + "/") or connection.scope["path"] == PAGES:
        return connection.cookies.get(COOKIE)
    return None


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        state = connection.app.state
        key = "samlast:authfail:" + (connection.client.host if connection.client else "unknown")
        failures = int(await state.redis.get(key) or 0)
        if failures >= state.auth_failures_per_minute:
            ttl = await state.redis.ttl(key)
            raise TooManyRequestsException(
                "too many refused authentications from this address; wait and retry",
                headers={"Retry-After": str(max(int(ttl), 1))},
            )
        try:
            return await self._authenticate(connection)
        except NotAuthorizedException:
            async with state.redis.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, ex=FAILURE_WINDOW_S, nx=True)  # the window opens
                pipe.incr(key)
                await pipe.execute()
            raise

    async def _authenticate(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = token_of(connection)
        if token is None:
            raise NotAuthorizedException("send `Authorization: Bearer <token>`", headers=CHALLENGE)
        actor = await actor_for(connection.app.state.pool, token)
        return AuthenticationResult(user=actor, auth=actor.token_id)


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
    route must still answer then); a token that is refused raises, as on any route.
    """
    token = token_of(connection)
    if token is None:
        return None
    try:
        async with asyncio.timeout(timeout_s):
            return await actor_for(connection.app.state.pool, token)
    except NotAuthorizedException:
        raise
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):  # TimeoutError too
        return None
