"""Reading a co-op's demand upload: a spreadsheet's CSV or JSON objects → ``DemandLineIn``.

CSV as Swedish spreadsheets save it: semicolon- or comma-separated, UTF-8 (with or
without a byte order mark) or Windows-1252, a decimal comma, Swedish or English column
names. Amounts are in kg, l or st and converted exactly into the product's catalogue
units (``amounts.py``); prices are in kronor per kg, l or st. The API's own columns
(``firm_quantity``, ``tolerance`` in catalogue units, ``max_unit_price_ore``) are read
too. Every bad row is reported, and nothing is stored unless all rows are good.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from uuid import UUID

from msgspec.structs import replace

from services.api.core import numbers
from services.api.core.bulk import (
    MAX_ROWS,
    BadUploadError,
    InvalidRowError,
    UnsupportedUploadError,
    UploadOperation,
    convert_rows,
    read_rows,
    refuse,
)
from services.api.demand import amounts
from services.api.demand.schemas import DemandLineIn
from shared.errors import Phrase

Say = Callable[..., str]

# a column as a spreadsheet heads it (case and spaces aside) → the field it fills
COLUMNS = {
    "product": "product",
    "produkt": "product",
    "vara": "product",
    "product_id": "product",
    "quantity": "quantity",
    "amount": "quantity",
    "mängd": "quantity",
    "antal": "quantity",
    "extra": "extra",
    "extra_we_accept": "extra",
    "extra_vi_tar_emot": "extra",
    "max_price": "max_price",
    "max_price_kr": "max_price",
    "maxpris": "max_price",
    "maxpris_kr": "max_price",
    "deliver_from": "deliver_from",
    "leverans_från": "deliver_from",
    "deliver_until": "deliver_until",
    "leverans_till": "deliver_until",
    # the API's own: whole catalogue units and öre
    "firm_quantity": "firm_quantity",
    "tolerance": "tolerance",
    "max_unit_price_ore": "max_unit_price_ore",
}

CSV_HELP = (
    "CSV as a spreadsheet saves it: semicolon- or comma-separated, UTF-8 (a byte order mark "
    "or none) or Windows-1252, decimal comma or point. Columns, in English or Swedish: "
    "`product` / `produkt` (the product's name in the cycle's network, or its id); "
    "`quantity` / `mängd` (kg, l or st, e.g. `1,5`: a whole number of the product's "
    "catalogue units); optional: `extra` / `extra_vi_tar_emot` (likewise), `max_price` / "
    "`maxpris` (kronor per kg, l or st), `deliver_from` / `leverans_från` and "
    "`deliver_until` / `leverans_till` (HH:MM). Instead of `quantity`, `extra` and "
    "`max_price`, `firm_quantity` and `tolerance` (catalogue units) and `max_unit_price_ore` "
    "are read too. Each row is one line (a product may have several); the upload replaces "
    "all lines with new ones, new ids too (to keep ids, use `PUT .../lines`). JSON items are "
    "lines "
    "exactly as `PUT /v1/demand-rounds/{round_id}/lines` takes them."
)

TEMPLATE_HEADER = {
    "sv": ["produkt", "mängd", "extra_vi_tar_emot", "maxpris", "leverans_från", "leverans_till"],
    "en": ["product", "quantity", "extra", "max_price", "deliver_from", "deliver_until"],
}


class DemandUploadOperation(UploadOperation):
    csv_columns = CSV_HELP
    json_item = DemandLineIn


class Product(NamedTuple):
    name: str
    measure: amounts.Measure


class Catalogue(NamedTuple):
    """The network's products by id (retired ones too), and the current ones by name."""

    products: Mapping[UUID, Product]
    names: Mapping[str, UUID]  # casefolded


def plain(text: str, **values: object) -> str:
    """The API's words: English, the values put in, with the msgid kept apart so the
    problem says them in the language the client asks for."""
    return Phrase(text, values) if values else text


