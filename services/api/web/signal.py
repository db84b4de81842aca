"""The demand signal's page: what the network's co-ops want, per product, for its producers
(and coordinators), from the same service as ``GET /v1/networks/{id}/demand-signal``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.api.deps import CurrentActor, Networks, Signals
from services.api.signal.controller import SIGNAL_READERS
from services.api.web.pages import page


class SignalPages(Controller):
    path = "/app"
    include_in_schema = False
    guards = [SIGNAL_READERS]

    @get("/demand-signal")
    async def choose(
        self, request: Request[Any, Any, Any], actor: CurrentActor, networks: Networks
    ) -> Response[Any]:
        """The page of the one network the producer belongs to, or a choice of them."""
        mine = await networks.list_networks(actor)
        if len(mine) == 1:
            return Redirect(path=f"/app/networks/{mine[0].id}/demand-signal", status_code=303)
        return page(request, "demand_signal_networks", networks=mine)

    @get("/networks/{network_id:uuid}/demand-signal")
    async def signal(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        signals: Signals,
    ) -> Template:
        found = await signals.signal(actor, network_id)
        network = await networks.get(actor, network_id)
        return page(request, "demand_signal", network=network, signal=found, zone=network.timezone)
