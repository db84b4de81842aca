"""Optimistic concurrency: ``ETag`` on reads, ``If-Match`` required on edits."""

from __future__ import annotations

from typing import Annotated, TypeVar

from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.params import HeaderParameter

from shared.errors import PreconditionFailedError, PreconditionRequiredError

T = TypeVar("T")

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        max_length=100,
        description="The ETag from your last read; required on edits (428 without, 412 if stale).",
    ),
]

ETAG_HEADER = [
    ResponseHeader(name="ETag", description="Version of the object", documentation_only=True)
]
CREATED_HEADERS = [
    *ETAG_HEADER,
    ResponseHeader(name="Location", description="The new object's URL", documentation_only=True),
]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an edit expects; None for ``If-Match: *`` (any current version)."""
    if if_match is None:
        raise PreconditionRequiredError(
            "this edit needs an `If-Match` header carrying the ETag from your last read"
        )
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/")
    inner = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else ""
    if not (inner.isascii() and inner.isdigit()) or len(inner) > 9:
        raise PreconditionFailedError(
            "`If-Match: {value}` names no version of this object", values={"value": if_match[:40]}
        )
    return int(inner)


def with_etag(body: T, version: int, status_code: int = 200) -> Response[T]:
    return Response(body, status_code=status_code, headers={"ETag": etag(version)})


def created(body: T, location: str, version: int | None = None) -> Response[T]:
    """201 with the new object's ``Location`` (the URL to read it at) and ``ETag``."""
    headers = {"Location": location}
    if version is not None:
        headers["ETag"] = etag(version)
    return Response(body, status_code=201, headers=headers)
