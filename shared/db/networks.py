"""Networks, their vehicles and their member organisations."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

NETWORK_COLUMNS = """id, name, region, timezone, currency, hub_lat, hub_lon, hub_address,
    producer_share_permille, transport_handling_ore_per_kg, transport_ore_per_tonne_km,
    deadline_reminder_hours, transport_warning_permille, version, created_at, updated_at,
    coalesce((SELECT jsonb_agg(jsonb_build_object('weekday', w.weekday,
                     'opens', w.opens_at::text, 'closes', w.closes_at::text)
                     ORDER BY w.weekday, w.opens_at)
              FROM network_hub_window w WHERE w.network_id = network.id), '[]') AS hub_hours"""

INSERT_NETWORK = f"""
INSERT INTO network (name, region, timezone, currency, hub_lat, hub_lon, producer_share_permille,
    hub_address, transport_handling_ore_per_kg, transport_ore_per_tonne_km,
    deadline_reminder_hours, transport_warning_permille)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING {NETWORK_COLUMNS}"""

SELECT_NETWORK = f"SELECT {NETWORK_COLUMNS} FROM network WHERE id = $1"

SELECT_NETWORKS = f"""
SELECT {NETWORK_COLUMNS} FROM network
WHERE $1::uuid[] IS NULL OR id = any($1::uuid[])
ORDER BY name, id"""

UPDATE_NETWORK = f"""
UPDATE network SET name = $3, region = $4, timezone = $5, currency = $6, hub_lat = $7,
    hub_lon = $8, producer_share_permille = $9, hub_address = $10,
    transport_handling_ore_per_kg = $11, transport_ore_per_tonne_km = $12,
    deadline_reminder_hours = $13, transport_warning_permille = $14, version = version + 1,
    updated_at = now()
WHERE id = $1 AND ($2::int IS NULL OR version = $2)
RETURNING {NETWORK_COLUMNS}"""

DELETE_HUB_HOURS = "DELETE FROM network_hub_window WHERE network_id = $1"
INSERT_HUB_HOUR = """
INSERT INTO network_hub_window (network_id, weekday, opens_at, closes_at)
VALUES ($1, $2, $3, $4)"""
# The hub's hours the routing of a delivery day reads: every row, so that a day
# without rows among others is told from a hub that keeps no hours at all.
SELECT_HUB_HOURS = """
SELECT weekday, opens_at, closes_at FROM network_hub_window
WHERE network_id = $1 ORDER BY weekday, opens_at"""

VEHICLE_COLUMNS = """id, network_id, name, capacity_grams, capacity_ml, cold_capable,
    start_lat, start_lon, end_lat, end_lon, shift_start, shift_end, fixed_cost_ore,
    cost_per_km_ore, cost_per_hour_ore, active, created_at"""

INSERT_VEHICLE = f"""
INSERT INTO vehicle (network_id, name, capacity_grams, capacity_ml, cold_capable, start_lat,
    start_lon, end_lat, end_lon, shift_start, shift_end, fixed_cost_ore, cost_per_km_ore,
    cost_per_hour_ore)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
RETURNING {VEHICLE_COLUMNS}"""

SELECT_VEHICLES = f"""
SELECT {VEHICLE_COLUMNS} FROM vehicle WHERE network_id = $1 AND active ORDER BY name, id"""

UPDATE_VEHICLE = f"""
UPDATE vehicle SET name = $3, capacity_grams = $4, capacity_ml = $5, cold_capable = $6,
    start_lat = $7, start_lon = $8, end_lat = $9, end_lon = $10, shift_start = $11,
    shift_end = $12, fixed_cost_ore = $13, cost_per_km_ore = $14, cost_per_hour_ore = $15
