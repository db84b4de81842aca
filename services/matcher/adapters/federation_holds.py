"""Holds asked of peers: the outbox's sender of ``FEDERATION_HOLD`` messages.

Each message is one step of one hold (hold, confirm, release), sent signed
(``federation.py``) to the peer's ``/federation/v1/holds`` endpoints with the hold's id,
which makes every step idempotent there: a retry after a lost answer gets the same
answer. What the peer answered is recorded on the run's hold
(``matching/remote_holds.py``); the outbox records the attempt and retries when the
peer could not be reached or answered with a failure of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg
import httpx
import msgspec
from arq.connections import ArqRedis

from services.matcher.adapters.federation import PeerAnswer, signed_client
from services.matcher.adapters.outbound import Answer
from services.matcher.matching import remote_holds
from shared.contracts.messages import HoldMessage, HoldStep
from shared.db import peers as peers_db
from shared.db.pool import Pool
from shared.db.reasons import Reason
from shared.settings import Settings

HOLDS = "/federation/v1/holds"


def reason_of(answer: PeerAnswer) -> str:
    """The peer's words for a refusal (its problem document's detail), or its status."""
    return words_of(answer) or f"the peer answered {answer.status}"


def words_of(answer: PeerAnswer) -> str:
    """The peer's own words in its answer (its problem document's detail), if any."""
    try:
        body: Any = json.loads(answer.body)
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail[:500] if isinstance(detail, str) else ""


def refusal_of(answer: PeerAnswer) -> Reason:
    """A peer's refusal: its own words quoted (they stay in its language), else its
    status."""
    if words := words_of(answer):
        return Reason("refused", "the other deployment refused: “{said}”", {"said": words})
    status = {"status": str(answer.status)}
    return Reason("refused", "the other deployment refused (it answered {status})", status)


def failure_of(answer: PeerAnswer) -> dict[str, Any]:
    """Why a peer gave no answer of its own, as a msgid and its values (a reason's value)."""
    if answer.error is not None:
        return {"message": answer.error_message or answer.error, "values": answer.error_values}
    return {"message": "the peer answered {status}", "values": {"status": str(answer.status)}}


class HoldSender:
    def __init__(
        self,
        pool: Pool,
        settings: Settings,
        queue: ArqRedis,
        client: httpx.AsyncClient,
        *,
        retries: int,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.queue = queue
        self.client = client
        self.retries = retries  # the outbox's: after this many failed attempts, it gives up

    async def __call__(self, row: asyncpg.Record) -> Answer:
        hold = msgspec.convert(row["payload"], HoldMessage)
        last = row["attempts"] >= self.retries
        async with self.pool.acquire() as conn:
            peer = await peers_db.select_peer(conn, hold.peer_id)
            state = await conn.fetchval(
                "SELECT state FROM run_remote_hold WHERE hold_id = $1", hold.hold_id
            )
        if peer is None or state is None:
            return Answer(error="the peer or the hold is gone", refused=True)
        if hold.step == HoldStep.HOLD and state not in remote_holds.OPEN:
            return Answer()  # released (the run ended) before it was asked: nothing to ask
        signer = await signed_client(self.pool, self.settings, self.client)
        if signer is None:
            return Answer(error="this deployment has no federation signing key yet")
        if hold.step == HoldStep.HOLD:
            body = {
                "id": str(hold.hold_id),
                "offer_id": str(hold.remote_offer_id),
                "packs": hold.packs,
                "ttl_s": hold.ttl_s,
            }
            answer = await signer.request("POST", peer["base_url"], HOLDS, json=body)
        else:
            path = f"{HOLDS}/{hold.hold_id}/{hold.step}"
            answer = await signer.request("POST", peer["base_url"], path)
        waited = dt.datetime.now(dt.UTC) - row["created_at"]
        overdue = waited.total_seconds() >= self.settings.federation.hold_reach_s
        return await self._record(hold, answer, last=last, overdue=overdue)

    async def _record(
        self, hold: HoldMessage, answer: PeerAnswer, *, last: bool, overdue: bool = False
    ) -> Answer:
        status = answer.status
        if status is not None and 200 <= status < 300:
            if hold.step == HoldStep.HOLD:
                await remote_holds.record_held(self.pool, self.settings, self.queue, hold)
            elif hold.step == HoldStep.CONFIRM:
                await remote_holds.record_step(self.pool, hold, "confirmed")
            else:
                await remote_holds.record_step(self.pool, hold, "released")
            return Answer(status=status)
        if status in (404, 409):  # the peer's refusal: a retry would get the same
            reason = refusal_of(answer)
            if hold.step == HoldStep.HOLD:
                await remote_holds.record_refused(
                    self.pool, self.settings, self.queue, hold, reason
                )
            elif hold.step == HoldStep.CONFIRM:
                await remote_holds.record_step(self.pool, hold, "refused", reason)
            # a release the peer does not know of: nothing is held there
            return Answer(status=status)
        error = answer.error or f"the peer answered {status}"
        failure = failure_of(answer)
        if hold.step == HoldStep.HOLD and overdue:  # not answered in time: leave the peer out
            reach = {"error": failure, "s": str(self.settings.federation.hold_reach_s)}
            reason = Reason("no_answer_in_time", "{error}; no answer for {s} s", reach)
            done = await remote_holds.record_refused(
                self.pool, self.settings, self.queue, hold, reason, unreachable=True
            )
            if done != "waiting":
                return Answer(status=status, error=error, refused=True)
        if hold.step == HoldStep.HOLD:
            waiting = (
                Reason("given_up", "{error}; given up", {"error": failure})
                if last
                else Reason("asking_again", "{error}; asking again later", {"error": failure})
            )
            await remote_holds.record_waiting(self.pool, hold, waiting, last=last)
        return Answer(status=status, error=error)
