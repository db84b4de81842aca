from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, put
from litestar.params import FromPath, JSONBody

from services.api.auth.guards import MANAGERS
from services.api.core.conditional import ETAG_HEADER, IfMatch, with_etag
from services.api.cycles.schemas import ScheduleIn, ScheduleOut
from services.api.deps import CurrentActor, Schedules


class ScheduleController(Controller):
    path = "/v1/networks/{network_id:uuid}/cycle-schedule"
    tags = ["cycles"]
    guards = [MANAGERS]

    @get(
        summary="The network's weekly schedule of cycles, and the next cycles it opens",
        response_headers=ETAG_HEADER,
    )
    async def get_schedule(
        self, network_id: FromPath[UUID], actor: CurrentActor, schedules: Schedules
    ) -> Response[ScheduleOut]:
        schedule = await schedules.current(actor, network_id)
        return with_etag(schedule, schedule.version)

    @put(
        summary='Set the weekly schedule (needs If-Match; `"0"` the first time)',
        description=(
            "Weekdays are ISO's (1 Monday to 7 Sunday), times the clock times of the "
            "network's time zone. While `enabled`, the matcher opens each week's cycle when "
            "its opening time comes, once; saving opens no week already under way."
        ),
        response_headers=ETAG_HEADER,
    )
    async def set_schedule(
        self,
        network_id: FromPath[UUID],
        data: JSONBody[ScheduleIn],
        if_match: IfMatch,
        actor: CurrentActor,
        schedules: Schedules,
    ) -> Response[ScheduleOut]:
        saved = await schedules.save(actor, network_id, data, if_match)
        return with_etag(saved, saved.version)
