"""A run's delivery plans: what routing reads (vehicles, places, hours) and stores
(shipments, routes with their stops, cost shares)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from uuid import UUID

import asyncpg

from shared.db.pool import Conn, copy_rows
from shared.db.products import PER_UNIT_MILLI

SELECT_NETWORK_ROUTING = """
SELECT id, timezone, hub_lat, hub_lon, hub_address, producer_share_permille
FROM network WHERE id = $1"""

SELECT_VEHICLES = """
SELECT id, name, capacity_grams, capacity_ml, cold_capable, start_lat, start_lon,
       end_lat, end_lon, shift_start, shift_end, fixed_cost_ore, cost_per_km_ore,
       cost_per_hour_ore
FROM vehicle WHERE network_id = $1 AND active ORDER BY id"""

# Where and when each offer is picked up, and what its units weigh; the widest window.
SELECT_OFFER_SITES = """
SELECT o.id, o.producer_id, l.product_id, p.temperature, p.grams_per_unit, p.ml_per_unit,
       o.pickup_lat, o.pickup_lon, w.opens_at, w.closes_at
FROM offer o
JOIN offer_listing l ON l.offer_id = o.id AND l.network_id = $1
JOIN product p ON p.id = l.product_id
LEFT JOIN LATERAL (
    SELECT opens_at, closes_at FROM offer_pickup_window
    WHERE offer_id = o.id ORDER BY closes_at - opens_at DESC, opens_at LIMIT 1
) w ON true
WHERE o.id = ANY($2::uuid[])
ORDER BY o.id"""

# The co-ops of a cycle: where they are, and their widest receiving window that day.
SELECT_COOP_SITES = """
SELECT org.id, org.name, org.lat, org.lon, w.opens_at, w.closes_at
FROM organisation org
LEFT JOIN LATERAL (
    SELECT opens_at, closes_at FROM organisation_window
    WHERE organisation_id = org.id AND weekday = $2
    ORDER BY closes_at - opens_at DESC, opens_at LIMIT 1
) w ON true
WHERE org.id = ANY($1::uuid[])
ORDER BY org.id"""


class ShipmentRow(NamedTuple):
    """A row of ``shipment``; its fields are the columns COPY writes, by name."""

    id: UUID
    run_id: UUID
    producer_id: UUID
    coop_id: UUID
    temperature: str
    weight_grams: int
    volume_ml: int
    unserved_reason: str | None


class RouteRow(NamedTuple):
    id: UUID
    run_id: UUID
    plan: str
    route_no: int
    vehicle_id: UUID | None
    producer_id: UUID | None
    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int
    unshared_ore: int


class StopRow(NamedTuple):
    route_id: UUID
    seq: int
    kind: str
    organisation_id: UUID | None
    shipment_id: UUID | None
    arrival_at: dt.datetime
    departure_at: dt.datetime
    load_grams: int
    load_ml: int
    lat: float
    lon: float


class RouteShareRow(NamedTuple):
    route_id: UUID
    organisation_id: UUID
    share_ore: int
    standalone_cost_ore: int | None
    payer: str


async def insert_routing(
    conn: Conn,
    shipments: list[ShipmentRow],
    routes: list[RouteRow],
    stops: list[StopRow],
    cost_shares: list[RouteShareRow],
) -> None:
    """A run's shipments, routes, stops and cost shares, a COPY per table (ids made by
    the caller, so rows can name each other without a round trip per row)."""
    await copy_rows(conn, "shipment", shipments)
    await copy_rows(conn, "route", routes)
    await copy_rows(conn, "route_stop", stops)
    await copy_rows(conn, "cost_share", cost_shares)


async def select_network(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_NETWORK_ROUTING, network_id)


async def select_vehicles(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_VEHICLES, network_id)


async def select_offer_sites(
    conn: Conn, network_id: UUID, offer_ids: list[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_OFFER_SITES, network_id, offer_ids)


async def select_coop_sites(conn: Conn, coop_ids: list[UUID], day: dt.date) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_COOP_SITES, coop_ids, day.isoweekday())


SELECT_SHIPMENTS = """
SELECT id, producer_id, coop_id, temperature, weight_grams, volume_ml, unserved_reason
FROM shipment WHERE run_id = $1 ORDER BY producer_id, coop_id, temperature"""

SELECT_ROUTES = """
SELECT id, plan, route_no, vehicle_id, producer_id, distance_m, duration_s, cost_ore,
       co2_grams, unshared_ore
FROM route WHERE run_id = $1 AND ($2::text IS NULL OR plan = $2) ORDER BY plan, route_no"""

SELECT_STOPS = """
SELECT s.route_id, s.seq, s.kind, s.organisation_id, s.shipment_id, s.arrival_at,
       s.departure_at, s.load_grams, s.load_ml, s.lat, s.lon
