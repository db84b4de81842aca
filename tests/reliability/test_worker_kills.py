"""Workers killed (SIGKILL) in the middle of a run: the run still completes, once, with
the result a clean run gives."""

from __future__ import annotations

import asyncio
import os
import random
import time
from contextlib import ExitStack
from pathlib import Path
from uuid import UUID

from infra.processes import samlast_process
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.figures import Figures
from tests.support.http import Client
from tests.support.runs import assert_stored_as, big_run, clean_result

LEASE_S = 2  # a run silent this long is taken up again (production: 60 s)
# The chaos test's size: CI's default, `make soak` sets more.
CHAOS_RUNS = int(os.environ.get("SAMLAST_CHAOS_RUNS", "30"))
CHAOS_KILLS = int(os.environ.get("SAMLAST_CHAOS_KILLS", "40"))
CHAOS_WORKERS = 3
UNFINISHED = ("queued", "running")


async def test_a_run_survives_its_worker_being_killed_twice(
    client: Client,
    admin_token: str,
    settings: Settings,
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    _, run_id = await big_run(client, admin_token, pool)
    clean = await clean_result(pool, settings, run_id)
    assert len(clean.allocations) > 1000

    env = {**settings_env, "SAMLAST_RUN_LEASE_S": str(LEASE_S)}
    await _kill_worker_mid_run(pool, run_id, env, tmp_path, times=2)
    with samlast_process(["worker"], env, tmp_path / "worker3.log"):
        await _wait_until(pool, run_id, lambda r: r["state"] == "proposed", timeout_s=90)

    async with pool.acquire() as conn:
        stored = await runs_db.select_run(conn, run_id)
        await assert_stored_as(conn, run_id, clean)
    assert stored is not None
    assert stored["attempts"] == 3
    figures.record(
        "test_worker_kills.py::test_a_run_survives_its_worker_being_killed_twice",
        f"1 run of {len(clean.allocations):,} allocations, its worker SIGKILLed twice "
        "mid-run: stored on the 3rd attempt, identical to a clean run",
    )


async def test_a_run_that_exhausts_its_attempts_fails_saying_why(
    client: Client,
    admin_token: str,
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """Killed as often as it may start, a run ends failed with the reason, its packs
    unreserved: never queued or running forever."""
    _, run_id = await big_run(client, admin_token, pool)
    env = {**settings_env, "SAMLAST_RUN_LEASE_S": str(LEASE_S), "SAMLAST_RUN_MAX_ATTEMPTS": "2"}
    await _kill_worker_mid_run(pool, run_id, env, tmp_path, times=2)
    with samlast_process(["worker"], env, tmp_path / "worker3.log"):
        await _wait_until(pool, run_id, lambda r: r["state"] == "failed", timeout_s=60)
    async with pool.acquire() as conn:
        failed = await runs_db.select_run(conn, run_id)
        bought = await conn.fetchval("SELECT count(*) FROM run_purchase WHERE run_id = $1", run_id)
    assert failed is not None
    assert "started 2 times without finishing" in failed["error"]
    assert bought == 0
    figures.record(
        "test_worker_kills.py::test_a_run_that_exhausts_its_attempts_fails_saying_why",
        f'limit 2 starts, killed twice: failed on the 3rd start saying "{failed["error"]}"; '
        "0 packs left reserved",
    )


async def test_many_runs_survive_workers_killed_again_and_again(
    client: Client,
    admin_token: str,
    settings: Settings,
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """CHAOS_RUNS runs, CHAOS_WORKERS workers, one SIGKILLed every half second or so until
    CHAOS_KILLS kills: every run ends proposed, stored once, as a clean run stores it."""
    run_ids = [
        (await big_run(client, admin_token, pool, offers=300, seed=i / (CHAOS_RUNS + 1)))[1]
        for i in range(CHAOS_RUNS)
    ]
    # each network has its own producer: runs share no offer
    clean = {run_id: await clean_result(pool, settings, run_id) for run_id in run_ids}

    env = {**settings_env, "SAMLAST_RUN_LEASE_S": str(LEASE_S), "SAMLAST_RUN_MAX_ATTEMPTS": "50"}
    chance = random.Random(20261129)
    kills = kills_mid_run = 0
    started = time.monotonic()
    with ExitStack() as stack:
        workers = [
            stack.enter_context(samlast_process(["worker"], env, tmp_path / f"w{n}.log"))
            for n in range(CHAOS_WORKERS)
        ]
        while kills < CHAOS_KILLS and await _runs_in(pool, run_ids, UNFINISHED):
            await asyncio.sleep(chance.uniform(0.2, 0.8))
            victim = chance.randrange(CHAOS_WORKERS)
            kills_mid_run += await _runs_in(pool, run_ids, ("running",)) > 0
            workers[victim].kill()
            workers[victim].wait(timeout=10)
            kills += 1
            log = tmp_path / f"w{victim}.log"
            workers[victim] = stack.enter_context(samlast_process(["worker"], env, log))
        deadline = time.monotonic() + 120
        while await _runs_in(pool, run_ids, UNFINISHED):
            assert time.monotonic() < deadline, "runs still unfinished 120 s after the last kill"
            await asyncio.sleep(0.2)
    elapsed = time.monotonic() - started

    async with pool.acquire() as conn:
        runs = {
            r["id"]: r
            for r in await conn.fetch(
                "SELECT id, state, attempts, cycle_id FROM match_run WHERE id = any($1)", run_ids
            )
        }
        per_cycle = await conn.fetchval(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM match_run WHERE cycle_id = any($1) "
            "GROUP BY cycle_id) c",
            [r["cycle_id"] for r in runs.values()],
        )
        duplicates = await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM allocation WHERE run_id = any($1) "
            "GROUP BY run_id, demand_line_id, offer_id HAVING count(*) > 1) d",
            run_ids,
        )
        reserved_wrong = await conn.fetchval(
            "SELECT count(*) FROM offer o WHERE o.packs_reserved <> coalesce((SELECT sum(packs) "
            "FROM run_purchase p WHERE p.offer_id = o.id AND p.run_id = any($1)), 0) "
            "AND o.id IN (SELECT offer_id FROM run_purchase WHERE run_id = any($1))",
            run_ids,
        )
        for run_id in run_ids:
            await assert_stored_as(conn, run_id, clean[run_id])
    assert {r["state"] for r in runs.values()} == {"proposed"}
    assert per_cycle == 1
    assert duplicates == 0
    assert reserved_wrong == 0
    retried = sum(r["attempts"] - 1 for r in runs.values())
    assert retried > 0, "no kill interrupted a run: make the runs bigger"
    figures.record(
        "test_worker_kills.py::test_many_runs_survive_workers_killed_again_and_again",
        f"{CHAOS_RUNS} runs, {CHAOS_WORKERS} workers, {kills} SIGKILLs ({kills_mid_run} while "
        f"a run was computing), {retried} attempts cut short and taken up again; "
        f"{CHAOS_RUNS} of {CHAOS_RUNS} proposed, identical to clean runs; duplicate rows: 0; "
        f"{elapsed:.0f} s",
    )


async def _runs_in(pool: Pool, run_ids: list[UUID], states: tuple[str, ...]) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM match_run WHERE id = any($1) AND state = any($2::text[])",
                run_ids,
                list(states),
            )
        )


async def _kill_worker_mid_run(
    pool: Pool, run_id: UUID, env: dict[str, str], tmp_path: Path, times: int
) -> None:
    """Start a worker, SIGKILL it while it computes the run; ``times`` times."""
    for attempt in range(1, times + 1):
        with samlast_process(["worker"], env, tmp_path / f"worker{attempt}.log") as worker:
            await _wait_until(
                pool, run_id, lambda r, a=attempt: r["state"] == "running" and r["attempts"] == a
            )
            worker.kill()  # SIGKILL: no clean-up, arq's lock on the job stays behind
            worker.wait(timeout=10)
        async with pool.acquire() as conn:
            after = await runs_db.select_run(conn, run_id)
        assert after is not None
        assert after["state"] == "running", "the run finished before the kill: make it bigger"


async def _wait_until(pool: Pool, run_id: UUID, done: object, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with pool.acquire() as conn:
            run = await runs_db.select_run(conn, run_id)
        if run is not None and done(run):  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"run {run_id} did not get there in {timeout_s} s: {dict(run or {})}")
