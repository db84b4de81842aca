"""The outbox: messages written with the event they tell of, delivered later, attempt by
attempt (``shared/contracts/messages.py`` names the kinds; the matcher's
``outbox.py`` delivers them)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from shared.contracts.messages import MessageKind, MessageState
from shared.db.pool import Conn

PENDING, DELIVERED = MessageState.PENDING, MessageState.DELIVERED

MESSAGE_COLUMNS = """id, kind, organisation_id, event, run_id, state, attempts, last_status,
    last_error, next_attempt_at, created_at, delivered_at"""

# Parties with a webhook endpoint get a message; a second publish of the run adds none.
INSERT_WEBHOOKS = f"""
INSERT INTO outbox_message (kind, organisation_id, event, run_id, payload)
SELECT '{MessageKind.WEBHOOK}', o.id, $2, $3, p.payload
FROM unnest($1::uuid[], $4::jsonb[]) AS p (organisation_id, payload)
JOIN organisation o ON o.id = p.organisation_id AND o.webhook_url IS NOT NULL
ON CONFLICT (kind, organisation_id, event, run_id) DO NOTHING
RETURNING id"""

# Leases the message for one attempt, committed before anything is sent: no
# transaction stays open while a receiver answers, and two workers never send the same
# attempt at once. A lease whose worker died runs out and the message can be claimed.
CLAIM_MESSAGE = f"""
UPDATE outbox_message SET claimed_until = now() + make_interval(secs => $2)
WHERE id = $1 AND state = '{PENDING}'
    AND (claimed_until IS NULL OR claimed_until < now())
RETURNING id, kind, organisation_id, event, run_id, payload, attempts, created_at"""

# Only the claim of this attempt records it: a lease that ran out and was taken over
# finds ``attempts`` moved on and records nothing.
RECORD_ATTEMPT = f"""
UPDATE outbox_message SET attempts = attempts + 1, state = $2, last_status = $3,
    last_error = $4, next_attempt_at = $5, claimed_until = NULL,
    delivered_at = CASE WHEN $2 = '{DELIVERED}' THEN now() END
WHERE id = $1 AND attempts = $6 AND state = '{PENDING}'
RETURNING {MESSAGE_COLUMNS}"""

SELECT_DUE = f"""
SELECT id, attempts FROM outbox_message
WHERE state = '{PENDING}' AND next_attempt_at < now() - make_interval(secs => $1)
    AND (claimed_until IS NULL OR claimed_until < now())
ORDER BY next_attempt_at LIMIT 100"""

SELECT_RECENT = f"""
SELECT {MESSAGE_COLUMNS} FROM outbox_message
WHERE kind = $1 AND organisation_id = $2 ORDER BY created_at DESC, id LIMIT $3"""


async def insert_webhooks(
    conn: Conn, event: str, run_id: UUID, payloads: dict[UUID, dict[str, Any]]
) -> list[UUID]:
    """A webhook message per organisation in ``payloads`` that has an endpoint; their ids."""
    rows = await conn.fetch(INSERT_WEBHOOKS, list(payloads), event, run_id, list(payloads.values()))
    return [row["id"] for row in rows]


async def claim_message(conn: Conn, message_id: UUID, lease_s: float) -> asyncpg.Record | None:
    """The pending message, leased for ``lease_s``; None if done or leased to another."""
    return await conn.fetchrow(CLAIM_MESSAGE, message_id, lease_s)


async def record_attempt(
    conn: Conn,
    message_id: UUID,
    state: MessageState,
    status: int | None,
    error: str | None,
    next_attempt_at: dt.datetime,
    claimed_attempts: int,
) -> asyncpg.Record | None:
    """Record the attempt claimed at ``claimed_attempts``; None if the claim was lost."""
    return await conn.fetchrow(
        RECORD_ATTEMPT,
        message_id,
        state,
        status,
        error[:2000] if error else None,
        next_attempt_at,
        claimed_attempts,
    )


async def select_due(conn: Conn, overdue_s: float) -> list[tuple[UUID, int]]:
    """Pending messages overdue by ``overdue_s`` (their job may be lost): id, attempts."""
    return [(row["id"], row["attempts"]) for row in await conn.fetch(SELECT_DUE, overdue_s)]


async def select_recent(
    conn: Conn, kind: MessageKind, organisation_id: UUID, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RECENT, kind, organisation_id, limit)
