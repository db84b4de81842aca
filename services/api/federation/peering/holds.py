"""Holds a peer asks of us on the packs of our offers (docs/federation.md, "Holds").

A peer's run that buys from a producer sharing with it asks for a hold on the packs
(``POST /federation/v1/holds``); approving and publishing it confirms the hold,
rejecting or superseding it releases it; a hold never confirmed expires
(``jobs/housekeeping.py``). The peer is the one its verified signature names, never a
field of the body; it sees and moves its own holds only (404 otherwise). Holding
reserves the packs with the conditional UPDATE our own runs reserve with, in the same
transaction, so nothing is ever oversold. Each call is idempotent by the hold's id,
which the peer chooses.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from services.api.core.types import Input
from services.api.federation.peering.controller import SIGNED, peer_of
from services.api.federation.peering.signed import PeerActor, PeerSignedController
from shared.db import holds as holds_db
from shared.db import runs as runs_db
from shared.db.audit import insert_audit
from shared.db.pool import Conn
from shared.errors import ConflictError, NotFoundError

MAX_HOLD_TTL_S = 7 * 24 * 3600  # a hold lives a week at most unless confirmed
MAX_HOLD_PACKS = 1_000_000

HoldState = Literal["held", "confirmed", "released", "expired"]


class HoldIn(Input):
    """A hold on ``packs`` packs of our offer ``offer_id`` for ``ttl_s`` seconds; ``id``
    is the peer's (its idempotency key)."""

    id: UUID
    offer_id: UUID
    packs: Annotated[int, msgspec.Meta(ge=1, le=MAX_HOLD_PACKS)]
    ttl_s: Annotated[int, msgspec.Meta(ge=60, le=MAX_HOLD_TTL_S)]


class HoldOut(msgspec.Struct, kw_only=True):
    id: UUID
    offer_id: UUID
    packs: int
    state: HoldState
    expires_at: dt.datetime


class _RacedError(Exception):
    """A request with the same hold id committed first: answer with its hold."""


async def audit_peer(
    conn: Conn, peer: PeerActor, action: str, object_type: str, object_id: UUID, **detail: Any
) -> None:
    """A peer's write, in the audit trail with the write's transaction: the peer and the
    key it signed with stand for the actor (it has no person or token here)."""
    await insert_audit(
        conn,
        action=action,
        outcome="ok",
        object_type=object_type,
        object_id=str(object_id),
        detail={"peer_id": str(peer.peer_id), "key_id": peer.key_id, **detail},
    )


def _out(row: asyncpg.Record) -> HoldOut:
    return HoldOut(
        id=row["id"],
        offer_id=row["offer_id"],
        packs=row["packs"],
        state=row["state"],
        expires_at=row["expires_at"],
    )


