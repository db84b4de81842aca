"""Co-ops' demand rounds and their lines."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from uuid import UUID

import asyncpg

from shared.db.pool import Conn, copy_rows

ROUND_SELECT = """
SELECT r.id, r.cycle_id, r.network_id, r.coop_id, r.version, r.created_at, r.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'id', l.id, 'line_no', l.line_no, 'product_id', l.product_id,
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


class LineRow(NamedTuple):
    """A demand line as a round's owner gives it, with the id it keeps (a new line gets
    a new one); ``replace_lines`` adds where it belongs."""

    id: UUID
    product_id: UUID
    firm_quantity: int
    tolerance: int
    max_unit_price_ore: int | None
    deliver_from: dt.time | None
    deliver_until: dt.time | None


class StoredLineRow(NamedTuple):
    """A row of ``demand_line`` as COPY writes it: the fields are the columns, by name."""

    id: UUID
    round_id: UUID
    network_id: UUID
    line_no: int
    product_id: UUID
    firm_quantity: int
    tolerance: int
    max_unit_price_ore: int | None
    deliver_from: dt.time | None
    deliver_until: dt.time | None


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
    lines: list[LineRow],
) -> None:
    """The round's lines become ``lines``, in their order. A line keeps its id (the
    cycle is open, so no run names a line yet; a line left out goes)."""
    await conn.execute(DELETE_LINES, round_id)
    await copy_rows(
        conn,
        "demand_line",
        [
            StoredLineRow(
                round_id=round_id, network_id=network_id, line_no=number, **line._asdict()
            )
            for number, line in enumerate(lines, start=1)
        ],
    )


async def delete_open_rounds_of(conn: Conn, network_id: UUID, coop_id: UUID) -> list[UUID]:
    """Drop the co-op's rounds in the network's open cycles; their ids."""
    return [row["id"] for row in await conn.fetch(DELETE_OPEN_ROUNDS_OF, network_id, coop_id)]
