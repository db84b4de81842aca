from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage

from services.api.auth.actor import Actor
from services.api.auth.guards import MANAGERS
from services.api.conditional import CREATED_HEADERS, created
from services.api.deps import CurrentActor, queue_service
from services.api.runs.geojson import feature_collection
from services.api.runs.schemas import RunIn, RunOut, RunResult, RunRoutes
from services.api.runs.service import FINISHED, RunService

Runs = NamedDependency[RunService]
Plan = Literal["joint", "hub", "baseline"]
POLL_S = 0.5
STREAM_LIMIT_S = 300  # then the stream ends; EventSource clients reconnect by themselves


class RunController(Controller):
    path = "/v1"
    tags = ["runs"]
    dependencies = {"runs": queue_service(RunService)}

    @get("/cycles/{cycle_id:uuid}/runs", guards=[MANAGERS], summary="The cycle's match runs")
    async def list_runs(
        self, cycle_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> list[RunOut]:
        return await runs.list_runs(actor, cycle_id)

    @post(
        "/cycles/{cycle_id:uuid}/runs",
        guards=[MANAGERS],
        summary="Match the cycle again, leaving out offers or co-ops",
        response_headers=CREATED_HEADERS[1:],
    )
    async def rerun(
        self, cycle_id: FromPath[UUID], data: JSONBody[RunIn], actor: CurrentActor, runs: Runs
    ) -> Response[RunOut]:
        run = await runs.rerun(actor, cycle_id, data)
        return created(run, f"/v1/runs/{run.id}")

    @get("/runs/{run_id:uuid}", guards=[MANAGERS], summary="A run's state, stage and progress")
    async def get_run(self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs) -> RunOut:
        return await runs.get(actor, run_id)

    @get(
        "/runs/{run_id:uuid}/result",
        guards=[MANAGERS],
        summary="Packs bought, units per line and every shortfall with its reason",
    )
    async def get_result(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> RunResult:
        return await runs.result(actor, run_id)

    @get(
        "/runs/{run_id:uuid}/routes",
        guards=[MANAGERS],
        summary="The run's delivery routes, stop by stop, with cost shares and shipments",
        description=(
            "`plan=joint` (farm to co-op), `plan=hub` (via the network's hub) or "
            "`plan=baseline` (every producer alone); all when left out. The run's "
            "`routing.proposed` says which plan is proposed; only its routes carry cost shares."
        ),
    )
    async def get_routes(
        self,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        runs: Runs,
        plan: FromQuery[Plan | None] = None,
    ) -> RunRoutes:
        return await runs.routes(actor, run_id, plan)

    @get(
        "/runs/{run_id:uuid}/routes.geojson",
        guards=[MANAGERS],
        summary="The run's routes as a GeoJSON FeatureCollection",
        media_type="application/geo+json",
    )
    async def get_routes_geojson(
        self,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        runs: Runs,
        plan: FromQuery[Plan] = "joint",
    ) -> dict[str, Any]:
        return feature_collection(await runs.routes(actor, run_id, plan))

    @get(
        "/runs/{run_id:uuid}/events",
        guards=[MANAGERS],
        summary="Server-sent events: the run as it progresses, until it finishes",
        description=(
            "A `progress` event carrying the run (as `GET /v1/runs/{run_id}`) each time "
            "its state, stage or percent changes; the stream ends when the run finishes, "
            "or after five minutes (EventSource clients reconnect)."
        ),
        media_type="text/event-stream",
    )
    async def events(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs, state: State
    ) -> ServerSentEvent:
        await runs.visible(actor, run_id)  # 404 before the stream starts
        return ServerSentEvent(_progress(state, actor, run_id))


async def _progress(
    state: State, actor: Actor, run_id: UUID
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """One ``progress`` event per change, a connection borrowed per poll, not held."""
    last = None
    deadline = asyncio.get_running_loop().time() + STREAM_LIMIT_S
    while asyncio.get_running_loop().time() < deadline:
        async with state.pool.acquire() as conn:
            run = await RunService(conn).get(actor, run_id)
        seen = (run.state, run.stage, run.percent)
        if seen != last:
            last = seen
            yield ServerSentEventMessage(
                event="progress", data=msgspec.json.encode(run).decode(), id=run.percent
            )
        if run.state in FINISHED:
            return
        await asyncio.sleep(POLL_S)
