"""The matcher's two workers in the test's own process, on a queue of the test's own."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

from services.matcher.worker import build_worker
from shared.queue import connect_queue, outbox_queue_name
from shared.settings import Settings


def own_queue_settings(settings: Settings, **changes: object) -> Settings:
    """``settings`` on a queue no other test uses (a retry deferred for an hour by
    another test keeps no burst worker waiting), with ``changes`` by path."""
    name = f"{settings.redis.queue_name}-{secrets.token_hex(3)}"
    return settings.replace(**{"redis.queue_name": name, **changes})


async def forget_queue(settings: Settings) -> None:
    queue = await connect_queue(settings)
    try:
        await queue.delete(settings.redis.queue_name, outbox_queue_name(settings.redis.queue_name))
    finally:
        await queue.aclose()


async def drain(settings: Settings) -> None:
    """Both workers in burst mode: every job due now, and their retries due meanwhile."""
    workers = build_worker(settings, burst=True)
    try:
        await workers.main()
    finally:
        await workers.close()


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[None]:
    """Both workers until the block ends (retries beyond the test don't keep it waiting,
    as a burst worker would)."""
    workers = build_worker(settings)
    task = asyncio.create_task(workers.main())
    try:
        yield
    finally:
        workers.stop()  # as on SIGTERM: running jobs finish, nothing new starts
        await task
        await workers.close()
