from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from services.api.auth.guards import PUBLIC
from services.api.health.service import Health, HealthService


class HealthController(Controller):
    path = "/health"

    @get(
        summary="Service health",
        tags=["operations"],
        description="PostgreSQL and Redis status (503 when either fails) and the matcher's "
        "last heartbeat. Needs no token.",
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                data_container=Health, description="PostgreSQL or Redis is down"
            )
        },
        cache=False,
        opt=PUBLIC,
        security=[{}],
    )
    async def health(self, health: NamedDependency[HealthService]) -> Response[Health]:
        report = await health.check()
        status = HTTP_200_OK if report.status == "ok" else HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status_code=status)
