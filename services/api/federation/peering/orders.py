"""Orders a peer sends us for one of our producers (docs/federation.md, "Orders").

Publishing a peer's run that bought from a producer sharing with it sends that
producer's order (``POST /federation/v1/orders``): the DFC ``Order`` with its
``OrderLine``s, stored as sent, and the lines in plain fields we check: each names one
of the peer's CONFIRMED holds, its offer and exactly its packs, all of one producer. The
packs are reserved already (the holds); the order is what the producer packs, and it
appears in the producer's pick list. The peer is the one its verified signature names;
the order's id is the peer's, so a resend gets the same answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from arq.connections import ArqRedis
from litestar import Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from services.api.auth.actor import Actor
from services.api.core import audit
from services.api.core.types import Input
from services.api.demand.amounts import Measure
from services.api.federation.peering.controller import SIGNED, peer_of
from services.api.federation.peering.holds import MAX_HOLD_PACKS, audit_peer
from services.api.federation.peering.signed import PeerActor, PeerSignedController
from shared.db import orders_federation as orders_db
from shared.db.pool import Conn
from shared.errors import ConflictError, NotFoundError
from shared.queue import transaction_then_queue

MAX_ORDER_LINES = 500

OrderState = Literal["received", "accepted"]


class OrderLineIn(Input):
    hold_id: UUID
    offer_id: UUID
    packs: Annotated[int, msgspec.Meta(ge=1, le=MAX_HOLD_PACKS)]


class OrderIn(Input):
    """A peer's order to one of our producers: ``id`` is the peer's (its idempotency
    key); ``order`` the DFC document (JSON-LD), kept as sent."""

    id: UUID
    network: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    delivery_date: dt.date
    lines: Annotated[list[OrderLineIn], msgspec.Meta(min_length=1, max_length=MAX_ORDER_LINES)]
    order: dict[str, Any]


class OrderOut(msgspec.Struct, kw_only=True):
    id: UUID
    state: OrderState
    producer_id: UUID
    lines: int


class StateIn(Input):
    """The state the producer gave our order at the peer."""

    state: Literal["accepted"]


class StateOut(msgspec.Struct, kw_only=True):
    id: UUID
    state: str


class _RacedError(Exception):
    """The same order id committed first: answer with that order."""


class OrderService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def receive(self, peer: PeerActor, data: OrderIn) -> OrderOut:
        for _ in range(2):
            try:
                async with self.conn.transaction():
                    existing = await orders_db.select_order(self.conn, data.id)
                    if existing is not None:
                        return await self._same(existing, peer, data)
                    producer = await self._checked(peer, data)
                    row = await orders_db.insert_order(
                        self.conn,
                        data.id,
                        peer.peer_id,
                        producer,
                        data.network,
                        data.delivery_date,
                        data.order,
                        [(line.hold_id, line.offer_id, line.packs) for line in data.lines],
                    )
                    if row is None:
                        raise _RacedError
                    await audit_peer(
                        self.conn,
                        peer,
                        "federation.order",
                        "federation_order",
                        data.id,
                        producer_id=str(producer),
                        lines=len(data.lines),
                    )
                    return OrderOut(
                        id=data.id, state=row["state"], producer_id=producer, lines=len(data.lines)
                    )
            except _RacedError:
                continue
        raise ConflictError(
            "the order {id} is being written by another request; send it again",
            values={"id": data.id},
        )

    async def page(self, actor: Actor) -> list[dict[str, Any]]:
        """The orders peers sent the actor's organisation (every one for the admin), the
        newest first, each with its lines."""
        producer = None if actor.is_admin else actor.organisation_id
        if producer is None and not actor.is_admin:
            return []
        found: dict[UUID, dict[str, Any]] = {}
        for row in await orders_db.select_peer_orders(self.conn, producer):
            order = found.setdefault(
                row["id"],
                {
                    "id": row["id"],
                    "state": row["state"],
                    "peer": row["peer_name"],
                    "producer": row["producer"] if actor.is_admin else "",  # whose, for the admin
                    "network": row["network"],
                    "delivery_date": row["delivery_date"],
                    "created_at": row["created_at"],
                    "lines": [],
                },
            )
            order["lines"].append(
                {
                    "product": row["product"],
                    "packs": row["packs"],
                    "pack_units": row["pack_units"],
                    "measure": Measure(row["unit"], row["per_unit_milli"]) if row["unit"] else None,
                    "price_per_pack_ore": row["price_per_pack_ore"],
                }
            )
        return list(found.values())

    async def accept(self, actor: Actor, order_id: UUID, queue: ArqRedis) -> None:
        """The producer accepts a received order; the new state goes back to the peer
        through the outbox. Not the actor's order: 404; accepted already: nothing more."""
        producer = None if actor.is_admin else actor.organisation_id
        existing = await orders_db.select_order(self.conn, order_id)
        if existing is None or not (actor.is_admin or existing["producer_id"] == producer):
            raise NotFoundError("no order {id} of yours", values={"id": order_id})
        async with transaction_then_queue(self.conn, queue) as after:
            row = await orders_db.accept_order(self.conn, order_id, producer)
            if row is None:
                return  # accepted already: the message was written then
            message_id = await orders_db.insert_state_message(
                self.conn,
                order_id,
                "accepted",
                {"order_id": str(order_id), "peer_id": str(row["peer_id"]), "state": "accepted"},
            )
            if message_id is not None:
                after.message(message_id)
            await audit.record(
                self.conn,
                actor,
                "federation.order.accept",
                "federation_order",
                order_id,
                detail={"peer_id": str(row["peer_id"])},
            )

    async def state_of_ours(self, peer: PeerActor, order_id: UUID, data: StateIn) -> StateOut:
        """The state a peer's producer gave our order: recorded on our
        ``run_remote_order``, from that peer only (else 404); the same again is fine."""
        row = await orders_db.set_remote_order_state(self.conn, order_id, peer.peer_id, data.state)
        if row is None:
            raise NotFoundError("no order {id} of ours at you", values={"id": order_id})
        return StateOut(id=order_id, state=data.state)

    async def _checked(self, peer: PeerActor, data: OrderIn) -> UUID:
        """The producer the order is for, once every line names a confirmed hold of the
        peer's, with its offer and packs, all of one producer, none ordered already."""
        ids = [line.hold_id for line in data.lines]
        if len(set(ids)) != len(ids):
            raise ConflictError("the order names a hold twice")
        holds = {row["id"]: row for row in await orders_db.select_order_holds(self.conn, ids)}
        for line in data.lines:
            hold = holds.get(line.hold_id)
            if hold is None or hold["peer_id"] != peer.peer_id:
                raise NotFoundError("no hold {id} of yours", values={"id": line.hold_id})
            if hold["state"] != "confirmed":
                raise ConflictError(
                    "the hold {id} is {state}: only confirmed holds can be ordered",
                    values={"id": line.hold_id, "state": hold["state"]},
                    state="refused",
                )
            if hold["offer_id"] != line.offer_id or hold["packs"] != line.packs:
                raise ConflictError(
                    "the line of hold {id} does not match it: {packs} packs of offer {offer_id}",
                    values={
                        "id": line.hold_id,
                        "packs": hold["packs"],
                        "offer_id": hold["offer_id"],
                    },
                    state="refused",
                )
            if hold["ordered"]:
                raise ConflictError(
                    "the hold {id} is in another order already", values={"id": line.hold_id}
                )
        producers = {holds[line.hold_id]["producer_id"] for line in data.lines}
        if len(producers) != 1:
            raise ConflictError("an order is for one producer: send one order per producer")
        producer: UUID = producers.pop()
        return producer

    async def _same(self, existing: asyncpg.Record, peer: PeerActor, data: OrderIn) -> OrderOut:
        if existing["peer_id"] != peer.peer_id:
            raise ConflictError(
                "the order id {id} is taken: choose another", values={"id": data.id}
            )
        lines = await orders_db.select_order_lines(self.conn, data.id)
        stored = {(row["hold_id"], row["offer_id"], row["packs"]) for row in lines}
        sent = {(line.hold_id, line.offer_id, line.packs) for line in data.lines}
        if stored != sent:
            raise ConflictError("the order {id} exists with other lines", values={"id": data.id})
        return OrderOut(
            id=existing["id"],
            state=existing["state"],
            producer_id=existing["producer_id"],
            lines=len(lines),
        )


