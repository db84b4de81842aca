"""Class 1 of issue 16: slow clients hold nothing that other tenants need.

Attack: more clients than the API has database connections, each sending the head of
a request with a body (every route that takes one: JSON, uploads, the pages' form
posts) and then dripping that body a byte at a time; others send headers alone, a
byte at a time. Victims: another tenant's reads and writes, and the health check.
They must be answered while the attack goes on; the slow clients must be cut off.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import httpx
import pytest

from services.api.app import create_app
from services.api.auth.sessions import COOKIE
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.figures import Figures
from tests.support.http import Client, bearer
from tests.support.people import session_for
from tests.support.security import SlowClient, api_server
from tests.support.world import World, build_world, offer_body

pytestmark = pytest.mark.integration
POOL = 2  # the API's connections: far fewer than the slow clients


def routes_with_a_body(settings: Settings) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, its ids filled in."""
    found = set()
    for route in create_app(settings).routes:
        methods: set[str] = set(getattr(route, "methods", set()))
        for method in sorted(methods & {"POST", "PUT", "PATCH"}):
            path = re.sub(r"{\w+:uuid}", lambda _: str(uuid.uuid4()), route.path)
            found.add((method, re.sub(r"{\w+(:\w+)?}", "x", path)))
    return sorted(found)


def attacker_headers(path: str, token: str, url: str, session: str = "") -> dict[str, str]:
    if path.startswith("/app"):  # the pages: signed in by cookie, posted from the site
        return {
            "Cookie": f"{COOKIE}={session}",
            "Origin": url,
            "Content-Type": "application/x-www-form-urlencoded",
        }
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.fixture
async def tenants(client: Client, admin_token: str) -> tuple[World, World]:
    return await build_world(client, admin_token), await build_world(client, admin_token)


async def test_slow_bodies_and_heads_never_starve_other_tenants(
    settings: Settings,
    settings_env: dict[str, str],
    tenants: tuple[World, World],
    tmp_path: Path,
    figures: Figures,
    pool: Pool,
) -> None:
    attacker, victim = tenants
    routes = routes_with_a_body(settings)
    session = await session_for(pool, attacker.producer)
    env = {"SAMLAST_DB_POOL_MIN": "1", "SAMLAST_DB_POOL_MAX": str(POOL)}
    with api_server(settings_env, tmp_path, **env) as (url, _):
        slow = [
            SlowClient(url, method, path, attacker_headers(path, attacker.producer, url, session))
            for method, path in routes
        ]
        heads = [SlowClient(url, "POST", "/v1/offers", {}) for _ in range(20)]
        for client in slow:
            await client.open()
            assert await client.drip(b"{")
        for client in heads:
            await client.open(head_only=True)
        stop = asyncio.Event()

        async def keep_dripping() -> None:
            while not stop.is_set():
                for client in slow:
                    await client.drip(b" ")
                await asyncio.sleep(0.5)

        dripping = asyncio.create_task(keep_dripping())
        try:
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                answers = [
                    await http.get("/health"),
                    await http.get("/v1/networks", headers=bearer(victim.coordinator)),
                    await http.post(
                        "/v1/offers", json=offer_body(victim), headers=bearer(victim.producer)
                    ),
                    await http.get("/v1/offers", headers=bearer(victim.producer)),
                ]
            still_open = sum(not client.writer.is_closing() for client in slow if client.writer)
        finally:
            stop.set()
            await dripping
            for client in [*slow, *heads]:
                await client.close()
    assert [a.status_code for a in answers] == [200, 200, 201, 200], [a.text for a in answers]
    assert still_open == len(slow)  # the attack was still going on while they were served
    figures.record(
        "security: slow clients",
        f"{len(slow)} routes with a body dripped + {len(heads)} half-sent heads against a "
        f"pool of {POOL}: another tenant's 4 requests all answered",
    )


async def test_slow_clients_are_cut_off(
    settings_env: dict[str, str], tenants: tuple[World, World], tmp_path: Path
) -> None:
    attacker, _ = tenants
    env = {"SAMLAST_REQUEST_HEADER_TIMEOUT_S": "1", "SAMLAST_REQUEST_BODY_TIMEOUT_S": "2"}
    with api_server(settings_env, tmp_path, **env) as (url, _):
        body = SlowClient(
            url, "POST", "/v1/offers/bulk", attacker_headers("/v1", attacker.producer, url)
        )
        head = SlowClient(url, "GET", "/v1/networks", {})
        await body.open()
        await head.open(head_only=True)

        async def drip_until_cut() -> None:
            for _ in range(600):  # a byte every 0.2 s, for up to two minutes
                if not await body.drip(b" "):
                    return
                await asyncio.sleep(0.2)

        dripping = asyncio.create_task(drip_until_cut())
        body_answer = await asyncio.wait_for(body.answer(), 60)
        head_answer = await asyncio.wait_for(head.answer(), 60)
        dripping.cancel()
        await body.close()
        await head.close()
    assert body_answer.startswith(b"HTTP/1.1 408 "), body_answer
    assert b"did not arrive within 2 s" in body_answer
    assert head_answer == b""  # headers never finished: the connection is closed


async def test_a_body_over_the_limit_is_refused_while_it_streams(
    settings_env: dict[str, str], tenants: tuple[World, World], tmp_path: Path
) -> None:
    """Chunked, so no Content-Length warns: the server stops reading once 5 MB have
    arrived. Its 413 may reach the client or be overtaken by the reset that closing a
    socket with unread bytes causes (as with any server that does not linger); either
    way the client could not send its 20 MB. Announced as too large, a body is refused
    before a byte of it is read."""
    attacker, _ = tenants
    headers = attacker_headers("/v1", attacker.producer, "")
    with api_server(settings_env, tmp_path) as (url, _):
        streaming = SlowClient(url, "POST", "/v1/offers/bulk", headers)
        sent, answer = await streaming.stream(b"[" * 65536, 20 * 1024 * 1024)
        announced = SlowClient(
            url, "POST", "/v1/offers/bulk", {**headers, "Content-Length": str(50 * 1024 * 1024)}
        )
        await announced.open(chunked=False)
        refused = await asyncio.wait_for(announced.answer(), 60)
        await announced.close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413 ")
    assert sent < 20 * 1024 * 1024
    assert refused.startswith(b"HTTP/1.1 413 "), refused[:200]
    assert b"larger than 5,242,880 bytes" in refused
