"""Whether the API can serve: PostgreSQL, Redis, and the matcher's heartbeat.

Only PostgreSQL, the record, is needed to serve: without it the API is ``unavailable``.
Without Redis (queues, rate limits) or a matcher the API still answers, ``degraded``, so
a load balancer keeps it in rotation. Anyone may learn the status word; versions,
latencies and error texts are for admins.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import msgspec
from arq.connections import ArqRedis
from arq.constants import health_check_key_suffix

from shared.db import server as server_db
from shared.db.pool import Pool

CHECK_TIMEOUT_S = 2.0


class Dependency(msgspec.Struct, kw_only=True, frozen=True):
    ok: bool
    latency_ms: int | None = None
    version: str | None = None
    error: str | None = None


class WorkerStatus(msgspec.Struct, kw_only=True, frozen=True):
    ok: bool
    heartbeat: str | None = None


StatusWord = Literal["ok", "degraded", "unavailable"]


class HealthStatus(msgspec.Struct, kw_only=True, frozen=True):
    """All an anonymous caller learns."""

    status: StatusWord


class Health(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """The status word, and for an admin what it rests on."""

    status: StatusWord
    postgres: Dependency | None = None
    redis: Dependency | None = None
    worker: WorkerStatus | None = None

    def words_only(self) -> Health:
        return Health(status=self.status)


class HealthService:
    def __init__(self, pool: Pool, queue: ArqRedis, queue_name: str) -> None:
        self.pool = pool
        self.queue = queue
        self.queue_name = queue_name

    async def check(self) -> Health:
        """Unavailable without PostgreSQL; degraded without Redis or a live matcher."""
        postgres, redis, worker = await asyncio.gather(
            self._postgres(), self._redis(), self._worker()
        )
        return Health(
            status=_status_word(postgres, redis, worker),
            postgres=postgres,
            redis=redis,
            worker=worker,
        )

    async def _postgres(self) -> Dependency:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                async with self.pool.acquire() as conn:
                    version = await server_db.server_version(conn)
        except Exception as exc:
            return Dependency(ok=False, error=_describe(exc))
        return Dependency(ok=True, latency_ms=_ms_since(started), version=version)

    async def _redis(self) -> Dependency:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                info = await self.queue.info("server")
        except Exception as exc:
            return Dependency(ok=False, error=_describe(exc))
        return Dependency(
            ok=True, latency_ms=_ms_since(started), version=str(info.get("redis_version"))
        )

    async def _worker(self) -> WorkerStatus:
        """arq workers refresh ``<queue>:health-check`` on every health-check interval."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                beat = await self.queue.get(self.queue_name + health_check_key_suffix)
        except Exception:
            return WorkerStatus(ok=False)
        if beat is None:
            return WorkerStatus(ok=False)
        return WorkerStatus(ok=True, heartbeat=beat.decode() if isinstance(beat, bytes) else beat)


def _status_word(postgres: Dependency, redis: Dependency, worker: WorkerStatus) -> StatusWord:
    if not postgres.ok:
        return "unavailable"
    return "ok" if redis.ok and worker.ok else "degraded"


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
