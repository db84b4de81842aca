"""The outbox's deliveries: each attempt at a message is claim, commit, send, record.

A service writes a message in the transaction of the event it tells of
(``shared/db/outbox.py``) and queues its first attempt after commit; the job here makes
one attempt. The claim is a committed lease, so no transaction and no connection is held
while a receiver answers. A sent message is delivered; a refused one (its receiver can
never take it) fails at once; any other failure is tried again after 10 s, 1 min,
5 min, 30 min, 2 h and 6 h (``webhooks.retry_base_s`` times ``BACKOFF``), then fails with
the last status and a short reason of ours. PostgreSQL holds the message; the queue
only carries its id, and the sweep re-queues messages whose job Redis lost (or whose
worker died: the lease runs out).

Each kind of message has a sender (``Senders``): webhooks (``adapters/webhooks.py``),
mail (``adapters/mailer.py``) and holds asked of peers (``adapters/federation_holds.py``),
all with these rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from uuid import UUID

import asyncpg
from arq.connections import ArqRedis

from services.matcher.adapters.outbound import Answer
from shared.contracts.messages import MessageKind, MessageState
from shared.db import outbox as outbox_db
from shared.db.pool import Pool
from shared.queue import enqueue_message
from shared.settings import Settings

log = logging.getLogger(__name__)

BACKOFF = (1, 6, 30, 180, 720, 2160)
LEASE_MARGIN_S = 30.0  # beyond the attempt's deadline, for claiming and recording
OVERDUE_S = 60  # a pending message this late and unleased has lost its job

# Sends one claimed message (its row: id, kind, organisation_id, event, run_id,
# payload, attempts, created_at) and says how it went; never raises for the receiver's
# failings, only for our own.
Sender = Callable[[asyncpg.Record], Awaitable[Answer]]
Senders = Mapping[MessageKind, Sender]


def attempt_deadline_s(settings: Settings) -> float:
    """The longest one attempt of any kind may take: the lease and the job cover it."""
    return max(settings.webhooks.timeout_s, settings.mail.timeout_s, settings.federation.timeout_s)


async def deliver(
    pool: Pool, settings: Settings, queue: ArqRedis, senders: Senders, message_id: UUID
) -> str:
    """One attempt at a pending message, recorded; the next one queued if it failed."""
    lease_s = attempt_deadline_s(settings) + LEASE_MARGIN_S
    async with pool.acquire() as conn:
        row = await outbox_db.claim_message(conn, message_id, lease_s)
    if row is None:
        return "nothing to do"  # delivered, failed, or another worker has it now
    try:
        answer = await senders[MessageKind(row["kind"])](row)
    except Exception as exc:  # recorded and retried later, never re-run at once forever
        log.exception("%s %s: the attempt failed unexpectedly", row["kind"], message_id)
        answer = Answer(error=f"delivery failed ({type(exc).__name__})")
    now = dt.datetime.now(dt.UTC)
    attempt = row["attempts"] + 1
    if answer.error is None:
        state, next_at = MessageState.DELIVERED, now
    elif not answer.refused and row["attempts"] < len(BACKOFF):
        delay = settings.webhooks.retry_base_s * BACKOFF[attempt - 1]
        state, next_at = MessageState.PENDING, now + dt.timedelta(seconds=delay)
    else:
        state, next_at = MessageState.FAILED, now
    async with pool.acquire() as conn:
        recorded = await outbox_db.record_attempt(
            conn, message_id, state, answer.status, answer.error, next_at, row["attempts"]
        )
    if recorded is None:
        log.warning("%s %s attempt %d: its lease ran out", row["kind"], message_id, attempt)
        return "lease lost"
    if state == MessageState.PENDING:
        await enqueue_message(queue, message_id, attempt, (next_at - now).total_seconds())
    log.info(
        "%s %s attempt %d: %s (%s)",
        row["kind"],
        message_id,
        attempt,
        state,
        answer.error or "ok",
    )
    return str(state)


async def requeue_due(pool: Pool, queue: ArqRedis) -> int:
    """Messages a minute past their attempt time and not leased to a worker: Redis lost
    their job, or their worker died mid-attempt; queue them again."""
    async with pool.acquire() as conn:
        due = await outbox_db.select_due(conn, OVERDUE_S)
    for message_id, attempts in due:
        await enqueue_message(queue, message_id, attempts)
    return len(due)
