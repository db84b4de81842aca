"""Stored outcomes of POSTs sent with an Idempotency-Key, per token."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

CLAIM_KEY = """
INSERT INTO idempotency_key (token_id, key, method, path, fingerprint)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (token_id, key) DO NOTHING
RETURNING key"""

SELECT_KEY = """
SELECT fingerprint, state, response_status, response_headers, response_body, secret_withheld,
       expires_at < now() AS expired,
       created_at < now() - make_interval(secs => $3) AS abandoned
FROM idempotency_key WHERE token_id = $1 AND key = $2"""

# Take over an expired record, or an in-flight one whose request died (lease ran out).
RECLAIM_KEY = """
UPDATE idempotency_key
SET fingerprint = $3, method = $4, path = $5, state = 'in_flight', response_status = NULL,
    response_headers = NULL, response_body = NULL, secret_withheld = false, created_at = now(),
    expires_at = now() + interval '24 hours'
WHERE token_id = $1 AND key = $2
  AND (expires_at < now()
       OR (state = 'in_flight' AND created_at < now() - make_interval(secs => $6)))
RETURNING key"""

# A response holding a secret shown once keeps no body: a replay says so instead.
COMPLETE_KEY = """
UPDATE idempotency_key SET state = 'done', response_status = $3, response_headers = $4,
    response_body = CASE WHEN $6 THEN NULL ELSE $5::bytea END, secret_withheld = $6
WHERE token_id = $1 AND key = $2"""

RELEASE_KEY = "DELETE FROM idempotency_key WHERE token_id = $1 AND key = $2 AND state = 'in_flight'"

DELETE_EXPIRED = "DELETE FROM idempotency_key WHERE expires_at < now()"


async def claim_key(
    conn: Conn, token_id: UUID, key: str, method: str, path: str, fingerprint: bytes
) -> bool:
    return await conn.fetchval(CLAIM_KEY, token_id, key, method, path, fingerprint) is not None


async def select_key(conn: Conn, token_id: UUID, key: str, lease_s: float) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_KEY, token_id, key, lease_s)


async def reclaim_key(
    conn: Conn,
    token_id: UUID,
    key: str,
    fingerprint: bytes,
    method: str,
    path: str,
    lease_s: float,
) -> bool:
    reclaimed = await conn.fetchval(RECLAIM_KEY, token_id, key, fingerprint, method, path, lease_s)
    return reclaimed is not None


async def complete_key(
    conn: Conn,
    token_id: UUID,
    key: str,
    status: int,
    headers: dict[str, Any],
    body: bytes,
    *,
    secret_withheld: bool,
) -> None:
    await conn.execute(COMPLETE_KEY, token_id, key, status, headers, body, secret_withheld)


async def delete_expired(conn: Conn) -> int:
    """Forget keys past their day; the matcher's sweep calls this."""
    return int((await conn.execute(DELETE_EXPIRED)).split()[-1])


async def release_key(conn: Conn, token_id: UUID, key: str) -> None:
    await conn.execute(RELEASE_KEY, token_id, key)
