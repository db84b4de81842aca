"""Housekeeping: what is kept only for a while is deleted when its time is up."""

from __future__ import annotations

from services.matcher.jobs.context import WorkerContext
from shared.db import idempotency as idempotency_db


async def forget_expired_idempotency_keys(ctx: WorkerContext) -> int:
    """Stored answers to retried POSTs are kept for a day, then deleted."""
    async with ctx["pool"].acquire() as conn:
        return await idempotency_db.delete_expired(conn)
