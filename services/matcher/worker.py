"""The matcher: two arq workers in one process. Jobs are thin wrappers; PostgreSQL is
the record.

Run it with ``samlast worker``. One worker serves the matching queue with
``matching.worker_concurrency`` slots, the other the outbox queue (webhooks and mail) with
``webhooks.concurrency`` slots of its own: a receiver that answers slowly holds an
outbox slot for at most ``webhooks.timeout_s`` (a mail server ``mail.timeout_s``) and
never a matching slot, so one network's bad receivers can't delay another network's
runs. Both share one PostgreSQL pool and the settings in the job context; the matching
worker refreshes arq's health-check key (read by the API's ``/health``). On
SIGINT/SIGTERM both stop taking jobs and let running ones finish first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from typing import Any, cast

from arq.constants import health_check_key_suffix
from arq.cron import cron
from arq.typing import WorkerCoroutine
from arq.worker import Worker, func

from services.matcher.adapters.federation_holds import HoldSender
from services.matcher.adapters.federation_orders import OrderSender, OrderStateSender
from services.matcher.adapters.mailer import Mailer
from services.matcher.adapters.outbound import new_client
from services.matcher.adapters.webhooks import WebhookSender
from services.matcher.jobs.feeds import poll_peer_feeds
from services.matcher.jobs.housekeeping import (
    expire_federation_holds,
    forget_expired_idempotency_keys,
    forget_sent_mail,
    forget_spent_nonces,
    forget_spent_sign_ins,
)
from services.matcher.jobs.matching import (
    close_due_cycles,
    match_cycle,
    requeue_stale_runs,
    self_check,
)
from services.matcher.jobs.notifications import send_cycle_notices, send_invoice_reminders
from services.matcher.jobs.outbox import deliver_message, requeue_due_messages
from services.matcher.jobs.schedules import open_scheduled_cycles
from services.matcher.matching.processes import close_routing_pool
from services.matcher.outbox.delivery import BACKOFF, LEASE_MARGIN_S, attempt_deadline_s
from shared.contracts.messages import OUTBOX_JOB, MessageKind
from shared.contracts.runs import MATCH_JOB
from shared.db.pool import create_pool
from shared.queue import (
    connect_queue,
    outbox_queue_name,
    redis_settings,
)
from shared.security.sealing import sealer_of
from shared.settings import Settings

log = logging.getLogger(__name__)

HEALTH_CHECK_INTERVAL_S = 10
SHUTDOWN_GRACE_S = 30
MATCH_TIMEOUT_S = 600
EVERY_5_S = set(range(0, 60, 5))
EVERY_10_S = set(range(3, 60, 10))
FEED_TICK_TIMEOUT_S = 300  # MAX_PEERS_PER_TICK calls of at most SAMLAST_FEDERATION_TIMEOUT_S


class MatcherWorkers:
    """The matching worker and the outbox worker, started, drained and stopped together."""

    def __init__(self, settings: Settings, matching: Worker, outbox: Worker) -> None:
        self.settings = settings
        self.matching = matching
        self.outbox = outbox
        self.workers = (matching, outbox)
        self._resources: dict[str, Any] = {}

    async def main(self) -> None:
        """Serve both queues until stopped; in burst mode, until both are drained."""
        await self._open()
        for worker in self.workers:
            worker.main_task = asyncio.create_task(worker.main())
        tasks = [worker.main_task for worker in self.workers if worker.main_task]
        done, running = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failures = [task.exception() for task in done if not task.cancelled()]
        if failure := next((exc for exc in failures if exc is not None), None):
            for task in running:  # one worker is down: the process stops, as it did alone
                task.cancel()
            if running:
                await asyncio.wait(running)
            raise failure

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Stop taking jobs; running ones get ``SHUTDOWN_GRACE_S`` to finish."""
        for worker in self.workers:
            worker.handle_sig_wait_for_completion(signal.Signals(signum))

    async def close(self) -> None:
        try:
            await asyncio.gather(*(worker.close() for worker in self.workers))
        finally:
            await self._close()

    def run(self) -> None:
        """Serve in the foreground (``samlast worker``) until SIGINT or SIGTERM."""
        loop = self.matching.loop
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stop, signum)
        try:
            loop.run_until_complete(self.main())
        finally:
            loop.run_until_complete(self.close())
            close_routing_pool()  # after the runs: they may still be searching in it

    async def _open(self) -> None:
        """What every job's context holds besides arq's own ``redis``."""
        if self._resources:
            return
        self._resources = {
            "settings": self.settings,
            "worker_name": f"{socket.gethostname()}:{os.getpid()}",
            "pool": await create_pool(
                self.settings,
                bounded=False,  # nobody waits on a job: it takes the next free connection
                server_settings={"application_name": "samlast-matcher"},
            ),
        }
        self._resources["queue"] = await connect_queue(self.settings)
        self._resources["http"] = new_client()
        sealer = sealer_of(self.settings.secret_keys)
        self._resources["senders"] = {
            MessageKind.WEBHOOK: WebhookSender(
                self._resources["pool"], self.settings, sealer, self._resources["http"]
            ),
            MessageKind.MAIL: Mailer(self.settings, sealer),
            # holds asked of peers (fed-holds): docs/federation.md, "Holds"
            MessageKind.FEDERATION_HOLD: HoldSender(
                self._resources["pool"],
                self.settings,
                self._resources["queue"],
                self._resources["http"],
                retries=len(BACKOFF),
            ),
            # orders to peers' producers: docs/federation.md, "Orders"
            MessageKind.FEDERATION_ORDER: OrderSender(
                self._resources["pool"], self.settings, self._resources["http"]
            ),
            # the state our producers gave peers' orders, sent back to each peer
            MessageKind.FEDERATION_ORDER_STATE: OrderStateSender(
                self._resources["pool"], self.settings, self._resources["http"]
            ),
        }
        if self.settings.mail.smtp_url is None:
            log.warning("mail is not configured (SAMLAST_SMTP_URL): mail stays pending")
        for worker in self.workers:
            worker.ctx.update(self._resources)

    async def _close(self) -> None:
        resources, self._resources = self._resources, {}
        if "http" in resources:
            await resources["http"].aclose()
        if "queue" in resources:
            await resources["queue"].aclose()
        if "pool" in resources:
            await resources["pool"].close()


