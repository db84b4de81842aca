"""A catalogue import from a spreadsheet: CSV as Swedish spreadsheets save it.

Semicolon- or comma-separated, UTF-8 (with or without a BOM) or Windows-1252, weights
and volumes with a decimal comma. Every row is read into the API's own ``ProductIn``;
every bad row is reported, and the import stores all rows or none.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import msgspec

from services.api.core import numbers
from services.api.core.bulk import MAX_ROWS, BadUploadError, RowError
from services.api.products.schemas import ProductIn

# column (English or Swedish) -> ProductIn field, or a kg/l column read as grams/ml
COLUMNS = {
    "name": "name",
    "namn": "name",
    "produkt": "name",
    "unit": "unit",
    "enhet": "unit",
    "grams_per_unit": "grams_per_unit",
    "gram_per_enhet": "grams_per_unit",
    "ml_per_unit": "ml_per_unit",
    "ml_per_enhet": "ml_per_unit",
    "kg_per_unit": "kg_per_unit",
    "kg_per_enhet": "kg_per_unit",
    "l_per_unit": "l_per_unit",
    "l_per_enhet": "l_per_unit",
    "temperature": "temperature",
    "temperatur": "temperature",
    "category": "category",
    "kategori": "category",
}
UNITS = {"kg": "kg", "l": "l", "liter": "l", "piece": "piece", "st": "piece", "styck": "piece"}
TEMPERATURES = {
    "ambient": "ambient",
    "rumstemp": "ambient",
    "rumstempererad": "ambient",
    "chilled": "chilled",
    "kyl": "chilled",
    "kyld": "chilled",
    "frozen": "frozen",
    "frys": "frozen",
    "fryst": "frozen",
}
_SPACES = re.compile(r"[ \u00a0\u202f]")


def decode(body: bytes) -> str:
    """UTF-8 (a BOM dropped), else Windows-1252, as Excel saves a Swedish CSV."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def read_products(body: bytes) -> tuple[list[ProductIn], list[RowError]]:
    """The file's rows as products, and one error for each row that isn't one."""
    text = decode(body)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = [line for line in reader if any(cell.strip() for cell in line)]
    except csv.Error as exc:
        raise BadUploadError(
            "the file is not a CSV the import can read: {reason}", values={"reason": str(exc)}
        ) from None
    if not lines:
        raise BadUploadError("the file is empty")
    header = [cell.strip().casefold().replace(" ", "_") for cell in lines[0]]
    if unknown := [name for name in header if name not in COLUMNS]:
        raise BadUploadError(
            "unknown column(s) {unknown}; the columns are: {columns}",
            values={
                "unknown": ", ".join(repr(name[:40]) for name in unknown[:5]),
                "columns": "name (namn), unit (enhet), kg_per_unit or grams_per_unit, "
                "l_per_unit or ml_per_unit, temperature (temperatur), category (kategori)",
            },
        )
    if "name" not in {COLUMNS[name] for name in header}:
        raise BadUploadError("the file needs a column of names (name or namn)")
    rows = lines[1:]
    if not rows:
        raise BadUploadError("the file has no rows under its header")
    if len(rows) > MAX_ROWS:
        raise BadUploadError("at most {most} rows per import", values={"most": MAX_ROWS})
    items: list[ProductIn] = []
    errors: list[RowError] = []
    for number, cells in enumerate(rows, start=1):
        row = {COLUMNS[name]: cell.strip() for name, cell in zip(header, cells, strict=False)}
        try:
            items.append(msgspec.convert(_shape(row), ProductIn))
        except _CellError as exc:
            errors.append(RowError(row=number, field=exc.field, message=exc.message))
        except msgspec.ValidationError as exc:
            errors.append(RowError(row=number, field=_field(str(exc)), message=str(exc)))
    return items, errors


class _CellError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _shape(row: dict[str, str]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"name": row.get("name", "")}
    unit = row.get("unit", "").casefold()
    shaped["unit"] = UNITS.get(unit, unit)
    temperature = row.get("temperature", "").casefold()
    if temperature:
        shaped["temperature"] = TEMPERATURES.get(temperature, temperature)
    if row.get("category"):
        shaped["category"] = row["category"].casefold()
    shaped["grams_per_unit"] = _amount(row, "grams_per_unit", "kg_per_unit")
    shaped["ml_per_unit"] = _amount(row, "ml_per_unit", "l_per_unit")
    return shaped


def _amount(row: dict[str, str], whole: str, thousands: str) -> int:
    """Grams (or ml) from their own column, else from kg (or l) with a decimal comma."""
    if text := _SPACES.sub("", row.get(whole, "")):
        if not (text.isascii() and text.isdigit()) or len(text) > 10:
            raise _CellError(whole, "must be a whole number")
        return int(text)
    text = row.get(thousands, "")
    try:
        return numbers.thousandths(text)
    except numbers.NumberError:
        raise _CellError(whole if not text else thousands, "must be a number like 1,5") from None


def _field(message: str) -> str:
    found = re.search(r"`\$?\.?(\w+)`", message)
    return found.group(1) if found else ""
