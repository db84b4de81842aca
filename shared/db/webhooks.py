"""Webhooks: each organisation's endpoint and sealed secret, and the deliveries owed to it.

The signing secret is stored only sealed (``webhook_secret_sealed``, see
``shared/security/sealing.py``); ``webhook_secret`` is the plain-text column of old,
emptied by ``samlast migrate`` and written by nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Conn

DELIVERY_COLUMNS = """id, organisation_id, event, run_id, state, attempts, last_status,
    last_error, next_attempt_at, created_at, delivered_at"""

SELECT_ENDPOINT = "SELECT webhook_url FROM organisation WHERE id = $1"

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

# Parties with an endpoint get a delivery; a second publish of the same run adds none.
INSERT_DELIVERIES = """
INSERT INTO webhook_delivery (organisation_id, event, run_id, payload)
SELECT o.id, $2, $3, p.payload
FROM unnest($1::uuid[], $4::jsonb[]) AS p (organisation_id, payload)
JOIN organisation o ON o.id = p.organisation_id AND o.webhook_url IS NOT NULL
ON CONFLICT (organisation_id, event, run_id) DO NOTHING
RETURNING id"""

# Leases the delivery for one attempt, committed before anything is sent: no
# transaction stays open while a receiver answers, and two workers never post the same
# attempt at once. A lease whose worker died runs out and the delivery can be claimed.
CLAIM_DELIVERY = """
UPDATE webhook_delivery d SET claimed_until = now() + make_interval(secs => $2)
FROM organisation o
WHERE d.id = $1 AND o.id = d.organisation_id AND d.state = 'pending'
    AND (d.claimed_until IS NULL OR d.claimed_until < now())
RETURNING d.id, d.event, d.payload, d.attempts, d.created_at, o.webhook_url,
    o.webhook_secret_sealed"""

# Only the claim of this attempt records it: a lease that ran out and was taken over
# finds ``attempts`` moved on and records nothing.
RECORD_ATTEMPT = f"""
UPDATE webhook_delivery SET attempts = attempts + 1, state = $2, last_status = $3,
    last_error = $4, next_attempt_at = $5, claimed_until = NULL,
    delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
WHERE id = $1 AND attempts = $6 AND state = 'pending'
RETURNING {DELIVERY_COLUMNS}"""

SELECT_DUE = """
SELECT id, attempts FROM webhook_delivery
WHERE state = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
    AND (claimed_until IS NULL OR claimed_until < now())
ORDER BY next_attempt_at LIMIT 100"""

SELECT_RECENT = f"""
SELECT {DELIVERY_COLUMNS} FROM webhook_delivery
WHERE organisation_id = $1 ORDER BY created_at DESC, id LIMIT $2"""


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


async def insert_deliveries(
    conn: Conn, event: str, run_id: UUID, payloads: dict[UUID, dict[str, Any]]
) -> list[UUID]:
    """A delivery per organisation in ``payloads`` that has an endpoint; their ids."""
    rows = await conn.fetch(
        INSERT_DELIVERIES, list(payloads), event, run_id, list(payloads.values())
    )
    return [row["id"] for row in rows]


async def claim_delivery(conn: Conn, delivery_id: UUID, lease_s: float) -> asyncpg.Record | None:
    """The pending delivery, leased for ``lease_s``; None if done or leased to another."""
    return await conn.fetchrow(CLAIM_DELIVERY, delivery_id, lease_s)


async def record_attempt(
    conn: Conn,
    delivery_id: UUID,
    state: str,
    status: int | None,
    error: str | None,
    next_attempt_at: dt.datetime,
    claimed_attempts: int,
) -> asyncpg.Record | None:
    """Record the attempt claimed at ``claimed_attempts``; None if the claim was lost."""
    return await conn.fetchrow(
        RECORD_ATTEMPT,
        delivery_id,
        state,
        status,
        error[:2000] if error else None,
        next_attempt_at,
        claimed_attempts,
    )


async def select_due(conn: Conn, overdue_s: float) -> list[tuple[UUID, int]]:
    """Pending deliveries overdue by ``overdue_s`` (their job may be lost): id, attempts."""
    return [(row["id"], row["attempts"]) for row in await conn.fetch(SELECT_DUE, overdue_s)]


async def select_recent(conn: Conn, organisation_id: UUID, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RECENT, organisation_id, limit)
