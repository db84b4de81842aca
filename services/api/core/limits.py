"""Request limits: fixed one-minute windows counted in Redis, shared by every API process.

A window is a counter that ``INCR`` raises and ``EXPIRE`` ends (the pattern Redis
documents for rate limiters): one round trip, atomic across processes, the same cost
at any limit. While Redis is away the counts move into this process (each process
then limits on its own, which is logged) so that a Redis outage never turns into an
API outage; after ``RETRY_REDIS_S`` the next request tries Redis again.
"""

from __future__ import annotations

import logging
import time

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WINDOW_S = 60
RETRY_REDIS_S = 5.0
MAX_LOCAL_KEYS = 100_000  # an attacker cycling addresses must not grow this without end


class Window(msgspec.Struct, frozen=True):
    count: int  # requests in the window so far, this one included
    reset_s: int  # seconds until the window ends


class Limiter:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace
        self._local: dict[str, tuple[float, int]] = {}
        self._redis_back_at = 0.0  # monotonic time before which Redis is not asked

    async def hit(self, key: str) -> Window:
        """Count one more request under ``key`` in its current window."""
        if time.monotonic() >= self._redis_back_at:
            try:
                return await self._hit_redis(self.namespace + key)
            except (RedisError, OSError) as exc:
                self._redis_away(exc)
        return self._hit_local(key)

    async def _hit_redis(self, key: str) -> Window:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=WINDOW_S, nx=True)  # the window opens
            pipe.incr(key)
            pipe.ttl(key)
            _, count, ttl = await pipe.execute()
        if self._redis_back_at:
            self._redis_back_at = 0.0
            self._local.clear()
            log.warning("Redis answers again: request limits are shared across processes")
        return Window(count=int(count), reset_s=max(int(ttl), 1))

    def _redis_away(self, exc: BaseException) -> None:
        if not self._redis_back_at:
            log.warning(
                "Redis is unreachable (%s): request limits count in this process alone",
                type(exc).__name__,
            )
        self._redis_back_at = time.monotonic() + RETRY_REDIS_S

    def _hit_local(self, key: str) -> Window:
        now = time.monotonic()
        ends, count = self._local.get(key, (0.0, 0))
        if ends <= now:
            if len(self._local) >= MAX_LOCAL_KEYS:
                self._local = {k: v for k, v in self._local.items() if v[0] > now}
                if len(self._local) >= MAX_LOCAL_KEYS:
                    self._local.clear()
            ends, count = now + WINDOW_S, 0
        self._local[key] = (ends, count + 1)
        return Window(count=count + 1, reset_s=max(int(ends - now), 1))
