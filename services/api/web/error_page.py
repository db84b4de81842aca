"""The error page for answers given before the app runs (a body too large or too slow
for a page's form): the same page as the app's own (``web/error.html``), in the page's
language, with a way back, so a person never reads raw problem JSON.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.api.web import i18n

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
# What the page says first, per status; the problem's own detail follows it.
HEADLINES = {
    400: "Something sent could not be read",
    401: "Sign in first",
    403: "You may not do this",
    404: "There is nothing here",
    405: "This page can't be used that way",
    408: "That took too long to arrive; send it again",
    409: "That clashes with what is already stored",
    410: "This link has been used, withdrawn or has expired",
    412: "Someone changed this meanwhile",
    413: "That is too large to send",
    422: "Something needs fixing",
    429: "Too many attempts; wait a minute and try again",
    503: "Samlast is busy just now; try again in a moment",
}
FALLBACK = "Something went wrong on our side; it has been noted"
# the app's pages' policy without the map tiles and inline styles this page never uses
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"])
    )


def wants_a_page(path: str, accept: str | None) -> bool:
    """A page's request, from a browser: not a program that asked for JSON."""
    accept = accept or ""
    return path.startswith("/app") and not ("json" in accept and "html" not in accept)


def error_html(language: str, status: int, detail: str, path: str) -> str:
    """The error page: its headline, the problem's detail (already in ``language``), and
    a way back to the start page."""
    return (
        _templates()
        .get_template("web/error.html")
        .render(
            lang=language,
            _=i18n.gettext_for(language),
            path=path,
            signed_in=False,
            headline=HEADLINES.get(status, FALLBACK),
            detail=detail if status < 500 else "",
            status=status,
            back="/app",
        )
    )
