"""The fleet's measurements: many networks closed at once on one or two workers, and a
fresh worker's peak memory over one big run; each checked for lost or doubled results."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from bench.fleet.report import FleetReport, FleetRow, MemoryRow
from bench.fleet.scenario import (
    FLEET_SHAPE,
    QUICK_ROUTING_SHAPE,
    ROUTING_SHAPE,
    Built,
    allocation_network,
    build_network,
)
from bench.stack import Worker, cpu_seconds, peak_mib, scratch_env, start_workers, wait_ready
from infra.devservers import servers_from_env
from services.api.app import create_app
from services.api.tokens.service import create_admin_token
from services.client import SamlastClient
from shared.db.migrate import migrate
from shared.db.pool import Conn, connect
from shared.settings import load_settings

Client = AsyncTestClient[Litestar]
FINISHED = ["proposed", "failed", "cancelled"]


def measure(quick: bool) -> FleetReport:
    started, load = time.monotonic(), os.getloadavg()[0]
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request
    networks, routing_seconds = (8, 1.0) if quick else (40, 4.0)
    with servers_from_env() as urls, tempfile.TemporaryDirectory(prefix="samlast-fleet-") as tmp:
        fleets = []
        for workers in (1, 2):
            with scratch_env(urls.database_url, urls.redis_url, "fleet") as env:
                alone = workers == 1 and not quick
                fleets.append(asyncio.run(_fleet(env, networks, workers, alone, Path(tmp))))
            print(
                f"fleet, {workers} worker(s): {fleets[-1].runs_per_minute:.1f} runs/min",
                file=sys.stderr,
                flush=True,
            )
        with scratch_env(urls.database_url, urls.redis_url, "fleet") as env:
            memory = asyncio.run(_memory(env, quick, routing_seconds, Path(tmp)))
    return FleetReport(
        quick, tuple(fleets), tuple(memory), routing_seconds, load, time.monotonic() - started
    )


async def _setup(env: dict[str, str]) -> tuple[Client, Conn, SamlastClient]:
    """The API in-process, the operator's connection (the login role, which migrates),
    and the API as an admin sees it."""
    settings = load_settings(env)
    conn = await connect(settings)
    await migrate(conn)
    token = await create_admin_token(conn, "bench/fleet")
    client = AsyncTestClient(app=create_app(settings))
    return client, conn, SamlastClient(client, token)


async def _wait_finished(conn: Conn, cycle_ids: list[uuid.UUID], timeout_s: float) -> None:
    """Until every run of these cycles is finished or the time is up (the verdict says)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await conn.fetchval(UNFINISHED, cycle_ids, FINISHED) == 0:
            return
        await asyncio.sleep(0.2)


UNFINISHED = """
SELECT count(*) FROM cycle c LEFT JOIN match_run r ON r.cycle_id = c.id
WHERE c.id = any($1::uuid[]) AND (r.id IS NULL OR NOT r.state = any($2::text[]))"""


# -- many networks at once ----------------------------------------------------------------


async def _fleet(env: dict[str, str], count: int, workers: int, alone: bool, tmp: Path) -> FleetRow:
    """``count`` networks closed together; if ``alone``, first one more closed alone."""
    client, conn, admin = await _setup(env)
    logs = Path(tempfile.mkdtemp(prefix=f"fleet-{workers}-", dir=tmp))
    try:
        async with client:
            with start_workers(workers, env, logs) as processes:  # they start while we build
                started = time.monotonic()
                gate = asyncio.Semaphore(4)
                built = await asyncio.gather(
                    *(build_network(admin, FLEET_SHAPE, n, gate) for n in range(count + alone))
                )
                build_s = time.monotonic() - started
                await wait_ready(processes, logs)
                solo = await _alone(conn, admin, processes, built.pop()) if alone else None
                cycles = [uuid.UUID(network.cycle_id) for network in built]
                cpu_before = cpu_seconds(processes)
                await asyncio.gather(*(_close(admin, network) for network in built))
                closed_at: dt.datetime = await conn.fetchval("SELECT clock_timestamp()")
                await _wait_finished(conn, cycles, timeout_s=60 + 20 * count)
                cpu_s = cpu_seconds(processes) - cpu_before
        row = await _verdict(conn, cycles, workers, built, build_s, closed_at, cpu_s)
        return dataclasses.replace(row, alone=solo)
    finally:
        await conn.close()


