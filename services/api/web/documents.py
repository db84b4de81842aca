"""The printable documents on the pages: a producer's pick list, a co-op's delivery note,
the coordinators' route sheets (and everyone's lists and notes), as HTML to print and as
PDF, in the page's language (the switch's cookie, else the browser's).

The same documents as the API's (``services.api.documents``), for a person signed in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from anyio import to_thread
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from services.api.auth.actor import Actor, Role
from services.api.auth.guards import MANAGERS, NOTE_READERS, PICK_LIST_READERS
from services.api.deps import CurrentActor, Documents
from services.api.documents import html, pdf
from services.api.documents.controller import HTML, pdf_response, zone_of
from services.api.web.pages import language_of


def _home(actor: Actor, run_id: UUID) -> str:
    if actor.role is Role.PRODUCER:
        return "/app/producer"
    if actor.role is Role.COOP:
        return "/app/coop"
    return f"/app/runs/{run_id}"


def _query(request: Request[Any, Any, Any]) -> str:
    return f"?{request.url.query}" if request.url.query else ""


class DocumentPages(Controller):
    path = "/app/runs/{run_id:uuid}"
    include_in_schema = False

    @get("/pick-list", guards=[PICK_LIST_READERS], media_type=HTML)
    async def pick_list(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
        producer_id: FromQuery[UUID | None] = None,
    ) -> Response[str]:
        lists = await documents.pick_lists(actor, run_id, producer_id)
        links = {
            "back": _home(actor, run_id),
            "pdf": f"{request.url.path}.pdf{_query(request)}",
        }
        if actor.role is Role.PRODUCER:
            links["csv"] = f"/app/runs/{run_id}/pick-list.csv"
        zone = zone_of(lists)
        return Response(html.pick_lists(lists, language_of(request), zone, links), media_type=HTML)

    @get("/pick-list.pdf", guards=[PICK_LIST_READERS])
    async def pick_list_pdf(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
        producer_id: FromQuery[UUID | None] = None,
    ) -> Response[bytes]:
        lists = await documents.pick_lists(actor, run_id, producer_id)
        zone = zone_of(lists)
        document = await to_thread.run_sync(pdf.pick_lists, lists, language_of(request), zone)
        return pdf_response(document, f"plocklista-{run_id}.pdf")

    @get("/delivery-note", guards=[NOTE_READERS], media_type=HTML)
    async def delivery_note(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
        coop_id: FromQuery[UUID | None] = None,
    ) -> Response[str]:
        notes = await documents.delivery_notes(actor, run_id, coop_id)
        links = {
            "back": _home(actor, run_id),
            "pdf": f"{request.url.path}.pdf{_query(request)}",
        }
        if actor.role is Role.COOP:
            links["csv"] = f"/app/runs/{run_id}/delivery-note.csv"
        zone = zone_of(notes)
        page = html.delivery_notes(notes, language_of(request), zone, links)
        return Response(page, media_type=HTML)

    @get("/delivery-note.pdf", guards=[NOTE_READERS])
    async def delivery_note_pdf(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
        coop_id: FromQuery[UUID | None] = None,
    ) -> Response[bytes]:
        notes = await documents.delivery_notes(actor, run_id, coop_id)
        zone = zone_of(notes)
        document = await to_thread.run_sync(pdf.delivery_notes, notes, language_of(request), zone)
        return pdf_response(document, f"foljesedel-{run_id}.pdf")

    @get("/routes/{route_id:uuid}/sheet", guards=[MANAGERS], media_type=HTML)
    async def route_sheet(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        route_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
    ) -> Response[str]:
        sheet = await documents.route_sheet(actor, run_id, route_id)
        links = {"back": f"/app/runs/{run_id}", "pdf": f"{request.url.path}.pdf"}
        return Response(html.route_sheet(sheet, language_of(request), links), media_type=HTML)

    @get("/routes/{route_id:uuid}/sheet.pdf", guards=[MANAGERS])
    async def route_sheet_pdf(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        route_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
    ) -> Response[bytes]:
        sheet = await documents.route_sheet(actor, run_id, route_id)
        document = await to_thread.run_sync(pdf.route_sheet, sheet, language_of(request))
        return pdf_response(document, f"korlista-{sheet.route_no}.pdf")
