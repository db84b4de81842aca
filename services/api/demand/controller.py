from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody

from services.api.auth.actor import Role
from services.api.auth.guards import COOPS, requires
from services.api.core.conditional import CREATED_HEADERS, ETAG_HEADER, IfMatch, created, with_etag
from services.api.demand.schemas import DemandRoundIn, DemandRoundOut
from services.api.demand.upload import DemandUploadOperation
from services.api.deps import CurrentActor, Demand

READERS = requires(Role.ADMIN, Role.COORDINATOR, Role.COOP)


class DemandController(Controller):
    path = "/v1"
    tags = ["demand"]

    @post(
        "/cycles/{cycle_id:uuid}/demand-rounds",
        guards=[COOPS],
        response_headers=CREATED_HEADERS,
        summary="Submit your co-op's demand round for a cycle",
    )
    async def create(
        self,
        cycle_id: FromPath[UUID],
        data: JSONBody[DemandRoundIn],
        actor: CurrentActor,
        demand: Demand,
    ) -> Response[DemandRoundOut]:
        demand_round = await demand.create(actor, cycle_id, data.lines)
        return created(demand_round, f"/v1/demand-rounds/{demand_round.id}", demand_round.version)

    @get(
        "/cycles/{cycle_id:uuid}/demand-rounds",
        guards=[READERS],
        summary="Demand rounds of a cycle (co-ops see their own)",
    )
    async def list_rounds(
        self, cycle_id: FromPath[UUID], actor: CurrentActor, demand: Demand
    ) -> list[DemandRoundOut]:
        return await demand.list_rounds(actor, cycle_id)

    @get(
        "/demand-rounds/{round_id:uuid}",
        guards=[READERS],
        response_headers=ETAG_HEADER,
        summary="One demand round",
    )
    async def get_round(
        self, round_id: FromPath[UUID], actor: CurrentActor, demand: Demand
    ) -> Response[DemandRoundOut]:
        found = await demand.get(actor, round_id)
        return with_etag(found, found.version)

    @put(
        "/demand-rounds/{round_id:uuid}/lines",
        guards=[COOPS],
        response_headers=ETAG_HEADER,
        summary="Replace all lines while the cycle is open (needs If-Match)",
        description=(
            "The round's lines become the ones sent, in their order. A line sent with the "
            "`id` a `GET` gave it is kept under that id (a run's `demand_line_id` names "
            "it); a line without `id` is new; a line left out goes. A product may have "
            "several lines, each with its own tolerance and price limit."
        ),
    )
    async def replace_lines(
        self,
        round_id: FromPath[UUID],
        data: JSONBody[DemandRoundIn],
        if_match: IfMatch,
        actor: CurrentActor,
        demand: Demand,
    ) -> Response[DemandRoundOut]:
        replaced = await demand.replace_lines(actor, round_id, data.lines, if_match)
        return with_etag(replaced, replaced.version)

    @put(
        "/demand-rounds/{round_id:uuid}/lines/upload",
        guards=[COOPS],
        response_headers=ETAG_HEADER,
        operation_class=DemandUploadOperation,
        summary="Replace all lines from a CSV or JSON array, all or none (needs If-Match)",
    )
    async def upload_lines(
        self,
        request: Request[Any, Any, Any],
        round_id: FromPath[UUID],
        if_match: IfMatch,
        actor: CurrentActor,
        demand: Demand,
    ) -> Response[DemandRoundOut]:
        content_type = request.headers.get("content-type", "")
        replaced = await demand.upload_lines(
            actor, round_id, await request.body(), content_type, if_match
        )
        return with_etag(replaced, replaced.version)