FROM route_stop s JOIN route r ON r.id = s.route_id
WHERE r.run_id = $1 AND ($2::text IS NULL OR r.plan = $2)
ORDER BY s.route_id, s.seq"""

SELECT_SHARES = """
SELECT c.route_id, c.organisation_id, c.payer, c.share_ore, c.standalone_cost_ore
FROM cost_share c JOIN route r ON r.id = c.route_id
WHERE r.run_id = $1 ORDER BY c.route_id, c.payer, c.organisation_id"""


async def select_shipments(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_SHIPMENTS, run_id)


async def select_routes(conn: Conn, run_id: UUID, plan: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ROUTES, run_id, plan)


async def select_stops(conn: Conn, run_id: UUID, plan: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_STOPS, run_id, plan)


async def select_shares(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_SHARES, run_id)


# What each producer sends each co-op: allocated units with names and the price paid.
SELECT_DOCUMENT_LINES = f"""
SELECT o.producer_id, pr.name AS producer, r.coop_id, c.name AS coop, c.address AS coop_address,
       d.product_id, p.name AS product, p.unit, p.temperature, a.offer_id, a.demand_line_id,
       a.units, rp.packs, rp.pack_units, rp.price_per_pack_ore,
       {PER_UNIT_MILLI} AS per_unit_milli
FROM allocation a
JOIN offer o ON o.id = a.offer_id
JOIN run_purchase rp ON rp.run_id = a.run_id AND rp.offer_id = a.offer_id
JOIN demand_line d ON d.id = a.demand_line_id
JOIN demand_round r ON r.id = d.round_id
JOIN product p ON p.id = d.product_id
JOIN organisation pr ON pr.id = o.producer_id
JOIN organisation c ON c.id = r.coop_id
WHERE a.run_id = $1
ORDER BY pr.name, c.name, p.name, a.offer_id, a.demand_line_id"""

# The stops of one plan, with who is met there, what is picked up or dropped, and the van,
# and the network's time zone to show the times in.
SELECT_PLAN_STOPS = """
SELECT rt.id AS route_id, rt.plan, rt.route_no, rt.vehicle_id, v.name AS vehicle,
       s.seq, s.kind, s.organisation_id, org.name AS organisation, org.address, n.timezone,
       s.arrival_at, s.departure_at, s.load_grams,
       sh.producer_id, sh.coop_id, sh.temperature, sh.weight_grams
FROM route rt
JOIN match_run m ON m.id = rt.run_id
JOIN network n ON n.id = m.network_id
JOIN route_stop s ON s.route_id = rt.id
LEFT JOIN vehicle v ON v.id = rt.vehicle_id
LEFT JOIN organisation org ON org.id = s.organisation_id
LEFT JOIN shipment sh ON sh.id = s.shipment_id
WHERE rt.run_id = $1 AND ($2::text IS NULL OR rt.plan = $2)
  AND ($3::uuid IS NULL OR rt.id = $3)
ORDER BY rt.route_no, s.seq"""

SELECT_COOP_SHARES = """
SELECT c.organisation_id, sum(c.share_ore)::bigint AS share_ore
FROM cost_share c JOIN route rt ON rt.id = c.route_id
WHERE rt.run_id = $1 AND c.payer = 'coop'
GROUP BY c.organisation_id"""


async def select_document_lines(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_DOCUMENT_LINES, run_id)


async def select_plan_stops(
    conn: Conn, run_id: UUID, plan: str | None, route_id: UUID | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PLAN_STOPS, run_id, plan, route_id)


async def select_coop_shares(conn: Conn, run_id: UUID) -> dict[UUID, int]:
    rows = await conn.fetch(SELECT_COOP_SHARES, run_id)
    return {row["organisation_id"]: row["share_ore"] for row in rows}


# The proposed plan's cost shares with names, for the export.
SELECT_SHARE_ROWS = """
SELECT c.route_id, r.route_no, c.organisation_id, o.name AS organisation, c.payer,
       c.share_ore, c.standalone_cost_ore, r.cost_ore AS route_cost_ore
FROM cost_share c JOIN route r ON r.id = c.route_id JOIN organisation o ON o.id = c.organisation_id
WHERE r.run_id = $1 AND r.plan = $2 AND ($3::uuid IS NULL OR c.organisation_id = $3)
ORDER BY r.route_no, c.payer, o.name, c.organisation_id"""


async def select_share_rows(
    conn: Conn, run_id: UUID, plan: str, organisation_id: UUID | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_SHARE_ROWS, run_id, plan, organisation_id)
