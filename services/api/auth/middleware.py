"""Authentication for every route not marked public, and the request limits.

The API takes bearer tokens (an organisation's, for integrations); the pages under /app
take a person's session cookie (``sessions.py``) and nothing else.

Every caller is counted in a window of its own (``services/api/core/limits.py``): a verified
token or session counts against its organisation (an admin's against the admin token,
or the admin person), so minting more tokens buys no more requests; a request that
does not verify counts against its client address. Refused credentials are counted per
address too: past ``auth_failures_per_minute`` the address hears 429 instead of 401,
and no audit row is written. A credential that verifies is always let in, whatever its address did
(a co-op's office shares one address; one stale token there must not lock out the
rest). The client address is the connecting one, or what a trusted proxy says
(``SAMLAST_TRUSTED_PROXIES``, applied by the server before the app sees the request).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, NamedTuple

import asyncpg
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Message, Scope

from services.api.auth.actor import ORGANISATION_ROLES, Actor, Role
from services.api.auth.sessions import COOKIE, PAGES, hash_secret, is_plausible
from services.api.auth.tokens import hash_token, is_well_formed
from services.api.core.limits import WINDOW_S, Limiter, Window
from shared.db import sessions as sessions_db
from shared.db import tokens as tokens_db
from shared.db.pool import Pool
from shared.errors import ServiceUnavailableError

BEARER = "bearer "
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="samlast"'}
WINDOW_KEY = "samlast.rate_window"  # in the request's scope state, for rate_limit_headers


class Credential(NamedTuple):
    kind: str  # "token" or "session"
    value: str


def is_page(path: str) -> bool:
    return path == PAGES or path.startswith(PAGES + "/")


def credential_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Credential | None:
    """Under /app the session cookie; elsewhere the bearer token."""
    if is_page(connection.scope["path"]):
        cookie = connection.cookies.get(COOKIE)
        return Credential("session", cookie) if cookie else None
    header = connection.headers.get("authorization", "")
    if header.lower().startswith(BEARER):
        return Credential("token", header[len(BEARER) :].strip())
    return None


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


class Gate:
    """Who may come in, and how often: one per app, shared by the API and the pages."""

    def __init__(
        self,
        pool: Pool,
        limiter: Limiter,
        *,
        per_minute: int,
        failures_per_minute: int,
        session_idle_s: float,
    ) -> None:
        self.pool = pool
        self.limiter = limiter
        self.per_minute = per_minute
        self.failures_per_minute = failures_per_minute
        self.session_idle_s = session_idle_s

    async def admit(self, credential: Credential | None, address: str) -> tuple[Actor, Window]:
        """The actor ``credential`` verifies as, and its window; 401 or 429 saying why not."""
        if credential is None:
            await self.charge("address:" + address)
            raise NotAuthorizedException("send `Authorization: Bearer <token>`", headers=CHALLENGE)
        try:
            actor = await self.verify(credential)
        except NotAuthorizedException:
            refused = await self.limiter.hit("refused:" + address)
            if refused.count > self.failures_per_minute:
                raise TooManyRequestsException(
                    "too many refused authentications from this address; wait and retry",
                    headers={"Retry-After": str(refused.reset_s)},
                ) from None
            await self.charge("address:" + address)
            raise
        if actor.role is not Role.ADMIN:
            bucket = f"organisation:{actor.organisation_id}"
        elif actor.session_id is not None:
            bucket = f"person:{actor.person_id}"
        else:
            bucket = f"admin-token:{actor.token_id}"
        return actor, await self.charge(bucket)

    async def verify(self, credential: Credential) -> Actor:
        """Who ``credential`` acts as now (uncounted: for re-checking an open stream)."""
        if credential.kind == "session":
            return await session_actor(self.pool, credential.value, self.session_idle_s)
        return await actor_for(self.pool, credential.value)

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
        actor, window = await gate.admit(credential_of(connection), client_address(connection))
        connection.scope.setdefault("state", {})[WINDOW_KEY] = window
        # ``auth`` keys idempotent POSTs (``core/idempotency.py``): API tokens only
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
        person_id=row["created_by"],
        token_id=row["token_id"],
        role=role,
        organisation_id=row["organisation_id"],
        network_ids=frozenset(row["network_ids"]),
    )


async def session_actor(pool: Pool, value: str, idle_s: float) -> Actor:
    """Who the session cookie ``value`` signs in, acting for its chosen organisation."""
    if not is_plausible(value):
        raise NotAuthorizedException("sign in again", headers=CHALLENGE)
    async with pool.acquire() as conn:
        row = await sessions_db.select_session_actor(conn, hash_secret(value), idle_s)
    if row is None:  # unknown, ended, expired or revoked: all the same to the browser
        raise NotAuthorizedException("sign in again", headers=CHALLENGE)
    if row["organisation_id"] is not None:
        role = ORGANISATION_ROLES[row["kind"]]
    elif row["is_admin"]:
        role = Role.ADMIN
    else:  # no longer in the organisation the session acted for
        raise NotAuthorizedException("sign in again", headers=CHALLENGE)
    return Actor(
        person_id=row["person_id"],
        session_id=row["session_id"],
        role=role,
        organisation_id=row["organisation_id"],
        network_ids=frozenset(row["network_ids"]),
        organisation_admin=row["role"] == "admin",
        person_name=row["person_name"],
        organisation_name=row["organisation_name"] or "",
    )


async def optional_actor(
    connection: ASGIConnection[Any, Any, Any, Any], timeout_s: float
) -> Actor | None:
    """For a public route that tells a caller with a token more: who the token acts for.

    None without a token, or when the database cannot say within ``timeout_s`` (the
    route must still answer then); a token that is refused raises, as on any route, and
    is counted against its address as on any route (``Gate``).
    """
    credential = credential_of(connection)
    if credential is None:
        return None
    gate: Gate = connection.app.state.gate
    try:
        async with asyncio.timeout(timeout_s):
            actor, _ = await gate.admit(credential, client_address(connection))
    except (NotAuthorizedException, TooManyRequestsException):
        raise
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ServiceUnavailableError):
        return None  # TimeoutError is an OSError
    return actor
