"""Every error leaves the API as RFC 9457 problem details, mapped here and nowhere else."""

from __future__ import annotations

import json
import logging
import re
from http import HTTPStatus
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
from shared.errors import SamlastError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://samlast.org/problems/"
RESERVED = frozenset({"type", "title", "status", "detail", "instance", "headers", "request"})


def problem(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extra: Any,
) -> None:
    """The same problem document, written by ASGI middleware that answers before the app."""
    title = title or _reason(status)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope.get("path", ""),
        **extra,
    }
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", PROBLEM_JSON.encode()), *(headers or [])],
    }
    await send(start)
    chunk: HTTPResponseBodyEvent = {
        "type": "http.response.body",
        "body": json.dumps(body).encode(),
        "more_body": False,
    }
    await send(chunk)


def _domain_error(request: Request[Any, Any, Any], exc: SamlastError) -> Response[dict[str, Any]]:
    # a 503 is always worth retrying: say when (RFC 9110 section 10.2.3)
    headers = {"Retry-After": "1"} if exc.status_code == 503 else None
    # an extra member never replaces the document's own (RFC 9457 section 3.2)
    extra = {key: value for key, value in exc.extra.items() if key not in RESERVED}
    return problem(request, exc.status_code, exc.title, exc.detail, headers, **extra)


def _validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    """Name every offending field: ``errors: [{field, source, message}]``."""
    errors = [
        {
            "field": _field(item),
            "source": item.get("source", "body"),
            "message": item.get("message", "invalid value"),
        }
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    if errors:
        first = errors[0]
        where = f" at {first['source']} field `{first['field']}`" if first["field"] else ""
        detail = f"{first['message']}{where}"
    else:
        detail = exc.detail
    return problem(request, exc.status_code, "Invalid request", detail, errors=errors)


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
    title = _reason(exc.status_code)
    return problem(request, exc.status_code, title, exc.detail, headers=exc.headers)


def _integrity_error(
    request: Request[Any, Any, Any], exc: asyncpg.IntegrityConstraintViolationError
) -> Response[dict[str, Any]]:
    """A constraint the service layer should have caught first: still the client's 409."""
    constraint = getattr(exc, "constraint_name", None) or ""
    log.warning("constraint %s refused a write on %s", constraint, request.url.path)
    return problem(
        request, 409, "Conflict", "the request conflicts with stored data", constraint=constraint
    )


def _data_error(
    request: Request[Any, Any, Any], exc: asyncpg.DataError
) -> Response[dict[str, Any]]:
    """A value PostgreSQL cannot store (bad encoding, out of range): the client's 400."""
    log.warning("PostgreSQL refused a value on %s: %s", request.url.path, exc)
    return problem(request, 400, "Invalid request", f"a value could not be stored: {exc}")


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal server error",
        "something went wrong on our side; it has been logged",
    )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _transient_error(
    request: Request[Any, Any, Any], exc: asyncpg.exceptions.TransactionRollbackError
) -> Response[dict[str, Any]]:
    """40001 / 40P01: the transaction rolled back and may simply run again; the retry
    middleware does so, and only if every attempt failed does the client see this."""
    return problem(
        request,
        503,
        _reason(503),
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
        _reason(503),
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
