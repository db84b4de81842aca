"""Orders to peers' producers: the outbox's sender of ``FEDERATION_ORDER`` messages.

Each message is one published run's order to one remote producer, sent signed
(``federation.py``) to the peer's ``/federation/v1/orders`` with the order's id, which
makes a resend idempotent there. The state the peer answers (received, accepted) is
recorded on our ``run_remote_order`` and shown on the run page; a refusal (404, 409) is
recorded with the peer's reason; anything else is retried by the outbox.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx
import msgspec

from services.matcher.adapters.federation import signed_client
from services.matcher.adapters.federation_holds import reason_of, refusal_of
from services.matcher.adapters.outbound import Answer
from shared.contracts.messages import OrderMessage, OrderStateMessage
from shared.db import orders_federation as orders_db
from shared.db import peers as peers_db
from shared.db.pool import Pool
from shared.settings import Settings

ORDERS = "/federation/v1/orders"
STATES = ("received", "accepted")


class OrderSender:
    def __init__(self, pool: Pool, settings: Settings, client: httpx.AsyncClient) -> None:
        self.pool = pool
        self.settings = settings
        self.client = client

    async def __call__(self, row: asyncpg.Record) -> Answer:
        order = msgspec.convert(row["payload"], OrderMessage)
        async with self.pool.acquire() as conn:
            peer = await peers_db.select_peer(conn, order.peer_id)
            ours = await orders_db.select_remote_order(conn, order.order_id)
        if peer is None or ours is None:
            return Answer(error="the peer or the order is gone", refused=True)
        signer = await signed_client(self.pool, self.settings, self.client)
        if signer is None:
            return Answer(error="this deployment has no federation signing key yet")
        answer = await signer.request("POST", peer["base_url"], ORDERS, json=order.body)
        status = answer.status
        if status is not None and 200 <= status < 300:
            try:
                body: Any = json.loads(answer.body)
            except ValueError:
                body = None
            state = body.get("state") if isinstance(body, dict) else None
            async with self.pool.acquire() as conn:
                await orders_db.set_remote_order(
                    conn, order.order_id, state if state in STATES else "received"
                )
            return Answer(status=status)
        if status in (404, 409):  # the peer's refusal: a resend would get the same
            async with self.pool.acquire() as conn:
                await orders_db.set_remote_order(
                    conn, order.order_id, "refused", refusal_of(answer)
                )
            return Answer(status=status)
        return Answer(status=status, error=answer.error or f"the peer answered {status}")


class OrderStateSender:
    """The outbox's sender of ``FEDERATION_ORDER_STATE`` messages: the state our producer
    gave a peer's order, sent signed to the peer's ``/federation/v1/orders/{id}/state``
    (idempotent there). A refusal (404, 409) is final; anything else is retried."""

    def __init__(self, pool: Pool, settings: Settings, client: httpx.AsyncClient) -> None:
        self.pool = pool
        self.settings = settings
        self.client = client

    async def __call__(self, row: asyncpg.Record) -> Answer:
        message = msgspec.convert(row["payload"], OrderStateMessage)
        async with self.pool.acquire() as conn:
            peer = await peers_db.select_peer(conn, message.peer_id)
        if peer is None:
            return Answer(error="the peer is gone", refused=True)
        signer = await signed_client(self.pool, self.settings, self.client)
        if signer is None:
            return Answer(error="this deployment has no federation signing key yet")
        path = f"{ORDERS}/{message.order_id}/state"
        answer = await signer.request("POST", peer["base_url"], path, json={"state": message.state})
        status = answer.status
        if status is not None and 200 <= status < 300:
            return Answer(status=status)
        if status in (404, 409):
            return Answer(status=status, error=reason_of(answer), refused=True)
        return Answer(status=status, error=answer.error or f"the peer answered {status}")
