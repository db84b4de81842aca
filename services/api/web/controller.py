"""Sign-in and the coordinators' pages: the dashboard and the run review (a cycle's own
pages, opening, reminding and closing early, are in ``cycles.py``).

Server-rendered from the same services the API uses. People sign in with the account
pages (``accounts.py``); forms post back here, and a post whose Origin (or
Referer) is another site is refused. Producers' and co-ops' pages are in ``members.py``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template

from services.api.auth.actor import Role
from services.api.auth.guards import ANYONE, MANAGERS
from services.api.auth.middleware import credential_of
from services.api.deps import (
    CurrentActor,
    Cycles,
    Joining,
    Networks,
    Organisations,
    Products,
    Reviews,
    Runs,
)
from services.api.runs.events import progress_events
from services.api.runs.schemas import PinIn, RunIn
from services.api.web import i18n
from services.api.web.pages import (
    LANG_COOKIE,
    PUBLIC,
    Db,
    back,
    language_of,
    page,
    progress_words,
    said,
    same_site,
    submit,
    typed_of,
)
from services.api.web.run_review import RunReview
from shared.db import mirror as mirror_db
from shared.db import runs as runs_db
from shared.db.reasons import phrased
from shared.errors import SamlastError, UnprocessableError
from shared.settings import Settings


class WebController(Controller):
    path = "/app"
    include_in_schema = False

    @get("/language/{language:str}", opt=PUBLIC)
    async def language(
        self, request: Request[Any, Any, Any], language: FromPath[str]
    ) -> Response[Any]:
        target = request.query_params.get("next", "/app")
        if not target.startswith("/app"):  # never an open redirect
            target = "/app"
        response: Response[Any] = Redirect(path=target, status_code=303)
        if language in i18n.LANGUAGES:
            response.set_cookie(
                Cookie(key=LANG_COOKIE, value=language, path="/", max_age=365 * 24 * 3600)
            )
        return response

    @get("", guards=[ANYONE])
    async def home(self, request: Request[Any, Any, Any], actor: CurrentActor) -> Response[Any]:
        if actor.role is Role.PRODUCER:
            return Redirect(path="/app/producer", status_code=303)
        if actor.role is Role.COOP:
            return Redirect(path="/app/coop", status_code=303)
        return Redirect(path="/app/dashboard", status_code=303)

    @get("/dashboard", guards=[MANAGERS])
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        cycles: Cycles,
        joining: Joining,
        networks: Networks,
        runs: Runs,
    ) -> Template:
        shown = []
        for network in await networks.list_networks(actor):
            if not actor.coordinates(network.id):
                continue
            rounds = []
            for cycle in await cycles.list_cycles(actor, network.id):
                versions = await runs.list_runs(actor, cycle.id)
                rounds.append({"cycle": cycle, "run": versions[0] if versions else None})
            waiting = len(await joining.waiting(actor, network.id))
            shown.append({"network": network, "cycles": rounds, "waiting": waiting})
        return page(request, "dashboard", networks=shown, admin=actor.is_admin)

    @get("/runs/{run_id:uuid}", guards=[MANAGERS])
    async def run(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        organisations: Organisations,
        products: Products,
        reviews: Reviews,
        runs: Runs,
        conn: Db,
        settings: NamedDependency[Settings],
        compare: FromQuery[UUID | None] = None,
    ) -> Template:
        run = await runs.get(actor, run_id)
        network = await networks.get(actor, run.network_id)
        context: dict[str, Any] = {
            "run": run,
            "result": None,
            "comparison": None,
            "zone": network.timezone,
            "network": network,
            "history": [
                phrased(row, "note") for row in await runs_db.select_transitions(conn, run_id)
            ],
            "typed": typed_of(request),
        }
        if run.summary is not None:
            review = RunReview(conn, actor, (runs, networks, organisations, products), network)
            context.update(await review.of(run, settings.pages.map_tile_url))
            context["attribution"] = settings.pages.map_tile_attribution
            if compare is not None:
                context["comparison"] = await reviews.compare(actor, run_id, compare)
                context["before"] = await review.fill_by_unit(compare)
        # federation (fed-feed): the peers whose goods this run picks up at their hand-over point
        context["handovers"] = await mirror_db.select_run_handovers(conn, run_id)
        siblings = await runs.list_runs(actor, run.cycle_id)
        context["versions"] = [r for r in siblings if r.id != run.id and r.summary is not None]
        return page(request, "run", **context)

    @get("/runs/{run_id:uuid}/events", guards=[MANAGERS])
    async def events(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        runs: Runs,
        state: State,
    ) -> ServerSentEvent:
        await runs.visible(actor, run_id)
        words = progress_words(language_of(request))
        return ServerSentEvent(progress_events(state, credential_of(request), actor, run_id, words))

    @post("/runs/{run_id:uuid}/decision", guards=[MANAGERS], status_code=303)
    async def decide(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        reviews: Reviews,
    ) -> Redirect:
        same_site(request)
        form = await request.form()
        action, note = str(form.get("action", "")), str(form.get("note", "")).strip()[:2000]

        async def decide() -> None:
            if action == "approve":
                await reviews.approve(actor, run_id, note)
            elif action == "publish":
                await reviews.publish(actor, run_id, note)
            elif action == "reject":
                if not note:
                    raise UnprocessableError("reject needs a reason", field="note")
                await reviews.reject(actor, run_id, note)
            else:
                raise UnprocessableError(
                    "unknown action {action}", values={"action": repr(action)}, field="action"
                )

        return await submit(
            f"/app/runs/{run_id}", action, decide, request=request, typed=(action, note)
        )

    @post("/runs/{run_id:uuid}/rerun", guards=[MANAGERS], status_code=303)
    async def rerun(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        runs: Runs,
    ) -> Redirect:
        same_site(request)
        form = await request.form()
        to = f"/app/runs/{run_id}"
        try:
            run = await runs.get(actor, run_id)
            data = RunIn(
                exclude_offers=[UUID(str(v)) for v in form.getall("exclude_offer", [])],
                exclude_coops=[UUID(str(v)) for v in form.getall("exclude_coop", [])],
                exclude_vehicles=[UUID(str(v)) for v in form.getall("exclude_vehicle", [])],
                pins=[_pin(str(v)) for v in form.getall("pin", [])],
                reason=str(form.get("reason", "")).strip()[:2000],
            )
            new = await runs.rerun(actor, run.cycle_id, data)
        except (ValueError, msgspec.ValidationError):
            return back(to, error="an excluded or kept allocation is not one of this run's")
        except SamlastError as exc:
            return back(to, error=said(request, exc))
        return Redirect(path=f"/app/runs/{new.id}", status_code=303)


def _pin(value: str) -> PinIn:
    """A kept allocation as the re-run form sends it: ``offer:line:units``."""
    offer, line, units = value.split(":")
    return msgspec.convert({"offer_id": offer, "demand_line_id": line, "units": int(units)}, PinIn)