async def _alone(
    conn: Conn, api: SamlastClient, processes: list[Worker], network: Built
) -> tuple[float, float]:
    """One run with the workers to itself: its CPU seconds, and seconds claimed to proposed."""
    before = cpu_seconds(processes)
    await _close(api, network)
    await _wait_finished(conn, [uuid.UUID(network.cycle_id)], timeout_s=120)
    run = await conn.fetchrow(ONE_RUN, uuid.UUID(network.cycle_id))
    assert run is not None
    return cpu_seconds(processes) - before, _seconds(run)


def _seconds(run: asyncpg.Record) -> float:
    """Claimed to proposed (or failed)."""
    started: dt.datetime = run["started_at"]
    return ((run["finished_at"] or started) - started).total_seconds()


async def _close(api: SamlastClient, network: Built) -> None:
    """Close the network's cycle as its coordinator."""
    await api.as_(network.coordinator).close_cycle(network.cycle_id)


async def _verdict(
    conn: Conn,
    cycles: list[uuid.UUID],
    workers: int,
    built: Sequence[Built],
    build_s: float,
    closed_at: dt.datetime,
    cpu_s: float,
) -> FleetRow:
    runs = await conn.fetch(RUN_ROWS, cycles)
    problems = [
        f"cycle {row['id']} ({row['state']}) has {row['runs']} runs"
        for row in await conn.fetch(CYCLE_RUNS, cycles)
        if row["runs"] != 1 or row["state"] != "matched"
    ]
    problems += [
        f"run {r['id']} {r['state']}: {r['error']}" for r in runs if r["state"] != "proposed"
    ]
    problems += [f"run {run['id']}: {what}" for run in runs for what in _stored_twice(run)]
    for what, sql in (
        ("lines given more than firm + tolerance", OVERFILLED),
        (
            "offers whose reserved packs differ from what proposed runs bought",
            MISRESERVED,
        ),
    ):
        if found := await conn.fetchval(sql, cycles):
            problems.append(f"{found} {what}")
    proposed = [run for run in runs if run["state"] == "proposed"]
    last = max((run["finished_at"] for run in proposed), default=closed_at)
    run_s = [(run["finished_at"] - run["started_at"]).total_seconds() for run in proposed]
    return FleetRow(
        workers=workers,
        networks=len(cycles),
        offers=sum(network.offers for network in built),
        lines=sum(network.lines for network in built),
        shipments=sum(run["shipment_rows"] for run in runs),
        build_s=build_s,
        closing_s=(
            closed_at - min((r["created_at"] for r in runs), default=closed_at)
        ).total_seconds(),
        drain_s=(last - closed_at).total_seconds(),
        run_s=statistics.median(run_s or [0.0]),
        worker_cpu_s=cpu_s,
        runs=len(runs),
        proposed=len(proposed),
        retried=sum(run["attempts"] > 1 for run in runs),
        problems=tuple(problems),
    )


def _stored_twice(run: asyncpg.Record) -> list[str]:
    """Where a run's rows disagree with the summary stored with them in one transaction."""
    summary, routing = run["summary"] or {}, run["routing"] or {}
    filled = summary.get("firm_units_filled", 0) + summary.get("tolerance_units", 0)
    expected = {
        "packs bought": (run["packs"], summary.get("packs_bought")),
        "units allocated": (run["units"], filled),
        "allocation rows per offer and line": (run["allocation_rows"], run["allocation_keys"]),
        "lines short": (run["unfilled_rows"], summary.get("lines_short")),
        "shipments": (run["shipment_rows"], routing.get("shipments")),
        "joint routes": (run["joint_routes"], (routing.get("joint") or {}).get("routes")),
    }
    return [
        f"{what}: {got} stored, {want} expected"
        for what, (got, want) in expected.items()
        if got != want
    ]


CYCLE_RUNS = """
SELECT c.id, c.state, count(r.id) AS runs
FROM cycle c LEFT JOIN match_run r ON r.cycle_id = c.id
WHERE c.id = any($1::uuid[]) GROUP BY c.id, c.state"""

