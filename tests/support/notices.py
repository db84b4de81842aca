"""Notifications for tests: the matcher's cron job run once in the test's process (waiting
for the mail it writes: ``tests/support/mailbox.mail_to``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from services.matcher.jobs.context import WorkerContext
from services.matcher.jobs.notifications import send_cycle_notices
from services.matcher.matching.run import notifier
from shared import notifications as notify
from shared.db.pool import Pool
from shared.queue import connect_queue, transaction_then_queue
from shared.settings import Settings


async def cycle_notices(pool: Pool, settings: Settings) -> int:
    """One run of the matcher's cron job that sends cycle notices; how many mails."""
    queue = await connect_queue(settings)
    try:
        ctx: dict[str, Any] = {"pool": pool, "settings": settings, "queue": queue}
        return await send_cycle_notices(cast(WorkerContext, ctx))
    finally:
        await queue.aclose()


async def invoice_reminders(pool: Pool, settings: Settings, today: dt.date | None = None) -> int:
    """One run of the matcher's reminder job, on ``today`` (the networks' own dates when
    None): what ``send_invoice_reminders`` does, with the day a test chooses."""
    queue = await connect_queue(settings)
    try:
        async with pool.acquire() as conn, transaction_then_queue(conn, queue) as after:
            written = await notify.due_invoice_reminders(notifier(conn, settings), today)
            for message_id in written:
                after.message(message_id)
        return len(written)
    finally:
        await queue.aclose()
