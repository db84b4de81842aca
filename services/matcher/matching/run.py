"""One match run: snapshot the cycle, run the engine off the event loop, store it all.

Safe to run more than once and after a crash: a run is claimed only while queued or
running, and the result is stored in one transaction that first checks, under a row
lock, that nobody stored it already. Storing reserves the packs bought; if another
run took some of them meanwhile, the run recomputes on the fresh supply.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.matcher.engine import AllocationProblem, AllocationResult
from services.matcher.engine.routing.model import Place
from services.matcher.engine.routing.plans import (
    Carriage,
    Progress,
    Routing,
    finish_routing,
    plan_carriage,
    stage_percent,
)
from services.matcher.engine.routing.realised import (
    PassFigures,
    Repass,
    TransportCheck,
    calibrated,
    check_transport,
    keep,
)
from services.matcher.engine.routing.solver import Budget
from services.matcher.engine.routing.travel import TravelMatrix, places_with_hub
from services.matcher.matching.canonical import allocate_alike
from services.matcher.matching.processes import with_pool
from services.matcher.matching.routing import (
    RoutingInput,
    load_routing,
    store_routing,
    travel_matrix,
)
from services.matcher.matching.snapshot import load_snapshot
from shared import notifications as notify
from shared.contracts.cycles import CycleState
from shared.contracts.cycles import sources as cycle_sources
from shared.contracts.messages import HoldStep
from shared.contracts.runs import RunState, RunSummary
from shared.db import cycles as cycles_db
from shared.db import holds as holds_db
from shared.db import runs as runs_db
from shared.db.pool import BROKEN, Conn, Pool
from shared.db.runs import AllocationRow, PurchaseRow, UnfilledRow
from shared.notifications import Notifier
from shared.security.sealing import sealer_of
from shared.settings import Settings

log = logging.getLogger(__name__)

STORE_ATTEMPTS = 3
DB_ATTEMPTS = 6
# Errors that say nothing about the run, only about this moment: a connection the
# server dropped (a restart, pg_terminate_backend, a failover), a serialization
# failure or a deadlock. The transaction rolled back; the attempt is made again.
TRANSIENT = (*BROKEN, asyncpg.exceptions.TransactionRollbackError)


class ReservationLostError(Exception):
    """Another run reserved packs this result counted on; recompute."""


async def run_match(pool: Pool, settings: Settings, run_id: UUID) -> str:
    """Compute and store one run; what happened, in a word (for logs and tests)."""
    async with pool.acquire() as conn:
        run = await runs_db.claim_run(conn, run_id)
    if run is None:
        return "skipped"  # stored already, failed, cancelled, or unknown
    if run["attempts"] > settings.matching.run_max_attempts:
        reason = (
            f"started {settings.matching.run_max_attempts} times without finishing: its worker was "
            "killed or ran out of time each time; start a new run"
        )
        await fail(pool, settings, run_id, reason)
        return "failed"
    races = failures = 0
    try:
        while True:
            try:
                return await _attempt(pool, settings, run)
            except ReservationLostError:
                races += 1
                log.info("run %s lost a reservation race (%d); recomputing", run_id, races)
                if races == STORE_ATTEMPTS:
                    reason = f"supply changed {races} times while storing; start a new run"
                    break
            except TRANSIENT as exc:
                # one dropped server can cost two attempts: the one in flight, and the
                # next on a pooled connection that died idle before anyone noticed
                failures += 1
                log.warning("run %s: %s; again (%d of %d)", run_id, exc, failures, DB_ATTEMPTS)
                if failures == DB_ATTEMPTS:
                    reason = f"the database failed {failures} times in a row: {exc}"
                    break
                await asyncio.sleep(min(0.25 * 2**failures, 5.0))
    except Exception as exc:
        log.exception("run %s failed", run_id)
        reason = f"{type(exc).__name__}: {exc}"
    await fail(pool, settings, run_id, reason)
    return "failed"


async def fail(pool: Pool, settings: Settings, run_id: UUID, reason: str) -> None:
    """Mark the run failed and tell the coordinators why, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        if await runs_db.fail_run(conn, run_id, reason):
            await notify.run_failed(notifier(conn, settings), run_id)


