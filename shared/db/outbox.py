"""The outbox: messages written with the event they tell of, delivered later, attempt by
attempt (``shared/contracts/messages.py`` names the kinds; the matcher's
``outbox/delivery.py`` delivers them). Mail is stored sealed (``insert_mail``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from shared.contracts.messages import Mail, MessageKind, MessageState
from shared.db.pool import Conn
from shared.security.sealing import Sealer

PENDING, DELIVERED = MessageState.PENDING, MessageState.DELIVERED

MESSAGE_COLUMNS = """id, kind, organisation_id, event, run_id, state, attempts, last_status,
    last_error, next_attempt_at, created_at, delivered_at"""

# Parties with a webhook endpoint get a message; a second publish of the run adds none.
INSERT_WEBHOOKS = f"""
INSERT INTO outbox_message (kind, organisation_id, event, run_id, payload)
SELECT '{MessageKind.WEBHOOK}', o.id, $2, $3, p.payload
FROM unnest($1::uuid[], $4::jsonb[]) AS p (organisation_id, payload)
JOIN organisation o ON o.id = p.organisation_id AND o.webhook_url IS NOT NULL
ON CONFLICT (kind, organisation_id, event, run_id) WHERE kind = '{MessageKind.WEBHOOK}'
DO NOTHING
RETURNING id"""

# One mail, sealed; a second one with the same dedupe key is not written.
INSERT_MAIL = f"""
INSERT INTO outbox_message (kind, recipient, payload_sealed, dedupe_key, organisation_id,
    network_id, person_id, event, run_id)
VALUES ('{MessageKind.MAIL}', $1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING id"""

# Leases the message for one attempt, committed before anything is sent: no
# transaction stays open while a receiver answers, and two workers never send the same
# attempt at once. A lease whose worker died runs out and the message can be claimed.
CLAIM_MESSAGE = f"""
UPDATE outbox_message SET claimed_until = now() + make_interval(secs => $2)
WHERE id = $1 AND state = '{PENDING}'
    AND (claimed_until IS NULL OR claimed_until < now())
RETURNING id, kind, organisation_id, event, run_id, payload, payload_sealed, attempts,
    created_at"""

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

# Mail (and holds asked of peers) a run's event wrote that no attempt has been queued
# for yet (the matcher writes them without a queue at hand; its job queues them once the
# run is stored).
SELECT_UNSENT_RUN_MAIL = f"""
SELECT id FROM outbox_message
WHERE run_id = $1 AND kind IN ('{MessageKind.MAIL}', '{MessageKind.FEDERATION_HOLD}')
    AND state = '{PENDING}' AND attempts = 0
    AND claimed_until IS NULL
ORDER BY created_at, id"""

SELECT_RECENT = f"""
SELECT {MESSAGE_COLUMNS} FROM outbox_message
WHERE kind = $1 AND organisation_id = $2 ORDER BY created_at DESC, id LIMIT $3"""

# A network's or an organisation's recent mail and how it went (never its content).
MAIL_COLUMNS = f"""{MESSAGE_COLUMNS}, recipient, person_id, network_id, dedupe_key"""
SELECT_RECENT_MAIL = f"""
SELECT {MAIL_COLUMNS} FROM outbox_message
WHERE kind = '{MessageKind.MAIL}'
    AND (network_id = $1 OR organisation_id = $2)
ORDER BY created_at DESC, id LIMIT $3"""


# What a mail said is kept while it may still be sent, and a while after (to look into a
# complaint); then only that it was sent, to whom and when.
FORGET_SENT_MAIL = f"""
WITH forgotten AS (
    UPDATE outbox_message SET payload_sealed = NULL
    WHERE kind = '{MessageKind.MAIL}' AND state <> '{PENDING}' AND payload_sealed IS NOT NULL
      AND coalesce(delivered_at, next_attempt_at) < now() - make_interval(days => $1)
    RETURNING 1
)
SELECT count(*) FROM forgotten"""


async def insert_webhooks(
    conn: Conn, event: str, run_id: UUID, payloads: dict[UUID, dict[str, Any]]
) -> list[UUID]:
    """A webhook message per organisation in ``payloads`` that has an endpoint; their ids."""
    rows = await conn.fetch(INSERT_WEBHOOKS, list(payloads), event, run_id, list(payloads.values()))
    return [row["id"] for row in rows]


async def insert_mail(
    conn: Conn,
    mail: Mail,
    *,
    sealer: Sealer,
    dedupe_key: str | None,
    organisation_id: UUID | None = None,
    network_id: UUID | None = None,
    person_id: UUID | None = None,
    event: str = "mail",
    run_id: UUID | None = None,
) -> UUID | None:
    """Write ``mail`` to the outbox, sealed, in the caller's transaction; its id, or None
    when a message with ``dedupe_key`` exists (an event mails each recipient once: key it
    by event and recipient, e.g. ``f"run.published:{run_id}:{person_id}"``). Queue the
    id after commit (``shared.queue.AfterCommit.message``). A mail that breaks the
    limits of ``Mail`` raises ``msgspec.ValidationError`` before anything is written."""
    content = msgspec.json.encode(mail)
    msgspec.json.decode(content, type=Mail)  # holds it to the contract's limits
    row = await conn.fetchrow(
        INSERT_MAIL,
        mail.to_address,
        sealer.seal(content.decode("utf-8")),
        dedupe_key,
        organisation_id,
        network_id,
        person_id,
        event,
        run_id,
    )
    return None if row is None else row["id"]


def unseal_mail(sealer: Sealer, sealed: bytes) -> Mail:
    """The mail a message holds (``SealingError`` if no configured key opens it)."""
    return msgspec.json.decode(sealer.unseal(sealed), type=Mail)


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


async def select_unsent_run_mail(conn: Conn, run_id: UUID) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(SELECT_UNSENT_RUN_MAIL, run_id)]


async def select_recent(
    conn: Conn, kind: MessageKind, organisation_id: UUID, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RECENT, kind, organisation_id, limit)


async def select_recent_mail(
    conn: Conn,
    *,
    network_id: UUID | None = None,
    organisation_id: UUID | None = None,
    limit: int = 50,
) -> list[asyncpg.Record]:
    """The latest mail sent for a network or an organisation, newest first: to whom, its
    state, attempts and last error; never its content. The caller checks who may see it."""
    return await conn.fetch(SELECT_RECENT_MAIL, network_id, organisation_id, limit)


async def forget_sent_mail(conn: Conn, after_days: int) -> int:
    """Empty the sealed content of mail sent (or given up) ``after_days`` ago; how many."""
    count: int = await conn.fetchval(FORGET_SENT_MAIL, after_days)
    return count
