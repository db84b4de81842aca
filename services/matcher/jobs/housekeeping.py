"""Housekeeping: what is kept only for a while is deleted when its time is up."""

from __future__ import annotations

from services.matcher.jobs.context import WorkerContext
from shared.db import holds as holds_db
from shared.db import idempotency as idempotency_db
from shared.db import joins as joins_db
from shared.db import outbox as outbox_db
from shared.db import peers as peers_db
from shared.db import sessions as sessions_db


async def forget_expired_idempotency_keys(ctx: WorkerContext) -> int:
    """Stored answers to retried POSTs are kept for a day, then deleted."""
    async with ctx["pool"].acquire() as conn:
        return await idempotency_db.delete_expired(conn)


async def forget_spent_nonces(ctx: WorkerContext) -> int:
    """A signed federation request's nonce is kept while its signature could still be
    accepted (until it expires, plus the clock window), then deleted."""
    async with ctx["pool"].acquire() as conn:
        return await peers_db.delete_expired_nonces(
            conn, ctx["settings"].federation.signature_window_s
        )


async def forget_spent_sign_ins(ctx: WorkerContext) -> int:
    """Sign-in links and unconfirmed join requests a day past their expiry, and sessions
    ended long ago, are deleted."""
    async with ctx["pool"].acquire() as conn:
        return await sessions_db.delete_expired(conn) + await joins_db.delete_expired(conn)


MAIL_KEPT_DAYS = 30


async def forget_sent_mail(ctx: WorkerContext) -> int:
    """What a sent mail said is kept for a month, then only that it was sent."""
    async with ctx["pool"].acquire() as conn:
        return await outbox_db.forget_sent_mail(conn, MAIL_KEPT_DAYS)


async def expire_federation_holds(ctx: WorkerContext) -> int:
    """Holds a peer asked of us and never confirmed expire at their time: their packs go
    back to the offers (docs/federation.md, "Holds"). How many packs were freed."""
    async with ctx["pool"].acquire() as conn:
        return await holds_db.expire_holds(conn)
