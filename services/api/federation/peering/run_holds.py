"""A run's holds at its peers (docs/federation.md, "Holds"), read-only: which offers of
other deployments the run buys, what each peer answered, and which ones the run left
out. For the network's coordinators, as the run itself; anyone else: 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, get
from litestar.params import FromPath

from services.api.auth.guards import MANAGERS
from services.api.deps import CurrentActor, Db, Runs
from shared.db import holds as holds_db
from shared.db import orders_federation as orders_db
from shared.db.reasons import reason_phrase
from shared.db.rows import as_struct

T = TypeVar("T", bound=msgspec.Struct)


def said(row: asyncpg.Record, out: type[T], **computed: Any) -> T:
    """A hold's or an order's row for the API: its peer by name, its reason in English."""
    reason = str(reason_phrase(row["reason"], row["reason_values"]))
    return as_struct(row, out, peer=row["peer_name"], reason=reason, **computed)


HoldState = Literal["pending", "held", "confirmed", "refused", "unreachable", "released"]


class RunHoldOut(msgspec.Struct, kw_only=True):
    hold_id: UUID
    offer_id: UUID  # the mirror here, as the run's purchases name it
    remote_offer_id: UUID  # the offer at the peer
    peer_id: UUID
    peer: str
    producer: str
    packs: int
    state: HoldState
    reason: str  # why, in English (a peer's own words quoted as it gave them); "" if nothing
    # why, for programs: refused, asking_again, given_up, no_answer_in_time ("" if nothing;
    # other: said before the codes)
    reason_code: str
    bought: bool  # false: the run left the offer out (refused for good, or its peer silent)
    updated_at: dt.datetime


class RunHoldController(Controller):
    path = "/v1/runs/{run_id:uuid}/holds"
    tags = ["runs"]

    @get(
        guards=[MANAGERS],
        summary="The run's holds at other deployments: their state, and what was left out",
        description=(
            "One hold per purchase of another deployment's offer: `pending` (not answered "
            "yet), `held`, `confirmed` (once the run is approved), `refused` (with the "
            "peer's `reason`), `unreachable`, or `released` (the run rejected or superseded, "
            "or its peer left out for not answering in time: `reason` says which). "
            "`reason_code` says it for programs: `refused` (the peer's own words quoted in "
            '`reason`), `asking_again`, `given_up`, `no_answer_in_time`; "" when nothing '
            "went wrong. "
            "`bought` is false once the run no longer buys the offer. By producer. For the "
            "network's coordinators; any other run: 404."
        ),
    )
    async def run_holds(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs, conn: Db
    ) -> list[RunHoldOut]:
        await runs.visible(actor, run_id)
        return [said(row, RunHoldOut) for row in await holds_db.select_run_holds(conn, run_id)]


OrderState = Literal["pending", "received", "accepted", "refused"]


class RunOrderOut(msgspec.Struct, kw_only=True):
    order_id: UUID
    peer: str
    producer: str
    state: OrderState
    reason: str  # why refused, in English (the peer's own words quoted); "" if nothing
    reason_code: str  # refused ("" if nothing; other: said before the codes)
    updated_at: dt.datetime


class RunOrderController(Controller):
    path = "/v1/runs/{run_id:uuid}/orders"
    tags = ["runs"]

    @get(
        guards=[MANAGERS],
        summary="The published run's orders to other deployments' producers, as answered",
        description=(
            "One order per producer of another deployment the run buys from: `pending` "
            "(not sent yet), `received`, `accepted` (by the producer), or `refused` (with "
            "the peer's `reason`; `reason_code` `refused` says it for programs). For the "
            "network's coordinators; any other run: 404."
        ),
    )
    async def run_orders(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs, conn: Db
    ) -> list[RunOrderOut]:
        await runs.visible(actor, run_id)
        rows = await orders_db.select_run_orders(conn, run_id)
        return [said(row, RunOrderOut, order_id=row["id"]) for row in rows]
