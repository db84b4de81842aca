"""What every job's ``ctx`` holds."""

from __future__ import annotations

from typing import TypedDict

from arq.connections import ArqRedis

from services.matcher.outbox.delivery import Senders
from shared.db.pool import Pool
from shared.settings import Settings


class WorkerContext(TypedDict):
    """What ``build_worker``'s start-up puts in every job's ``ctx`` (arq adds ``redis``)."""

    settings: Settings
    pool: Pool
    worker_name: str
    senders: Senders  # a sender per kind of outbox message (webhooks, mail)
    queue: ArqRedis  # on the matching queue, beside which the outbox queue is found
    redis: ArqRedis  # arq's own, on the queue of the worker running the job
