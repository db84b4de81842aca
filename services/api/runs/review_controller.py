"""A coordinator's decision on a run, its history, and what changed between two runs."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from services.api.auth.guards import MANAGERS
from services.api.core.openapi import StateDependentOperation
from services.api.deps import CurrentActor, Reviews
from services.api.runs.schemas import (
    ApproveIn,
    RejectIn,
    RunComparison,
    RunOut,
    TransitionOut,
)


class ReviewController(Controller):
    path = "/v1/runs/{run_id:uuid}"
    tags = ["review"]

    @post(
        "/approve",
        guards=[MANAGERS],
        status_code=200,
        operation_class=StateDependentOperation,
        summary="Approve a proposed run (a note is optional)",
    )
    async def approve(
        self,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        reviews: Reviews,
        data: JSONBody[ApproveIn | None] = None,
    ) -> RunOut:
        return await reviews.approve(actor, run_id, data.note if data else "")

    @post(
        "/reject",
        guards=[MANAGERS],
        status_code=200,
        operation_class=StateDependentOperation,
        summary="Reject a proposed or approved run, saying why; its packs are released",
    )
    async def reject(
        self,
        run_id: FromPath[UUID],
        data: JSONBody[RejectIn],
        actor: CurrentActor,
        reviews: Reviews,
    ) -> RunOut:
        return await reviews.reject(actor, run_id, data.reason)

    @post(
        "/publish",
        guards=[MANAGERS],
        status_code=200,
        operation_class=StateDependentOperation,
        summary="Publish an approved run: its producers and co-ops see their part, and are told",
        description=(
            "The cycle becomes `published`. Each producer and co-op of the run that set a "
            "webhook (`PUT /v1/organisations/{organisation_id}/webhook`) gets a signed "
            "`run.published` event linking its pick list or delivery note."
        ),
    )
    async def publish(
        self,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        reviews: Reviews,
        data: JSONBody[ApproveIn | None] = None,
    ) -> RunOut:
        return await reviews.publish(actor, run_id, data.note if data else "")

    @get("/history", guards=[MANAGERS], summary="Who moved the run to which state, when and why")
    async def history(
        self, run_id: FromPath[UUID], actor: CurrentActor, reviews: Reviews
    ) -> list[TransitionOut]:
        return await reviews.history(actor, run_id)

    @get(
        "/compare/{earlier_run_id:uuid}",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
        summary="What changed from an earlier run of the cycle: figures and the lines that moved",
    )
    async def compare(
        self,
        run_id: FromPath[UUID],
        earlier_run_id: FromPath[UUID],
        actor: CurrentActor,
        reviews: Reviews,
    ) -> RunComparison:
        return await reviews.compare(actor, run_id, earlier_run_id)
