"""A run's progress as server-sent events, for the API and the pages alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any
from uuid import UUID

import msgspec
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.response import ServerSentEventMessage

from services.api.auth.actor import Actor
from services.api.auth.middleware import Credential
from services.api.runs.schemas import RunOut
from services.api.runs.service import run_out, visible_run
from shared.contracts.runs import FINISHED
from shared.errors import NotFoundError

POLL_S = 0.5
STREAM_LIMIT_S = 300  # then the stream ends; EventSource clients reconnect by themselves
# How long an open stream trusts the credential it was opened with: at most this long
# after a token is revoked or expires, or its organisation leaves the network, it ends.
RECHECK_S = 5.0


async def progress_events(
    state: State,
    credential: Credential | None,
    actor: Actor,
    run_id: UUID,
    described: Callable[[RunOut], dict[str, Any]] | None = None,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """One ``progress`` event per change, a connection borrowed per poll, not held.

    ``described`` adds members to each event's run (the pages' words for its stage and
    percent, in the reader's language); the API's stream is the run as it is.

    ``credential`` (a token or a session), which the stream was opened with as ``actor``,
    is verified again every ``RECHECK_S``: the stream ends once it no longer verifies or
    no longer sees the run.
    """
    clock = asyncio.get_running_loop().time
    last = None
    deadline = clock() + STREAM_LIMIT_S
    recheck_at = clock() + RECHECK_S
    while clock() < deadline:
        if clock() >= recheck_at:
            if credential is None:
                return
            try:
                actor = await state.gate.verify(credential)
            except NotAuthorizedException:
                return
            recheck_at = clock() + RECHECK_S
        try:
            async with state.pool.acquire() as conn:
                run = run_out(await visible_run(conn, actor, run_id))
        except NotFoundError:  # the organisation left the network (or the run is gone)
            return
        seen = (run.state, run.stage, run.percent)
        if seen != last:
            last = seen
            data = msgspec.to_builtins(run)
            if described is not None:
                data.update(described(run))
            yield ServerSentEventMessage(
                event="progress", data=msgspec.json.encode(data).decode(), id=run.percent
            )
        if run.state in FINISHED:
            return
        await asyncio.sleep(POLL_S)
