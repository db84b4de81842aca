"""The outbox's jobs: one attempt at a message, and the sweep for messages whose job was
lost (the rules are in ``outbox/delivery.py``)."""

from __future__ import annotations

from uuid import UUID

from services.matcher.jobs.context import WorkerContext
from services.matcher.outbox.delivery import deliver, requeue_due


async def deliver_message(ctx: WorkerContext, message_id: str) -> str:
    """One attempt at an outbox message; a failed one queues its own retry."""
    return await deliver(
        ctx["pool"], ctx["settings"], ctx["queue"], ctx["senders"], UUID(message_id)
    )


async def requeue_due_messages(ctx: WorkerContext) -> int:
    """Outbox messages whose job Redis lost, or whose worker died: queued again."""
    return await requeue_due(ctx["pool"], ctx["queue"])
