"""Match runs as coordinators see them: progress, results, and new runs with overrides."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import asyncpg
import msgspec
from arq.connections import ArqRedis

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.cycles.service import CycleService
from services.api.runs.documents import DeliveryNote, PickLine, delivery_notes, pick_lists
from services.api.runs.schemas import (
    AllocationOut,
    CostShareRow,
    PinIn,
    PurchaseOut,
    RouteOut,
    RunIn,
    RunOut,
    RunResult,
    RunRoutes,
    ShareOut,
    ShipmentOut,
    StopOut,
    UnfilledOut,
)
from services.matcher.engine.allocation.rows import pin_problems_in_rows
from shared import notifications as notify
from shared.contracts.cycles import MATCHABLE
from shared.contracts.runs import WITH_RESULT, Overrides, Pin, RunRouting, RunSummary
from shared.db import routes as routes_db
from shared.db import runs as runs_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import (
    ConflictError,
    ForeignReferenceError,
    NotFoundError,
    TenantDeniedError,
    Term,
    UnprocessableError,
)
from shared.notifications import Notifier
from shared.queue import transaction_then_queue


class RunService:
    def __init__(
        self, conn: Conn, queue: ArqRedis, cycles: CycleService, notifier: Notifier
    ) -> None:
        self.conn = conn
        self.queue = queue
        self.cycles = cycles
        self.notifier = notifier

    async def list_runs(self, actor: Actor, cycle_id: UUID) -> list[RunOut]:
        cycle = await self.cycles.visible(actor, cycle_id)
        if not actor.coordinates(cycle["network_id"]):
            raise TenantDeniedError("no such cycle")
        return [run_out(row) for row in await runs_db.select_cycle_runs(self.conn, cycle_id)]

    async def get(self, actor: Actor, run_id: UUID) -> RunOut:
        return run_out(await self.visible(actor, run_id))

    async def result(self, actor: Actor, run_id: UUID) -> RunResult:
        run = await self.with_result(actor, run_id)
        purchases = await runs_db.select_purchases(self.conn, run_id)
        allocations = await runs_db.select_allocations(self.conn, run_id, None)
        unfilled = await runs_db.select_unfilled(self.conn, run_id, None)
        return RunResult(
            run=run_out(run),
            purchases=[as_struct(row, PurchaseOut) for row in purchases],
            allocations=[as_struct(row, AllocationOut) for row in allocations],
            unfilled=[as_struct(row, UnfilledOut, **row["detail"]) for row in unfilled],
        )

    async def routes(self, actor: Actor, run_id: UUID, plan: str | None = None) -> RunRoutes:
        """The run's routes: of one plan, of all (``None``), or of the one it proposes."""
        run = await self.with_result(actor, run_id)
        if plan == "proposed":
            plan = plan_of(run)
        stops: dict[UUID, list[StopOut]] = defaultdict(list)
        for row in await routes_db.select_stops(self.conn, run_id, plan):
            stops[row["route_id"]].append(as_struct(row, StopOut))
        shares: dict[UUID, list[ShareOut]] = defaultdict(list)
        for row in await routes_db.select_shares(self.conn, run_id):
            shares[row["route_id"]].append(as_struct(row, ShareOut))
        return RunRoutes(
            run=run_out(run),
            shipments=[
                as_struct(row, ShipmentOut)
                for row in await routes_db.select_shipments(self.conn, run_id)
            ],
            routes=[
                msgspec.convert(
                    {**row, "stops": stops[row["id"]], "cost_shares": shares[row["id"]]},
                    RouteOut,
                    from_attributes=True,
                )
                for row in await routes_db.select_routes(self.conn, run_id, plan)
            ],
        )

    async def proposed_plan(self, actor: Actor, run_id: UUID) -> str:
        """The plan a run proposes (its documents follow it); 404/409 as for results."""
        return plan_of(await self.with_result(actor, run_id))

    async def documents(self, actor: Actor, run_id: UUID) -> tuple[str, UUID | None]:
        """The plan a run's documents follow, and whose part of them ``actor`` may see:
        managers everyone's (None), once the run has a result; a producer or co-op of
        the network only its own, and only once the run is published."""
        row = await runs_db.select_run(self.conn, run_id)
        if row is None:
            raise NotFoundError("no such run")
        if actor.coordinates(row["network_id"]):
            return plan_of(await self.with_result(actor, run_id)), None
        if not actor.member_of(row["network_id"]) or row["state"] != "published":
            raise TenantDeniedError("no such run")  # unpublished runs are the coordinators'
        return plan_of(row), actor.organisation_id

    async def cost_shares(self, actor: Actor, run_id: UUID) -> list[CostShareRow]:
        run = await self.with_result(actor, run_id)
        rows = await routes_db.select_share_rows(self.conn, run_id, plan_of(run))
        return [as_struct(row, CostShareRow) for row in rows]

    async def rerun(self, actor: Actor, cycle_id: UUID, data: RunIn) -> RunOut:
        """A new run version; the proposal it replaces is superseded, its packs released.

        Like every decision on a cycle, it takes the cycle's row lock first in its
        transaction and reads the states again under it: an approval sent at the same
        moment waits, then finds its run superseded; or this waits, then finds the
        cycle's run approved and refuses. The co-ops and producers it leaves out are told
        why, in the same transaction.
        """
        overrides = Overrides(
            exclude_offers=sorted(set(data.exclude_offers)),
            exclude_coops=sorted(set(data.exclude_coops)),
            exclude_vehicles=sorted(set(data.exclude_vehicles)),
            pins=[
                Pin(offer_id=p.offer_id, line_id=p.demand_line_id, units=p.units) for p in data.pins
            ],
        )
        stored = msgspec.to_builtins(overrides)
        cycle = await self.cycles.visible(actor, cycle_id)
        if not actor.coordinates(cycle["network_id"]):
            raise TenantDeniedError("no such cycle")
        async with transaction_then_queue(self.conn, self.queue) as after:
            cycle = await self.cycles.visible(actor, cycle_id, lock=True)
            if cycle["state"] not in MATCHABLE:
                raise ConflictError(
                    "a {state} cycle can't be matched again",
                    values={"state": Term(cycle["state"])},
                    state=cycle["state"],
                )
            if decided := await runs_db.select_live_decision(self.conn, cycle_id):
                raise ConflictError(
                    "run {n} is {state}: reject it before matching the cycle again",
                    values={"n": decided["run_version"], "state": Term(decided["state"])},
                    state=cycle["state"],
                )
            # its packs go back, and the peers holding packs for it are told (fed-holds)
            for message_id in await runs_db.supersede_cycle_runs(self.conn, cycle_id):
                after.message(message_id)
            if overrides.pins:  # on the supply the superseded proposal leaves free
                await self._check_pins(cycle, overrides)
            run = await runs_db.insert_run(
                self.conn, cycle_id, cycle["network_id"], actor.person_id, stored
            )
            await record(
                self.conn,
                actor,
                "run.create",
                "match_run",
                run["id"],
                network_id=cycle["network_id"],
                detail={**stored, "reason": data.reason} if data.reason else stored,
            )
            after.match(run["id"])
            for message_id in await notify.left_out(
                self.notifier,
                run["id"],
                coop_ids=overrides.exclude_coops,
                offer_ids=overrides.exclude_offers,
                reason=data.reason,
            ):
                after.message(message_id)
        return run_out(run)

    async def _check_pins(self, cycle: asyncpg.Record, overrides: Overrides) -> None:
        """Pins name offers listed in the cycle's network and lines of the cycle, not
        excluded, and each pin fits its line and offer (rules 2 and 3, supply now)."""
        offer_rows = await runs_db.snapshot_offers(
            self.conn, cycle["network_id"], [pin.offer_id for pin in overrides.pins]
        )
        line_rows = await runs_db.snapshot_lines(
            self.conn, cycle["id"], [pin.line_id for pin in overrides.pins]
        )
        offers = {row["id"]: row for row in offer_rows}
        lines = {row["id"]: row for row in line_rows}
        for index, pin in enumerate(overrides.pins):
            if pin.offer_id not in offers:
                raise ForeignReferenceError(
                    "no such offer in this network", field=f"pins[{index}].offer_id"
                )
            if pin.line_id not in lines:
                raise ForeignReferenceError(
                    "no such demand line in this cycle", field=f"pins[{index}].demand_line_id"
                )
            if pin.offer_id in overrides.exclude_offers:
                raise UnprocessableError(
                    "a pinned offer can't also be excluded", field=f"pins[{index}].offer_id"
                )
            if lines[pin.line_id]["coop_id"] in overrides.exclude_coops:
                raise UnprocessableError(
                    "a pinned line's co-op can't also be excluded",
                    field=f"pins[{index}].demand_line_id",
                )
        if problems := pin_problems_in_rows(
            cycle["delivery_date"],
            offer_rows,
            line_rows,
            pins=overrides.pins,
            exclude_offers=overrides.exclude_offers,
            exclude_coops=overrides.exclude_coops,
        ):
            raise UnprocessableError("; ".join(problems), field="pins")

    async def with_result(self, actor: Actor, run_id: UUID) -> asyncpg.Record:
        run = await self.visible(actor, run_id)
        if run["state"] not in WITH_RESULT:
            raise ConflictError(
                "the run is {state} ({percent}%): no result to show",
                values={"state": Term(run["state"]), "percent": run["percent"]},
                state=run["state"],
            )
        return run

    async def visible(self, actor: Actor, run_id: UUID) -> asyncpg.Record:
        return await visible_run(self.conn, actor, run_id)

    async def own_pick_lists(self, actor: Actor, run_id: UUID) -> list[PickLine]:
        """A published run's pick lists: all for its coordinators, its own for a producer."""
        plan, only = await self.documents(actor, run_id)
        lines = await pick_lists(self.conn, run_id, plan)
        return [line for line in lines if only is None or line.producer_id == only]

    async def own_delivery_notes(self, actor: Actor, run_id: UUID) -> list[DeliveryNote]:
        """A published run's delivery notes: all for its coordinators, its own for a co-op."""
        plan, only = await self.documents(actor, run_id)
        notes = await delivery_notes(self.conn, run_id, plan)
        return [note for note in notes if only is None or note.coop_id == only]


async def visible_run(conn: Conn, actor: Actor, run_id: UUID) -> asyncpg.Record:
    """The run, if the actor coordinates its network; else as if there were none."""
    row = await runs_db.select_run(conn, run_id)
    if row is None:
        raise NotFoundError("no such run")
    if not actor.coordinates(row["network_id"]):
        raise TenantDeniedError("no such run")
    return row


def plan_of(run: asyncpg.Record) -> str:
    """The plan a run proposes: its documents and cost shares follow it."""
    return str((run["routing"] or {}).get("proposed", "joint"))


def run_out(row: asyncpg.Record) -> RunOut:
    overrides = Overrides.of(row["overrides"])
    return as_struct(
        row,
        RunOut,
        exclude_offers=overrides.exclude_offers,
        exclude_coops=overrides.exclude_coops,
        exclude_vehicles=overrides.exclude_vehicles,
        pins=[
            PinIn(offer_id=pin.offer_id, demand_line_id=pin.line_id, units=pin.units)
            for pin in overrides.pins
        ],
        summary=msgspec.convert(row["summary"], RunSummary) if row["summary"] else None,
        routing=RunRouting.of(row["routing"]),
    )
