"""Deployment B beside the session's deployment A, for the federation tests: a second app
on a scratch database of the same server, whose public URL is ``B_URL``. Requests go to B
in process; what B checks (key, signature, digest, clock, nonce) is exactly what a
request over the network meets. ``tests/integration/federation/conftest.py`` makes these
fixtures every federation module's (one B per module)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from litestar.testing import AsyncTestClient

from infra.devservers import ServerUrls, scratch_database
from services.api.app import create_app
from shared.db.migrate import migrate
from shared.db.pool import Pool, create_pool
from shared.settings import Settings
from tests.support.http import Client
from tests.support.world import World, build_world

B_URL = "http://127.0.0.2:8000"


@pytest.fixture(scope="module")
def b_settings(
    request: pytest.FixtureRequest, servers: ServerUrls, settings: Settings
) -> Iterator[Settings]:
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with scratch_database(servers.database_url, f"samlast_{module}") as url:
        yield settings.replace(**{"db.url": url, "mail.public_url": B_URL})


@pytest.fixture(scope="module")
async def b_pool(b_settings: Settings) -> AsyncIterator[Pool]:
    pool = await create_pool(b_settings, as_app=False)
    async with pool.acquire() as conn:
        await migrate(conn)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def b_admin(b_pool: Pool) -> str:
    from services.api.tokens.service import create_admin_token

    async with b_pool.acquire() as conn:
        return await create_admin_token(conn, "deployment B")


@pytest.fixture
async def b_client(b_settings: Settings, b_pool: Pool) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(b_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
async def b_world(b_settings: Settings, b_pool: Pool, b_admin: str) -> World:
    async with AsyncTestClient(app=create_app(b_settings)) as client:
        return await build_world(client, b_admin, "Gävleborg")