class HoldService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def hold(self, peer: PeerActor, data: HoldIn) -> HoldOut:
        """Reserve the packs and write the hold, in one transaction; the same hold again
        answers as the first time did (with its state now)."""
        for _ in range(2):
            try:
                async with self.conn.transaction():
                    existing = await holds_db.select_hold(self.conn, data.id)
                    if existing is not None:
                        return self._same(existing, peer, data)
                    if not await holds_db.holdable_offer(self.conn, data.offer_id, peer.peer_id):
                        raise NotFoundError(
                            "no offer {offer_id} on sale is shared with you",
                            values={"offer_id": data.offer_id},
                        )
                    if not await runs_db.reserve_packs(self.conn, data.offer_id, data.packs):
                        raise ConflictError(
                            "not enough packs of offer {offer_id} are free for {packs} more",
                            values={"offer_id": data.offer_id, "packs": data.packs},
                            state="refused",
                            reason="not enough packs free",
                        )
                    row = await holds_db.insert_hold(
                        self.conn, data.id, peer.peer_id, data.offer_id, data.packs, data.ttl_s
                    )
                    if row is None:
                        raise _RacedError  # rolls back the reservation
                    await audit_peer(
                        self.conn,
                        peer,
                        "federation.hold",
                        "federation_hold",
                        data.id,
                        offer_id=str(data.offer_id),
                        packs=data.packs,
                    )
                    return _out(row)
            except _RacedError:
                continue
        raise ConflictError(
            "the hold {id} is being written by another request; ask again", values={"id": data.id}
        )

    def _same(self, existing: asyncpg.Record, peer: PeerActor, data: HoldIn) -> HoldOut:
        if existing["peer_id"] != peer.peer_id:
            raise ConflictError("the hold id {id} is taken: choose another", values={"id": data.id})
        if existing["offer_id"] != data.offer_id or existing["packs"] != data.packs:
            raise ConflictError(
                "the hold {id} exists for other packs or another offer",
                values={"id": data.id},
            )
        return _out(existing)

    async def confirm(self, peer: PeerActor, hold_id: UUID) -> HoldOut:
        """Held → confirmed: the packs stay reserved and the hold no longer expires."""
        async with self.conn.transaction():
            row = await self._own(peer, hold_id)
            if row["state"] == "held" and row["expires_at"] <= dt.datetime.now(dt.UTC):
                await holds_db.expire_holds(self.conn, hold_id)  # its packs go back now
                raise ConflictError(
                    "the hold {id} expired: its packs are free again",
                    values={"id": hold_id},
                    state="expired",
                )
            if row["state"] == "held":
                confirmed = await holds_db.confirm_hold(self.conn, hold_id, peer.peer_id)
                assert confirmed is not None  # locked, held, not expired
                await audit_peer(
                    self.conn, peer, "federation.hold.confirm", "federation_hold", hold_id
                )
                return _out(confirmed)
            if row["state"] == "confirmed":
                return _out(row)
            raise ConflictError(
                "the hold {id} is {state}: it can't be confirmed",
                values={"id": hold_id, "state": row["state"]},
                state=row["state"],
            )

    async def release(self, peer: PeerActor, hold_id: UUID) -> HoldOut:
        """Held or confirmed → released, the packs back to the offer; a hold that ended
        already (released, expired) stays as it is."""
        async with self.conn.transaction():
            row = await self._own(peer, hold_id)
            if row["state"] in ("held", "confirmed"):
                await holds_db.release_hold(self.conn, hold_id, peer.peer_id)
                await audit_peer(
                    self.conn, peer, "federation.hold.release", "federation_hold", hold_id
                )
                released = await holds_db.select_hold(self.conn, hold_id)
                assert released is not None
                return _out(released)
            return _out(row)

    async def _own(self, peer: PeerActor, hold_id: UUID) -> asyncpg.Record:
        row = await holds_db.select_hold(self.conn, hold_id)
        if row is None or row["peer_id"] != peer.peer_id:
            raise NotFoundError("no hold {id} of yours", values={"id": hold_id})
        return row


def provide_holds(conn: NamedDependency[Conn]) -> HoldService:
    return HoldService(conn)


Holds = NamedDependency[HoldService]


class HoldController(PeerSignedController):
    """The holds a peer asks of us (signed: only a peer's verified signature reaches)."""

    path = "/federation/v1/holds"
    dependencies = {"holds": Provide(provide_holds, sync_to_thread=False)}

    @post(
        summary="Hold packs of an offer shared with you, until confirmed, released or expired",
        description=SIGNED
        + " Idempotent by `id` (yours): the same hold again gets the same answer; the same "
        "id with another body 409. Not enough packs free: 409 with `state` `refused` and a "
        "`reason`; an offer not shared with you or not on sale: 404.",
    )
    async def hold(
        self, request: Request[Any, Any, Any], data: JSONBody[HoldIn], holds: Holds
    ) -> HoldOut:
        return await holds.hold(peer_of(request), data)

    @post(
        "/{hold_id:uuid}/confirm",
        status_code=200,
        summary="Confirm your hold: the packs stay reserved, the hold no longer expires",
        description=SIGNED,
    )
    async def confirm(
        self, request: Request[Any, Any, Any], hold_id: FromPath[UUID], holds: Holds
    ) -> HoldOut:
        return await holds.confirm(peer_of(request), hold_id)

    @post(
        "/{hold_id:uuid}/release",
        status_code=200,
        summary="Release your hold: its packs go back to the offer",
        description=SIGNED,
    )
    async def release(
        self, request: Request[Any, Any, Any], hold_id: FromPath[UUID], holds: Holds
    ) -> HoldOut:
        return await holds.release(peer_of(request), hold_id)
