"""Cycles: a network's ordering rounds. open → closed → matched → published, or cancelled."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg
from arq.connections import ArqRedis

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.cycles.schemas import CycleIn, CycleOut, Participant
from shared import notifications as notify
from shared.contracts.cycles import CYCLE_ACTIONS, CycleState, sources
from shared.db import cycles as cycles_db
from shared.db import networks as networks_db
from shared.db import notices as notices_db
from shared.db import runs as runs_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, NotFoundError, TenantDeniedError, Term
from shared.notifications import Notifier
from shared.queue import transaction_then_queue


class CycleService:
    def __init__(self, conn: Conn, queue: ArqRedis, notifier: Notifier) -> None:
        self.conn = conn
        self.queue = queue
        self.notifier = notifier

    async def create(self, actor: Actor, network_id: UUID, data: CycleIn) -> CycleOut:
        if await networks_db.select_network(self.conn, network_id) is None:
            raise NotFoundError("no such network")
        if not actor.coordinates(network_id):
            raise TenantDeniedError("no such network")
        async with self.conn.transaction():
            row = await cycles_db.insert_cycle(
                self.conn, network_id, data.opens_at, data.closes_at, data.delivery_date
            )
            await record(
                self.conn, actor, "cycle.create", "cycle", row["id"], network_id=network_id
            )
        return cycle_out(row)

    async def list_cycles(self, actor: Actor, network_id: UUID) -> list[CycleOut]:
        if await networks_db.select_network(self.conn, network_id) is None:
            raise NotFoundError("no such network")
        if not actor.member_of(network_id):
            raise TenantDeniedError("no such network")
        return [cycle_out(row) for row in await cycles_db.select_cycles(self.conn, network_id)]

    async def get(self, actor: Actor, cycle_id: UUID) -> CycleOut:
        return cycle_out(await self.visible(actor, cycle_id))

    async def transition(self, actor: Actor, cycle_id: UUID, action: str) -> CycleOut:
        """Close (and queue its first match run, and tell the coordinators) or cancel (and
        cancel its runs), under the cycle's row lock as every decision on it (see
        ``runs/review_service.py``)."""
        await self.coordinated(actor, cycle_id)
        to_state = CYCLE_ACTIONS[action]
        from_states = sources(to_state)
        run = None
        async with transaction_then_queue(self.conn, self.queue) as after:
            cycle = await self.visible(actor, cycle_id, lock=True)
            row = await cycles_db.set_cycle_state(self.conn, cycle_id, from_states, to_state)
            if row is None:
                raise ConflictError(
                    "a {state} cycle can't be {to_state}",
                    values={"state": Term(cycle["state"]), "to_state": Term(to_state)},
                    state=cycle["state"],
                )
            if action == "close":
                run = await runs_db.insert_run(
                    self.conn, cycle_id, cycle["network_id"], actor.person_id, {}
                )
                after.match(run["id"])
                for message_id in await notify.cycle_closed(self.notifier, cycle_id, run["id"]):
                    after.message(message_id)
            else:  # the runs' holds at peers are released too (fed-holds)
                for message_id in await runs_db.cancel_cycle_runs(self.conn, cycle_id):
                    after.message(message_id)
            await record(
                self.conn,
                actor,
                f"cycle.{action}",
                "cycle",
                cycle_id,
                network_id=cycle["network_id"],
                detail={"run_id": str(run["id"])} if run else None,
            )
        return cycle_out(row)

    async def participation(self, actor: Actor, cycle_id: UUID) -> list[Participant]:
        """The network's co-ops and producers, and which of them take part in the cycle
        yet: what a coordinator looks at before reminding or closing early."""
        await self.coordinated(actor, cycle_id)
        rows = await notices_db.select_participation(self.conn, cycle_id)
        return [as_struct(row, Participant) for row in rows]

    async def remind(self, actor: Actor, cycle_id: UUID) -> int:
        """Mail the deadline reminder now to the co-ops and producers not taking part yet;
        as the cron's reminder, at most once per cycle and person (its dedupe key), so
        those reminded already are skipped. Audited; returns how many mails it wrote."""
        await self.coordinated(actor, cycle_id)
        async with transaction_then_queue(self.conn, self.queue) as after:
            cycle = await self.visible(actor, cycle_id, share=True)
            if not accepting_demand(cycle):
                raise ConflictError(
                    "only a cycle open for demand can be reminded of", state=cycle["state"]
                )
            written = await notify.deadline_near(self.notifier, cycle_id)
            for message_id in written:
                after.message(message_id)
            await record(
                self.conn,
                actor,
                "cycle.remind",
                "cycle",
                cycle_id,
                network_id=cycle["network_id"],
                detail={"mails": len(written)},
            )
        return len(written)

    async def coordinated(self, actor: Actor, cycle_id: UUID) -> asyncpg.Record:
        """The cycle, if the actor coordinates its network; else as if it were not there."""
        cycle = await self.visible(actor, cycle_id)
        if not actor.coordinates(cycle["network_id"]):
            raise TenantDeniedError("no such cycle")
        return cycle

    async def visible(
        self, actor: Actor, cycle_id: UUID, *, lock: bool = False, share: bool = False
    ) -> asyncpg.Record:
        row = await cycles_db.select_cycle(self.conn, cycle_id, lock=lock, share=share)
        if row is None:
            raise NotFoundError("no such cycle")
        if not actor.member_of(row["network_id"]):
            raise TenantDeniedError("no such cycle")
        return row


def accepting_demand(row: asyncpg.Record, now: dt.datetime | None = None) -> bool:
    now = now or dt.datetime.now(dt.UTC)
    return bool(row["state"] == CycleState.OPEN and row["opens_at"] <= now < row["closes_at"])


def demand_refusal(row: asyncpg.Record) -> str | None:
    """Why demand can't be edited in this cycle now, or None if it can."""
    now = dt.datetime.now(dt.UTC)
    if row["state"] != CycleState.OPEN:
        return f"the cycle is {row['state']}: demand can no longer be changed"
    if now < row["opens_at"]:
        return f"the cycle opens for demand at {row['opens_at'].isoformat()}"
    if now >= row["closes_at"]:
        return f"the cycle closed for demand at {row['closes_at'].isoformat()}"
    return None


def cycle_out(row: asyncpg.Record) -> CycleOut:
    return as_struct(row, CycleOut, accepting_demand=accepting_demand(row))
