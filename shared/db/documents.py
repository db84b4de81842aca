"""What the printable documents read beside the run's lines and stops: the heading (network,
delivery day, hub), who is met where (address, phone), the co-ops' transport against
delivering to them alone, and the lines a run left short, with what was ordered."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db.pool import Conn
from shared.db.products import PER_UNIT_MILLI

SELECT_HEADING = """
SELECT m.id, m.run_version, m.state, n.name AS network, n.timezone, n.hub_address,
       n.hub_lat, n.hub_lon, c.delivery_date
FROM match_run m JOIN network n ON n.id = m.network_id JOIN cycle c ON c.id = m.cycle_id
WHERE m.id = $1"""

SELECT_CONTACTS = """
SELECT id, name, address, contact_phone FROM organisation WHERE id = ANY($1::uuid[])"""

# A co-op's part of the proposed plan's routes, and what each route would cost it alone.
SELECT_COOP_TRANSPORT = """
SELECT c.organisation_id, sum(c.share_ore)::bigint AS share_ore,
       sum(c.standalone_cost_ore)::bigint AS standalone_ore, count(*)::int AS routes
FROM cost_share c JOIN route rt ON rt.id = c.route_id
WHERE rt.run_id = $1 AND c.payer = 'coop'
GROUP BY c.organisation_id"""

# Each short line: what the co-op ordered, what it got, and why the rest did not come.
SELECT_SHORT_LINES = f"""
SELECT u.demand_line_id, r.coop_id, p.name AS product, p.unit,
       {PER_UNIT_MILLI} AS per_unit_milli, d.line_no, d.firm_quantity,
       d.tolerance, d.max_unit_price_ore, u.units_short, u.reason, u.detail,
       coalesce((SELECT sum(a.units) FROM allocation a
                 WHERE a.run_id = u.run_id AND a.demand_line_id = u.demand_line_id), 0)::int
           AS units_delivered
FROM unfilled_demand u
JOIN demand_line d ON d.id = u.demand_line_id
JOIN demand_round r ON r.id = d.round_id
JOIN product p ON p.id = d.product_id
WHERE u.run_id = $1
ORDER BY p.name, d.line_no"""

SELECT_ROUTE_VEHICLE = """
SELECT rt.id, rt.plan, rt.route_no, rt.distance_m, rt.duration_s, v.name AS vehicle,
       v.start_lat, v.start_lon, v.end_lat, v.end_lon, v.cold_capable,
       pr.name AS producer
FROM route rt
LEFT JOIN vehicle v ON v.id = rt.vehicle_id
LEFT JOIN organisation pr ON pr.id = rt.producer_id
WHERE rt.run_id = $1 AND rt.id = $2"""


async def select_heading(conn: Conn, run_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_HEADING, run_id)


async def select_contacts(conn: Conn, ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
    return {row["id"]: row for row in await conn.fetch(SELECT_CONTACTS, ids)}


async def select_coop_transport(conn: Conn, run_id: UUID) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(SELECT_COOP_TRANSPORT, run_id)
    return {row["organisation_id"]: row for row in rows}


async def select_short_lines(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_SHORT_LINES, run_id)


async def select_route_vehicle(conn: Conn, run_id: UUID, route_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ROUTE_VEHICLE, run_id, route_id)
