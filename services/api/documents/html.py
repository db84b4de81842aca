"""The documents as printable HTML pages, in the reader's language.

Each page carries its style (``documents.css``) in one ``<style>`` block, so a saved copy
prints the same; the pages' Content-Security-Policy admits exactly that text by its hash
(``DOCUMENT_STYLE`` is handed to ``page_policy``). No script: printing is the browser's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.api.documents.model import NoteDocument, PickList, SheetDocument
from services.api.documents.words import Words

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "documents"
TEMPLATES = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)
DOCUMENT_STYLE = Markup((TEMPLATE_DIR / "documents.css").read_text())  # noqa: S704 - our file


def pick_lists(lists: list[PickList], language: str, zone: str, links: dict[str, str]) -> str:
    return _render("pick_list.html", language, zone, links, lists=lists)


def delivery_notes(
    notes: list[NoteDocument], language: str, zone: str, links: dict[str, str]
) -> str:
    return _render("delivery_note.html", language, zone, links, notes=notes)


def route_sheet(sheet: SheetDocument, language: str, links: dict[str, str]) -> str:
    return _render("route_sheet.html", language, sheet.heading.zone, links, sheet=sheet)


def _render(name: str, language: str, zone: str, links: dict[str, str], **values: Any) -> str:
    words = Words(language, zone)
    return TEMPLATES.get_template(name).render(
        lang=language, _=words, w=words, style=DOCUMENT_STYLE, links=links, **values
    )
