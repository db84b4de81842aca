"""Webhooks: each organisation's endpoint and sealed secret (its messages are in outbox.py).

The signing secret is stored only sealed (``webhook_secret_sealed``, see
``shared/security/sealing.py``); ``webhook_secret`` is the plain-text column of old,
emptied by ``samlast migrate`` and written by nothing."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db.pool import Conn

SELECT_ENDPOINT = "SELECT webhook_url FROM organisation WHERE id = $1"

SELECT_SIGNING = "SELECT webhook_url, webhook_secret_sealed FROM organisation WHERE id = $1"

SET_ENDPOINT = """
UPDATE organisation
SET webhook_url = $2, webhook_secret_sealed = $3, webhook_secret = NULL, updated_at = now()
WHERE id = $1 RETURNING id"""

# Every secret, plain or sealed, locked while it is sealed again.
SELECT_SECRETS = """
SELECT id, webhook_secret, webhook_secret_sealed FROM organisation
WHERE webhook_secret IS NOT NULL OR webhook_secret_sealed IS NOT NULL
ORDER BY id FOR UPDATE"""

SET_SEALED = """
UPDATE organisation SET webhook_secret_sealed = $2, webhook_secret = NULL WHERE id = $1"""


async def select_endpoint(conn: Conn, organisation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ENDPOINT, organisation_id)


async def set_endpoint(
    conn: Conn, organisation_id: UUID, url: str | None, sealed_secret: bytes | None
) -> bool:
    return await conn.fetchval(SET_ENDPOINT, organisation_id, url, sealed_secret) is not None


async def select_secrets(conn: Conn) -> list[asyncpg.Record]:
    """Every organisation's secret, plain (of old) or sealed, locked for this transaction."""
    return await conn.fetch(SELECT_SECRETS)


async def set_sealed(conn: Conn, sealed: list[tuple[UUID, bytes]]) -> None:
    """Store each organisation's sealed secret and empty its plain-text column."""
    await conn.executemany(SET_SEALED, sealed)


async def select_signing(conn: Conn, organisation_id: UUID) -> asyncpg.Record | None:
    """Where to post the organisation's webhooks, and its sealed signing secret."""
    return await conn.fetchrow(SELECT_SIGNING, organisation_id)
