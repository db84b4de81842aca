"""The matcher: an arq worker. Jobs are thin wrappers; PostgreSQL is the record.

Run it with ``samlast worker``. It keeps a PostgreSQL pool and the settings in the
job context, refreshes arq's health-check key (read by the API's ``/health``), and
on SIGINT/SIGTERM stops taking jobs and lets running ones finish first.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx
from arq.connections import ArqRedis
from arq.constants import health_check_key_suffix
from arq.cron import cron
from arq.typing import WorkerCoroutine
from arq.worker import Worker, func

from services.matcher.jobs import (
    close_due_cycles,
    deliver_webhook,
    match_cycle,
    requeue_due_webhooks,
    requeue_stale_runs,
    self_check,
)
from services.matcher.outbound import new_client
from services.matcher.webhooks import LEASE_MARGIN_S
from shared.db.pool import Pool, create_pool
from shared.queue import MATCH_JOB, WEBHOOK_JOB, connect_queue, redis_settings
from shared.security.sealing import sealer_of
from shared.settings import Settings

HEALTH_CHECK_INTERVAL_S = 10
SHUTDOWN_GRACE_S = 30
MATCH_TIMEOUT_S = 600
EVERY_5_S = set(range(0, 60, 5))


def build_worker(settings: Settings, *, burst: bool = False, **overrides: Any) -> Worker:
    """A configured arq Worker; ``burst`` drains the queue and returns (tests, one-shots)."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["sealer"] = sealer_of(settings.secret_keys)
        ctx["pool"] = await create_pool(
            settings, server_settings={"application_name": "samlast-matcher"}
        )
        ctx["queue"] = await connect_queue(settings)
        ctx["worker_name"] = f"{socket.gethostname()}:{os.getpid()}"
        ctx["http"] = new_client()

    async def shutdown(ctx: dict[str, Any]) -> None:
        pool: Pool | None = ctx.get("pool")
        if pool is not None:
            await pool.close()
        queue: ArqRedis | None = ctx.get("queue")
        if queue is not None:
            await queue.aclose()
        http: httpx.AsyncClient | None = ctx.get("http")
        if http is not None:
            await http.aclose()

    options: dict[str, Any] = {
        "functions": [
            func(_job(self_check), name="self_check", timeout=30, max_tries=1),
            # retried if a worker dies mid-run; the run itself records domain failures
            func(_job(match_cycle), name=MATCH_JOB, timeout=MATCH_TIMEOUT_S, max_tries=5),
            # its own retries are new jobs with a delay; arq's tries cover a dead worker.
            # No result kept: once an attempt's job is over, the sweep may queue it again.
            func(
                _job(deliver_webhook),
                name=WEBHOOK_JOB,
                timeout=settings.webhook_timeout_s + LEASE_MARGIN_S,
                max_tries=3,
                keep_result=0,
            ),
        ],
        "cron_jobs": [
            cron(_job(close_due_cycles), second=EVERY_5_S, run_at_startup=True),
            cron(_job(requeue_stale_runs), second=EVERY_5_S, run_at_startup=True),
            cron(_job(requeue_due_webhooks), second=EVERY_5_S, run_at_startup=True),
        ],
        "queue_name": settings.queue_name,
        "redis_settings": redis_settings(settings),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "max_jobs": settings.worker_concurrency,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        "job_completion_wait": SHUTDOWN_GRACE_S,
        "burst": burst,
        "handle_signals": not burst,
    }
    options.update(overrides)
    return Worker(**options)


async def heartbeat(settings: Settings) -> str | None:
    """The latest health-check line a worker on this queue wrote, if it is still fresh."""
    queue = await connect_queue(settings)
    try:
        beat = await queue.get(settings.queue_name + health_check_key_suffix)
    finally:
        await queue.aclose()
    return beat.decode() if isinstance(beat, bytes) else beat


def _job(function: Callable[..., Awaitable[Any]]) -> WorkerCoroutine:
    """arq types ``ctx`` as a plain dict; our jobs take the typed ``WorkerContext``."""
    return cast(WorkerCoroutine, function)
