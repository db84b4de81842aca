"""Co-ops' demand rounds and their lines."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

ROUND_SELECT = """
SELECT r.id, r.cycle_id, r.network_id, r.coop_id, r.version, r.created_at, r.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'line_no', l.line_no, 'product_id', l.product_id,
                    'firm_quantity', l.firm_quantity, 'tolerance', l.tolerance,
                    'max_unit_price_ore', l.max_unit_price_ore,
                    'deliver_from', l.deliver_from::text, 'deliver_until', l.deliver_until::text)
                    ORDER BY l.line_no)
                 FROM demand_line l WHERE l.round_id = r.id), '[]') AS lines
FROM demand_round r"""

SELECT_ROUND = ROUND_SELECT + " WHERE r.id = $1"
SELECT_ROUNDS = (
    ROUND_SELECT
    + """
WHERE r.cycle_id = $1 AND ($2::uuid IS NULL OR r.coop_id = $2) ORDER BY r.created_at, r.id"""
)

INSERT_ROUND = """
INSERT INTO demand_round (cycle_id, network_id, coop_id) VALUES ($1, $2, $3)
ON CONFLICT (cycle_id, coop_id) DO NOTHING
RETURNING id"""

BUMP_ROUND = """
UPDATE demand_round SET version = version + 1, updated_at = now()
WHERE id = $1 AND ($2::int IS NULL OR version = $2)
RETURNING version"""

DELETE_LINES = "DELETE FROM demand_line WHERE round_id = $1"

# A co-op leaves a network: its rounds in the network's open cycles go. Closed cycles
# keep theirs for the runs that read them; matching leaves non-members' lines out.
DELETE_OPEN_ROUNDS_OF = """
DELETE FROM demand_round r USING cycle c
WHERE r.network_id = $1 AND r.coop_id = $2 AND c.id = r.cycle_id AND c.state = 'open'
RETURNING r.id"""

# product, firm quantity, tolerance, max unit price, deliver from, deliver until
LineValues = tuple[UUID, int, int, int | None, dt.time | None, dt.time | None]

LINE_COLUMNS = (
    "round_id",
    "network_id",
    "line_no",
    "product_id",
    "firm_quantity",
    "tolerance",
    "max_unit_price_ore",
    "deliver_from",
    "deliver_until",
)


async def select_round(conn: Conn, round_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ROUND, round_id)


async def select_rounds(conn: Conn, cycle_id: UUID, coop_id: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ROUNDS, cycle_id, coop_id)


async def insert_round(conn: Conn, cycle_id: UUID, network_id: UUID, coop_id: UUID) -> UUID | None:
    """The new round's id, or None if the co-op already has one in this cycle."""
    round_id: UUID | None = await conn.fetchval(INSERT_ROUND, cycle_id, network_id, coop_id)
    return round_id


async def bump_round(conn: Conn, round_id: UUID, version: int | None) -> int | None:
    new_version: int | None = await conn.fetchval(BUMP_ROUND, round_id, version)
    return new_version


async def replace_lines(
    conn: Conn,
    round_id: UUID,
    network_id: UUID,
    lines: list[LineValues],
) -> None:
    await conn.execute(DELETE_LINES, round_id)
    records: list[tuple[Any, ...]] = [
        (round_id, network_id, number, *line) for number, line in enumerate(lines, start=1)
    ]
    if records:
        await conn.copy_records_to_table("demand_line", records=records, columns=LINE_COLUMNS)


async def delete_open_rounds_of(conn: Conn, network_id: UUID, coop_id: UUID) -> list[UUID]:
    """Drop the co-op's rounds in the network's open cycles; their ids."""
    return [row["id"] for row in await conn.fetch(DELETE_OPEN_ROUNDS_OF, network_id, coop_id)]
