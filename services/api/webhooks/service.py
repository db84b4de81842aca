"""An organisation's webhook: where its events go and the secret that signs them.

The secret is shown once and stored only sealed under ``SAMLAST_SECRET_KEYS``
(``shared/security/sealing.py``, ``services/api/core/secrets_at_rest.py``)."""

from __future__ import annotations

import base64
import secrets
from uuid import UUID

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.webhooks.schemas import DeliveryOut, WebhookCreated, WebhookIn, WebhookOut
from shared.contracts.messages import MessageKind
from shared.db import outbox as outbox_db
from shared.db import webhooks as webhooks_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import NotFoundError, ServiceUnavailableError, TenantDeniedError
from shared.security.sealing import Sealer

RECENT = 20


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookService:
    def __init__(self, conn: Conn, sealer: Sealer | None) -> None:
        self.conn = conn
        self.sealer = sealer

    async def get(self, actor: Actor, organisation_id: UUID) -> WebhookOut:
        endpoint = await self._own(actor, organisation_id)
        rows = await outbox_db.select_recent(
            self.conn, MessageKind.WEBHOOK, organisation_id, RECENT
        )
        return WebhookOut(
            url=endpoint,
            deliveries=[as_struct(row, DeliveryOut) for row in rows],
        )

    async def put(self, actor: Actor, organisation_id: UUID, data: WebhookIn) -> WebhookCreated:
        """Set the URL with a fresh secret: the old secret stops signing at once."""
        await self._own(actor, organisation_id)
        if self.sealer is None:
            raise ServiceUnavailableError(
                "webhooks are not available: the deployment has no SAMLAST_SECRET_KEYS"
            )
        secret = new_secret()
        sealed = self.sealer.seal(secret)
        async with self.conn.transaction():
            await webhooks_db.set_endpoint(self.conn, organisation_id, data.url, sealed)
            await record(
                self.conn,
                actor,
                "webhook.set",
                "organisation",
                organisation_id,
                detail={"url": data.url},
            )
        return WebhookCreated(url=data.url, secret=secret)

    async def delete(self, actor: Actor, organisation_id: UUID) -> None:
        """No more events; deliveries still pending fail at their next attempt."""
        await self._own(actor, organisation_id)
        async with self.conn.transaction():
            await webhooks_db.set_endpoint(self.conn, organisation_id, None, None)
            await record(self.conn, actor, "webhook.delete", "organisation", organisation_id)

    async def _own(self, actor: Actor, organisation_id: UUID) -> str | None:
        """The organisation's webhook URL; 404 unless it is the actor's (or an admin's)."""
        row = await webhooks_db.select_endpoint(self.conn, organisation_id)
        if row is None:
            raise NotFoundError("no such organisation")
        if not actor.is_admin and actor.organisation_id != organisation_id:
            raise TenantDeniedError("no such organisation")
        url: str | None = row["webhook_url"]
        return url
