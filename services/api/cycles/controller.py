from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from services.api.auth.guards import ANYONE, MANAGERS
from services.api.core.conditional import CREATED_HEADERS, created
from services.api.cycles.schemas import CycleIn, CycleOut
from services.api.deps import CurrentActor, Cycles


class CycleController(Controller):
    path = "/v1"
    tags = ["cycles"]

    @post(
        "/networks/{network_id:uuid}/cycles",
        guards=[MANAGERS],
        summary="Open a cycle",
        response_headers=CREATED_HEADERS,
    )
    async def create(
        self,
        network_id: FromPath[UUID],
        data: JSONBody[CycleIn],
        actor: CurrentActor,
        cycles: Cycles,
    ) -> Response[CycleOut]:
        cycle = await cycles.create(actor, network_id, data)
        return created(cycle, f"/v1/cycles/{cycle.id}", cycle.version)

    @get(
        "/networks/{network_id:uuid}/cycles",
        guards=[ANYONE],
        summary="The network's cycles, newest deadline first",
    )
    async def list_cycles(
        self, network_id: FromPath[UUID], actor: CurrentActor, cycles: Cycles
    ) -> list[CycleOut]:
        return await cycles.list_cycles(actor, network_id)

    @get("/cycles/{cycle_id:uuid}", guards=[ANYONE], summary="One cycle")
    async def get_cycle(
        self, cycle_id: FromPath[UUID], actor: CurrentActor, cycles: Cycles
    ) -> CycleOut:
        return await cycles.get(actor, cycle_id)

    @post(
        "/cycles/{cycle_id:uuid}/close",
        guards=[MANAGERS],
        status_code=200,
        summary="Close the cycle for demand now",
    )
    async def close(
        self, cycle_id: FromPath[UUID], actor: CurrentActor, cycles: Cycles
    ) -> CycleOut:
        return await cycles.transition(actor, cycle_id, "close")

    @post(
        "/cycles/{cycle_id:uuid}/cancel",
        guards=[MANAGERS],
        status_code=200,
        summary="Cancel the cycle",
    )
    async def cancel(
        self, cycle_id: FromPath[UUID], actor: CurrentActor, cycles: Cycles
    ) -> CycleOut:
        return await cycles.transition(actor, cycle_id, "cancel")