RUN_ROWS = """
SELECT r.id, r.state, r.error, r.attempts, r.summary, r.routing, r.created_at,
       r.started_at, r.finished_at,
       (SELECT coalesce(sum(p.packs), 0) FROM run_purchase p WHERE p.run_id = r.id) AS packs,
       (SELECT coalesce(sum(a.units), 0) FROM allocation a WHERE a.run_id = r.id) AS units,
       (SELECT count(*) FROM allocation a WHERE a.run_id = r.id) AS allocation_rows,
       (SELECT count(DISTINCT (a.offer_id, a.demand_line_id)) FROM allocation a
        WHERE a.run_id = r.id) AS allocation_keys,
       (SELECT count(*) FROM unfilled_demand u WHERE u.run_id = r.id) AS unfilled_rows,
       (SELECT count(*) FROM shipment s WHERE s.run_id = r.id) AS shipment_rows,
       (SELECT count(*) FROM route t WHERE t.run_id = r.id AND t.plan = 'joint') AS joint_routes
FROM match_run r WHERE r.cycle_id = any($1::uuid[])"""

# A result stored twice would give its lines their units twice ...
OVERFILLED = """
SELECT count(*) FROM (
    SELECT sum(a.units) AS got, min(d.firm_quantity + d.tolerance) AS most
    FROM allocation a JOIN match_run r ON r.id = a.run_id
    JOIN demand_line d ON d.id = a.demand_line_id
    WHERE r.cycle_id = any($1::uuid[]) GROUP BY a.run_id, a.demand_line_id) lines
WHERE got > most"""

# ... and reserve its packs twice.
MISRESERVED = """
SELECT count(*) FROM offer o
WHERE o.id IN (SELECT l.offer_id FROM offer_listing l JOIN cycle c ON c.network_id = l.network_id
               WHERE c.id = any($1::uuid[]))
  AND o.packs_reserved <> (SELECT coalesce(sum(p.packs), 0) FROM run_purchase p
                           JOIN match_run r ON r.id = p.run_id
                           WHERE p.offer_id = o.id AND r.state = 'proposed')"""


# -- memory --------------------------------------------------------------------------------


async def _memory(
    env: dict[str, str], quick: bool, routing_seconds: float, tmp: Path
) -> list[MemoryRow]:
    client, conn, admin = await _setup(env)
    divide, routing = (10, QUICK_ROUTING_SHAPE) if quick else (1, ROUTING_SHAPE)
    cases: list[tuple[str, dict[str, str], Callable[[], Awaitable[Built]]]] = [
        (
            f"allocation: bench/allocation.py's {'1/10x' if quick else '1x'} network, no vans",
            env,
            lambda: allocation_network(conn, divide),
        ),
        (
            f"routing: {routing.vans} vans, route search capped at {routing_seconds:g} s a plan",
            {**env, "SAMLAST_ROUTING_SECONDS": str(routing_seconds)},
            lambda: build_network(admin, routing, 1000, asyncio.Semaphore(1)),
        ),
    ]
    try:
        async with client:
            return [
                await _memory_case(conn, admin, case, case_env, build, tmp)
                for case, case_env, build in cases
            ]
    finally:
        await conn.close()


async def _memory_case(
    conn: Conn,
    admin: SamlastClient,
    case: str,
    env: dict[str, str],
    build: Callable[[], Awaitable[Built]],
    tmp: Path,
) -> MemoryRow:
    """A fresh worker takes the network's run: its peak resident set before and after."""
    logs = Path(tempfile.mkdtemp(prefix="memory-", dir=tmp))
    with start_workers(1, env, logs) as (worker,):
        network = await build()  # while the worker starts
        await wait_ready([worker], logs)
        idle = peak_mib(worker)
        await admin.close_cycle(network.cycle_id)
        await _wait_finished(conn, [uuid.UUID(network.cycle_id)], timeout_s=900)
        peak = peak_mib(worker)
    run = await conn.fetchrow(ONE_RUN, uuid.UUID(network.cycle_id))
    assert run is not None
    return MemoryRow(case, network, run["shipments"], run["state"], _seconds(run), idle, peak)


ONE_RUN = """
SELECT r.state, r.started_at, r.finished_at,
       (SELECT count(*) FROM shipment s WHERE s.run_id = r.id) AS shipments
FROM match_run r WHERE r.cycle_id = $1"""
