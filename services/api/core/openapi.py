"""Finishing touches on the generated OpenAPI document, so it says what the API really does.

Litestar documents the happy path. Here every operation also gets the problem
responses it can give (401, 403, 404, 409, 412, 422, 428, 429, …, all
``application/problem+json``), request structs that refuse unknown fields say
``additionalProperties: false``, and local times (``HH:MM:SS``) get their real
pattern instead of the ``duration`` format Litestar gives ``datetime.time``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
)

from services.api.core.bulk import UploadOperation
from services.api.core.idempotency import MAX_KEY_LENGTH
from services.api.core.problems import PROBLEM_JSON
from services.api.core.types import Input

LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
PROBLEM_SCHEMA = "Problem"
DESCRIPTIONS = {
    400: "The request is malformed or a field is invalid (named in `errors`)",
    401: "No valid token",
    403: "Your role may not do this",
    404: "No such object, or not yours to see",
    409: (
        "Conflicts with the object's state (e.g. the cycle closed), or a retry in flight;"
        " `location-required`: your organisation needs a place before ordering or offering"
    ),
    412: "`If-Match` names a version that is no longer current",
    413: "The body is too large",
    422: "Well-formed, but breaks a rule (per-row `errors` for uploads)",
    415: "The body is not in a media type this operation takes (uploads: `text/csv` or "
    "`application/json`; everything else: `application/json`)",
    428: "This edit needs `If-Match`",
    429: "Too many requests for this organisation, or refused credentials from this address",
    503: "Concurrent requests kept colliding in the database; retry after `Retry-After`",
}
WRITES = {"post", "put", "patch", "delete"}
RETRY_HEADER: dict[str, OpenAPIHeader | Reference] = {
    "Retry-After": OpenAPIHeader(
        description="Seconds until you may retry",
        schema=Schema(type=OpenAPIType.INTEGER, minimum=0),
    )
}
_SECONDS = Schema(type=OpenAPIType.INTEGER, minimum=0)
LANGUAGE_HEADER: dict[str, OpenAPIHeader | Reference] = {
    "Content-Language": OpenAPIHeader(
        description="The language of `title` and `detail`: `en`, or `sv` when "
        "`Accept-Language` prefers Swedish",
        schema=Schema(type=OpenAPIType.STRING, enum=["en", "sv"]),
    )
}
RATE_LIMIT_HEADERS: dict[str, OpenAPIHeader | Reference] = {
    "Retry-After": OpenAPIHeader(description="Seconds until you may retry", schema=_SECONDS),
    "RateLimit-Limit": OpenAPIHeader(
        description="Requests allowed per window (sent on every answer)", schema=_SECONDS
    ),
    "RateLimit-Remaining": OpenAPIHeader(
        description="Requests left in this window (sent on every answer)", schema=_SECONDS
    ),
    "RateLimit-Reset": OpenAPIHeader(
        description="Seconds until the window resets (sent on every answer)", schema=_SECONDS
    ),
}


def finish_openapi(app: Litestar) -> None:
    schema = app.openapi_schema
    components = schema.components
    components.schemas = components.schemas or {}
    components.schemas[PROBLEM_SCHEMA] = _problem_schema()
    inputs = {cls.__name__ for cls in _subclasses(Input)}
    for name, component in components.schemas.items():
        if isinstance(component, Schema):
            if name.rsplit("_", 1)[-1] in inputs:
                component.additional_properties = False
            _fix_times(component)
    for method, operation in _operations(schema):
        _require_if_match(operation)
        signed = {"HttpSignature": []} in (operation.security or [])  # peers: a nonce instead
        if method == "post" and operation.security != [{}] and not signed:
            _add_idempotency(operation)
        if isinstance(operation, UploadOperation) and operation.json_item is not None:
            _point_items_at(operation, operation.json_item.__name__, components.schemas)
        _add_problems(method, operation)
        _describe_created(operation)


def _require_if_match(operation: Operation) -> None:
    """The handler reads ``If-Match`` itself so that a missing one is a 428, not a 400;
    to a client it is required, and the document says so."""
    for parameter in operation.parameters or []:
        if isinstance(parameter, Parameter) and parameter.name.lower() == "if-match":
            parameter.required = True


def _add_idempotency(operation: Operation) -> None:
    operation.parameters = [
        *(operation.parameters or []),
        Parameter(
            name="Idempotency-Key",
            param_in="header",
            required=False,
            description=(
                "Any unique string per intended write (a UUID is ideal). A retry with the "
                "same key and body gets the first answer again, marked "
                "`Idempotent-Replayed: true`; the same key with another body is a 422, "
                "and while the first is still running, a 409."
            ),
            schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=MAX_KEY_LENGTH),
        ),
    ]
    for code, response in (operation.responses or {}).items():
        if code.startswith("2") and isinstance(response, OpenAPIResponse):
            response.headers = {
                **(response.headers or {}),
                "Idempotent-Replayed": OpenAPIHeader(
                    description="`true` when this is the stored answer to an earlier request",
                    schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
                ),
            }


def _point_items_at(operation: Operation, name: str, schemas: dict[str, Any]) -> None:
    """An upload's JSON items are the same struct its one-at-a-time route takes."""
    matches = [key for key in schemas if key == name or key.endswith("_" + name)]
    body = operation.request_body
    if len(matches) == 1 and body is not None and not isinstance(body, Reference):
        media = body.content["application/json"]
        if isinstance(media.schema, Schema):
            media.schema.items = Reference(ref=f"#/components/schemas/{matches[0]}")