async def _attempt(pool: Pool, settings: Settings, run: asyncpg.Record) -> str:
    """Snapshot, allocate, route and store, once; ReservationLostError if another run
    took packs this result counted on, a TRANSIENT error if the database failed.

    When the first pass's routes cost more than the tolerance off the transport
    estimate, a second pass allocates at the realised rates and routes again, in
    the seconds the first pass's plans left of theirs; the run keeps the better pass
    (``realised.keep``) and plans the baseline and cost shares for it alone."""
    run_id = run["id"]
    snapshot = await load_snapshot(pool, settings, run)
    await _progress(pool, run_id, "allocate", 30)
    reported: list[concurrent.futures.Future[None]] = []
    loop = asyncio.get_running_loop()

    def progress(part: str, percent: int) -> None:  # from the engine's thread
        overall = 50 + percent * 30 // 100  # routing is 50 to 80 % of a run
        stage = f"route {part}"
        reported.append(
            asyncio.run_coroutine_threadsafe(_progress(pool, run_id, stage, overall), loop)
        )

    async def allocated(problem: AllocationProblem) -> _Pass:
        async with _heartbeat(pool, run_id, settings.matching.run_lease_s / 3):
            result = await asyncio.to_thread(allocate_alike, problem, snapshot.labels)
        routing_input = await load_routing(pool, run, problem, result)
        rows = places_with_hub(routing_input.problem, routing_input.hub)
        began = time.perf_counter()
        matrix = await travel_matrix(settings, rows)
        return _Pass(problem, result, routing_input, rows, matrix, began)

    def repassing(part: str, percent: int) -> None:  # in the carriage share's time left
        progress(f"repass {part}", percent)

    async def carried(this: _Pass, budget: Budget, report: Progress = progress) -> Carriage:
        async with _heartbeat(pool, run_id, settings.matching.run_lease_s / 3):
            return await asyncio.to_thread(
                with_pool,
                settings,
                plan_carriage,
                this.routing_input.problem,
                this.matrix,
                rows=this.rows,
                hub=this.routing_input.hub,
                hub_hours=this.routing_input.hub_hours,
                budget=budget,
                progress=report,
            )

    first = await allocated(snapshot.problem)
    await _progress(pool, run_id, "route", 50)
    # the routing stage's budget counts from its travel matrix: its parts end by
    # deadlines within it (``plans``), whatever the machine's load
    budget = Budget.for_size(
        len(first.routing_input.problem.shipments), seconds=settings.matching.routing_seconds
    )
    budget = budget.until(first.began + budget.seconds)
    first.carriage = await carried(first, budget)
    check = check_transport(first.carriage, snapshot.rates, settings.matching.road_factor)
    kept, transport, repass = first, check, None
    rates = calibrated(check)
    if rates is not None:
        progress("repass", stage_percent(budget))
        second = await allocated(snapshot.priced(rates))
        # its plans search in what the first pass's plans left of their share of the
        # stage (its allocation and matrix counted), by the same deadlines: their own
        # iterations, the time that is left
        iterations = Budget.for_size(len(second.routing_input.problem.shipments)).iterations
        second.carriage = await carried(
            second, dataclasses.replace(budget, iterations=iterations), repassing
        )
        second_check = check_transport(second.carriage, rates, settings.matching.road_factor)
        figures = first.figures(check), second.figures(second_check)
        which, why = keep(*figures)
        repass = Repass(
            handling_ore_per_kg=rates.handling_ore_per_kg,
            ore_per_tonne_km=rates.ore_per_tonne_km,
            first=figures[0],
            second=figures[1],
            kept=which,
            why=why,
        )
        if which == "second":
            kept, transport = second, second_check
    assert kept.carriage is not None
    async with _heartbeat(pool, run_id, settings.matching.run_lease_s / 3):
        routing = await asyncio.to_thread(
            with_pool,
            settings,
            finish_routing,
            kept.routing_input.problem,
            kept.matrix,
            kept.carriage,
            own_van=kept.routing_input.own_van,
            rows=kept.rows,
            producer_share_permille=kept.routing_input.producer_share_permille,
            budget=budget,
            progress=progress,
        )
    # each report written before the next stage's, so none lands after it
    await asyncio.gather(*map(asyncio.wrap_future, reported), return_exceptions=True)
    await _progress(pool, run_id, "store", 80)
    return await store_result(
        pool,
        settings,
        run,
        Planned(kept.problem, kept.result, kept.routing_input, routing, transport, repass),
    )


