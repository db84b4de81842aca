"""What a network's producer directory reads besides the producers themselves: what each
offers in the open cycle, and what it offered in the last cycles."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from shared.db.pool import Conn
from shared.db.products import PER_UNIT_MILLI

SELECT_OPEN_CYCLE = """
SELECT id, delivery_date, closes_at FROM cycle
WHERE network_id = $1 AND state = 'open'
ORDER BY closes_at, id LIMIT 1"""

# Offers listed in the network and valid on the day ($2), not withdrawn.
SELECT_OFFERED = f"""
SELECT o.producer_id, p.name, p.unit, {PER_UNIT_MILLI} AS per_unit_milli, o.pack_units,
       o.price_per_pack_ore,
       o.packs_available - o.packs_reserved AS packs_left
FROM offer o
JOIN offer_listing l ON l.offer_id = o.id AND l.network_id = $1
JOIN product p ON p.id = l.product_id
WHERE o.withdrawn_at IS NULL AND $2::date BETWEEN o.valid_from AND o.valid_until
ORDER BY lower(p.name), o.price_per_pack_ore, o.id"""

# Products each producer offered in the network for the last $2 cycles that are over
# (offers valid on their delivery days), and in how many of them.
SELECT_USUALLY = """
WITH recent AS (
    SELECT delivery_date FROM cycle
    WHERE network_id = $1 AND state IN ('closed', 'matched', 'published')
    ORDER BY delivery_date DESC, id LIMIT $2)
SELECT o.producer_id, p.name, count(DISTINCT r.delivery_date)::int AS cycles,
       (SELECT count(*) FROM recent)::int AS of_cycles
FROM recent r
JOIN offer o ON r.delivery_date BETWEEN o.valid_from AND o.valid_until
JOIN offer_listing l ON l.offer_id = o.id AND l.network_id = $1
JOIN product p ON p.id = l.product_id
GROUP BY o.producer_id, p.name
ORDER BY cycles DESC, lower(p.name)"""


async def select_open_cycle(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_OPEN_CYCLE, network_id)


async def select_offered(conn: Conn, network_id: UUID, day: dt.date) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_OFFERED, network_id, day)


async def select_usually(conn: Conn, network_id: UUID, cycles: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_USUALLY, network_id, cycles)
