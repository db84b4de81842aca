"""What the security tests share: the real stack as child processes, a client of it,
and waiting for a cycle's runs to settle."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import cast

import httpx

from infra.devservers import free_port
from infra.processes import api_and_workers, samlast_process, wait_for_health
from shared.db.pool import Pool
from tests.support.http import Client

UNFINISHED = ("queued", "running")
# Quick runs: a small network needs no long route search.
FAST = {"SAMLAST_ROUTING_SECONDS": "0.5", "SAMLAST_RATE_LIMIT_PER_MINUTE": "1000000"}


@contextlib.contextmanager
def stack(env: Mapping[str, str], logs: Path, *, workers: int = 1) -> Iterator[str]:
    """``samlast api`` and ``workers`` matchers (none: the API alone); yields its URL."""
    env = {**env, **FAST}
    if workers:
        with api_and_workers(env, logs, workers=workers) as url:
            yield url
        return
    port = free_port()
    env = {**env, "SAMLAST_API_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    with samlast_process(["api"], env, logs / "api.log") as api:
        wait_for_health(url, {"api": api}, logs, need_worker=False)
        yield url


@contextlib.asynccontextmanager
async def client_of(url: str, connections: int = 100) -> AsyncIterator[Client]:
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        yield cast(Client, http)


async def settled(pool: Pool, cycle_ids: list[str]) -> None:
    """Until no run of these cycles is queued or running (the test's timeout bounds it)."""
    while True:
        async with pool.acquire() as conn:
            busy = await conn.fetchval(
                "SELECT count(*) FROM match_run WHERE cycle_id = any($1::uuid[]) "
                "AND state = any($2::text[])",
                cycle_ids,
                list(UNFINISHED),
            )
        if not busy:
            return
        await asyncio.sleep(0.1)
