"""Matching's jobs: compute a run, close due cycles, take up runs whose job was lost."""

from __future__ import annotations

import logging
from uuid import UUID

from services.matcher.jobs.context import WorkerContext
from services.matcher.matching.run import notifier, run_match
from shared import notifications as notify
from shared.db import cycles as cycles_db
from shared.db import outbox as outbox_db
from shared.db import runs as runs_db
from shared.db import server as server_db
from shared.queue import enqueue_match, enqueue_message, release_match, transaction_then_queue

log = logging.getLogger(__name__)


async def self_check(ctx: WorkerContext) -> dict[str, str]:
    """Prove the path queue → worker → PostgreSQL: which worker ran, on which server."""
    async with ctx["pool"].acquire() as conn:
        version = await server_db.server_version(conn)
        schema = await server_db.schema_version(conn)
    return {
        "worker": ctx["worker_name"],
        "postgres": version,
        "schema_version": str(schema),
    }


async def match_cycle(ctx: WorkerContext, run_id: str) -> str:
    """Compute and store one match run, then queue the mail it wrote to the coordinators
    (proposed, or failed). Safe to run more than once."""
    outcome = await run_match(ctx["pool"], ctx["settings"], UUID(run_id))
    async with ctx["pool"].acquire() as conn:
        unsent = await outbox_db.select_unsent_run_mail(conn, UUID(run_id))
    for message_id in unsent:
        await enqueue_message(ctx["queue"], message_id, 0)
    return outcome


async def close_due_cycles(ctx: WorkerContext) -> int:
    """Close the cycles whose deadline passed, each with its first run, and queue them;
    the coordinators are told in the same transaction."""
    async with (
        ctx["pool"].acquire() as conn,
        transaction_then_queue(conn, ctx["queue"]) as after,
    ):
        closed = await cycles_db.close_due_cycles(conn)
        for row in closed:
            run = await runs_db.insert_run(conn, row["id"], row["network_id"], None, {})
            after.match(run["id"])
            for message_id in await notify.cycle_closed(
                notifier(conn, ctx["settings"]), row["id"], run["id"]
            ):
                after.message(message_id)
    return len(closed)


async def requeue_stale_runs(ctx: WorkerContext) -> int:
    """PostgreSQL is the record; Redis may lose a job and a worker may die mid-run.

    A run queued or running with no sign of life for ``settings.matching.run_lease_s``
    (running runs beat every third of it) gets its job's lock dropped and is queued again. If
    its worker was only slow, the run is stored once anyway: storing checks the row.
    """
    async with ctx["pool"].acquire() as conn:
        stale = await runs_db.select_stale_runs(conn, ctx["settings"].matching.run_lease_s)
    for run_id in stale:
        await release_match(ctx["queue"], run_id)
        await enqueue_match(ctx["queue"], run_id)
    if stale:
        log.warning("took up %d run(s) with no sign of life: %s", len(stale), stale)
    return len(stale)
