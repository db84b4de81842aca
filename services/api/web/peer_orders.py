"""The producer's page of the orders other Samlast deployments sent it
(docs/federation.md, "Orders"): each order with its lines, the newest first, seen even
with no run of ours that day; the producer accepts one (after a confirmation), and the
new state goes back to the peer through the outbox. Another producer's order: 404, said
without its id.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from arq.connections import ArqRedis
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.api.auth.actor import Role
from services.api.auth.guards import requires
from services.api.deps import CurrentActor
from services.api.federation.peering.orders import OrderService, provide_orders
from services.api.web.pages import back, page, same_site
from shared.errors import NotFoundError

PEER_ORDERS_PAGE = "/app/producer/peer-orders"
NOT_YOURS = (
    "That order is not among your orders from other Samlast deployments: it may be another "
    "producer's, or the page you came from is out of date."
)
ORDER_READERS = requires(Role.ADMIN, Role.PRODUCER)


class PeerOrderPages(Controller):
    path = PEER_ORDERS_PAGE
    include_in_schema = False
    dependencies = {"peer_orders": Provide(provide_orders, sync_to_thread=False)}

    @get("", guards=[ORDER_READERS])
    async def orders(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        peer_orders: NamedDependency[OrderService],
    ) -> Template:
        return page(request, "peer_orders", orders=await peer_orders.page(actor))

    @post("/{order_id:uuid}/accept", guards=[ORDER_READERS], status_code=303)
    async def accept(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[UUID],
        actor: CurrentActor,
        peer_orders: NamedDependency[OrderService],
        queue: NamedDependency[ArqRedis],
    ) -> Redirect:
        same_site(request)
        try:
            await peer_orders.accept(actor, order_id, queue)
        except NotFoundError:  # the API's words name the id; a person needs none
            raise NotFoundError(NOT_YOURS) from None
        return back(PEER_ORDERS_PAGE, done="order accepted")
