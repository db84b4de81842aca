"""What a network's coordinators see of its members, and what removing one withdraws."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db.pool import Conn
from shared.db.products import PER_UNIT_MILLI

# Each producer and co-op of the network: where it stands with its people (how many have
# accepted, invitations still open), whether it has a place and hours.
SELECT_MEMBERS = """
SELECT o.id, o.name, o.kind, o.contact_email, o.address, o.lat IS NOT NULL AS has_location,
    EXISTS (SELECT 1 FROM organisation_window w WHERE w.organisation_id = o.id) AS has_windows,
    (SELECT count(*) FROM person_organisation po WHERE po.organisation_id = o.id) AS people,
    (SELECT count(*) FROM invitation i
     WHERE i.organisation_id = o.id AND i.accepted_at IS NULL AND i.withdrawn_at IS NULL
       AND i.expires_at > now()) AS invitations_open,
    m.joined_at
FROM membership m JOIN organisation o ON o.id = m.organisation_id
WHERE m.network_id = $1 AND o.kind IN ('producer', 'coop')
ORDER BY o.kind, o.name, o.id"""

# The listings a removal withdraws: every listing of the producer's offers in the
# network not withdrawn yet (as offers.WITHDRAW_PRODUCER_LISTINGS takes them).
SELECT_LISTINGS_OF = f"""
SELECT f.id AS offer_id, p.name AS product, p.unit, {PER_UNIT_MILLI} AS per_unit_milli,
    f.pack_units, f.packs_available,
    f.packs_reserved, f.price_per_pack_ore, f.valid_from, f.valid_until,
    f.withdrawn_at IS NOT NULL AS offer_withdrawn
FROM offer_listing l
JOIN offer f ON f.id = l.offer_id
JOIN product p ON p.id = l.product_id
WHERE l.network_id = $1 AND f.producer_id = $2 AND l.withdrawn_at IS NULL
ORDER BY f.valid_from, p.name, f.id"""

# The demand a removal drops: the co-op's rounds in the network's open cycles, with their
# lines (as demand.DELETE_OPEN_ROUNDS_OF takes them).
SELECT_OPEN_ROUNDS_OF = f"""
SELECT r.id AS round_id, c.id AS cycle_id, c.delivery_date, c.closes_at,
    coalesce(jsonb_agg(jsonb_build_object('product', p.name, 'unit', p.unit,
                       'per_unit_milli', {PER_UNIT_MILLI},
                       'firm_quantity', d.firm_quantity, 'tolerance', d.tolerance)
                       ORDER BY d.line_no) FILTER (WHERE d.id IS NOT NULL), '[]') AS lines
FROM demand_round r
JOIN cycle c ON c.id = r.cycle_id AND c.state = 'open'
LEFT JOIN demand_line d ON d.round_id = r.id
LEFT JOIN product p ON p.id = d.product_id
WHERE r.network_id = $1 AND r.coop_id = $2
GROUP BY r.id, c.id
ORDER BY c.delivery_date, r.id"""


async def select_members(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_MEMBERS, network_id)


async def select_listings_of(
    conn: Conn, network_id: UUID, producer_id: UUID
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_LISTINGS_OF, network_id, producer_id)


async def select_open_rounds_of(
    conn: Conn, network_id: UUID, coop_id: UUID
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_OPEN_ROUNDS_OF, network_id, coop_id)
