"""Users and their API tokens. Only token hashes are stored."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

# The caller's identity in one round trip: token → user → organisation → networks,
# marking the token used (at most once a minute, so busy clients don't write each time).
SELECT_TOKEN_ACTOR = """
WITH touched AS (
    UPDATE api_token SET last_used_at = now()
    WHERE secret_hash = $1 AND revoked_at IS NULL
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT t.id AS token_id, t.revoked_at, t.expires_at, u.id AS user_id, u.is_admin,
       o.id AS organisation_id, o.kind,
       coalesce(array_agg(m.network_id) FILTER (WHERE m.network_id IS NOT NULL), '{}')
           AS network_ids
FROM api_token t
JOIN app_user u ON u.id = t.user_id
LEFT JOIN organisation o ON o.id = u.organisation_id
LEFT JOIN membership m ON m.organisation_id = o.id
WHERE t.secret_hash = $1
GROUP BY t.id, u.id, o.id"""

INSERT_USER = """
INSERT INTO app_user (organisation_id, name, email, is_admin) VALUES ($1, $2, $3, $4)
RETURNING id"""

INSERT_TOKEN = """
INSERT INTO api_token (user_id, prefix, secret_hash, label, expires_at)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, created_at"""

SELECT_TOKENS = """
SELECT t.id, t.prefix, t.label, t.created_at, t.last_used_at, t.expires_at, t.revoked_at,
       u.id AS user_id, u.name AS user_name, u.organisation_id
FROM api_token t JOIN app_user u ON u.id = t.user_id
WHERE u.organisation_id IS NOT DISTINCT FROM $1
ORDER BY t.created_at, t.id"""

SELECT_TOKEN = """
SELECT t.id, t.prefix, t.label, t.created_at, t.last_used_at, t.expires_at, t.revoked_at,
       u.id AS user_id, u.name AS user_name, u.organisation_id
FROM api_token t JOIN app_user u ON u.id = t.user_id
WHERE t.id = $1"""

REVOKE_TOKEN = """
UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
RETURNING revoked_at"""


async def select_token_actor(conn: Conn, secret_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_TOKEN_ACTOR, secret_hash)


async def insert_user(
    conn: Conn, organisation_id: UUID | None, name: str, email: str, *, is_admin: bool
) -> UUID:
    user_id: UUID = await conn.fetchval(INSERT_USER, organisation_id, name, email, is_admin)
    return user_id


async def insert_token(
    conn: Conn,
    user_id: UUID,
    prefix: str,
    secret_hash: bytes,
    label: str,
    expires_at: datetime | None,
) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_TOKEN, user_id, prefix, secret_hash, label, expires_at)
    assert row is not None
    return row


async def select_tokens(conn: Conn, organisation_id: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_TOKENS, organisation_id)


async def select_token(conn: Conn, token_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_TOKEN, token_id)


async def revoke_token(conn: Conn, token_id: UUID) -> None:
    await conn.execute(REVOKE_TOKEN, token_id)
