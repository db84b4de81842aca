"""JSON bodies are decoded strictly: ``0`` is not a date, ``"1"`` is not a number, ``0`` is
not ``false``.

Litestar converts request data with msgspec in lax mode (right for query strings, where
everything arrives as text). For JSON bodies we re-decode against the handler's ``data``
type with ``strict=True`` before the handler runs, so what the OpenAPI document calls
invalid is refused with a 400 naming the field. A body declared as anything but JSON
is refused with 415 before it is read, and bytes that are not UTF-8 with 400.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, ValidationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

from shared.errors import SamlastError


class UnsupportedMediaTypeError(SamlastError):
    status_code = HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "unsupported-media-type"
    title = "Unsupported Media Type"


_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
# msgspec reports a missing or unknown field at the object holding it; name the field
_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]*)`")


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    """before_request hook for every handler that takes a JSON ``data`` body."""
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return
    declared = request.headers.get("content-type", "application/json")
    media_type = declared.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaTypeError(
            "send the body as application/json, not {media_type}",
            values={"media_type": media_type or "nothing"},
        )
    body = await request.body()
    try:
        decode_json(body, field.annotation)
    except UnicodeDecodeError as exc:
        raise SamlastError(
            "the body is not valid UTF-8 (byte {byte}); JSON must be UTF-8",
            values={"byte": exc.start},
        ) from None
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _PATH.search(message)
        key = match.group(1) if match else ""
        text = message[: match.start()] if match else message
        if named := _NAMED.match(text):
            key = f"{key}.{named.group(1)}" if key else named.group(1)
        _refuse(request, key, text)
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar's own decoding answers 400 for it
    if b"\\u0000" in body and (where := find_nul(decode_json(body), "")) is not None:
        _refuse(request, where, "text may not contain the NUL character (\\u0000)")


def decode_json(body: bytes, type: Any = Any, *, strict: bool = True) -> Any:
    """msgspec's decoding, with nesting too deep for it (it recurses) the client's 400."""
    try:
        return msgspec.json.decode(body, type=type, strict=strict)
    except RecursionError:
        raise ClientException("the JSON is nested too deeply") from None


def find_nul(value: Any, path: str) -> str | None:
    """The path of the first string holding a NUL, which PostgreSQL text cannot store.

    Walked with a stack of its own, not by recursion: however deep the value, the
    work is one visit per item."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
            continue
        children = (
            item.items()
            if isinstance(item, dict)
            else enumerate(item)
            if isinstance(item, list)
            else ()
        )
        found = []
        for name, child in children:
            if isinstance(name, str) and "\x00" in name:
                return where
            found.append((f"{where}.{name}" if where else str(name), child))
        stack.extend(reversed(found))
    return None


def _refuse(request: Request[Any, Any, Any], key: str, message: str) -> NoReturn:
    raise ValidationException(
        detail=f"Validation failed for {request.method} {request.url.path}",
        extra=[{"message": message, "key": key or "data", "source": "body"}],
    )
