"""Reading a co-op's demand upload: CSV columns or JSON objects → ``DemandLineIn`` rows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.api.core.bulk import InvalidRowError, UploadOperation, convert_rows, read_rows, refuse
from services.api.demand.schemas import DemandLineIn

CSV_COLUMNS = frozenset(
    {
        "product",
        "firm_quantity",
        "tolerance",
        "max_unit_price_ore",
        "deliver_from",
        "deliver_until",
    }
)


CSV_HELP = (
    "CSV columns, one line per row: `product` (the product's name in the cycle's network, "
    "or its id), `firm_quantity`; optional: `tolerance`, `max_unit_price_ore`, "
    "`deliver_from` and `deliver_until` (HH:MM). JSON items are lines exactly as "
    "`PUT /v1/demand-rounds/{round_id}/lines` takes them."
)


class DemandUploadOperation(UploadOperation):
    csv_columns = CSV_HELP
    json_item = DemandLineIn


def read_lines(
    body: bytes, content_type: str, product_names: dict[str, UUID]
) -> list[DemandLineIn]:
    rows = read_rows(body, content_type, CSV_COLUMNS)
    if "json" in content_type:
        lines, errors = convert_rows(rows, DemandLineIn, lambda row: row)
    else:
        lines, errors = convert_rows(
            rows, DemandLineIn, lambda row: _shape_csv_row(row, product_names)
        )
    refuse(errors)
    return lines


def _shape_csv_row(row: dict[str, Any], product_names: dict[str, UUID]) -> dict[str, Any]:
    product = row.get("product", "")
    try:
        product_id: UUID | None = UUID(product)
    except ValueError:
        product_id = product_names.get(product.casefold())
    if product_id is None:
        raise InvalidRowError("product", f"no product named {product[:80]!r} in this network")
    shaped: dict[str, Any] = {
        key: row[key] for key in ("firm_quantity", "tolerance", "max_unit_price_ore") if key in row
    }
    shaped["product_id"] = str(product_id)
    if "deliver_from" in row or "deliver_until" in row:
        shaped["delivery_window"] = {
            "opens": _time(row.get("deliver_from", "")),
            "closes": _time(row.get("deliver_until", "")),
        }
    return shaped


def _time(value: str) -> str:
    return f"{value}:00" if len(value) == 5 else value
