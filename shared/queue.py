"""The job queue: arq on Redis. Redis holds queues only; PostgreSQL is the record."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from uuid import UUID

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import in_progress_key_prefix, result_key_prefix
from redis.exceptions import RedisError

from shared.contracts.messages import OUTBOX_JOB
from shared.contracts.runs import MATCH_JOB
from shared.db.pool import Conn
from shared.errors import ServiceUnavailableError
from shared.settings import Settings, redact

log = logging.getLogger(__name__)


def redis_settings(settings: Settings) -> RedisSettings:
    options = RedisSettings.from_dsn(settings.redis.url)
    options.conn_timeout = max(1, round(settings.connect_timeout_s))
    options.conn_retries = 2
    options.conn_retry_delay = 1
    return options


# A command to Redis that has not answered in this long has failed (the API then
# carries on without it: its limits count locally, the sweep queues runs later).
QUICK_S = 2.0


def queue_client(settings: Settings) -> ArqRedis:
    """An arq client that connects on first use, so a process that must keep serving
    while Redis is away (the API) also starts while it is away."""
    queue: ArqRedis = ArqRedis.from_url(
        settings.redis.url, socket_timeout=QUICK_S, socket_connect_timeout=QUICK_S
    )
    queue.default_queue_name = settings.redis.queue_name
    return queue


async def connect_queue(settings: Settings) -> ArqRedis:
    """An arq Redis pool on the configured queue; ServiceUnavailableError if unreachable."""
    try:
        return await create_pool(
            redis_settings(settings), default_queue_name=settings.redis.queue_name
        )
    except (OSError, RedisError) as exc:
        raise ServiceUnavailableError(
            f"cannot reach Redis at {redact(settings.redis.url)}: {exc}"
        ) from exc


async def release_match(queue: ArqRedis, run_id: UUID) -> None:
    """Drop arq's in-progress lock of a run's job whose worker died, so another worker
    takes it now rather than when the lock expires (the job's timeout later); and the
    result of a job that ended without finishing its run (its database went away),
    which would otherwise make arq refuse the same job id for an hour."""
    await queue.delete(in_progress_key_prefix + str(run_id), result_key_prefix + str(run_id))


async def enqueue_match(queue: ArqRedis, run_id: UUID) -> bool:
    """Queue the run's job under the run's id: arq keeps one job per id, so a re-enqueue
    of a run already queued or running is a no-op. False if it was already there."""
    return await queue.enqueue_job(MATCH_JOB, str(run_id), _job_id=str(run_id)) is not None


def outbox_queue_name(queue_name: str) -> str:
    """The queue of outbox messages (webhooks), beside the matching queue ``queue_name``:
    the matcher serves it with slots of its own, so receivers never hold matching slots."""
    return f"{queue_name}:outbox"


async def enqueue_message(
    queue: ArqRedis, message_id: UUID, attempt: int, defer_s: float = 0
) -> bool:
    """Queue one attempt at an outbox message on the outbox queue beside ``queue``'s
    own; the id names the attempt, so the sweep re-queuing an attempt already queued is
    a no-op."""
    job = await queue.enqueue_job(
        OUTBOX_JOB,
        str(message_id),
        _job_id=f"outbox:{message_id}:{attempt}",
        _queue_name=outbox_queue_name(queue.default_queue_name),
        _defer_by=defer_s or None,
    )
    return job is not None


Job = Callable[[ArqRedis], Awaitable[object]]


class AfterCommit:
    """Jobs to queue once the transaction that wrote their rows has committed."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, Job]] = []

    def match(self, run_id: UUID) -> None:
        self.jobs.append((f"run {run_id}", lambda queue: enqueue_match(queue, run_id)))

    def message(self, message_id: UUID) -> None:
        self.jobs.append(
            (f"message {message_id}", lambda queue: enqueue_message(queue, message_id, 0))
        )


@asynccontextmanager
async def transaction_then_queue(conn: Conn, queue: ArqRedis) -> AsyncIterator[AfterCommit]:
    """Write rows in one transaction, then queue their jobs: a job never runs before its
    row exists, and if Redis is away the row is still the record, which the matcher's
    sweeps find and queue later. The one way the services queue work."""
    after = AfterCommit()
    async with conn.transaction():
        yield after
    for what, job in after.jobs:
        try:
            await job(queue)
        except (OSError, RedisError):
            log.warning("could not queue %s now; the matcher's sweep will", what)