def _describe_created(operation: Operation) -> None:
    created = (operation.responses or {}).get("201")
    if isinstance(created, OpenAPIResponse):
        created.description = "Created"


def _operations(schema: OpenAPI) -> Iterator[tuple[str, Operation]]:
    for item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is not None:
                yield method, operation


class StateDependentOperation(Operation):
    """A read that only makes sense in some states of its object (a run's result before
    the run has one): it may answer 409, which ``_add_problems`` documents."""


def _add_problems(method: str, operation: Operation) -> None:
    public = operation.security == [{}]
    token_optional = not public and {} in (operation.security or [])
    parameters = [p for p in operation.parameters or [] if isinstance(p, Parameter)]
    codes = set()
    if token_optional:  # public, but a token sent is checked (and may be refused)
        codes.add(401)
    elif not public:
        codes |= {401, 403, 429}
    if any(p.param_in == "path" or p.name == "network_id" for p in parameters):
        codes.add(404)  # the object, or the network a list is filtered by, is not yours
    if parameters or operation.request_body is not None:
        codes.add(400)
    if method in WRITES and not public:
        codes |= {404, 409, 422, 503}
    if operation.request_body is not None:
        codes |= {413, 415}
    if isinstance(operation, StateDependentOperation):
        codes.add(409)
    if any(p.name.lower() == "if-match" for p in parameters):
        codes |= {412, 428}
    responses = operation.responses or {}
    for code in sorted(codes):
        responses[str(code)] = OpenAPIResponse(
            description=DESCRIPTIONS[code],
            content={
                PROBLEM_JSON: OpenAPIMediaType(
                    schema=Reference(ref=f"#/components/schemas/{PROBLEM_SCHEMA}")
                )
            },
            headers={
                **LANGUAGE_HEADER,
                **(RATE_LIMIT_HEADERS if code == 429 else RETRY_HEADER if code == 503 else {}),
            },
        )
    operation.responses = responses


def _problem_schema() -> Schema:
    text = Schema(type=OpenAPIType.STRING)
    return Schema(
        type=OpenAPIType.OBJECT,
        description=(
            "RFC 9457 problem details. `type` is stable, the same in every language: branch on"
            " it (the table in docs/problems.md). `title` and `detail` are in the language"
            " `Accept-Language` prefers, English unless Swedish (`sv`) is preferred."
        ),
        required=["type", "title", "status"],
        properties={
            "type": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.URI,
                description="`https://samlast.org/problems/` and a code, e.g. `not-found`,"
                " `location-required`",
            ),
            "title": Schema(
                type=OpenAPIType.STRING, description="The kind of problem, in the client's language"
            ),
            "status": Schema(type=OpenAPIType.INTEGER),
            "detail": Schema(
                type=OpenAPIType.STRING, description="What happened here, in the client's language"
            ),
            "instance": text,
            "field": Schema(
                type=OpenAPIType.STRING, description="The field at fault, as a JSON path"
            ),
            "row": Schema(type=OpenAPIType.INTEGER, description="Upload row (1 = first data row)"),
            "errors": Schema(
                type=OpenAPIType.ARRAY,
                description="Every field (and for uploads, every row) at fault",
                items=Schema(
                    type=OpenAPIType.OBJECT,
                    required=["field", "message"],
                    properties={
                        "field": text,
                        "message": text,
                        "source": Schema(
                            type=OpenAPIType.STRING, description="body, query, header, …"
                        ),
                        "row": Schema(type=OpenAPIType.INTEGER),
                    },
                ),
            ),
            "error_count": Schema(
                type=OpenAPIType.INTEGER, description="Rows at fault in an upload"
            ),
            "constraint": text,
        },
    )


def _fix_times(schema: Schema) -> None:
    """Walk a schema; ``datetime.time`` is documented as a duration by Litestar."""
    if schema.format is not None and getattr(schema.format, "value", schema.format) == "duration":
        schema.format = None
        schema.pattern = LOCAL_TIME_PATTERN
    children: list[Any] = [
        *(schema.properties or {}).values(),
        *(schema.one_of or []),
        *(schema.any_of or []),
        schema.items,
    ]
    for child in children:
        if isinstance(child, Schema):
            _fix_times(child)


def _subclasses(cls: type[Any]) -> Iterator[type[Any]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
