"""Sign-in and the coordinators' pages: the dashboard and the run review (a cycle's own
pages, opening, reminding and closing early, are in ``cycles.py``).

Server-rendered from the same services the API uses. People sign in with the account
pages (``accounts.py``); forms post back here, and a post whose Origin (or
Referer) is another site is refused. Producers' and co-ops' pages are in ``members.py``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template

from services.api.auth.actor import Actor, Role
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
from services.api.networks.service import NetworkService
from services.api.organisations.service import OrganisationService
from services.api.products.schemas import ProductOut
from services.api.products.service import ProductService
from services.api.runs.events import progress_events
from services.api.runs.schemas import RunIn, RunResult
from services.api.runs.service import RunService
from services.api.web import i18n
from services.api.web.pages import (
    LANG_COOKIE,
    PUBLIC,
    Db,
    back,
    page,
    same_site,
    submit,
)
from services.api.web.svgmap import draw
from shared.db import routes as routes_db
from shared.db.pool import Conn
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
        }
        if run.summary is not None:
            context.update(
                await _review(
                    conn,
                    actor,
                    (runs, networks, organisations, products),
                    run_id,
                    run.network_id,
                    settings.pages.map_tile_url,
                )
            )
            context["attribution"] = settings.pages.map_tile_attribution
            if compare is not None:
                context["comparison"] = await reviews.compare(actor, run_id, compare)
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
        return ServerSentEvent(progress_events(state, credential_of(request), actor, run_id))

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
                raise UnprocessableError(f"unknown action {action!r}", field="action")

        return await submit(f"/app/runs/{run_id}", action, decide)

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
                reason=str(form.get("reason", "")).strip()[:2000],
            )
            new = await runs.rerun(actor, run.cycle_id, data)
        except ValueError:
            return back(to, error="an excluded id is not an id")
        except SamlastError as exc:
            return back(to, error=exc.detail)
        return Redirect(path=f"/app/runs/{new.id}", status_code=303)


async def _review(
    conn: Conn,
    actor: Actor,
    services: tuple[RunService, NetworkService, OrganisationService, ProductService],
    run_id: UUID,
    network_id: UUID,
    tile_url: str | None,
) -> dict[str, Any]:
    """What the review page shows of a run with a result: allocations per product with
    how its packs are split between co-ops, the proposed routes and their map."""
    runs, networks, organisations, products = services
    result = await runs.result(actor, run_id)
    routes = await runs.routes(actor, run_id, "proposed")
    members = await organisations.list_organisations(actor, network_id, None)
    names: dict[Any, str] = {o.id: o.name for o in members}
    catalogue = {p.id: p for p in await products.list_products(actor, network_id, retired=True)}
    purchases = {p.offer_id: p for p in result.purchases}
    split: dict[UUID, dict[UUID, int]] = defaultdict(lambda: defaultdict(int))
    offers: dict[UUID, set[UUID]] = defaultdict(set)
    for allocation in result.allocations:
        split[allocation.product_id][allocation.coop_id] += allocation.units
        offers[allocation.product_id].add(allocation.offer_id)
    allocations = [
        {
            "name": catalogue[product_id].name if product_id in catalogue else str(product_id),
            "unit": catalogue[product_id].unit if product_id in catalogue else "",
            "packs": sum(purchases[o].packs for o in offers[product_id]),
            "units": sum(purchases[o].packs * purchases[o].pack_units for o in offers[product_id]),
            "coops": sorted(coops.items(), key=lambda item: names.get(item[0], "")),
        }
        for product_id, coops in split.items()
    ]
    coop_ids = {a.coop_id for a in result.allocations} | {u.coop_id for u in result.unfilled}
    return {
        "result": result,
        "routes": routes.routes,
        "map": draw(routes.routes, names, tile_url),
        "names": names,
        "products": catalogue,
        "allocations": sorted(allocations, key=lambda entry: str(entry["name"])),
        "coops": sorted(coop_ids, key=lambda coop_id: names.get(coop_id, "")),
        "offers": await _offer_labels(conn, network_id, result, names, catalogue),
        "vehicles": await networks.vehicles(actor, network_id),
    }


async def _offer_labels(
    conn: Conn,
    network_id: UUID,
    result: RunResult,
    names: dict[Any, str],
    products: dict[UUID, ProductOut],
) -> list[tuple[UUID, str]]:
    """The offers a run buys from, as a coordinator recognises them: its producer,
    product and packs, from the run's result and one query for the producers."""
    product_of = {a.offer_id: a.product_id for a in result.allocations}
    offer_ids = [purchase.offer_id for purchase in result.purchases]
    producer_of = {
        row["id"]: row["producer_id"]
        for row in await routes_db.select_offer_sites(conn, network_id, offer_ids)
    }
    labels = []
    for purchase in result.purchases:
        listed = (
            products.get(product_of[purchase.offer_id]) if purchase.offer_id in product_of else None
        )
        product = listed.name if listed else ""
        producer = names.get(producer_of.get(purchase.offer_id), "")
        labels.append(
            (purchase.offer_id, f"{producer}: {product}, {purchase.packs} x {purchase.pack_units}")
        )
    return sorted(labels, key=lambda item: item[1])
