"""The Litestar application factory: one pool, one queue connection, one error mapping."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Contact, Server

from services.api.health.controller import HealthController
from services.api.health.service import HealthService
from services.api.problems import EXCEPTION_HANDLERS
from shared.db.pool import Conn, create_pool
from shared.queue import connect_queue
from shared.settings import Settings, load_settings

API_VERSION = "0.1.0"
MAX_BODY_BYTES = 5 * 1024 * 1024  # a 10,000-row CSV upload fits comfortably


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; servers are connected in the lifespan, not at import."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.pool = await create_pool(settings)
        try:
            app.state.queue = await connect_queue(settings)
        except BaseException:
            await app.state.pool.close()
            raise
        try:
            yield
        finally:
            await app.state.queue.aclose()
            await app.state.pool.close()

    return Litestar(
        route_handlers=[HealthController],
        lifespan=[lifespan],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "conn": Provide(provide_conn),
            "health": Provide(provide_health, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="Samlast API",
            version=API_VERSION,
            description="Pool co-op demand into whole producer packs and shared delivery runs.",
            contact=Contact(name="Samlast"),
            servers=[Server(url="/")],
            path="/schema",
        ),
        debug=False,
    )


async def provide_conn(state: State) -> AsyncGenerator[Conn, None]:
    """A connection per request, returned to the pool when the response is sent."""
    async with state.pool.acquire() as conn:
        yield conn


def provide_health(state: State, settings: NamedDependency[Settings]) -> HealthService:
    return HealthService(state.pool, state.queue, settings.queue_name)
