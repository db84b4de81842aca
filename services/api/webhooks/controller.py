from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, put
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, JSONBody

from services.api.auth.guards import ANYONE
from services.api.deps import CurrentActor, Webhooks
from services.api.webhooks.schemas import WebhookCreated, WebhookIn, WebhookOut

SIGNING = (
    "Events are POSTed as JSON and signed per the Standard Webhooks spec "
    "(https://www.standardwebhooks.com): verify `webhook-signature` over "
    "`webhook-id`.`webhook-timestamp`.`body` with the secret, e.g. with the "
    "`standardwebhooks` library. A delivery is retried (10 s, 1 min, 5 min, 30 min, "
    "2 h, 6 h) until the receiver answers 2xx within 10 s; `webhook-id` stays the same "
    "across retries. Only public addresses are posted to, and only the status is kept."
)


class WebhookController(Controller):
    path = "/v1/organisations/{organisation_id:uuid}/webhook"
    tags = ["webhooks"]

    @get(guards=[ANYONE], summary="Your organisation's webhook URL and its latest deliveries")
    async def get_webhook(
        self, organisation_id: FromPath[UUID], actor: CurrentActor, webhooks: Webhooks
    ) -> WebhookOut:
        return await webhooks.get(actor, organisation_id)

    @put(
        guards=[ANYONE],
        summary="Send your organisation's events to this URL; answers a new secret, shown once",
        description=SIGNING,
        cache_control=CacheControlHeader(no_store=True),  # the answer holds the secret
    )
    async def put_webhook(
        self,
        organisation_id: FromPath[UUID],
        data: JSONBody[WebhookIn],
        actor: CurrentActor,
        webhooks: Webhooks,
    ) -> WebhookCreated:
        return await webhooks.put(actor, organisation_id, data)

    @delete(guards=[ANYONE], summary="Stop sending your organisation's events")
    async def delete_webhook(
        self, organisation_id: FromPath[UUID], actor: CurrentActor, webhooks: Webhooks
    ) -> None:
        await webhooks.delete(actor, organisation_id)
