"""The matcher as a real arq worker: in-process burst mode, and as the `samlast worker` process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from arq.connections import ArqRedis

from infra.processes import samlast_argv, samlast_process
from services.matcher.worker import build_worker
from shared.db.migrate import load_migrations
from shared.db.pool import Pool
from shared.queue import connect_queue
from shared.settings import Settings
from tests.support.http import Client, bearer


async def test_burst_worker_runs_a_job_against_postgres(settings: Settings, pool: Pool) -> None:
    queue = await connect_queue(settings)
    try:
        job = await queue.enqueue_job("self_check")
        assert job is not None
        worker = build_worker(settings, burst=True)
        try:
            await worker.main()
        finally:
            await worker.close()
        result = await job.result(timeout=5)
    finally:
        await queue.aclose()
    assert result["schema_version"] == str(len(load_migrations()))
    assert result["worker"].endswith(f":{os.getpid()}")
    assert int(result["postgres"].split(".")[0]) >= 15


async def test_worker_process_serves_jobs_and_reports_health(
    settings: Settings,
    settings_env: dict[str, str],
    pool: Pool,
    client: Client,
    admin_token: str,
    tmp_path: Path,
) -> None:
    queue = await connect_queue(settings)
    try:
        with samlast_process(["worker"], settings_env, tmp_path / "worker.log") as worker:
            job = await queue.enqueue_job("self_check")
            assert job is not None
            result = await job.result(timeout=60)
            assert result["worker"].endswith(f":{worker.pid}")
            health = (await client.get("/health", headers=bearer(admin_token))).json()
            assert health["worker"]["ok"] is True, health
            assert _check(settings_env) == 0
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=40) == 0
        assert "shutdown on SIGTERM" in (tmp_path / "worker.log").read_text()
        assert await _heartbeat(queue, settings) is None  # a clean stop removes its heartbeat
        assert _check(settings_env) == 1
    finally:
        await queue.aclose()


async def _heartbeat(queue: ArqRedis, settings: Settings) -> bytes | None:
    deadline = time.monotonic() + 5
    beat: bytes | None = await queue.get(f"{settings.redis.queue_name}:health-check")
    while beat is not None and time.monotonic() < deadline:
        beat = await queue.get(f"{settings.redis.queue_name}:health-check")
    return beat


def _check(env: dict[str, str]) -> int:
    """`samlast worker --check`, the compose health check."""
    return subprocess.run(
        samlast_argv("worker", "--check"), env=env, capture_output=True, timeout=30, check=False
    ).returncode
