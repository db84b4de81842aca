from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent

from services.api.auth.actor import Actor
from services.api.auth.guards import MANAGERS, NOTE_READERS, PICK_LIST_READERS
from services.api.auth.middleware import credential_of
from services.api.core.conditional import CREATED_HEADERS, created
from services.api.core.openapi import StateDependentOperation
from services.api.deps import CurrentActor, Runs
from services.api.runs.documents import (
    DeliveryNote,
    PickLine,
    RouteSheet,
    csv_response,
    note_rows,
    route_sheet,
    to_csv,
)
from services.api.runs.events import progress_events
from services.api.runs.geojson import feature_collection
from services.api.runs.schemas import CostShareRow, RunIn, RunOut, RunResult, RunRoutes
from services.api.runs.service import RunService
from shared.errors import NotFoundError

Plan = Literal["joint", "hub", "baseline"]


DOCUMENTS_NOTE = (
    "Coordinators see everyone's once the run has a result; {party} of the network "
    "sees {part}, once the run is published (before that: 404)."
)


class RunController(Controller):
    path = "/v1"
    tags = ["runs"]

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
        operation_class=StateDependentOperation,
        summary="Packs bought, units per line and every shortfall with its reason",
    )
    async def get_result(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> RunResult:
        return await runs.result(actor, run_id)

    @get(
        "/runs/{run_id:uuid}/routes",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
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
        operation_class=StateDependentOperation,
        summary="The run's routes as a GeoJSON FeatureCollection (the proposed plan by default)",
        media_type="application/geo+json",
    )
    async def get_routes_geojson(
        self,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        runs: Runs,
        plan: FromQuery[Plan | None] = None,
    ) -> dict[str, Any]:
        """The proposed plan's routes unless ``plan`` names another."""
        return feature_collection(await runs.routes(actor, run_id, plan or "proposed"))

    @get(
        "/runs/{run_id:uuid}/pick-lists",
        guards=[PICK_LIST_READERS],
        operation_class=StateDependentOperation,
        summary="What each producer packs for which co-op, and when which van comes",
        description=DOCUMENTS_NOTE.format(party="a producer", part="its own pick list"),
    )
    async def get_pick_lists(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> list[PickLine]:
        return await runs.own_pick_lists(actor, run_id)

    @get(
        "/runs/{run_id:uuid}/pick-lists.csv",
        guards=[PICK_LIST_READERS],
        operation_class=StateDependentOperation,
        summary="The pick lists as CSV",
        media_type="text/csv; charset=utf-8",
    )
    async def get_pick_lists_csv(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> Response[str]:
        rows = await runs.own_pick_lists(actor, run_id)
        return csv_response(to_csv(rows), f"pick-lists-{run_id}.csv")

    @get(
        "/runs/{run_id:uuid}/delivery-notes",
        guards=[NOTE_READERS],
        operation_class=StateDependentOperation,
        summary="What reaches each co-op, when, from whom, at what price, and its cost share",
        description=DOCUMENTS_NOTE.format(party="a co-op", part="its own delivery note"),
    )
    async def get_delivery_notes(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> list[DeliveryNote]:
        return await runs.own_delivery_notes(actor, run_id)

    @get(
        "/runs/{run_id:uuid}/delivery-notes.csv",
        guards=[NOTE_READERS],
        operation_class=StateDependentOperation,
        summary="The delivery notes as CSV, a row per line",
        media_type="text/csv; charset=utf-8",
    )
    async def get_delivery_notes_csv(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> Response[str]:
        notes = await runs.own_delivery_notes(actor, run_id)
        return csv_response(to_csv(note_rows(notes)), f"delivery-notes-{run_id}.csv")

    @get(
        "/runs/{run_id:uuid}/allocations.csv",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
        summary="The run's allocations as CSV: units of which offer on which demand line",
        media_type="text/csv; charset=utf-8",
    )
    async def get_allocations_csv(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> Response[str]:
        result = await runs.result(actor, run_id)
        return csv_response(to_csv(result.allocations), f"allocations-{run_id}.csv")

    @get(
        "/runs/{run_id:uuid}/cost-shares",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
        summary="Who pays what of each route of the proposed plan",
    )
    async def get_cost_shares(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> list[CostShareRow]:
        return await runs.cost_shares(actor, run_id)

    @get(
        "/runs/{run_id:uuid}/cost-shares.csv",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
        summary="The cost shares as CSV",
        media_type="text/csv; charset=utf-8",
    )
    async def get_cost_shares_csv(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> Response[str]:
        rows = await runs.cost_shares(actor, run_id)
        return csv_response(to_csv(rows), f"cost-shares-{run_id}.csv")

    @get(
        "/runs/{run_id:uuid}/routes/{route_id:uuid}/sheet.csv",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
        summary="A driver's route sheet as CSV",
        media_type="text/csv; charset=utf-8",
    )
    async def get_route_sheet_csv(
        self, run_id: FromPath[UUID], route_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> Response[str]:
        sheet = await self._sheet(run_id, route_id, actor, runs)
        return csv_response(to_csv(sheet.stops), f"route-{sheet.plan}-{sheet.route_no}.csv")

    async def _sheet(
        self, run_id: UUID, route_id: UUID, actor: Actor, runs: RunService
    ) -> RouteSheet:
        await runs.proposed_plan(actor, run_id)  # 404 for others' runs, 409 before a result
        sheet = await route_sheet(runs.conn, run_id, route_id)
        if sheet is None:
            raise NotFoundError("the run has no such route")
        return sheet

    @get(
        "/runs/{run_id:uuid}/events",
        guards=[MANAGERS],
        summary="Server-sent events: the run as it progresses, until it finishes",
        description=(
            "A `progress` event carrying the run (as `GET /v1/runs/{run_id}`) each time "
            "its state, stage or percent changes; the stream ends when the run finishes, "
            "or after five minutes (EventSource clients reconnect), or within five "
            "seconds of its token being revoked or expiring."
        ),
        media_type="text/event-stream",
    )
    async def events(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        runs: Runs,
        state: State,
    ) -> ServerSentEvent:
        await runs.visible(actor, run_id)  # 404 before the stream starts
        return ServerSentEvent(progress_events(state, credential_of(request), actor, run_id))
