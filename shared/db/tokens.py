"""API tokens: an organisation's (or, for admin tokens, the deployment's), for
integrations. Only token hashes are stored; who created each is recorded."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

# The caller's identity in one round trip: token → organisation → networks, marking
# the token used (at most once a minute, so busy clients don't write each time).
SELECT_TOKEN_ACTOR = """
WITH touched AS (
    UPDATE api_token SET last_used_at = now()
    WHERE secret_hash = $1 AND revoked_at IS NULL
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT t.id AS token_id, t.revoked_at, t.expires_at, t.created_by, t.is_admin,
       o.id AS organisation_id, o.kind,
       coalesce(array_agg(m.network_id) FILTER (WHERE m.network_id IS NOT NULL), '{}')
           AS network_ids
FROM api_token t
LEFT JOIN organisation o ON o.id = t.organisation_id
LEFT JOIN membership m ON m.organisation_id = o.id
WHERE t.secret_hash = $1
GROUP BY t.id, o.id"""

INSERT_TOKEN = """
INSERT INTO api_token (organisation_id, is_admin, created_by, prefix, secret_hash, label,
                       expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, created_at"""

TOKEN_COLUMNS = """t.id, t.prefix, t.label, t.created_at, t.last_used_at, t.expires_at,
       t.revoked_at, t.organisation_id, t.created_by, p.name AS created_by_name"""

SELECT_TOKENS = f"""
SELECT {TOKEN_COLUMNS}
FROM api_token t LEFT JOIN person p ON p.id = t.created_by
WHERE t.organisation_id IS NOT DISTINCT FROM $1 AND t.is_admin = ($1 IS NULL)
ORDER BY t.created_at, t.id"""

SELECT_TOKEN = f"""
SELECT {TOKEN_COLUMNS}
FROM api_token t LEFT JOIN person p ON p.id = t.created_by
WHERE t.id = $1"""

REVOKE_TOKEN = """
UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
RETURNING revoked_at"""


async def select_token_actor(conn: Conn, secret_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_TOKEN_ACTOR, secret_hash)


async def insert_token(
    conn: Conn,
    organisation_id: UUID | None,
    created_by: UUID | None,
    prefix: str,
    secret_hash: bytes,
    label: str,
    expires_at: datetime | None,
) -> asyncpg.Record:
    """A token of ``organisation_id``; of the deployment (an admin token) when None."""
    row = await conn.fetchrow(
        INSERT_TOKEN,
        organisation_id,
        organisation_id is None,
        created_by,
        prefix,
        secret_hash,
        label,
        expires_at,
    )
    assert row is not None
    return row


async def select_tokens(conn: Conn, organisation_id: UUID | None) -> list[asyncpg.Record]:
    """An organisation's tokens; the deployment's admin tokens when None."""
    return await conn.fetch(SELECT_TOKENS, organisation_id)


async def select_token(conn: Conn, token_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_TOKEN, token_id)


async def revoke_token(conn: Conn, token_id: UUID) -> None:
    await conn.execute(REVOKE_TOKEN, token_id)
