"""A network's weekly schedule of cycles, and the weeks it has opened (one claim each)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from shared.contracts.cycles import CycleState
from shared.contracts.schedule import Week, WeeklySchedule
from shared.db.pool import Conn

SCHEDULE_COLUMNS = """network_id, enabled, opens_weekday, opens_time, closes_weekday,
    closes_time, delivery_weekday, active_from, version, updated_at"""

SELECT_SCHEDULE = f"SELECT {SCHEDULE_COLUMNS} FROM cycle_schedule WHERE network_id = $1"

# The first save of a network's schedule; no row back if another was saved meanwhile.
INSERT_SCHEDULE = f"""
INSERT INTO cycle_schedule (network_id, enabled, opens_weekday, opens_time, closes_weekday,
    closes_time, delivery_weekday)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (network_id) DO NOTHING
RETURNING {SCHEDULE_COLUMNS}"""

# Saved at the version the page showed ($8), else no row back. Saving starts it anew:
# only weeks opening from now on are opened.
UPDATE_SCHEDULE = f"""
UPDATE cycle_schedule SET enabled = $2, opens_weekday = $3, opens_time = $4,
    closes_weekday = $5, closes_time = $6, delivery_weekday = $7, active_from = now(),
    version = version + 1, updated_at = now()
WHERE network_id = $1 AND version = $8
RETURNING {SCHEDULE_COLUMNS}"""

# The schedules that are on, with their network's time zone, a page at a time by id.
SELECT_ENABLED = f"""
SELECT {", ".join("s." + name.strip() for name in SCHEDULE_COLUMNS.split(","))}, n.timezone
FROM cycle_schedule s JOIN network n ON n.id = s.network_id
WHERE s.enabled AND ($1::uuid IS NULL OR s.network_id > $1)
ORDER BY s.network_id LIMIT $2"""

# The week is the caller's alone once this returns a row: a second caller waits on the
# first one's uncommitted key, then finds it taken.
CLAIM_WEEK = """
INSERT INTO scheduled_cycle (network_id, opens_on) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING opens_on"""

SET_WEEK_CYCLE = """
UPDATE scheduled_cycle SET cycle_id = $3 WHERE network_id = $1 AND opens_on = $2"""

# A cycle of the network (not cancelled) whose ordering overlaps [$2, $3): then the
# schedule passes the week over rather than open a second one beside it.
OVERLAPPING_CYCLE = f"""
SELECT id FROM cycle
WHERE network_id = $1 AND state <> '{CycleState.CANCELLED}' AND opens_at < $3 AND closes_at > $2
LIMIT 1"""

SELECT_SCHEDULED = """
SELECT opens_on, cycle_id FROM scheduled_cycle WHERE network_id = $1
ORDER BY opens_on DESC LIMIT $2"""


def schedule_of(row: asyncpg.Record) -> WeeklySchedule:
    return WeeklySchedule(
        opens_weekday=row["opens_weekday"],
        opens_time=row["opens_time"],
        closes_weekday=row["closes_weekday"],
        closes_time=row["closes_time"],
        delivery_weekday=row["delivery_weekday"],
    )


async def select_schedule(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_SCHEDULE, network_id)


async def save_schedule(
    conn: Conn, network_id: UUID, enabled: bool, schedule: WeeklySchedule, version: int | None
) -> asyncpg.Record | None:
    """The saved schedule (``version`` None: the first); None if ``version`` is not the
    current one."""
    values = (
        network_id,
        enabled,
        schedule.opens_weekday,
        schedule.opens_time,
        schedule.closes_weekday,
        schedule.closes_time,
        schedule.delivery_weekday,
    )
    if version is None:
        return await conn.fetchrow(INSERT_SCHEDULE, *values)
    return await conn.fetchrow(UPDATE_SCHEDULE, *values, version)


async def select_enabled(conn: Conn, after: UUID | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ENABLED, after, limit)


async def claim_week(conn: Conn, network_id: UUID, opens_on: dt.date) -> bool:
    return await conn.fetchval(CLAIM_WEEK, network_id, opens_on) is not None


async def set_week_cycle(conn: Conn, network_id: UUID, opens_on: dt.date, cycle_id: UUID) -> None:
    await conn.execute(SET_WEEK_CYCLE, network_id, opens_on, cycle_id)


async def overlapping_cycle(conn: Conn, network_id: UUID, week: Week) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        OVERLAPPING_CYCLE, network_id, week.opens_at, week.closes_at
    )
    return found


async def select_scheduled(conn: Conn, network_id: UUID, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_SCHEDULED, network_id, limit)
