"""The outbox between the API and the matcher: kinds of message, their states, the job.

A service writes a message in the same transaction as the event it tells of (a run
published); the matcher delivers it later, outside any transaction, and records each
attempt. Webhooks are the one kind today; e-mail and federation pushes join as kinds.
"""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    WEBHOOK = "webhook"


class MessageState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# The matcher's job that makes one attempt at one message; its argument is the
# message's id as a string, its job id names the attempt (``outbox:<id>:<attempt>``).
OUTBOX_JOB = "deliver_message"
