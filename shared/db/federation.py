"""What the DFC export reads: a producer's current offers, a run's purchases."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

MAX_CATALOG_OFFERS = 5000

# A producer's offers on sale on or after $2, each with the product it is in one of its
# listings ($3: only listings in these networks, NULL: any; $4: only this network), the
# first listing by network id when there are several.
SELECT_CATALOG_OFFERS = """
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
LIMIT $5"""

# The packs a run bought of each offer, with the product the network listed it as.
SELECT_RUN_PURCHASES = """
SELECT rp.offer_id, o.producer_id, pr.name AS producer, rp.packs, rp.pack_units,
       rp.price_per_pack_ore, p.name AS product, p.unit, p.category
FROM run_purchase rp
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
