"""Organisations (producers, co-ops, coordinators) and their opening hours."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

ORGANISATION_SELECT = """
SELECT o.id, o.kind, o.name, o.contact_email, o.contact_phone, o.address, o.lat, o.lon,
       o.presentation, o.place_precision, o.municipality, o.version, o.created_at, o.updated_at,
       coalesce((SELECT array_agg(m.network_id ORDER BY m.network_id) FROM membership m
                 WHERE m.organisation_id = o.id), '{}') AS network_ids,
       coalesce((SELECT jsonb_agg(jsonb_build_object('weekday', w.weekday,
                        'opens', w.opens_at::text, 'closes', w.closes_at::text)
                        ORDER BY w.weekday, w.opens_at)
                 FROM organisation_window w WHERE w.organisation_id = o.id), '[]') AS windows
FROM organisation o"""

SELECT_ORGANISATION = ORGANISATION_SELECT + " WHERE o.id = $1"

# Organisations sharing a network with any of $1 (NULL = all), optionally one network only.
SELECT_ORGANISATIONS = (
    ORGANISATION_SELECT
    + """
WHERE ($1::uuid[] IS NULL OR o.id = $2 OR EXISTS (
        SELECT 1 FROM membership m WHERE m.organisation_id = o.id
        AND m.network_id = any($1::uuid[])))
  AND ($3::uuid IS NULL OR EXISTS (
        SELECT 1 FROM membership m WHERE m.organisation_id = o.id AND m.network_id = $3))
  AND ($4::text IS NULL OR o.kind = $4)
ORDER BY o.name, o.id"""
)

INSERT_ORGANISATION = """
INSERT INTO organisation (kind, name, contact_email, contact_phone, address, lat, lon,
    presentation, place_precision, municipality)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id"""

UPDATE_ORGANISATION = """
UPDATE organisation SET name = $3, contact_email = $4, contact_phone = $5, address = $6,
    lat = $7, lon = $8, presentation = $9, place_precision = $10, municipality = $11,
    version = version + 1, updated_at = now()
WHERE id = $1 AND ($2::int IS NULL OR version = $2)
RETURNING id"""

DELETE_WINDOWS = "DELETE FROM organisation_window WHERE organisation_id = $1"
INSERT_WINDOW = """
INSERT INTO organisation_window (organisation_id, weekday, opens_at, closes_at)
VALUES ($1, $2, $3, $4)"""


async def select_organisation(conn: Conn, organisation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ORGANISATION, organisation_id)


async def select_organisations(
    conn: Conn,
    networks: list[UUID] | None,
    own_id: UUID | None,
    network_id: UUID | None,
    kind: str | None,
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ORGANISATIONS, networks, own_id, network_id, kind)


async def insert_organisation(conn: Conn, values: dict[str, Any]) -> UUID:
    organisation_id: UUID = await conn.fetchval(
        INSERT_ORGANISATION,
        values["kind"],
        values["name"],
        values["contact_email"],
        values["contact_phone"],
        values["address"],
        values["lat"],
        values["lon"],
        # a new organisation's profile is empty, its place shown approximately
        values.get("presentation", ""),
        values.get("place_precision", "approximate"),
        values.get("municipality", ""),
    )
    return organisation_id


async def update_organisation(
    conn: Conn, organisation_id: UUID, version: int | None, values: dict[str, Any]
) -> bool:
    updated = await conn.fetchval(
        UPDATE_ORGANISATION,
        organisation_id,
        version,
        values["name"],
        values["contact_email"],
        values["contact_phone"],
        values["address"],
        values["lat"],
        values["lon"],
        values["presentation"],
        values["place_precision"],
        values["municipality"],
    )
    return updated is not None


async def replace_windows(
    conn: Conn, organisation_id: UUID, windows: list[tuple[int, Any, Any]]
) -> None:
    await conn.execute(DELETE_WINDOWS, organisation_id)
    await conn.executemany(INSERT_WINDOW, [(organisation_id, *window) for window in windows])