WHERE id = $1 AND network_id = $2 AND active
RETURNING {VEHICLE_COLUMNS}"""

DEACTIVATE_VEHICLE = """
UPDATE vehicle SET active = false WHERE id = $1 AND network_id = $2 AND active RETURNING id"""

SELECT_VEHICLE_NETWORK = "SELECT network_id FROM vehicle WHERE id = $1"

INSERT_MEMBERSHIP = """
INSERT INTO membership (network_id, organisation_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING"""

DELETE_MEMBERSHIP = """
DELETE FROM membership WHERE network_id = $1 AND organisation_id = $2 RETURNING organisation_id"""


async def insert_network(conn: Conn, values: dict[str, Any]) -> asyncpg.Record:
    row = await conn.fetchrow(
        INSERT_NETWORK,
        values["name"],
        values["region"],
        values["timezone"],
        values["currency"],
        values["hub_lat"],
        values["hub_lon"],
        values["producer_share_permille"],
        values["hub_address"],
        values["transport_handling_ore_per_kg"],
        values["transport_ore_per_tonne_km"],
        values["deadline_reminder_hours"],
        values["transport_warning_permille"],
    )
    assert row is not None
    return row


async def replace_hub_hours(
    conn: Conn, network_id: UUID, hours: list[tuple[int, Any, Any]]
) -> None:
    await conn.execute(DELETE_HUB_HOURS, network_id)
    await conn.executemany(INSERT_HUB_HOUR, [(network_id, *window) for window in hours])


async def select_hub_hours(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_HUB_HOURS, network_id)


async def select_network(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_NETWORK, network_id)


async def select_networks(conn: Conn, only: list[UUID] | None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_NETWORKS, only)


async def update_network(
    conn: Conn, network_id: UUID, version: int | None, values: dict[str, Any]
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        UPDATE_NETWORK,
        network_id,
        version,
        values["name"],
        values["region"],
        values["timezone"],
        values["currency"],
        values["hub_lat"],
        values["hub_lon"],
        values["producer_share_permille"],
        values["hub_address"],
        values["transport_handling_ore_per_kg"],
        values["transport_ore_per_tonne_km"],
        values["deadline_reminder_hours"],
        values["transport_warning_permille"],
    )


# A vehicle's columns, in the order INSERT_VEHICLE and UPDATE_VEHICLE take them.
VEHICLE_VALUES = (
    "name",
    "capacity_grams",
    "capacity_ml",
    "cold_capable",
    "start_lat",
    "start_lon",
    "end_lat",
    "end_lon",
    "shift_start",
    "shift_end",
    "fixed_cost_ore",
    "cost_per_km_ore",
    "cost_per_hour_ore",
)


def _vehicle_columns(values: dict[str, Any]) -> list[Any]:
    return [values[name] for name in VEHICLE_VALUES]


async def insert_vehicle(conn: Conn, network_id: UUID, values: dict[str, Any]) -> asyncpg.Record:
    row = await conn.fetchrow(
        INSERT_VEHICLE,
        network_id,
        *_vehicle_columns(values),
    )
    assert row is not None
    return row


async def update_vehicle(
    conn: Conn, network_id: UUID, vehicle_id: UUID, values: dict[str, Any]
) -> asyncpg.Record | None:
    """The vehicle with the new values; None if it isn't an active vehicle of the network."""
    return await conn.fetchrow(
        UPDATE_VEHICLE,
        vehicle_id,
        network_id,
        *_vehicle_columns(values),
    )


async def select_vehicles(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_VEHICLES, network_id)


async def deactivate_vehicle(conn: Conn, network_id: UUID, vehicle_id: UUID) -> bool:
    return await conn.fetchval(DEACTIVATE_VEHICLE, vehicle_id, network_id) is not None


async def select_vehicle_network(conn: Conn, vehicle_id: UUID) -> UUID | None:
    network_id: UUID | None = await conn.fetchval(SELECT_VEHICLE_NETWORK, vehicle_id)
    return network_id


async def insert_membership(conn: Conn, network_id: UUID, organisation_id: UUID) -> None:
    await conn.execute(INSERT_MEMBERSHIP, network_id, organisation_id)


async def delete_membership(conn: Conn, network_id: UUID, organisation_id: UUID) -> bool:
    return await conn.fetchval(DELETE_MEMBERSHIP, network_id, organisation_id) is not None
