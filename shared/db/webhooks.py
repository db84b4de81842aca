"""Webhooks: each organisation's endpoint and secret, and the deliveries owed to it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

DELIVERY_COLUMNS = """id, organisation_id, event, run_id, state, attempts, last_status,
    last_error, next_attempt_at, created_at, delivered_at"""

SELECT_ENDPOINT = "SELECT webhook_url, webhook_secret FROM organisation WHERE id = $1"

SET_ENDPOINT = """
UPDATE organisation SET webhook_url = $2, webhook_secret = $3, updated_at = now()
WHERE id = $1 RETURNING id"""

# Parties with an endpoint get a delivery; a second publish of the same run adds none.
INSERT_DELIVERIES = """
INSERT INTO webhook_delivery (organisation_id, event, run_id, payload)
SELECT o.id, $2, $3, p.payload
FROM unnest($1::uuid[], $4::jsonb[]) AS p (organisation_id, payload)
JOIN organisation o ON o.id = p.organisation_id AND o.webhook_url IS NOT NULL
ON CONFLICT (organisation_id, event, run_id) DO NOTHING
RETURNING id"""

# Locks the row for one attempt: two workers never post the same delivery at once.
CLAIM_DELIVERY = """
SELECT d.id, d.event, d.payload, d.attempts, d.created_at, o.webhook_url, o.webhook_secret
FROM webhook_delivery d JOIN organisation o ON o.id = d.organisation_id
WHERE d.id = $1 AND d.state = 'pending'
FOR UPDATE OF d SKIP LOCKED"""

RECORD_ATTEMPT = f"""
UPDATE webhook_delivery SET attempts = attempts + 1, state = $2, last_status = $3,
    last_error = $4, next_attempt_at = $5,
    delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
WHERE id = $1
RETURNING {DELIVERY_COLUMNS}"""

SELECT_DUE = """
SELECT id, attempts FROM webhook_delivery
WHERE state = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
ORDER BY next_attempt_at LIMIT 100"""

SELECT_RECENT = f"""
SELECT {DELIVERY_COLUMNS} FROM webhook_delivery
WHERE organisation_id = $1 ORDER BY created_at DESC, id LIMIT $2"""


async def select_endpoint(conn: Conn, organisation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ENDPOINT, organisation_id)


async def set_endpoint(
    conn: Conn, organisation_id: UUID, url: str | None, secret: str | None
) -> bool:
    return await conn.fetchval(SET_ENDPOINT, organisation_id, url, secret) is not None


async def insert_deliveries(
    conn: Conn, event: str, run_id: UUID, payloads: dict[UUID, dict[str, Any]]
) -> list[UUID]:
    """A delivery per organisation in ``payloads`` that has an endpoint; their ids."""
    rows = await conn.fetch(
        INSERT_DELIVERIES, list(payloads), event, run_id, list(payloads.values())
    )
    return [row["id"] for row in rows]


async def claim_delivery(conn: Conn, delivery_id: UUID) -> asyncpg.Record | None:
    """The pending delivery, locked for this transaction; None if done or taken."""
    return await conn.fetchrow(CLAIM_DELIVERY, delivery_id)


async def record_attempt(
    conn: Conn,
    delivery_id: UUID,
    state: str,
    status: int | None,
    error: str | None,
    next_attempt_at: dt.datetime,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        RECORD_ATTEMPT,
        delivery_id,
        state,
        status,
        error[:2000] if error else None,
        next_attempt_at,
    )
    assert row is not None
    return row


async def select_due(conn: Conn, overdue_s: float) -> list[tuple[UUID, int]]:
    """Pending deliveries overdue by ``overdue_s`` (their job may be lost): id, attempts."""
    return [(row["id"], row["attempts"]) for row in await conn.fetch(SELECT_DUE, overdue_s)]


async def select_recent(conn: Conn, organisation_id: UUID, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RECENT, organisation_id, limit)
