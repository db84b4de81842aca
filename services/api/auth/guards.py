"""Route guards: deny by default. Every route names the roles it admits, or is public."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from services.api.auth.actor import Actor, Role

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]
PUBLIC = {"public": True}  # handler opt for routes that need no token


class RoleDeniedException(PermissionDeniedException):
    """A known caller whose role the route does not admit (audited as a denial); its
    detail is the catalogue's msgid, the roles apart, so the problem says it translated."""

    def __init__(self, roles: str) -> None:
        super().__init__(detail="this needs the role: {roles}")
        self.values = {"roles": roles}


def requires(*roles: Role) -> Guard:
    """Admit only actors holding one of ``roles``; object checks happen in the services."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(role.value for role in allowed))

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor = connection.scope.get("user")
        if not isinstance(actor, Actor):
            raise NotAuthorizedException("send `Authorization: Bearer <token>`")
        if actor.role not in allowed:
            raise RoleDeniedException(names)

    guard.__qualname__ = f"requires({names})"
    guard.roles = allowed  # type: ignore[attr-defined] # read by the authorization-matrix test
    return guard


def unguarded_routes(app: Litestar) -> list[str]:
    """Routes that are neither public nor guarded: the app refuses to start with any."""
    docs = (app.openapi_config.path if app.openapi_config else None) or "/schema"
    missing = []
    for route in app.routes:
        if route.path == docs or route.path.startswith(docs + "/"):  # OpenAPI and viewers
            continue
        for handler in getattr(route, "route_handlers", []):
            methods = set(getattr(handler, "http_methods", ()))
            if methods == {"OPTIONS"} or handler.opt.get("public") or handler.resolve_guards():
                continue
            missing.append(f"{sorted(methods)} {route.path}")
    return missing


ANYONE = requires(Role.ADMIN, Role.COORDINATOR, Role.PRODUCER, Role.COOP)
MANAGERS = requires(Role.ADMIN, Role.COORDINATOR)
ADMINS = requires(Role.ADMIN)
PRODUCERS = requires(Role.PRODUCER)
COOPS = requires(Role.COOP)
# A published run's documents: managers see all, each producer or co-op its own part.
PICK_LIST_READERS = requires(Role.ADMIN, Role.COORDINATOR, Role.PRODUCER)
NOTE_READERS = requires(Role.ADMIN, Role.COORDINATOR, Role.COOP)
