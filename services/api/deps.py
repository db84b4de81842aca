"""Dependencies shared by every controller: the caller and the request's connection."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException

from services.api.auth.actor import Actor
from shared.db.pool import Conn

S = TypeVar("S")


async def provide_conn(state: State) -> AsyncGenerator[Conn, None]:
    """A connection per request, returned to the pool when the response is sent."""
    async with state.pool.acquire() as conn:
        yield conn


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    if not isinstance(request.user, Actor):  # only reachable on a route marked public
        raise NotAuthorizedException("send `Authorization: Bearer <token>`")
    return request.user


def service(cls: Callable[[Conn], S]) -> Provide:
    """Provide ``cls(conn)`` per request."""

    def build(conn: NamedDependency[Conn]) -> S:
        return cls(conn)

    return Provide(build, sync_to_thread=False)


CurrentActor = NamedDependency[Actor]


def queue_service(cls: Callable[[Conn, Any], S]) -> Provide:
    """Provide ``cls(conn, queue)`` per request, for services that queue jobs."""

    def build(conn: NamedDependency[Conn], state: State) -> S:
        return cls(conn, state.queue)

    return Provide(build, sync_to_thread=False)
