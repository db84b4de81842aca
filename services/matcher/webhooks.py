"""Webhook deliveries: one signed POST per attempt, retried with backoff until delivered.

Signed as the Standard Webhooks spec says (https://www.standardwebhooks.com), with its
reference library: headers ``webhook-id`` (the delivery's id, the same on every retry,
so a receiver can drop repeats), ``webhook-timestamp`` and ``webhook-signature``
(HMAC-SHA256 with the organisation's ``whsec_`` secret, unsealed for the attempt). A
2xx answer delivers; no answer within ``webhook_timeout_s``, a network error or any
other status is retried after 10 s, 1 min, 5 min, 30 min, 2 h and 6 h
(``webhook_retry_base_s`` times ``BACKOFF``), then the delivery is marked failed with
the last status and a short reason of ours. A host that does not resolve, or
resolves to a loopback, private or otherwise non-public address (unless
``webhook_allow_private`` is set), is refused at once and not retried (``outbound.py``
says how).

An attempt is claim, commit, send, record: the claim is a committed lease, so no
transaction and no connection is held while the receiver answers. PostgreSQL holds the
delivery; the queue only carries its id, and the sweep re-queues deliveries whose job
Redis lost (or whose worker died: the lease runs out).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from uuid import UUID

import asyncpg
import httpx
from arq.connections import ArqRedis
from standardwebhooks.webhooks import Webhook

from services.matcher.outbound import Answer, post
from shared.db import webhooks as webhooks_db
from shared.db.pool import Pool
from shared.queue import enqueue_webhook
from shared.security.sealing import Sealer, SealingError
from shared.settings import Settings

log = logging.getLogger(__name__)

BACKOFF = (1, 6, 30, 180, 720, 2160)
LEASE_MARGIN_S = 30.0  # beyond the attempt's deadline, for claiming and recording
USER_AGENT = "Samlast-Webhooks/1"
REMOVED = "the organisation removed its webhook"
UNSEALABLE = "cannot unseal the signing secret: check SAMLAST_SECRET_KEYS"


async def deliver(
    pool: Pool,
    settings: Settings,
    sealer: Sealer | None,
    queue: ArqRedis,
    delivery_id: UUID,
    client: httpx.AsyncClient,
) -> str:
    """One attempt at a pending delivery, recorded; the next one queued if it failed."""
    lease_s = settings.webhook_timeout_s + LEASE_MARGIN_S
    async with pool.acquire() as conn:
        row = await webhooks_db.claim_delivery(conn, delivery_id, lease_s)
    if row is None:
        return "nothing to do"  # delivered, failed, or another worker has it now
    try:
        answer = await _attempt(row, settings, sealer, client)
    except Exception as exc:  # recorded and retried later, never re-run at once forever
        log.exception("webhook %s: the attempt failed unexpectedly", delivery_id)
        answer = Answer(error=f"delivery failed ({type(exc).__name__})")
    now = dt.datetime.now(dt.UTC)
    attempt = row["attempts"] + 1
    if answer.error is None:
        state, next_at = "delivered", now
    elif not answer.refused and row["attempts"] < len(BACKOFF):
        delay = settings.webhook_retry_base_s * BACKOFF[attempt - 1]
        state, next_at = "pending", now + dt.timedelta(seconds=delay)
    else:
        state, next_at = "failed", now
    async with pool.acquire() as conn:
        recorded = await webhooks_db.record_attempt(
            conn, delivery_id, state, answer.status, answer.error, next_at, row["attempts"]
        )
    if recorded is None:
        log.warning("webhook %s attempt %d: its lease ran out; not recorded", delivery_id, attempt)
        return "lease lost"
    if state == "pending":
        await enqueue_webhook(queue, delivery_id, attempt, (next_at - now).total_seconds())
    log.info("webhook %s attempt %d: %s (%s)", delivery_id, attempt, state, answer.error or "ok")
    return state


async def _attempt(
    row: asyncpg.Record, settings: Settings, sealer: Sealer | None, client: httpx.AsyncClient
) -> Answer:
    """Sign and POST the payload at the address checked for the URL's host."""
    if row["webhook_url"] is None:
        return Answer(error=REMOVED, refused=True)
    if sealer is None or row["webhook_secret_sealed"] is None:
        return Answer(error=UNSEALABLE)  # retried: the keys may be configured meanwhile
    try:
        secret = sealer.unseal(row["webhook_secret_sealed"])
    except SealingError:
        return Answer(error=UNSEALABLE)
    body = json.dumps(row["payload"], separators=(",", ":"), sort_keys=True)
    msg_id = str(row["id"])
    sent_at = dt.datetime.now(dt.UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, sent_at, body),
    }
    return await post(
        client,
        str(row["webhook_url"]),
        body.encode(),
        headers,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.webhook_allow_private,
    )
