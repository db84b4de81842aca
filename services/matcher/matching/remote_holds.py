"""What a peer answered to a hold of one of our runs, recorded (docs/federation.md).

A run that buys mirrored offers (a peer's offers listed here) asks each peer to hold the
packs, through the outbox (``adapters/federation_holds.py`` sends; this records). A hold
held or confirmed is written down. A hold refused while the run is proposed re-allocates
the cycle without that supply: the run is superseded (its other holds released) and a
new run excludes the refused offers, at most ``federation.hold_retries`` times; after
that, the refused purchase leaves the run and its lines are listed unfilled with the
peer's reason. A peer that can't be reached leaves the hold pending while the outbox
retries; one unanswered for ``federation.hold_reach_s`` while its run is proposed is
``unreachable`` and counts as a refusal of the whole peer: the cycle is matched again
without any of that peer's offers. The coordinator sees each state on the run's page.
"""

from __future__ import annotations

import logging

import msgspec
from arq.connections import ArqRedis

from shared.contracts.messages import HoldMessage, HoldStep
from shared.contracts.runs import Overrides, RunState
from shared.db import cycles as cycles_db
from shared.db import holds as holds_db
from shared.db import peers as peers_db
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.db.reasons import NO_REASON, Reason
from shared.queue import transaction_then_queue
from shared.settings import Settings

log = logging.getLogger(__name__)

OPEN = ("pending", "unreachable")


async def record_held(pool: Pool, settings: Settings, queue: ArqRedis, hold: HoldMessage) -> None:
    """The peer holds the packs; a run approved meanwhile confirms them at once."""
    async with pool.acquire() as conn, transaction_then_queue(conn, queue) as after:
        if await holds_db.set_remote_hold(conn, hold.hold_id, "held", NO_REASON, OPEN) is None:
            # the run ended while the hold was on its way: its release may have reached
            # the peer first (nothing to release then), so release it once more
            for message_id in await holds_db.insert_hold_messages(
                conn,
                hold.run_id,
                HoldStep.RELEASE,
                ["released"],
                hold_id=hold.hold_id,
                again=":after-hold",
            ):
                after.message(message_id)
            return
        run = await runs_db.select_run(conn, hold.run_id)
        if run is not None and run["state"] in (RunState.APPROVED, RunState.PUBLISHED):
            for message_id in await holds_db.insert_hold_messages(
                conn, hold.run_id, HoldStep.CONFIRM, ["held"], settings.federation.hold_ttl_s
            ):
                after.message(message_id)


async def record_step(
    pool: Pool, hold: HoldMessage, state: str, reason: Reason = NO_REASON
) -> None:
    """A confirmation or release as the peer answered it; a confirmation refused (the
    hold expired there) is ``refused``, with the peer's reason."""
    from_states = ("held",) if state == "confirmed" else ("held", "confirmed", *OPEN)
    async with pool.acquire() as conn:
        await holds_db.set_remote_hold(conn, hold.hold_id, state, reason, from_states)


async def record_waiting(pool: Pool, hold: HoldMessage, reason: Reason, *, last: bool) -> None:
    """The peer did not answer: pending while the outbox retries, then unreachable."""
    state = "unreachable" if last else "pending"
    async with pool.acquire() as conn:
        await holds_db.set_remote_hold(conn, hold.hold_id, state, reason, OPEN)


async def record_refused(
    pool: Pool,
    settings: Settings,
    queue: ArqRedis,
    hold: HoldMessage,
    reason: Reason,
    *,
    unreachable: bool = False,
) -> str:
    """The peer refused the hold: re-allocate the run without it, or, the retries spent,
    leave its lines unfilled with the reason. ``unreachable``: the peer did not answer in
    time, so the run is matched again without any of its offers. What was done, in a
    word."""
    async with pool.acquire() as conn, transaction_then_queue(conn, queue) as after:
        seen = await runs_db.select_run(conn, hold.run_id)
        if seen is None:
            return "gone"
        # the cycle's lock first, as every decision on a cycle takes it
        await cycles_db.select_cycle(conn, seen["cycle_id"], lock=True)
        run = await runs_db.select_run(conn, hold.run_id, lock=True)
        assert run is not None
        if unreachable and run["state"] != RunState.PROPOSED:
            return "waiting"  # decided already: keep asking, the outbox's way
        state = "unreachable" if unreachable else "refused"
        refused = await holds_db.set_remote_hold(conn, hold.hold_id, state, reason, OPEN)
        said = reason.english()  # for the unfilled lines' detail, the transition, the log
        if refused is None or run["state"] != RunState.PROPOSED:
            return "recorded"  # released meanwhile, or decided: the coordinator sees it
        done = await holds_db.count_refused_runs(conn, run["cycle_id"]) - 1
        if done >= settings.federation.hold_retries:
            words = reason.values.get("said", said)  # the peer's own, when it gave any
            await holds_db.unfill_refused(conn, run["id"], hold.offer_id, str(words))
            log.info("run %s: hold %s refused (%s); lines unfilled", run["id"], hold.hold_id, said)
            return "unfilled"
        overrides = Overrides.of(run["overrides"])
        left_out = {hold.offer_id}
        if unreachable:
            left_out.update(await holds_db.select_peer_offers(conn, hold.peer_id))
        excluded = sorted({*overrides.exclude_offers, *left_out})
        for message_id in await runs_db.supersede_cycle_runs(conn, run["cycle_id"]):
            after.message(message_id)  # the releases of the superseded run's holds
        again = await runs_db.insert_run(
            conn,
            run["cycle_id"],
            run["network_id"],
            None,
            msgspec.to_builtins(msgspec.structs.replace(overrides, exclude_offers=excluded)),
        )
        peer = await peers_db.select_peer(conn, hold.peer_id)
        named = {"peer": peer["name"] if peer else "?", "reason": reason.said()}
        note = (
            Reason(
                "peer_unreachable",
                "{peer} could not be reached to hold packs ({reason}): matched again without "
                "its offers",
                named,
            )
            if unreachable
            else Reason(
                "hold_refused",
                "{peer} refused to hold packs ({reason}): matched again without them",
                named,
            )
        )
        await runs_db.insert_transition(
            conn, run["id"], RunState.PROPOSED, RunState.SUPERSEDED, None, None, note
        )
        after.match(again["id"])
        log.info("run %s: hold %s refused (%s); run %s", run["id"], hold.hold_id, said, again["id"])
        return "re-allocated"