@dataclass
class _Pass:
    """One allocation pass and, once planned, the plans that carry it."""

    problem: AllocationProblem
    result: AllocationResult
    routing_input: RoutingInput
    rows: list[Place]
    matrix: TravelMatrix
    began: float  # time.perf_counter() when its travel matrix was begun
    carriage: Carriage | None = None

    def figures(self, check: TransportCheck) -> PassFigures:
        assert self.carriage is not None
        unserved = len(self.carriage.chosen.unserved) + len(self.routing_input.unplaced)
        return PassFigures.of(
            firm_units_filled=self.result.summary.firm_units_filled,
            unserved=unserved,
            goods_ore=self.result.summary.goods_cost_ore,
            realised_ore=check.realised_ore,
            clock_capped=self.carriage.joint.clock_capped
            or (self.carriage.hub is not None and self.carriage.hub.plan.clock_capped),
        )


@dataclass(frozen=True)
class Planned:
    """Everything one run computed, stored together."""

    problem: AllocationProblem
    result: AllocationResult
    routing_input: RoutingInput
    routing: Routing
    transport: TransportCheck  # the estimate beside the realised cost
    repass: Repass | None = None  # the second pass at the realised rates, if one was made


async def store_result(
    pool: Pool, settings: Settings, run: asyncpg.Record, planned: Planned
) -> str:
    run_id, result = run["id"], planned.result
    async with pool.acquire() as conn, conn.transaction():
        # the cycle's lock first, as the coordinators' decisions take it: a run stored
        # while its cycle is re-run or published waits for that decision, then sees it
        await cycles_db.select_cycle(conn, run["cycle_id"], lock=True)
        current = await runs_db.select_run(conn, run_id, lock=True)
        if current is None or current["state"] != RunState.RUNNING:
            return "already stored"
        for purchase in result.purchases:  # in offer-id order: no deadlocks between runs
            if not await runs_db.reserve_packs(conn, purchase.offer_id, purchase.packs):
                raise ReservationLostError(purchase.offer_id)
        await runs_db.insert_result(
            conn,
            purchases=[
                PurchaseRow(
                    run_id=run_id,
                    offer_id=p.offer_id,
                    packs=p.packs,
                    pack_units=p.pack_units,
                    price_per_pack_ore=p.price_per_pack_ore,
                )
                for p in result.purchases
            ],
            allocations=[
                AllocationRow(
                    run_id=run_id,
                    offer_id=a.offer_id,
                    demand_line_id=a.line_id,
                    units=a.units,
                    tolerance_units=a.tolerance_units,
                )
                for a in result.allocations
            ],
            unfilled=[
                UnfilledRow(
                    run_id=run_id,
                    demand_line_id=s.line_id,
                    units_short=s.units_short,
                    reason=s.reason,
                    detail=_detail(s),
                )
                for s in result.shortfalls
            ],
        )
        # purchases of a peer's mirrored offers: a hold asked of the peer for each, sent
        # by the outbox once this commits (fed-holds; docs/federation.md, "Holds")
        if await holds_db.insert_run_holds(conn, run_id):
            await holds_db.insert_hold_messages(
                conn, run_id, HoldStep.HOLD, ["pending"], settings.federation.hold_ttl_s
            )
        figures = await store_routing(
            conn,
            run_id,
            planned.problem.delivery_date,
            planned.routing_input,
            planned.routing,
            transport=planned.transport,
            repass=planned.repass,
        )
        summary = msgspec.convert(result.summary, RunSummary, from_attributes=True)
        await runs_db.finish_run(conn, run_id, summary, figures)
        await cycles_db.set_cycle_state(
            conn, run["cycle_id"], cycle_sources(CycleState.MATCHED), CycleState.MATCHED
        )
        await notify.run_proposed(notifier(conn, settings), run_id)
    return "stored"


def notifier(conn: Conn, settings: Settings) -> Notifier:
    """Notifications written on ``conn``; the run's job queues them once it is stored."""
    return Notifier(conn, sealer_of(settings.secret_keys), settings.mail.public_url)


def _detail(shortfall: Any) -> dict[str, Any]:
    fields = ("pro_rata_permille", "units_to_next_pack", "cheapest_unit_price_ore")
    return {
        name: getattr(shortfall, name) for name in fields if getattr(shortfall, name) is not None
    }


@asynccontextmanager
async def _heartbeat(pool: Pool, run_id: UUID, every_s: float) -> AsyncIterator[None]:
    """Keep the run's ``updated_at`` fresh while the engine works, so the sweep can tell
    a long run from one whose worker died."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every_s)
            async with pool.acquire() as conn:
                await runs_db.touch_run(conn, run_id)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _progress(pool: Pool, run_id: UUID, stage: str, percent: int) -> None:
    async with pool.acquire() as conn:
        await runs_db.set_progress(conn, run_id, stage, percent)
