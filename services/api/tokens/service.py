"""API tokens: shown once, stored as hashes, revoked at once."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from services.api.auth.actor import Actor
from services.api.auth.tokens import new_token
from services.api.core.audit import record
from services.api.organisations.service import check_manages
from services.api.tokens.schemas import TokenCreated, TokenIn, TokenOut
from shared.db import tokens as tokens_db
from shared.db.audit import insert_audit
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import NotFoundError, TenantDeniedError


class TokenService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def create(self, actor: Actor, organisation_id: UUID, data: TokenIn) -> TokenCreated:
        await self._may_manage(actor, organisation_id)
        async with self.conn.transaction():
            created = await issue_token(
                self.conn, organisation_id, actor.person_id, data.label, data.expires_at
            )
            await record(
                self.conn,
                actor,
                "token.create",
                "token",
                created.id,
                detail={"prefix": created.prefix},
            )
        return TokenCreated(
            token=created.token,
            id=created.id,
            prefix=created.prefix,
            label=data.label,
            organisation_id=organisation_id,
            created_by=actor.person_id,
            created_at=created.created_at,
            expires_at=data.expires_at,
        )

    async def list_tokens(self, actor: Actor, organisation_id: UUID) -> list[TokenOut]:
        await self._may_manage(actor, organisation_id)
        return [token_out(row) for row in await tokens_db.select_tokens(self.conn, organisation_id)]

    async def revoke(self, actor: Actor, token_id: UUID) -> None:
        row = await tokens_db.select_token(self.conn, token_id)
        if row is None:
            raise NotFoundError("no such token")
        if row["organisation_id"] is None:
            if not actor.is_admin:
                raise TenantDeniedError("no such token")
        else:
            await self._may_manage(actor, row["organisation_id"])
        async with self.conn.transaction():
            await tokens_db.revoke_token(self.conn, token_id)
            await record(self.conn, actor, "token.revoke", "token", token_id)

    async def _may_manage(self, actor: Actor, organisation_id: UUID) -> None:
        await check_manages(self.conn, actor, organisation_id, "tokens")


class IssuedToken:
    def __init__(self, token: str, row: asyncpg.Record, prefix: str) -> None:
        self.token = token
        self.id: UUID = row["id"]
        self.created_at: dt.datetime = row["created_at"]
        self.prefix = prefix


async def issue_token(
    conn: Conn,
    organisation_id: UUID | None,
    created_by: UUID | None,
    label: str,
    expires_at: dt.datetime | None,
) -> IssuedToken:
    """A token of ``organisation_id`` (of the deployment, an admin token, when None)."""
    token = new_token()
    row = await tokens_db.insert_token(
        conn,
        organisation_id,
        created_by,
        token.display_prefix,
        token.secret_hash,
        label,
        expires_at,
    )
    return IssuedToken(token.token, row, token.display_prefix)


def token_out(row: asyncpg.Record) -> TokenOut:
    return as_struct(row, TokenOut)


async def create_admin_token(conn: Conn, label: str) -> str:
    """An admin token of the deployment, for integrations (``samlast admin-token``)."""
    async with conn.transaction():
        issued = await issue_token(conn, None, None, label, None)
        await insert_audit(
            conn,
            action="token.create",
            outcome="ok",
            token_id=issued.id,
            object_type="token",
            object_id=str(issued.id),
            detail={"via": "cli", "prefix": issued.prefix, "admin": True},
        )
    return issued.token