def read_lines(
    body: bytes, content_type: str, catalogue: Catalogue, say: Say = plain
) -> list[DemandLineIn]:
    """The upload's lines, or every bad row's error (in ``say``'s language: the pages
    pass their own)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        rows = read_rows(body, content_type, frozenset())
        lines, errors = convert_rows(rows, DemandLineIn, lambda row: row)
    elif media_type == "text/csv":
        # a row naming only a product (as the template lists them) orders nothing
        numbered = [
            (number, row)
            for number, row in enumerate(spreadsheet_rows(body), start=1)
            if set(row) - {"product"}
        ]
        if not numbered:
            raise BadUploadError("no row orders anything: fill in the quantities")
        lines, errors = convert_rows(
            [row for _, row in numbered],
            DemandLineIn,
            lambda row: _shape_csv_row(row, catalogue, say),
        )
        errors = [replace(e, row=numbered[e.row - 1][0]) for e in errors]
    else:
        raise UnsupportedUploadError(
            "send `Content-Type: text/csv` or `application/json`, not `{media_type}`",
            values={"media_type": media_type[:80]},
        )
    refuse(errors)
    return lines


def decode(body: bytes) -> str:
    """UTF-8 (a byte order mark dropped), else Windows-1252, as Excel saves a Swedish CSV."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def spreadsheet_rows(body: bytes) -> list[dict[str, str]]:
    """The CSV's rows as field → cell (empty cells left out), its columns checked."""
    text = decode(body)
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = [line for line in reader if any(cell.strip() for cell in line)]
    except csv.Error as exc:
        raise BadUploadError(
            "the CSV is malformed near line {line}: {reason}",
            values={"line": reader.line_num, "reason": str(exc)},
        ) from None
    if not lines:
        raise BadUploadError("the upload has no rows")
    header = [cell.strip().casefold().replace(" ", "_") for cell in lines[0]]
    if unknown := [name for name in header if name not in COLUMNS]:
        raise BadUploadError(
            "unknown column(s) {unknown}; the columns are: {columns}",
            values={
                "unknown": ", ".join(repr(name[:40]) for name in unknown[:5]),
                "columns": "product (produkt), quantity (mängd), extra (extra_vi_tar_emot), "
                "max_price (maxpris), deliver_from (leverans_från), deliver_until "
                "(leverans_till); or firm_quantity, tolerance, max_unit_price_ore",
            },
        )
    fields = [COLUMNS[name] for name in header]
    if len(set(fields)) != len(fields):
        raise BadUploadError("a column is named twice (in English and in Swedish?)")
    if "product" not in fields:
        raise BadUploadError("the CSV needs a column of products (product or produkt)")
    rows = lines[1:]
    if not rows:
        raise BadUploadError("the upload has no rows")
    if len(rows) > MAX_ROWS:
        raise BadUploadError(
            "at most {most} rows per upload; this one has {rows}",
            values={"most": MAX_ROWS, "rows": len(rows)},
        )
    return [
        {field: cell.strip() for field, cell in zip(fields, cells, strict=False) if cell.strip()}
        for cells in rows
    ]


def _shape_csv_row(row: dict[str, str], catalogue: Catalogue, say: Say) -> dict[str, Any]:
    product_id = _product(row.get("product", ""), catalogue, say)
    product = catalogue.products[product_id]
    shaped: dict[str, Any] = {
        key: row[key] for key in ("firm_quantity", "tolerance", "max_unit_price_ore") if key in row
    }
    shaped["product_id"] = str(product_id)
    for column, field in (("quantity", "firm_quantity"), ("extra", "tolerance")):
        if column in row:
            shaped[field] = _units(row[column], column, product, say)
    if "max_price" in row:
        try:
            per_measure = numbers.kronor_to_ore(row["max_price"])
        except numbers.NumberError:
            raise InvalidRowError(
                "max_price",
                say(
                    "{product}: write the highest price in kronor, like {example}, or leave it "
                    "empty for any price.",
                    product=product.name,
                    example="12,50",
                ),
            ) from None
        shaped["max_unit_price_ore"] = amounts.limit_per_unit_ore(per_measure, product.measure)
    if "deliver_from" in row or "deliver_until" in row:
        shaped["delivery_window"] = {
            "opens": _time(row.get("deliver_from", "")),
            "closes": _time(row.get("deliver_until", "")),
        }
    return shaped


def _product(text: str, catalogue: Catalogue, say: Say) -> UUID:
    try:
        product_id: UUID | None = UUID(text)
    except ValueError:
        product_id = catalogue.names.get(text.casefold())
    if product_id is None or product_id not in catalogue.products:
        raise InvalidRowError(
            "product", say("no product named {name} in this network", name=repr(text[:80]))
        )
    return product_id


# "1,000" or "1.000": a thousand written the English way, or one with three decimals
# written the Swedish way; a spreadsheet doesn't say which, so neither is guessed.
AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
AMBIGUOUS_SAID = "write it without a thousands separator (1000), or with at most two decimals (1,5)"


def _units(text: str, column: str, product: Product, say: Say) -> int:
    try:
        if AMBIGUOUS.fullmatch(text.strip()):
            raise amounts.AmountError(AMBIGUOUS_SAID)
        return amounts.read_units(text, product.measure, product.name, "sv")
    except amounts.AmountError as exc:
        said = say(exc.message, **exc.values)
        if "product" not in exc.values:
            said = say("{product}: {problem}", product=product.name, problem=said)
        raise InvalidRowError(column, said) from None


def _time(value: str) -> str:
    return f"{value}:00" if len(value) == 5 else value


def template(language: str, product_names: list[str]) -> str:
    """A spreadsheet to fill in: the header in ``language``, semicolons, a row per
    product with its amounts left to fill (a row left so orders nothing)."""
    header = TEMPLATE_HEADER.get(language, TEMPLATE_HEADER["sv"])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for name in product_names:
        writer.writerow([_cell(name)] + [""] * (len(header) - 1))
    return out.getvalue()


def _cell(text: str) -> str:
    """A name a spreadsheet won't read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
