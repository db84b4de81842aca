"""Real servers for the whole suite.

With DATABASE_URL / REDIS_URL set, tests use those servers; otherwise they start an
embedded PostgreSQL and Redis once per session. Either way each session works in its
own freshly created database and its own queue name, so a shared server (CI's
PostgreSQL 15 and Redis 7) is never disturbed. Mail always goes to a local SMTP
server of the session's own, whatever SAMLAST_SMTP_URL says: tests mail nobody.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from infra.devservers import ServerUrls, scratch_database, servers_from_env
from services.api.app import create_app
from shared.db.migrate import migrate
from shared.db.pool import Pool, create_pool
from shared.security.sealing import new_key
from shared.settings import Settings, load_settings
from tests.support.figures import FIGURES, Figures
from tests.support.http import Client
from tests.support.mailbox import Mailbox


@pytest.fixture(scope="session")
def servers() -> Iterator[ServerUrls]:
    with servers_from_env({**os.environ, "SAMLAST_SMTP_URL": ""}) as urls:
        yield urls


@pytest.fixture(scope="session")
def database_url(servers: ServerUrls) -> Iterator[str]:
    with scratch_database(servers.database_url, "samlast_test") as url:
        yield url


@pytest.fixture(scope="session")
def settings(servers: ServerUrls, database_url: str) -> Settings:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": servers.redis_url,
        "SAMLAST_QUEUE_NAME": f"samlast-test-{secrets.token_hex(4)}",
        # Every test client is one address; the matrix alone is refused hundreds of
        # times a minute. test_safe_writes checks the limit itself on its own Redis db.
        "SAMLAST_AUTH_FAILURES_PER_MINUTE": "1000000",
        # Webhook secrets are sealed at rest; the session's database gets its own key.
        "SAMLAST_SECRET_KEYS": os.environ.get("SAMLAST_SECRET_KEYS") or new_key(),
        "SAMLAST_SMTP_URL": servers.smtp_url,
    }
    return load_settings(env)


@pytest.fixture(scope="session")
def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a child ``samlast`` process needs to see the same servers."""
    return {
        **os.environ,
        "DATABASE_URL": settings.db.url,
        "REDIS_URL": settings.redis.url,
        "SAMLAST_QUEUE_NAME": settings.redis.queue_name,
        "SAMLAST_AUTH_FAILURES_PER_MINUTE": str(settings.api.auth_failures_per_minute),
        "SAMLAST_SECRET_KEYS": settings.secret_keys,
        "SAMLAST_SMTP_URL": settings.mail.smtp_url or "",
    }


@pytest.fixture(scope="session")
def mailbox(servers: ServerUrls) -> Mailbox:
    """What the session's SMTP server received (tests/support/mailbox.py)."""
    assert servers.mail_dir is not None
    return Mailbox(servers.mail_dir)


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[Pool]:
    """The operator's pool (the login role, which owns the tables); the app's own pools
    act as samlast_app."""
    pool = await create_pool(settings, as_app=False)
    async with pool.acquire() as conn:
        await migrate(conn)
    yield pool
    await pool.close()


@pytest.fixture
async def client(settings: Settings, pool: Pool) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def admin_token(pool: Pool) -> str:
    from services.api.tokens.service import create_admin_token

    async with pool.acquire() as conn:
        return await create_admin_token(conn, "tests")


@pytest.fixture(scope="session")
def figures() -> Figures:
    """Where reliability tests record their figures (see tests/support/figures.py)."""
    return FIGURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("SAMLAST_FIGURES_TO")
    if target and exitstatus == 0:  # only a passing run's figures go into the docs
        command = os.environ.get("SAMLAST_FIGURES_COMMAND", "pytest")
        FIGURES.write(Path(target), command)


logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns failures
