"""Notifications for tests: the matcher's cron job run once in the test's process, and
waiting for a mail the worker has sent to the session's SMTP server."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from services.matcher.jobs.context import WorkerContext
from services.matcher.jobs.notifications import send_cycle_notices
from shared.db.pool import Pool
from shared.queue import connect_queue
from shared.settings import Settings
from tests.support.mailbox import Mailbox, Received

MAIL_WAIT_S = 60


async def cycle_notices(pool: Pool, settings: Settings) -> int:
    """One run of the matcher's cron job that sends cycle notices; how many mails."""
    queue = await connect_queue(settings)
    try:
        ctx: dict[str, Any] = {"pool": pool, "settings": settings, "queue": queue}
        return await send_cycle_notices(cast(WorkerContext, ctx))
    finally:
        await queue.aclose()


async def mail_to(mailbox: Mailbox, address: str, subject: str, count: int = 1) -> Received:
    """The ``count``-th mail to ``address`` with ``subject``, once the worker has sent it."""
    for _ in range(MAIL_WAIT_S * 10):
        found = mailbox.find(to=address, subject=subject)
        if len(found) >= count:
            return found[count - 1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} to {address} within {MAIL_WAIT_S} s")
