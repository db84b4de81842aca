"""A network's weekly schedule of cycles, as its coordinators set it: saved at the version
they read (as ``If-Match`` does for other settings), and the next cycles it will open.
The matcher opens them (``services/matcher/jobs/schedules.py``)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.core.conditional import expected_version
from services.api.cycles.schemas import ScheduleIn, ScheduleOut, WeekOut
from shared.contracts.schedule import WeeklySchedule, next_weeks
from shared.db import networks as networks_db
from shared.db import schedules as schedules_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.db.schedules import schedule_of
from shared.errors import NotFoundError, PreconditionFailedError, TenantDeniedError

UPCOMING = 4  # the next cycles a schedule shows
# What a schedule never saved says: a common co-op week (off until saved on).
UNSAVED = WeeklySchedule(
    opens_weekday=1,
    opens_time=dt.time(8, 0),
    closes_weekday=4,
    closes_time=dt.time(20, 0),
    delivery_weekday=6,
)


class ScheduleService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def get(self, actor: Actor, network_id: UUID) -> ScheduleOut | None:
        """The network's schedule (None: never saved), to its coordinators only."""
        zone = await self._coordinated(actor, network_id)
        row = await schedules_db.select_schedule(self.conn, network_id)
        if row is None:
            return None
        return await self._out(row, zone)

    async def current(self, actor: Actor, network_id: UUID) -> ScheduleOut:
        """The network's schedule; one never saved is off, at version 0 (its ``ETag``)."""
        saved = await self.get(actor, network_id)
        if saved is not None:
            return saved
        return ScheduleOut(
            network_id=network_id,
            enabled=False,
            **msgspec.structs.asdict(UNSAVED),
            version=0,
            updated_at=None,
            upcoming=[],
        )

    async def save(
        self, actor: Actor, network_id: UUID, data: ScheduleIn, if_match: str | None
    ) -> ScheduleOut:
        """Save it over the version ``if_match`` names (``"0"``: none was saved yet; ``*``:
        whatever is saved now); 412 if someone saved since. From now on it opens only the
        weeks whose opening is still to come."""
        zone = await self._coordinated(actor, network_id)
        version = expected_version(if_match)
        schedule = WeeklySchedule(
            opens_weekday=data.opens_weekday,
            opens_time=data.opens_time,
            closes_weekday=data.closes_weekday,
            closes_time=data.closes_time,
            delivery_weekday=data.delivery_weekday,
        )
        async with self.conn.transaction():
            if version is None:
                current = await schedules_db.select_schedule(self.conn, network_id)
                version = current["version"] if current else 0
            row = await schedules_db.save_schedule(
                self.conn, network_id, data.enabled, schedule, version or None
            )
            if row is None:
                raise PreconditionFailedError("the schedule changed since you read it; re-read it")
            await record(
                self.conn,
                actor,
                "cycle_schedule.save",
                "network",
                network_id,
                network_id=network_id,
                detail={"enabled": data.enabled, "version": row["version"]},
            )
        return await self._out(row, zone)

    async def _out(self, row: asyncpg.Record, zone: str) -> ScheduleOut:
        """The schedule with the next cycles it opens (none while it is off), each saying
        whether the network has a cycle then already, so that week is passed over."""
        network_id: UUID = row["network_id"]
        now = dt.datetime.now(dt.UTC)
        weeks = next_weeks(schedule_of(row), zone, now, UPCOMING) if row["enabled"] else []
        upcoming = [
            WeekOut(
                opens_on=week.opens_on,
                opens_at=week.opens_at,
                closes_at=week.closes_at,
                delivery_date=week.delivery_date,
                passed_over=await schedules_db.overlapping_cycle(self.conn, network_id, week)
                is not None,
            )
            for week in weeks
        ]
        return as_struct(row, ScheduleOut, upcoming=upcoming)

    async def _coordinated(self, actor: Actor, network_id: UUID) -> str:
        """The network's time zone, if the actor coordinates it; else as if not there."""
        network = await networks_db.select_network(self.conn, network_id)
        if network is None:
            raise NotFoundError("no such network")
        if not actor.coordinates(network_id):
            raise TenantDeniedError("no such network")
        timezone: str = network["timezone"]
        return timezone
