"""A network's product catalogue."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

# One catalogue unit of the product ``p`` in thousandths of its measure: a kg product's
# grams (500: cheese in 500 g units), a litre product's millilitres (500 ml bottles), 1000
# for a piece or a size left 0. The rule of ``Measure.of`` (services/api/demand/amounts.py),
# for queries whose rows are shown as amounts.
PER_UNIT_MILLI = """CASE WHEN p.unit = 'kg' AND p.grams_per_unit > 0 THEN p.grams_per_unit
            WHEN p.unit = 'l' AND p.ml_per_unit > 0 THEN p.ml_per_unit ELSE 1000 END"""

PRODUCT_COLUMNS = """id, network_id, name, category, unit, grams_per_unit, ml_per_unit,
    temperature, created_at, retired_at"""

INSERT_PRODUCT = f"""
INSERT INTO product (network_id, name, category, unit, grams_per_unit, ml_per_unit, temperature)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING {PRODUCT_COLUMNS}"""

SELECT_PRODUCT = f"SELECT {PRODUCT_COLUMNS} FROM product WHERE id = $1"

SELECT_PRODUCTS = f"""
SELECT {PRODUCT_COLUMNS} FROM product WHERE network_id = $1 AND ($2 OR retired_at IS NULL)
ORDER BY lower(name), id"""

UPDATE_PRODUCT = f"""
UPDATE product SET name = $3, category = $4, unit = $5, grams_per_unit = $6, ml_per_unit = $7,
    temperature = $8
WHERE id = $1 AND network_id = $2 AND retired_at IS NULL
RETURNING {PRODUCT_COLUMNS}"""

RETIRE_PRODUCT = """
UPDATE product SET retired_at = now()
WHERE id = $1 AND network_id = $2 AND retired_at IS NULL
RETURNING id"""

# Of the given ids, those that are products of the network.
SELECT_NETWORK_PRODUCT_IDS = """
SELECT id FROM product WHERE network_id = $1 AND id = any($2::uuid[])"""

# name (lower-cased) -> id, for CSV uploads that name products rather than id them;
# a retired product's name may belong to a newer one.
SELECT_PRODUCT_NAMES = "SELECT name, id FROM product WHERE network_id = $1 AND retired_at IS NULL"


async def insert_product(conn: Conn, network_id: UUID, values: dict[str, Any]) -> asyncpg.Record:
    row = await conn.fetchrow(
        INSERT_PRODUCT,
        network_id,
        values["name"],
        values["category"],
        values["unit"],
        values["grams_per_unit"],
        values["ml_per_unit"],
        values["temperature"],
    )
    assert row is not None
    return row


async def update_product(
    conn: Conn, network_id: UUID, product_id: UUID, values: dict[str, Any]
) -> asyncpg.Record | None:
    """The product with the new values; None if it isn't a current product of the network."""
    return await conn.fetchrow(
        UPDATE_PRODUCT,
        product_id,
        network_id,
        values["name"],
        values["category"],
        values["unit"],
        values["grams_per_unit"],
        values["ml_per_unit"],
        values["temperature"],
    )


async def retire_product(conn: Conn, network_id: UUID, product_id: UUID) -> bool:
    return await conn.fetchval(RETIRE_PRODUCT, product_id, network_id) is not None


async def select_product(conn: Conn, product_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_PRODUCT, product_id)


async def select_products(
    conn: Conn, network_id: UUID, *, retired: bool = False
) -> list[asyncpg.Record]:
    """The network's current products; with ``retired``, the retired ones too."""
    return await conn.fetch(SELECT_PRODUCTS, network_id, retired)


async def select_network_product_ids(
    conn: Conn, network_id: UUID, product_ids: list[UUID]
) -> set[UUID]:
    rows = await conn.fetch(SELECT_NETWORK_PRODUCT_IDS, network_id, product_ids)
    return {row["id"] for row in rows}


async def select_product_names(conn: Conn, network_id: UUID) -> dict[str, UUID]:
    """Casefolded name → id. Folded in Python: a database in the C locale would not
    lower ``Ä`` to ``ä``, and spreadsheets spell names either way."""
    rows = await conn.fetch(SELECT_PRODUCT_NAMES, network_id)
    return {row["name"].casefold(): row["id"] for row in rows}


SELECT_NETWORKS_OF = "SELECT id, network_id FROM product WHERE id = any($1::uuid[])"


async def select_networks_of(conn: Conn, product_ids: list[UUID]) -> dict[UUID, UUID]:
    """Each known product's network."""
    rows = await conn.fetch(SELECT_NETWORKS_OF, product_ids)
    return {row["id"]: row["network_id"] for row in rows}