def build_worker(settings: Settings, *, burst: bool = False, **overrides: Any) -> MatcherWorkers:
    """Both workers, configured; ``burst`` drains the queues and returns (tests, one-shots).
    ``overrides`` go to the matching worker's arq options."""
    common: dict[str, Any] = {
        "redis_settings": redis_settings(settings),
        "job_completion_wait": SHUTDOWN_GRACE_S,
        "burst": burst,
        "handle_signals": False,  # MatcherWorkers.run stops both on one signal
    }
    matching_options: dict[str, Any] = {
        **common,
        "functions": [
            func(_job(self_check), name="self_check", timeout=30, max_tries=1),
            # retried if a worker dies mid-run; the run itself records domain failures
            func(_job(match_cycle), name=MATCH_JOB, timeout=MATCH_TIMEOUT_S, max_tries=5),
        ],
        "cron_jobs": [
            cron(_job(close_due_cycles), second=EVERY_5_S, run_at_startup=True),
            cron(_job(requeue_stale_runs), second=EVERY_5_S, run_at_startup=True),
            cron(_job(send_cycle_notices), second=EVERY_5_S, run_at_startup=True),
            cron(_job(open_scheduled_cycles), second={10}, run_at_startup=True),
            # reminders go by the day: once an hour is soon enough, and not at start-up
            # (a burst worker's start stays as quick as it was)
            cron(_job(send_invoice_reminders), minute={23}, second={20}),
            cron(_job(forget_expired_idempotency_keys), second={30}, run_at_startup=True),
            cron(_job(forget_spent_sign_ins), minute={17}, second={40}, run_at_startup=True),
            cron(_job(forget_sent_mail), minute={47}, second={40}, run_at_startup=True),
            cron(_job(forget_spent_nonces), second={50}, run_at_startup=True),
            # federation holds (fed-holds): a peer's unconfirmed holds expire on time
            cron(_job(expire_federation_holds), second={15, 45}, run_at_startup=True),
            # --- federation: the peers' offer feeds (each read every SAMLAST_FEDERATION_POLL_S)
            cron(_job(poll_peer_feeds), second=EVERY_10_S, timeout=FEED_TICK_TIMEOUT_S),
        ],
        "queue_name": settings.redis.queue_name,
        "max_jobs": settings.matching.worker_concurrency,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        **overrides,
    }
    attempt_s = attempt_deadline_s(settings) + LEASE_MARGIN_S
    outbox_options: dict[str, Any] = {
        **common,
        "functions": [
            # its own retries are new jobs with a delay; arq's tries cover a dead worker.
            # No result kept: once an attempt's job is over, the sweep may queue it again.
            func(
                _job(deliver_message),
                name=OUTBOX_JOB,
                timeout=attempt_s,
                max_tries=3,
                keep_result=0,
            ),
        ],
        # The sweep too: arq holds a job of a dead worker for its queue's longest timeout
        # (arq's default of 300 s for a cron job without one) before running it again;
        # this way, a dead worker's attempt runs again 10 s after its lease ran out.
        "job_timeout": attempt_s,
        "cron_jobs": [cron(_job(requeue_due_messages), second=EVERY_5_S, run_at_startup=True)],
        "queue_name": outbox_queue_name(settings.redis.queue_name),
        "max_jobs": settings.webhooks.concurrency,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
    }
    return MatcherWorkers(settings, Worker(**matching_options), Worker(**outbox_options))


async def heartbeat(settings: Settings) -> str | None:
    """The latest health-check line a worker on this queue wrote, if it is still fresh."""
    queue = await connect_queue(settings)
    try:
        beat = await queue.get(settings.redis.queue_name + health_check_key_suffix)
    finally:
        await queue.aclose()
    return beat.decode() if isinstance(beat, bytes) else beat


def _job(function: Callable[..., Awaitable[Any]]) -> WorkerCoroutine:
    """arq types ``ctx`` as a plain dict; our jobs take the typed ``WorkerContext``."""
    return cast(WorkerCoroutine, function)
