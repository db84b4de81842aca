"""Ordering cycles of a network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from shared.contracts.cycles import CycleState
from shared.db.pool import Conn

CYCLE_COLUMNS = """id, network_id, opens_at, closes_at, delivery_date, state, version,
    created_at, updated_at"""

INSERT_CYCLE = f"""
INSERT INTO cycle (network_id, opens_at, closes_at, delivery_date) VALUES ($1, $2, $3, $4)
RETURNING {CYCLE_COLUMNS}"""

SELECT_CYCLE = f"SELECT {CYCLE_COLUMNS} FROM cycle WHERE id = $1"

# A close (or a re-run) locks the cycle row FOR UPDATE, a demand edit FOR SHARE: edits
# of different co-ops go on side by side, and none of them races a close.
SELECT_CYCLE_FOR_UPDATE = f"SELECT {CYCLE_COLUMNS} FROM cycle WHERE id = $1 FOR UPDATE"
SELECT_CYCLE_FOR_SHARE = f"SELECT {CYCLE_COLUMNS} FROM cycle WHERE id = $1 FOR SHARE"

SELECT_CYCLES = f"""
SELECT {CYCLE_COLUMNS} FROM cycle WHERE network_id = $1 ORDER BY closes_at DESC, id"""

SET_CYCLE_STATE = f"""
UPDATE cycle SET state = $3, version = version + 1, updated_at = now()
WHERE id = $1 AND state = any($2::text[])
RETURNING {CYCLE_COLUMNS}"""

# Open cycles whose demand deadline has passed, closed in one statement.
CLOSE_DUE_CYCLES = f"""
UPDATE cycle SET state = '{CycleState.CLOSED}', version = version + 1, updated_at = now()
WHERE state = '{CycleState.OPEN}' AND closes_at <= now()
RETURNING {CYCLE_COLUMNS}"""


async def insert_cycle(
    conn: Conn,
    network_id: UUID,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    delivery_date: dt.date,
) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_CYCLE, network_id, opens_at, closes_at, delivery_date)
    assert row is not None
    return row


async def select_cycle(
    conn: Conn, cycle_id: UUID, *, lock: bool = False, share: bool = False
) -> asyncpg.Record | None:
    sql = SELECT_CYCLE_FOR_UPDATE if lock else SELECT_CYCLE_FOR_SHARE if share else SELECT_CYCLE
    return await conn.fetchrow(sql, cycle_id)


async def select_cycles(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_CYCLES, network_id)


async def set_cycle_state(
    conn: Conn, cycle_id: UUID, from_states: Sequence[str], to_state: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(SET_CYCLE_STATE, cycle_id, from_states, to_state)


async def close_due_cycles(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(CLOSE_DUE_CYCLES)
