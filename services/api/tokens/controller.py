from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, JSONBody

from services.api.auth.guards import ANYONE
from services.api.core.openapi import StateDependentOperation
from services.api.deps import CurrentActor, Tokens
from services.api.tokens.schemas import TokenCreated, TokenIn, TokenOut


class TokenController(Controller):
    path = "/v1"
    tags = ["tokens"]

    @post(
        "/organisations/{organisation_id:uuid}/tokens",
        guards=[ANYONE],
        summary="Issue a token (shown once) for your organisation or one you onboard",
        # the answer holds the secret: no cache keeps it, nor does Idempotency-Key
        cache_control=CacheControlHeader(no_store=True),
    )
    async def create(
        self,
        organisation_id: FromPath[UUID],
        data: JSONBody[TokenIn],
        actor: CurrentActor,
        tokens: Tokens,
    ) -> TokenCreated:
        return await tokens.create(actor, organisation_id, data)

    @get(
        "/organisations/{organisation_id:uuid}/tokens",
        guards=[ANYONE],
        # 409 for an organisation standing here for a peer's producer: it has none
        operation_class=StateDependentOperation,
        summary="An organisation's tokens: prefix, label, last use; never the secret",
    )
    async def list_tokens(
        self, organisation_id: FromPath[UUID], actor: CurrentActor, tokens: Tokens
    ) -> list[TokenOut]:
        return await tokens.list_tokens(actor, organisation_id)

    @delete(
        "/tokens/{token_id:uuid}",
        guards=[ANYONE],
        summary="Revoke a token; it stops working at once",
    )
    async def revoke(self, token_id: FromPath[UUID], actor: CurrentActor, tokens: Tokens) -> None:
        await tokens.revoke(actor, token_id)