def provide_orders(conn: NamedDependency[Conn]) -> OrderService:
    return OrderService(conn)


PeerOrders = NamedDependency[OrderService]


class OrderController(PeerSignedController):
    """The orders a peer sends us (signed: only a peer's verified signature reaches)."""

    path = "/federation/v1/orders"
    dependencies = {"peer_orders": Provide(provide_orders, sync_to_thread=False)}

    @post(
        summary="Send one of our producers its order: your confirmed holds, as a DFC Order",
        description=SIGNED
        + " Each line names one of your confirmed holds, its offer and exactly its packs; "
        "all lines are of one producer. Idempotent by `id` (yours): the same order again "
        "gets the same answer; the same id with other lines 409. A hold not yours: 404; "
        "not confirmed, not matching or ordered already: 409.",
    )
    async def receive(
        self, request: Request[Any, Any, Any], data: JSONBody[OrderIn], peer_orders: PeerOrders
    ) -> OrderOut:
        return await peer_orders.receive(peer_of(request), data)

    @post(
        "/{order_id:uuid}/state",
        status_code=200,
        summary="Tell us the state your producer gave our order (accepted)",
        description=SIGNED
        + " `order_id` is ours, the `id` of the order we sent you; only you, the peer we "
        "sent it to, may set it (else 404). Idempotent: the same state again is fine.",
    )
    async def state(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[UUID],
        data: JSONBody[StateIn],
        peer_orders: PeerOrders,
    ) -> StateOut:
        return await peer_orders.state_of_ours(peer_of(request), order_id, data)
