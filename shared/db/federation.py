"""What DFC export and import read and write: a producer's current offers, a run's
purchases, and where imported offers came from (``offer_dfc_source``)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from uuid import UUID

import asyncpg

from shared.db.pool import Conn, copy_rows

MAX_CATALOG_OFFERS = 5000

# A producer's offers on sale on or after $2, each with the product it is in one of its
# listings ($3: only listings in these networks, NULL: any; $4: only this network), the
# first listing by network id when there are several.
SELECT_CATALOG_OFFERS = """
SELECT * FROM (
    SELECT DISTINCT ON (o.id)
           o.id, o.pack_units, greatest(o.packs_available - o.packs_reserved, 0) AS packs,
           o.price_per_pack_ore, o.valid_from, o.valid_until, o.pickup_lat, o.pickup_lon,
           o.pickup_address, o.note, l.network_id, n.currency,
           p.name AS product, p.unit, p.category
    FROM offer o
    JOIN offer_listing l ON l.offer_id = o.id AND l.withdrawn_at IS NULL
    JOIN product p ON p.id = l.product_id
    JOIN network n ON n.id = l.network_id
    WHERE o.producer_id = $1 AND o.withdrawn_at IS NULL AND o.valid_until >= $2
      AND ($3::uuid[] IS NULL OR l.network_id = any($3))
      AND ($4::uuid IS NULL OR l.network_id = $4)
    ORDER BY o.id, l.network_id
) offers
ORDER BY valid_from, id  -- past the limit, the offers of the latest days are left out
LIMIT $5"""

# The packs a run bought of each offer, with the product the network listed it as.
SELECT_RUN_PURCHASES = """
SELECT rp.offer_id, o.producer_id, pr.name AS producer, rp.packs, rp.pack_units,
       rp.price_per_pack_ore, p.name AS product, p.unit, p.category,
       coalesce(s.offer_iri, '') AS source_offer_iri
FROM run_purchase rp
LEFT JOIN offer_dfc_source s ON s.offer_id = rp.offer_id
JOIN match_run m ON m.id = rp.run_id
JOIN offer o ON o.id = rp.offer_id
JOIN organisation pr ON pr.id = o.producer_id
JOIN offer_listing l ON l.offer_id = rp.offer_id AND l.network_id = m.network_id
JOIN product p ON p.id = l.product_id
WHERE rp.run_id = $1
ORDER BY pr.name, o.producer_id, p.name, rp.offer_id"""

# A run with what its orders say of it: the network (the buyer), its currency, the
# delivery day, and when it was published (its last change, once published).
SELECT_RUN_HEADING = """
SELECT m.id, m.state, m.network_id, n.name AS network, n.currency, c.delivery_date,
       m.updated_at AS published_at  -- a published run changes no more
FROM match_run m JOIN network n ON n.id = m.network_id JOIN cycle c ON c.id = m.cycle_id
WHERE m.id = $1"""


# One import of a producer's at a time: the second waits, then finds what the first posted.
LOCK_PRODUCER_IMPORTS = "SELECT pg_advisory_xact_lock(hashtextextended('dfc-import:' || $1, 0))"

# The producer's current offers imported from these items into the network.
SELECT_IMPORTED = """
SELECT s.item_iri, o.id, o.pack_units, o.packs_reserved, o.valid_from, o.valid_until
FROM offer_dfc_source s JOIN offer o ON o.id = s.offer_id
WHERE s.network_id = $1 AND s.item_iri = any($2::text[]) AND o.producer_id = $3
  AND o.withdrawn_at IS NULL"""

UPDATE_IMPORTED = """
UPDATE offer SET packs_available = $2, price_per_pack_ore = $3, pickup_lat = $4,
    pickup_lon = $5, pickup_address = $6, note = $7, version = version + 1, updated_at = now()
WHERE id = $1 AND withdrawn_at IS NULL
RETURNING id"""

TOUCH_SOURCES = """
UPDATE offer_dfc_source SET offer_iri = v.offer_iri, source_url = $2, updated_at = now()
FROM unnest($1::uuid[], $3::text[]) AS v(offer_id, offer_iri)
WHERE offer_dfc_source.offer_id = v.offer_id"""


class SourceRow(NamedTuple):
    """A row of ``offer_dfc_source`` as COPY writes it."""

    offer_id: UUID
    network_id: UUID
    item_iri: str
    offer_iri: str
    source_url: str


class ImportedValues(NamedTuple):
    """What importing an item again changes of the offer it posted."""

    offer_id: UUID
    packs_available: int
    price_per_pack_ore: int
    pickup_lat: float
    pickup_lon: float
    pickup_address: str
    note: str


async def lock_producer_imports(conn: Conn, producer_id: UUID) -> None:
    """Held until the transaction ends."""
    await conn.execute(LOCK_PRODUCER_IMPORTS, str(producer_id))


async def select_imported(
    conn: Conn, producer_id: UUID, network_id: UUID, item_iris: list[str]
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_IMPORTED, network_id, item_iris, producer_id)


async def update_imported(conn: Conn, values: ImportedValues) -> bool:
    """False when the offer was withdrawn meanwhile; a CheckViolation when its packs
    would fall below those reserved."""
    return await conn.fetchval(UPDATE_IMPORTED, *values) is not None


async def insert_sources(conn: Conn, rows: list[SourceRow]) -> None:
    await copy_rows(conn, "offer_dfc_source", rows)


async def touch_sources(
    conn: Conn, offer_ids: list[UUID], offer_iris: list[str], source_url: str
) -> None:
    await conn.execute(TOUCH_SOURCES, offer_ids, source_url, offer_iris)


async def select_catalog_offers(
    conn: Conn,
    producer_id: UUID,
    *,
    on_or_after: dt.date,
    networks: list[UUID] | None,
    network_id: UUID | None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        SELECT_CATALOG_OFFERS,
        producer_id,
        on_or_after,
        networks,
        network_id,
        MAX_CATALOG_OFFERS,
    )


async def select_run_purchases(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RUN_PURCHASES, run_id)


async def select_run_heading(conn: Conn, run_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_RUN_HEADING, run_id)
