"""Webhook messages: one signed POST per attempt (the outbox's rules in ``outbox.py``).

Signed as the Standard Webhooks spec says (https://www.standardwebhooks.com), with its
reference library: headers ``webhook-id`` (the message's id, the same on every retry,
so a receiver can drop repeats), ``webhook-timestamp`` and ``webhook-signature``
(HMAC-SHA256 with the organisation's ``whsec_`` secret, unsealed for the attempt). A
2xx answer delivers; no answer within ``webhooks.timeout_s``, a network error or any
other status is retried. A host that does not resolve, or resolves to a loopback,
private or otherwise non-public address (unless ``webhooks.allow_private`` is set), is
refused at once and not retried (``outbound.py`` says how).
"""

from __future__ import annotations

import datetime as dt
import json

import asyncpg
import httpx
from standardwebhooks.webhooks import Webhook

from services.matcher.adapters.outbound import Answer, post
from shared.db import webhooks as webhooks_db
from shared.db.pool import Pool
from shared.security.sealing import Sealer, SealingError
from shared.settings import Settings

USER_AGENT = "Samlast-Webhooks/1"
REMOVED = "the organisation removed its webhook"
UNSEALABLE = "cannot unseal the signing secret: check SAMLAST_SECRET_KEYS"


class WebhookSender:
    """Posts a webhook message to its organisation's endpoint, signed with its secret."""

    def __init__(
        self, pool: Pool, settings: Settings, sealer: Sealer | None, client: httpx.AsyncClient
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.sealer = sealer
        self.client = client

    async def __call__(self, message: asyncpg.Record) -> Answer:
        async with self.pool.acquire() as conn:  # returned before anything is sent
            endpoint = await webhooks_db.select_signing(conn, message["organisation_id"])
        if endpoint is None or endpoint["webhook_url"] is None:
            return Answer(error=REMOVED, refused=True)
        sealed = endpoint["webhook_secret_sealed"]
        if self.sealer is None or sealed is None:
            return Answer(error=UNSEALABLE)  # retried: the keys may be configured meanwhile
        try:
            secret = self.sealer.unseal(sealed)
        except SealingError:
            return Answer(error=UNSEALABLE)
        body = json.dumps(message["payload"], separators=(",", ":"), sort_keys=True)
        msg_id = str(message["id"])
        sent_at = dt.datetime.now(dt.UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, sent_at, body),
        }
        return await post(
            self.client,
            str(endpoint["webhook_url"]),
            body.encode(),
            headers,
            timeout_s=self.settings.webhooks.timeout_s,
            allow_private=self.settings.webhooks.allow_private,
        )
