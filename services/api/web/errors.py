"""Errors on the pages as pages: in the reader's language, with a way back.

The API's exception handlers (``core/problems``) answer every error with RFC 9457
problem JSON. Under ``/app`` a person, not a program, reads the answer, so the same
handlers are wrapped here: the problem becomes a page with the same status and
headers (a ``Retry-After`` stays), unless the caller asked for JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.types import ExceptionHandlersMap

from services.api.web.error_page import FALLBACK, HEADLINES, wants_a_page
from services.api.web.pages import page

Req = Request[Any, Any, Any]
Handler = Callable[[Req, Any], Response[Any]]

KEPT_HEADERS = ("retry-after", "allow")


def for_pages(handlers: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """``handlers``, each answering a page's request with a page instead of JSON."""
    return {exc: _paged(handler) for exc, handler in handlers.items()}


def _paged(handler: Any) -> Handler:
    def handle(request: Req, exc: Any) -> Response[Any]:
        response: Response[Any] = handler(request, exc)
        if not _for_a_person(request) or not isinstance(response.content, dict):
            return response
        status = response.status_code or 500
        return error_page(request, status, response.content, response.headers)

    return handle


def _for_a_person(request: Req) -> bool:
    return wants_a_page(request.url.path, request.headers.get("accept"))


def error_page(
    request: Req, status: int, problem: dict[str, Any], headers: Any = None
) -> Response[Any]:
    answer = page(
        request,
        "error",
        status_code=status,
        headline=HEADLINES.get(status, FALLBACK),
        detail=str(problem.get("detail", "")) if status < 500 else "",
        status=status,
        back=_back(request),
        signed_in=request.scope.get("user") is not None,
    )
    for name in KEPT_HEADERS:
        if headers is not None and name in headers:
            answer.headers[name] = headers[name]
    return answer


def _back(request: Req) -> str:
    """Where the person came from on this site, else the start page."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc == request.url.netloc and parts.path.startswith("/app"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/app"
