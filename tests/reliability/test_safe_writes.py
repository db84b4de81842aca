"""Retries and concurrent edits never double-write or lose an update."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from infra.devservers import free_port
from infra.processes import samlast_process, wait_for_health
from services.api.app import create_app
from services.api.auth.tokens import new_token
from services.api.tokens.service import create_admin_token
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.world import build_world, offer_body, offers_of


def _key() -> dict[str, str]:
    return {"Idempotency-Key": secrets.token_hex(8)}


async def test_same_key_same_body_replays_the_first_answer(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    headers = {**bearer(world.producer), **_key()}
    first = await client.post("/v1/offers", json=offer_body(world), headers=headers)
    second = await client.post("/v1/offers", json=offer_body(world), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await offers_of(pool, world.producer_id) == 1


async def test_same_key_different_body_is_refused(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    headers = {**bearer(world.producer), **_key()}
    await ok(await client.post("/v1/offers", json=offer_body(world), headers=headers), 201)
    other = await client.post(
        "/v1/offers", json=offer_body(world, packs_available=99), headers=headers
    )
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert await offers_of(pool, world.producer_id) == 1


async def test_key_is_scoped_to_the_token(client: Client, admin_token: str, pool: Pool) -> None:
    one, two = await build_world(client, admin_token), await build_world(client, admin_token)
    key = _key()
    await ok(
        await client.post(
            "/v1/offers", json=offer_body(one), headers={**bearer(one.producer), **key}
        ),
        201,
    )
    await ok(
        await client.post(
            "/v1/offers", json=offer_body(two), headers={**bearer(two.producer), **key}
        ),
        201,
    )
    assert await offers_of(pool, two.producer_id) == 1


async def test_concurrent_retries_write_once(client: Client, admin_token: str, pool: Pool) -> None:
    world = await build_world(client, admin_token)
    headers = {**bearer(world.producer), **_key()}
    responses = await asyncio.gather(
        *(client.post("/v1/offers", json=offer_body(world), headers=headers) for _ in range(8))
    )
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    assert all(
        r.json()["detail"].endswith("still in progress") for r in responses if r.status_code == 409
    )
    assert await offers_of(pool, world.producer_id) == 1


async def test_refused_request_is_replayed_not_rerun(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    headers = {**bearer(world.producer), **_key()}
    bad = offer_body(world, valid_from="2026-12-31", valid_until="2026-12-01")
    first = await client.post("/v1/offers", json=bad, headers=headers)
    second = await client.post("/v1/offers", json=bad, headers=headers)
    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()


async def test_bad_key_is_refused(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    response = await client.post(
        "/v1/offers",
        json=offer_body(world),
        headers={**bearer(world.producer), "Idempotency-Key": "x" * 256},
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


async def test_if_match_matrix(client: Client, admin_token: str) -> None:
    """No If-Match → 428; stale → 412; current → 200 and a new ETag; garbage → 412."""
    world = await build_world(client, admin_token)
    created = await client.post(
        "/v1/offers", json=offer_body(world), headers=bearer(world.producer)
    )
    offer_id, etag = created.json()["id"], created.headers["etag"]
    url, auth = f"/v1/offers/{offer_id}", bearer(world.producer)

    missing = await client.patch(url, json={"packs_available": 5}, headers=auth)
    assert missing.status_code == 428
    current = await client.patch(
        url, json={"packs_available": 5}, headers={**auth, "If-Match": etag}
    )
    assert current.status_code == 200
    assert current.headers["etag"] != etag
    stale = await client.patch(url, json={"packs_available": 7}, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    garbage = await client.patch(
        url, json={"packs_available": 7}, headers={**auth, "If-Match": "x"}
    )
    assert garbage.status_code == 412
    stale_withdraw = await client.delete(url, headers={**auth, "If-Match": etag})
    assert stale_withdraw.status_code == 412
    assert (await client.get(url, headers=auth)).json()["packs_available"] == 5
    withdrawn = await client.delete(url, headers={**auth, "If-Match": current.headers["etag"]})
    assert withdrawn.status_code == 204
    assert (await client.get(url, headers=auth)).json()["withdrawn_at"] is not None


async def test_concurrent_edits_with_one_etag_let_exactly_one_win(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    created = await client.post(
        "/v1/offers", json=offer_body(world), headers=bearer(world.producer)
    )
    url = f"/v1/offers/{created.json()['id']}"
    headers = {**bearer(world.producer), "If-Match": created.headers["etag"]}
    responses = await asyncio.gather(
        *(client.patch(url, json={"packs_available": n}, headers=headers) for n in range(1, 7))
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 5


def _own_redis_db(settings: Settings, db: int) -> str:
    """The same Redis server, another database: rate-limit counters no other test shares."""
    parts = urlsplit(settings.redis.url)
    return urlunsplit(parts._replace(path=f"/{db}"))


async def test_rate_limit_per_token_with_headers(settings: Settings, pool: Pool) -> None:
    redis_url = _own_redis_db(settings, 11)
    async with Redis.from_url(redis_url) as redis:
        await redis.flushdb()
    limited = settings.replace(
        **{"redis.url": redis_url, "api.rate_limit_per_minute": 3, "redis.queue_name": "rl"}
    )
    async with pool.acquire() as conn:
        fresh = await create_admin_token(conn, "rate limit test")
    async with AsyncTestClient(app=create_app(limited)) as client:
        answers = [await client.get("/v1/networks", headers=bearer(fresh)) for _ in range(4)]
        # malformed tokens, each different, share one bucket: their client address's
        garbage = [await client.get("/v1/networks", headers=bearer(f"junk-{n}")) for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit-limit"] == "3"
    assert answers[2].headers["ratelimit-remaining"] == "0"
    assert answers[3].json()["status"] == 429
    assert [g.status_code for g in garbage] == [401, 401, 401, 429]


async def test_refused_authentications_are_throttled_per_address(
    settings: Settings, pool: Pool
) -> None:
    """Well-formed guesses pass the checksum; each is its own bucket, so count refusals."""
    redis_url = _own_redis_db(settings, 12)
    async with Redis.from_url(redis_url) as redis:
        await redis.flushdb()
    limited = settings.replace(
        **{"redis.url": redis_url, "api.auth_failures_per_minute": 3, "redis.queue_name": "af"}
    )
    async with pool.acquire() as conn:
        admin = await create_admin_token(conn, "auth failure test")
        audited_before = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE outcome = 'unauthenticated'"
        )
    async with AsyncTestClient(app=create_app(limited)) as client:
        guesses = [
            await client.get("/v1/networks", headers=bearer(new_token().token)) for _ in range(5)
        ]
        valid_after = await client.get("/v1/networks", headers=bearer(admin))
    async with pool.acquire() as conn:
        audited_after = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE outcome = 'unauthenticated'"
        )
    assert [g.status_code for g in guesses] == [401, 401, 401, 429, 429]
    assert guesses[3].json()["detail"].startswith("too many refused authentications")
    assert 1 <= int(guesses[3].headers["retry-after"]) <= 60
    assert audited_after - audited_before == 3  # throttled guesses write no audit rows
    # a credential that verifies is let in, whatever its address did before (issue 16:
    # one stale token behind a co-op's NAT must not lock out everyone else there)
    assert valid_after.status_code == 200


async def test_the_rate_limit_holds_across_two_api_processes(
    settings: Settings, settings_env: dict[str, str], pool: Pool, tmp_path: Path
) -> None:
    """Two API processes behind a load balancer count one token's requests together:
    the counters live in Redis, not in either process."""
    redis_url = _own_redis_db(settings, 12)
    async with Redis.from_url(redis_url) as redis:
        await redis.flushdb()
    async with pool.acquire() as conn:
        fresh = await create_admin_token(conn, "rate limit test")
    env = {**settings_env, "REDIS_URL": redis_url, "SAMLAST_RATE_LIMIT_PER_MINUTE": "6"}
    ports = [free_port(), free_port()]
    with (
        samlast_process(
            ["api"], {**env, "SAMLAST_API_PORT": str(ports[0])}, tmp_path / "a.log"
        ) as a,
        samlast_process(
            ["api"], {**env, "SAMLAST_API_PORT": str(ports[1])}, tmp_path / "b.log"
        ) as b,
    ):
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, (a, b), strict=True):
            wait_for_health(url, {"api": process}, tmp_path, need_worker=False)
        async with httpx.AsyncClient() as http:
            statuses = [
                (await http.get(f"{urls[n % 2]}/v1/networks", headers=bearer(fresh))).status_code
                for n in range(8)
            ]
    assert statuses == [200] * 6 + [429] * 2
