"""Notifications that come with time rather than with an act: a cycle opening when its
``opens_at`` passes (a cycle may also be made open already), and its deadline nearing.
The rules and the mail are in ``shared/notifications``; this only runs them on a clock."""

from __future__ import annotations

from services.matcher.jobs.context import WorkerContext
from services.matcher.matching.run import notifier
from shared import notifications as notify
from shared.queue import transaction_then_queue


async def send_cycle_notices(ctx: WorkerContext) -> int:
    """Write every cycle notice now due, each claimed once in the transaction that writes
    its mail, and queue the mail after commit; how many mails. Safe to run twice."""
    async with (
        ctx["pool"].acquire() as conn,
        transaction_then_queue(conn, ctx["queue"]) as after,
    ):
        written = await notify.due_cycle_notices(notifier(conn, ctx["settings"]))
        for message_id in written:
            after.message(message_id)
    return len(written)


async def send_invoice_reminders(ctx: WorkerContext) -> int:
    """Remind the buyers of overdue invoices, each reminder claimed once in the
    transaction that writes its mail; how many mails. Safe to run twice."""
    async with (
        ctx["pool"].acquire() as conn,
        transaction_then_queue(conn, ctx["queue"]) as after,
    ):
        written = await notify.due_invoice_reminders(notifier(conn, ctx["settings"]))
        for message_id in written:
            after.message(message_id)
    return len(written)
