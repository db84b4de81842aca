"""Every error leaves the API as RFC 9457 problem details, mapped here and nowhere else.

A problem's ``type`` is ``PROBLEM_TYPE_BASE`` and a stable code (a domain error's
``code``, or the HTTP status's in ``HTTP_CODES``): programs branch on it, and it is the
same in every language. ``title`` and ``detail`` are in the language the client asks
for (``Accept-Language``, English by default; under ``/app`` the page's language),
translated from the English msgids in the pages' catalogue; ``Content-Language`` says
which, and ``Vary: Accept-Language`` tells caches. The table of types is in
``docs/problems.md``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import (
    ExceptionHandlersMap,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Scope,
    Send,
)

from services.api.core.transient import MARKER
from services.api.web import error_page, i18n
from shared.errors import Phrase, SamlastError, ruled

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://samlast.org/problems/"
RESERVED = frozenset({"type", "title", "status", "detail", "instance", "headers", "request"})
API_LANGUAGE = "en"  # programs read the API: English unless Accept-Language prefers Swedish

# status → (the type's code, the English title): fixed here, not taken from the running
# Python's HTTPStatus phrases, which change between versions (413, 422 in 3.13)
HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad Request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not Found"),
    405: ("method-not-allowed", "Method Not Allowed"),
    406: ("not-acceptable", "Not Acceptable"),
    408: ("request-timeout", "Request Timeout"),
    409: ("conflict", "Conflict"),
    410: ("gone", "Gone"),
    411: ("length-required", "Length Required"),
    412: ("precondition-failed", "Precondition Failed"),
    413: ("request-entity-too-large", "Request Entity Too Large"),
    414: ("request-uri-too-long", "Request-URI Too Long"),
    415: ("unsupported-media-type", "Unsupported Media Type"),
    422: ("unprocessable-entity", "Unprocessable Entity"),
    428: ("precondition-required", "Precondition Required"),
    429: ("too-many-requests", "Too Many Requests"),
    431: ("request-header-fields-too-large", "Request Header Fields Too Large"),
    500: ("internal-server-error", "Internal Server Error"),
    501: ("not-implemented", "Not Implemented"),
    503: ("service-unavailable", "Service Unavailable"),
}
INVALID = ("invalid-request", "Invalid request")


def _http(status: int) -> tuple[str, str]:
    return HTTP_CODES.get(status, ("error", "Error"))


def language_for(path: str, cookie: str | None, accept_language: str | None) -> str:
    """The language a problem is written in: a page's own under ``/app`` (the switch,
    the browser, else Swedish), else what ``Accept-Language`` prefers, else English."""
    if path.startswith("/app"):
        return i18n.choose(cookie, accept_language)
    return i18n.negotiate(accept_language, API_LANGUAGE)


def _language(request: Request[Any, Any, Any]) -> str:
    return language_for(
        request.url.path,
        request.cookies.get(i18n.LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def document(
    language: str,
    status: int,
    code: str,
    title: str,
    message: str,
    values: Mapping[str, object] | None,
    instance: str,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The problem document: ``title`` and ``message`` (English msgids) in ``language``."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": i18n.translate(language, title),
        "status": status,
        "detail": i18n.translate(language, message, values),
        "instance": instance,
    }
    # an extra member never replaces the document's own (RFC 9457 section 3.2)
    body.update({key: value for key, value in extra.items() if key not in RESERVED})
    return body


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    title: str,
    message: str,
    values: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    language = _language(request)
    body = document(language, status, code, title, message, values, request.url.path, extra or {})
    return Response(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"},
    )


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    message: str,
    *,
    values: Mapping[str, object] | None = None,
    code: str | None = None,
    title: str | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extra: Any,
) -> None:
    """The same problem document, written by ASGI middleware that answers before the app;
    a page's request from a browser (under ``/app``) gets the error page instead."""
    path = str(scope.get("path", ""))
    language = language_for(
        path, _cookie(scope, i18n.LANG_COOKIE), _header(scope, b"accept-language")
    )
    fallback_code, fallback_title = _http(status)
    body = document(
        language,
        status,
        code or fallback_code,
        title or fallback_title,
        message,
        values,
        path,
        extra,
    )
    content_type, answer = PROBLEM_JSON.encode(), json.dumps(body).encode()
    page_headers: list[tuple[bytes, bytes]] = []
    if error_page.wants_a_page(path, _header(scope, b"accept")):
        # a person's form (a spreadsheet too large): a page, never raw JSON
        content_type = b"text/html; charset=utf-8"
        answer = error_page.error_html(language, status, body["detail"], path).encode()
        page_headers = [
            (b"content-security-policy", error_page.POLICY.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", content_type),
            (b"content-language", language.encode()),
            (b"vary", b"Accept-Language"),
            *page_headers,
            *(headers or []),
        ],
    }
    await send(start)
    chunk: HTTPResponseBodyEvent = {
        "type": "http.response.body",
        "body": answer,
        "more_body": False,
    }
    await send(chunk)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    for part in (_header(scope, b"cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _domain_error(request: Request[Any, Any, Any], exc: SamlastError) -> Response[dict[str, Any]]:
    # a 503 is always worth retrying: say when (RFC 9110 section 10.2.3)
    headers = {"Retry-After": "1"} if exc.status_code == 503 else None
    extra = exc.extra
    if isinstance(errors := extra.get("errors"), list):
        language = _language(request)
        extra = {**extra, "errors": [_said_error(language, error) for error in errors]}
    return problem(
        request,
        exc.status_code,
        exc.code,
        exc.title,
        exc.message,
        exc.values,
        headers,
        extra,
    )


def _said_error(language: str, error: object) -> object:
    """One of a problem's ``errors`` (an upload's bad row) with its message in ``language``."""
    if isinstance(error, dict) and isinstance(message := error.get("message"), str):
        return {**error, "message": said(language, message)}
    return error


def _validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    """Name every offending field: ``errors: [{field, source, message}]``, each message
    in the client's language where we know its words (ours, and msgspec's commonest)."""
    language = _language(request)
    errors = [
        {
            "field": _field(item),
            "source": item.get("source", "body"),
            "message": said(language, str(item.get("message", "invalid value"))),
        }
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    if not errors:
        return problem(request, exc.status_code, *INVALID, str(exc.detail))
    first = errors[0]
    if not first["field"]:
        return problem(
            request, exc.status_code, *INVALID, first["message"], extra={"errors": errors}
        )
    return problem(
        request,
        exc.status_code,
        *INVALID,
        "{message} at {source} field `{field}`",
        {
            "message": first["message"],
            "source": i18n.translate(language, "source:" + str(first["source"])),
            "field": first["field"],
        },
        extra={"errors": errors},
    )


# msgspec's own messages, as templates of the catalogue (``{0}`` the backticked name)
_MSGSPEC = (
    (re.compile(r"Expected `([^`]*)`, got `([^`]*)`"), "Expected `{0}`, got `{1}`"),
    (re.compile(r"Object missing required field `([^`]*)`"), "Object missing required field `{0}`"),
    (re.compile(r"Object contains unknown field `([^`]*)`"), "Object contains unknown field `{0}`"),
    (re.compile(r"Expected `([^`]*)` of length >= (\d+)"), "Expected `{0}` of length >= {1}"),
    (re.compile(r"Expected `([^`]*)` of length <= (\d+)"), "Expected `{0}` of length <= {1}"),
    (re.compile(r"Expected `([^`]*)` >= (\S+)"), "Expected `{0}` >= {1}"),
    (re.compile(r"Expected `([^`]*)` <= (\S+)"), "Expected `{0}` <= {1}"),
    (re.compile(r"Invalid enum value '([^']*)'"), "Invalid enum value '{0}'"),
)


def said(language: str, message: str) -> str:
    """A validation message in ``language``: ours are msgids of the catalogue; msgspec's
    commonest are matched whole and translated with their names kept, and so are the
    messages our request structs raise with values (``shared.errors.rule``)."""
    if isinstance(message, Phrase):
        return i18n.translate(language, message.message, message.values)
    if message in i18n.catalogue(language):
        return i18n.translate(language, message)
    for pattern, template in _MSGSPEC:
        if (match := pattern.fullmatch(message)) is not None:
            words = i18n.catalogue(language).get(template, template)
            try:
                return words.format(*match.groups())
            except (IndexError, KeyError, ValueError):
                return message
    if (found := ruled(message)) is not None:
        return i18n.translate(language, *found)
    return message


def _field(item: dict[str, Any]) -> str:
    """The field a validation error is about.

    Litestar names the body itself ``data``; a rule across fields (``__post_init__``)
    names its fields in backticks, and the first one named is the one to fix.
    """
    key = str(item.get("key", ""))
    if key not in {"", "data"}:
        return key
    named = _BACKTICKED.search(str(item.get("message", "")))
    return named.group(1) if named else ""


_BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_.\[\]]*)`")


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 401 and request.url.path.startswith("/app"):
        # a page asked for without signing in: to the sign-in form, not a JSON problem
        return Redirect(path="/app/sign-in", status_code=303)
    code, title = _http(exc.status_code)
    values = getattr(exc, "values", None)  # a refusal of ours that keeps its msgid apart
    return problem(request, exc.status_code, code, title, exc.detail, values, exc.headers)


def _integrity_error(
    request: Request[Any, Any, Any], exc: asyncpg.IntegrityConstraintViolationError
) -> Response[dict[str, Any]]:
    """A constraint the service layer should have caught first: still the client's 409."""
    constraint = getattr(exc, "constraint_name", None) or ""
    log.warning("constraint %s refused a write on %s", constraint, request.url.path)
    return problem(
        request,
        409,
        *_http(409),
        "the request conflicts with stored data",
        extra={"constraint": constraint},
    )


def _data_error(
    request: Request[Any, Any, Any], exc: asyncpg.DataError
) -> Response[dict[str, Any]]:
    """A value PostgreSQL cannot store (bad encoding, out of range): the client's 400."""
    log.warning("PostgreSQL refused a value on %s: %s", request.url.path, exc)
    return problem(
        request, 400, *INVALID, "a value could not be stored: {reason}", {"reason": str(exc)}
    )


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal-server-error",
        "Internal server error",
        "something went wrong on our side; it has been logged",
    )


def _transient_error(
    request: Request[Any, Any, Any], exc: asyncpg.exceptions.TransactionRollbackError
) -> Response[dict[str, Any]]:
    """40001 / 40P01: the transaction rolled back and may simply run again; the retry
    middleware does so, and only if every attempt failed does the client see this."""
    return problem(
        request,
        503,
        *_http(503),
        "the database could not fit this request between concurrent ones; retry it",
        headers={"Retry-After": "1", MARKER.decode(): "1"},
    )


def _database_lost(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """The connection to PostgreSQL broke mid-request (a restart, a failover, a backend
    terminated): the pool replaces it; whether a write committed is unknown, so the
    request is not replayed here, but the client may retry it (with its Idempotency-Key)."""
    log.warning("database connection lost on %s: %r", request.url.path, exc)
    return problem(
        request,
        503,
        *_http(503),
        "the connection to the database was lost; retry shortly",
        headers={"Retry-After": "1"},
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    asyncpg.exceptions.TransactionRollbackError: _transient_error,
    asyncpg.PostgresConnectionError: _database_lost,
    asyncpg.exceptions.AdminShutdownError: _database_lost,
    asyncpg.InterfaceError: _database_lost,
    asyncpg.InternalClientError: _database_lost,
    SamlastError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    asyncpg.IntegrityConstraintViolationError: _integrity_error,
    asyncpg.DataError: _data_error,
    Exception: _unexpected_error,
}
