"""Reading a producer's offer upload: CSV columns or JSON objects → ``OfferIn`` rows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.api.core.bulk import InvalidRowError, UploadOperation, convert_rows, read_rows, refuse
from services.api.offers.schemas import OfferIn
from shared.db import products as products_db
from shared.db.pool import Conn

CSV_COLUMNS = frozenset(
    {
        "network_id",
        "product",
        "pack_units",
        "packs_available",
        "price_per_pack_ore",
        "valid_from",
        "valid_until",
        "pickup_lat",
        "pickup_lon",
        "pickup_address",
        "pickup_opens",
        "pickup_closes",
        "note",
    }
)


CSV_HELP = (
    "CSV columns, one offer per row listed in one network: `network_id`, `product` (the "
    "product's name in that network, or its id), `pack_units`, `packs_available`, "
    "`price_per_pack_ore`, `valid_from` and `valid_until` (YYYY-MM-DD), `pickup_lat`, "
    "`pickup_lon`; optional: `pickup_address`, `pickup_opens` and `pickup_closes` (HH:MM), "
    "`note`. JSON items are offers exactly as `POST /v1/offers` takes them."
)


class OfferUploadOperation(UploadOperation):
    csv_columns = CSV_HELP
    json_item = OfferIn


async def read_offers(
    conn: Conn, body: bytes, content_type: str, own_networks: frozenset[UUID]
) -> list[OfferIn]:
    """Parse and shape every row; product names resolve only in ``own_networks``."""
    rows = read_rows(body, content_type, CSV_COLUMNS)
    if "json" in content_type:
        offers, errors = convert_rows(rows, OfferIn, lambda row: row)
    else:
        names = await _product_names(conn, rows, own_networks)
        offers, errors = convert_rows(rows, OfferIn, lambda row: _shape_csv_row(row, names))
    refuse(errors)
    return offers


async def _product_names(
    conn: Conn, rows: list[dict[str, Any]], own_networks: frozenset[UUID]
) -> dict[UUID, dict[str, UUID]]:
    """Name → id per network the rows name, looked up only in the producer's own networks.

    A foreign network is left out here; the listing check refuses it (422, audited).
    """
    named = {_uuid(row.get("network_id")) for row in rows}
    return {
        network_id: await products_db.select_product_names(conn, network_id)
        for network_id in own_networks
        if network_id in named
    }


def _shape_csv_row(row: dict[str, Any], names: dict[UUID, dict[str, UUID]]) -> dict[str, Any]:
    network_id = _uuid(row.get("network_id"))
    if network_id is None:
        raise InvalidRowError("network_id", "needs the id of one of your networks")
    product = row.get("product", "")
    product_id: UUID | None
    if network_id not in names:  # not the producer's: the listing check refuses it
        product_id = _uuid(product) or UUID(int=0)
    else:
        product_id = _uuid(product) or names[network_id].get(product.casefold())
    if product_id is None:
        raise InvalidRowError(
            "product", "no product named {name} in that network", {"name": repr(product[:80])}
        )
    shaped: dict[str, Any] = {
        key: row[key]
        for key in (
            "pack_units",
            "packs_available",
            "price_per_pack_ore",
            "valid_from",
            "valid_until",
            "note",
        )
        if key in row
    }
    shaped["listings"] = [{"network_id": str(network_id), "product_id": str(product_id)}]
    shaped["pickup"] = {
        "lat": row.get("pickup_lat"),
        "lon": row.get("pickup_lon"),
        "address": row.get("pickup_address", ""),
    }
    if "pickup_opens" in row or "pickup_closes" in row:
        shaped["pickup_windows"] = [
            {
                "opens": _time(row.get("pickup_opens", "")),
                "closes": _time(row.get("pickup_closes", "")),
            }
        ]
    return shaped


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _time(value: str) -> str:
    """Spreadsheets write 08:00; the API's times are 08:00:00."""
    return f"{value}:00" if len(value) == 5 else value
