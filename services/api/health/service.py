"""Liveness of what the API depends on: PostgreSQL, Redis, and the matcher's heartbeat."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import msgspec
from arq.connections import ArqRedis
from arq.constants import health_check_key_suffix

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


class Health(msgspec.Struct, kw_only=True, frozen=True):
    status: Literal["ok", "degraded"]
    postgres: Dependency
    redis: Dependency
    worker: WorkerStatus


class HealthService:
    def __init__(self, pool: Pool, queue: ArqRedis, queue_name: str) -> None:
        self.pool = pool
        self.queue = queue
        self.queue_name = queue_name

    async def check(self) -> Health:
        """Degraded when PostgreSQL or Redis fail; the worker is reported, not required."""
        postgres, redis, worker = await asyncio.gather(
            self._postgres(), self._redis(), self._worker()
        )
        status: Literal["ok", "degraded"] = "ok" if postgres.ok and redis.ok else "degraded"
        return Health(status=status, postgres=postgres, redis=redis, worker=worker)

    async def _postgres(self) -> Dependency:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                async with self.pool.acquire() as conn:
                    version = await conn.fetchval("SHOW server_version")
        except Exception as exc:
            return Dependency(ok=False, error=_describe(exc))
        return Dependency(ok=True, latency_ms=_ms_since(started), version=str(version))

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


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
