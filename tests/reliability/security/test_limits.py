"""Classes 5 and 6 of issue 16: limits never lock out valid users, and a Redis outage
is not an API outage. Against real API processes and a Redis server of their own.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from infra.devservers import embedded_redis, free_port
from services.api.auth.tokens import new_token
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.security import api_logs, api_server, own_redis_db
from tests.support.world import World, build_world

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


async def fresh_redis_db(settings: Settings, db: int) -> str:
    url = own_redis_db(settings.redis.url, db)
    async with Redis.from_url(url) as redis:
        await redis.flushdb()
    return url


async def statuses(
    http: httpx.AsyncClient, path: str, token: str | None, n: int, **kw: str
) -> list[int]:
    headers = {**(bearer(token) if token else {}), **kw}
    return [(await http.get(path, headers=headers)).status_code for _ in range(n)]


async def test_an_address_full_of_failures_still_admits_valid_tokens(
    settings: Settings,
    settings_env: dict[str, str],
    client: Client,
    world: World,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """One office NAT: anonymous noise, a stale token and guesses, then the others."""
    env = {
        "REDIS_URL": await fresh_redis_db(settings, 13),
        "SAMLAST_AUTH_FAILURES_PER_MINUTE": "5",
        "SAMLAST_RATE_LIMIT_PER_MINUTE": "100",
    }
    stale = await ok(
        await client.post(
            f"/v1/organisations/{world.coop_id}/tokens",
            json={"label": "stale"},
            headers=bearer(world.coop),
        ),
        201,
    )
    await ok(await client.delete(f"/v1/tokens/{stale['id']}", headers=bearer(world.coop)), 204)
    with api_server(settings_env, tmp_path, **env) as (url, _):
        async with httpx.AsyncClient(base_url=url) as http:
            anonymous = await statuses(http, "/v1/networks", None, 60)
            stale_answers = await statuses(http, "/v1/networks", stale["token"], 8)
            guesses = await statuses(http, "/v1/networks", new_token().token, 3)
            others = [
                *await statuses(http, "/v1/networks", world.coop, 3),
                *await statuses(http, "/v1/networks", world.producer, 3),
                *await statuses(http, "/v1/networks", world.coordinator, 3),
            ]
            # an untrusted client naming another address in X-Forwarded-For is still itself
            spoofed = await statuses(
                http, "/v1/networks", new_token().token, 2, **{"X-Forwarded-For": "203.0.113.9"}
            )
    assert set(anonymous) == {401}  # no credential: nothing to count against the address
    assert stale_answers == [401] * 5 + [429] * 3
    assert guesses == [429] * 3
    assert others == [200] * 9
    assert spoofed == [429] * 2
    figures.record(
        "security: limits and valid users",
        "60 credential-less requests, 8 with a revoked token, 5 guesses from one address "
        "(failure limit 5): 9 of 9 valid requests from that address served",
    )


async def test_trusted_proxies_name_the_client_and_tokens_do_not_multiply_the_limit(
    settings: Settings, settings_env: dict[str, str], client: Client, world: World, tmp_path: Path
) -> None:
    env = {
        "REDIS_URL": await fresh_redis_db(settings, 14),
        "SAMLAST_AUTH_FAILURES_PER_MINUTE": "3",
        "SAMLAST_RATE_LIMIT_PER_MINUTE": "10",
        "SAMLAST_TRUSTED_PROXIES": "127.0.0.1",
    }
    minted = [
        (
            await ok(
                await client.post(
                    f"/v1/organisations/{world.producer_id}/tokens",
                    json={"label": f"clone {n}"},
                    headers=bearer(world.coordinator),
                ),
                201,
            )
        )["token"]
        for n in range(5)
    ]
    with api_server(settings_env, tmp_path, **env) as (url, _):
        async with httpx.AsyncClient(base_url=url) as http:
            first = await statuses(
                http, "/v1/networks", new_token().token, 4, **{"X-Forwarded-For": "198.51.100.1"}
            )
            second = await statuses(
                http, "/v1/networks", new_token().token, 1, **{"X-Forwarded-For": "198.51.100.2"}
            )
            producer = [
                status
                for token in minted
                for status in await statuses(http, "/v1/offers", token, 4)
            ]
    assert first == [401] * 3 + [429]
    assert second == [401]  # another client behind the same proxy: its own count
    # five tokens of one organisation share its one limit
    assert (producer.count(200), producer.count(429)) == (10, 10)


async def test_redis_away_is_not_an_outage(
    settings_env: dict[str, str],
    client: Client,
    world: World,
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """Redis stops under a running API: reads, writes, refusals and limits carry on,
    closing a cycle still records its run, and nothing answers 500."""
    env = {"SAMLAST_RATE_LIMIT_PER_MINUTE": "40", "SAMLAST_QUEUE_NAME": secrets.token_hex(4)}
    with contextlib.ExitStack() as api, contextlib.ExitStack() as redis:
        redis_url = redis.enter_context(embedded_redis())
        url, _ = api.enter_context(api_server(settings_env, tmp_path, **env, REDIS_URL=redis_url))
        redis.close()  # Redis stops under the running API
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            reads = await statuses(http, "/v1/networks", world.coordinator, 5)
            refused = await statuses(http, "/v1/networks", new_token().token, 2)
            close = await http.post(
                f"/v1/cycles/{world.cycle['id']}/close", headers=bearer(world.coordinator)
            )
            limited = await statuses(http, "/v1/offers", world.producer, 45)
    async with pool.acquire() as conn:
        runs = await conn.fetch(
            "SELECT state FROM match_run WHERE cycle_id = $1", world.cycle["id"]
        )
    assert reads == [200] * 5
    assert refused == [401] * 2
    assert close.status_code == 200, close.text
    assert [run["state"] for run in runs] == ["queued"]  # the sweep queues it when Redis is back
    assert (limited.count(200), limited.count(429)) == (40, 5)  # limits held in-process
    figures.record(
        "security: Redis away",
        "Redis stopped under a running API: 5/5 reads, 2/2 refusals as 401, the cycle "
        "closed with its run recorded as queued, and the rate limit held in-process "
        "(40 of 45 served); no 5xx",
    )


async def test_the_api_starts_and_serves_while_redis_is_away(
    settings_env: dict[str, str], world: World, tmp_path: Path
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with api_server(settings_env, tmp_path, REDIS_URL=dead) as (url, _):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            reads = await statuses(http, "/v1/networks", world.coordinator, 3)
    log = api_logs(tmp_path)
    assert reads == [200] * 3
    assert f"cannot reach Redis at {dead}" in log  # said once, at start
