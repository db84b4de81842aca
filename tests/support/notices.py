"""Notifications for tests: the matcher's cron job run once in the test's process (waiting
for the mail it writes: ``tests/support/mailbox.mail_to``)."""

from __future__ import annotations

from typing import Any, cast

from services.matcher.jobs.context import WorkerContext
from services.matcher.jobs.notifications import send_cycle_notices
from shared.db.pool import Pool
from shared.queue import connect_queue
from shared.settings import Settings


async def cycle_notices(pool: Pool, settings: Settings) -> int:
    """One run of the matcher's cron job that sends cycle notices; how many mails."""
    queue = await connect_queue(settings)
    try:
        ctx: dict[str, Any] = {"pool": pool, "settings": settings, "queue": queue}
        return await send_cycle_notices(cast(WorkerContext, ctx))
    finally:
        await queue.aclose()
