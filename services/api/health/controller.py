from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from services.api.auth.actor import Role
from services.api.auth.guards import PUBLIC
from services.api.auth.middleware import optional_actor
from services.api.health.service import CHECK_TIMEOUT_S, Health, HealthService, HealthStatus

WORDS = (
    "`ok`; `degraded` when Redis or the matcher is away (the API still serves); "
    "`unavailable` when PostgreSQL cannot be reached"
)


def unavailable(body: type[HealthStatus | Health]) -> dict[int, ResponseSpec]:
    return {
        HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
            data_container=body, description="`unavailable`: PostgreSQL cannot be reached"
        )
    }


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get(
        "/live",
        summary="Liveness: the process answers",
        description="Always `ok` while the process can answer at all; checks nothing else. "
        "Needs no token.",
        cache=False,
        opt=PUBLIC,
        security=[{}],
    )
    async def live(self) -> HealthStatus:
        return HealthStatus(status="ok")

    @get(
        "/ready",
        summary="Readiness: whether to send this API requests",
        description=f"{WORDS}. Only `unavailable` is a 503, so a Redis or matcher outage "
        "never takes API replicas out of a load balancer. Needs no token.",
        responses=unavailable(HealthStatus),
        cache=False,
        opt=PUBLIC,
        security=[{}],
    )
    async def ready(self, health: NamedDependency[HealthService]) -> Response[HealthStatus]:
        report = await health.check()
        return Response(HealthStatus(status=report.status), status_code=_http_status(report))

    @get(
        summary="Service health, with details for admins",
        description=f"The readiness answer: {WORDS}. With an admin token it also reports "
        "PostgreSQL and Redis (version, latency, error) and the matcher's last heartbeat. "
        "Needs no token; a token that is not valid is refused.",
        responses=unavailable(Health),
        cache=False,
        opt=PUBLIC,
        security=[{}, {"BearerToken": []}],
    )
    async def health(
        self, request: Request[Any, Any, Any], health: NamedDependency[HealthService]
    ) -> Response[Health]:
        actor = await optional_actor(request, CHECK_TIMEOUT_S)
        report = await health.check()
        body = report if actor is not None and actor.role is Role.ADMIN else report.words_only()
        return Response(body, status_code=_http_status(report))


def _http_status(report: Health) -> int:
    return HTTP_503_SERVICE_UNAVAILABLE if report.status == "unavailable" else HTTP_200_OK
