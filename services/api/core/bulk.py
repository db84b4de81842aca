"""Bulk uploads: a CSV (as co-ops export from spreadsheets) or a JSON array, all or nothing.

Rows are checked one by one and every bad row is reported (``row``, ``field``,
``message``); if any row is bad, nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from services.api.core.strict_body import decode_json, find_nul
from shared.errors import Phrase, SamlastError, UnprocessableError

MAX_ROWS = 10_000
T = TypeVar("T")

UPLOAD_DESCRIPTION = (
    "A CSV with a header row (UTF-8, comma-separated; `Content-Type: text/csv`), or a JSON "
    f"array of objects (`Content-Type: application/json`). At most {MAX_ROWS:,} rows."
)


@dataclass
class UploadOperation(Operation):
    """OpenAPI for upload routes, which read the raw body themselves (CSV or JSON).

    Subclasses name the CSV columns and the struct each JSON item must match;
    ``finish_openapi`` points the JSON items at that struct's schema.
    """

    csv_columns = ""
    json_item: type[Any] | None = None

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=f"{UPLOAD_DESCRIPTION}\n\n{self.csv_columns}",
            content={
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.ARRAY,
                        items=Schema(type=OpenAPIType.OBJECT),
                        max_items=MAX_ROWS,
                    )
                ),
            },
        )


_PATH = re.compile(r" - at `\$(?:\[\d+\])?\.?([^`]*)`$")


class RowError(msgspec.Struct, kw_only=True):
    row: int  # 1-based: the first data row of a CSV (after its header) is row 1
    field: str
    message: str


class BulkResult(msgspec.Struct, kw_only=True):
    created: int
    ids: list[UUID]


class BadUploadError(SamlastError):
    """The upload as a whole could not be read."""

    status_code = 400
    code = "bad-upload"
    title = "Bad upload"


class UnsupportedUploadError(SamlastError):
    status_code = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


def read_rows(body: bytes, content_type: str, csv_columns: frozenset[str]) -> list[dict[str, Any]]:
    """The rows of a JSON array or a CSV file, as dicts of field -> value."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in {"application/json", "text/csv"}:
        raise UnsupportedUploadError(
            "send `Content-Type: text/csv` or `application/json`, not `{media_type}`",
            values={"media_type": media_type[:80]},
        )
    if media_type == "application/json":
        try:
            rows: list[dict[str, Any]] = decode_json(body)
        except msgspec.DecodeError as exc:
            raise BadUploadError(
                "the JSON is malformed: {reason}", values={"reason": str(exc)}
            ) from None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise BadUploadError("send a JSON array of objects, one per row")
    else:
        rows = _csv_rows(body, csv_columns)
    if not rows:
        raise BadUploadError("the upload has no rows")
    if len(rows) > MAX_ROWS:
        raise BadUploadError(
            "at most {most} rows per upload; this one has {rows}",
            values={"most": MAX_ROWS, "rows": len(rows)},
        )
    return rows


def _csv_rows(body: bytes, columns: frozenset[str]) -> list[dict[str, Any]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadUploadError(
            "the CSV is not UTF-8 (byte {byte})", values={"byte": exc.start}
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise BadUploadError(
            "the CSV header is malformed: {reason}", values={"reason": str(exc)}
        ) from None
    if unknown := [name for name in header if name not in columns]:
        raise BadUploadError(
            "unknown column(s) {unknown}; the columns are: {columns}",
            values={
                "unknown": ", ".join(repr(name[:40]) for name in unknown[:5]),
                "columns": ", ".join(sorted(columns)),
            },
        )
    try:
        rows = [
            {key.strip(): value.strip() for key, value in row.items() if value and value.strip()}
            for row in reader
        ]
    except (csv.Error, AttributeError) as exc:
        raise BadUploadError(
            "the CSV is malformed near line {line}: {reason}",
            values={"line": reader.line_num, "reason": str(exc)},
        ) from None
    if reader.fieldnames is None:
        raise BadUploadError("the CSV needs a header row naming its columns")
    return rows


def convert_rows(
    rows: list[dict[str, Any]], target: type[T], shape: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[list[T], list[RowError]]:
    """Validate every row into ``target``; collect one error per bad row."""
    items: list[T] = []
    errors: list[RowError] = []
    for number, row in enumerate(rows, start=1):
        try:
            if (where := find_nul(row, "")) is not None:
                raise InvalidRowError(where, "text may not contain the NUL character")
            items.append(msgspec.convert(shape(row), target, strict=False))
        except msgspec.ValidationError as exc:
            errors.append(_row_error(number, str(exc)))
        except InvalidRowError as exc:
            errors.append(RowError(row=number, field=exc.field, message=exc.message))
    return items, errors


class InvalidRowError(Exception):
    """Raised by a row shaper for a problem msgspec cannot see (e.g. an unknown product);
    its message is an English msgid, said in the reader's language when refused."""

    def __init__(self, field: str, message: str, values: dict[str, object] | None = None) -> None:
        self.message = Phrase(message, values) if values else message
        super().__init__(self.message)
        self.field = field


def _row_error(number: int, message: str) -> RowError:
    match = _PATH.search(message)
    field = match.group(1) if match else ""
    text = message[: match.start()] if match else message
    return RowError(row=number, field=field, message=text)


def refuse(errors: list[RowError]) -> None:
    if errors:
        raise UnprocessableError(
            "{n} row(s) have errors; nothing was stored",
            values={"n": len(errors)},
            errors=[msgspec.structs.asdict(error) for error in errors[:1000]],
            error_count=len(errors),
        )
