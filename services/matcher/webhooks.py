"""Webhook deliveries: one signed POST per attempt, retried with backoff until delivered.

Signed as the Standard Webhooks spec says (https://www.standardwebhooks.com), with its
reference library: headers ``webhook-id`` (the delivery's id, the same on every retry,
so a receiver can drop repeats), ``webhook-timestamp`` and ``webhook-signature``
(HMAC-SHA256 with the organisation's ``whsec_`` secret). A 2xx answer delivers; a
timeout, a network error or any other status is retried after 10 s, 1 min, 5 min,
30 min, 2 h and 6 h (``webhook_retry_base_s`` times ``BACKOFF``), then the delivery
is marked failed with the last answer. A URL whose host is loopback or private is
refused at once, and not retried, unless ``webhook_allow_private`` is set.
PostgreSQL holds the delivery; the queue only carries its id, and the matcher's sweep
re-queues deliveries whose job Redis lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import httpx
from arq.connections import ArqRedis
from standardwebhooks.webhooks import Webhook

from shared.db import webhooks as webhooks_db
from shared.db.pool import Pool
from shared.queue import enqueue_webhook
from shared.settings import Settings

log = logging.getLogger(__name__)

BACKOFF = (1, 6, 30, 180, 720, 2160)
TIMEOUT_S = 10.0
USER_AGENT = "Samlast-Webhooks/1"


async def deliver(
    pool: Pool, settings: Settings, queue: ArqRedis, delivery_id: UUID, client: httpx.AsyncClient
) -> str:
    """One attempt at a pending delivery, recorded; the next one queued if it failed."""
    async with pool.acquire() as conn, conn.transaction():
        row = await webhooks_db.claim_delivery(conn, delivery_id)
        if row is None:
            return "nothing to do"  # delivered, failed, or another worker has it now
        now = dt.datetime.now(dt.UTC)
        status: int | None = None
        error: str | None = "the organisation removed its webhook"
        refused = row["webhook_url"] is None
        if not refused and not settings.webhook_allow_private:
            error = await _private(str(row["webhook_url"]))
            refused = error is not None
        if not refused:
            status, error = await _post(client, row)
        retry = not refused and row["attempts"] < len(BACKOFF)
        attempt = row["attempts"] + 1
        if error is None:
            state, next_at = "delivered", now
        elif retry:  # an answer other than 2xx, or none
            delay = settings.webhook_retry_base_s * BACKOFF[attempt - 1]
            state, next_at = "pending", now + dt.timedelta(seconds=delay)
        else:
            state, next_at = "failed", now
        await webhooks_db.record_attempt(conn, delivery_id, state, status, error, next_at)
    if state == "pending":
        await enqueue_webhook(queue, delivery_id, attempt, (next_at - now).total_seconds())
    log.info("webhook %s attempt %d: %s (%s)", delivery_id, attempt, state, error or status)
    return state


async def _post(client: httpx.AsyncClient, row: asyncpg.Record) -> tuple[int | None, str | None]:
    """POST the payload, signed; (status, None) on a 2xx, else (status, what went wrong)."""
    url = str(row["webhook_url"])
    body = json.dumps(row["payload"], separators=(",", ":"), sort_keys=True)
    msg_id = str(row["id"])
    sent_at = dt.datetime.now(dt.UTC)
    signature = Webhook(str(row["webhook_secret"])).sign(msg_id, sent_at, body)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    try:
        response = await client.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"answered {response.status_code}: {response.text[:200]}"


async def _private(url: str) -> str | None:
    """Why ``url`` may not be posted to (its host is loopback or private), or None.

    Checked when posting, not when the URL is set: DNS may change in between."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"refused: {host} is a private address ({address})"
    return None
