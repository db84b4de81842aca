"""Weekly schedules: each network whose schedule is on gets its week's cycle opened when
the week's opening time comes (``shared/contracts/schedule.py`` says which week and its
instants). The members are told by the cycle-opened notice the notifications cron sends
once a cycle's ``opens_at`` has passed (``jobs/notifications.py``)."""

from __future__ import annotations

import datetime as dt
import logging
from uuid import UUID

import asyncpg

from services.matcher.jobs.context import WorkerContext
from shared.contracts.schedule import Week, due_week
from shared.db import cycles as cycles_db
from shared.db import schedules as schedules_db
from shared.db.audit import insert_audit
from shared.db.pool import Conn

log = logging.getLogger(__name__)

PAGE = 500  # schedules read at a time


async def open_scheduled_cycles(ctx: WorkerContext) -> int:
    """Open every week now due, each claimed once by network and opening day in the
    transaction that opens it (two workers, or this job run twice, open one); how many
    cycles were opened."""
    now = dt.datetime.now(dt.UTC)
    opened = 0
    after: UUID | None = None
    while True:
        async with ctx["pool"].acquire() as conn:
            page = await schedules_db.select_enabled(conn, after, PAGE)
            for row in page:
                week = due_week(
                    schedules_db.schedule_of(row), row["timezone"], now, row["active_from"]
                )
                if week is None:
                    continue
                try:
                    if await open_week(conn, row["network_id"], week):
                        opened += 1
                except asyncpg.PostgresError:  # the others still open; retried next minute
                    log.exception("could not open %s of network %s", week, row["network_id"])
        if len(page) < PAGE:
            return opened
        after = page[-1]["network_id"]


async def open_week(conn: Conn, network_id: UUID, week: Week) -> bool:
    """Claim the week and open its cycle, unless the network has a cycle then already
    (opened by hand); False if it was claimed before, or passed over."""
    async with conn.transaction():
        if not await schedules_db.claim_week(conn, network_id, week.opens_on):
            return False
        if await schedules_db.overlapping_cycle(conn, network_id, week) is not None:
            log.info("schedule of %s passes over %s: a cycle is open then", network_id, week)
            return False
        cycle = await cycles_db.insert_cycle(
            conn, network_id, week.opens_at, week.closes_at, week.delivery_date
        )
        await schedules_db.set_week_cycle(conn, network_id, week.opens_on, cycle["id"])
        await insert_audit(
            conn,
            action="cycle.create",
            outcome="ok",
            network_id=network_id,
            object_type="cycle",
            object_id=str(cycle["id"]),
            detail={"by": "schedule", "opens_on": week.opens_on.isoformat()},
        )
    return True
