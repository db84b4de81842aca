"""The printable documents in the API, beside their JSON and CSV: HTML to print and PDF.

In the language the caller asks for (``Accept-Language``: Swedish unless English is
preferred). Who sees what is as for the JSON: a producer its own pick list, a co-op its
own delivery note, once the run is published; coordinators all, and the route sheets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from anyio import to_thread
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from services.api.auth.guards import MANAGERS, NOTE_READERS, PICK_LIST_READERS
from services.api.core.openapi import StateDependentOperation
from services.api.deps import CurrentActor, Documents
from services.api.documents import html, pdf
from services.api.runs.controller import DOCUMENTS_NOTE
from services.api.web import i18n

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
DEFAULT_ZONE = "Europe/Stockholm"


def zone_of(parts: Sequence[Any]) -> str:
    """The time zone the documents' times are shown in: their network's (all of one
    run share it), or Stockholm's when there is nothing to show."""
    return str(parts[0].heading.zone) if parts else DEFAULT_ZONE


LANGUAGE_NOTE = " In the language `Accept-Language` asks for: Swedish (the default) or English."


def language_of(request: Request[Any, Any, Any]) -> str:
    return i18n.choose(None, request.headers.get("accept-language"))


def pdf_response(document: bytes, filename: str) -> Response[bytes]:
    return Response(
        document,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _pdf_link(request: Request[Any, Any, Any]) -> str:
    """The same document as PDF: ``.html`` → ``.pdf``, with the same query."""
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path.removesuffix(".html") + ".pdf" + query


class DocumentController(Controller):
    path = "/v1/runs/{run_id:uuid}"
    tags = ["runs"]

    @get(
        "/pick-lists.html",
        guards=[PICK_LIST_READERS],
        operation_class=StateDependentOperation,
        summary="The pick lists to print: each pack and how it is split, with crate labels",
        description=DOCUMENTS_NOTE.format(party="a producer", part="its own pick list")
        + LANGUAGE_NOTE
        + " Coordinators may ask for one producer's (`producer_id`).",
        media_type=HTML,
    )
    async def pick_lists_html(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
        producer_id: FromQuery[UUID | None] = None,
    ) -> Response[str]:
        lists = await documents.pick_lists(actor, run_id, producer_id)
        zone = zone_of(lists)
        links = {"pdf": _pdf_link(request)}
        return Response(html.pick_lists(lists, language_of(request), zone, links), media_type=HTML)

    @get(
        "/pick-lists.pdf",
        guards=[PICK_LIST_READERS],
        operation_class=StateDependentOperation,
        summary="The pick lists as PDF, a page of labels (3 × 8 on A4) after each",
        description=DOCUMENTS_NOTE.format(party="a producer", part="its own pick list")
        + LANGUAGE_NOTE
        + " Coordinators may ask for one producer's (`producer_id`).",
        media_type=PDF,
    )
    async def pick_lists_pdf(
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
        return pdf_response(document, f"pick-lists-{run_id}.pdf")

    @get(
        "/delivery-notes.html",
        guards=[NOTE_READERS],
        operation_class=StateDependentOperation,
        summary="The delivery notes to print: prices, amounts, what did not come and why, "
        "the transport share against delivering alone, totals",
        description=DOCUMENTS_NOTE.format(party="a co-op", part="its own delivery note")
        + LANGUAGE_NOTE
        + " Coordinators may ask for one co-op's (`coop_id`).",
        media_type=HTML,
    )
    async def delivery_notes_html(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
        coop_id: FromQuery[UUID | None] = None,
    ) -> Response[str]:
        notes = await documents.delivery_notes(actor, run_id, coop_id)
        zone = zone_of(notes)
        links = {"pdf": _pdf_link(request)}
        page = html.delivery_notes(notes, language_of(request), zone, links)
        return Response(page, media_type=HTML)

    @get(
        "/delivery-notes.pdf",
        guards=[NOTE_READERS],
        operation_class=StateDependentOperation,
        summary="The delivery notes as PDF, a note per co-op",
        description=DOCUMENTS_NOTE.format(party="a co-op", part="its own delivery note")
        + LANGUAGE_NOTE
        + " Coordinators may ask for one co-op's (`coop_id`).",
        media_type=PDF,
    )
    async def delivery_notes_pdf(
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
        return pdf_response(document, f"delivery-notes-{run_id}.pdf")

    @get(
        "/routes/{route_id:uuid}/sheet.html",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
        summary="A driver's printable route sheet (route ids: `GET /v1/runs/{run_id}/routes`)",
        description="Each stop with its time, address, phone and the goods for each co-op."
        + LANGUAGE_NOTE,
        media_type=HTML,
    )
    async def route_sheet_html(
        self,
        request: Request[Any, Any, Any],
        run_id: FromPath[UUID],
        route_id: FromPath[UUID],
        actor: CurrentActor,
        documents: Documents,
    ) -> Response[str]:
        sheet = await documents.route_sheet(actor, run_id, route_id)
        links = {"pdf": _pdf_link(request)}
        return Response(html.route_sheet(sheet, language_of(request), links), media_type=HTML)

    @get(
        "/routes/{route_id:uuid}/sheet.pdf",
        guards=[MANAGERS],
        operation_class=StateDependentOperation,
        summary="A driver's route sheet as PDF",
        description="As `sheet.html`." + LANGUAGE_NOTE,
        media_type=PDF,
    )
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
        return pdf_response(document, f"route-{sheet.heading.plan}-{sheet.route_no}.pdf")
