"""The network settings page's peers: which peer deployments' shared offers the network
lists, with what the poller last found of each (docs/federation.md)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from services.api.auth.guards import MANAGERS
from services.api.deps import CurrentActor, Db
from services.api.federation.peering.networks import NetworkPeerOut, choose, network_peers
from services.api.federation.peering.networks import unchoose as unchoose_peer
from services.api.web.pages import same_site, submit
from shared.db.pool import Conn
from shared.settings import Settings

MAX_PEERS_SHOWN = 200


async def peers_of(conn: Conn, actor: Any, network_id: UUID, stale_s: int) -> list[NetworkPeerOut]:
    """The peers the settings page lists (with the feed's state of each)."""
    return (await network_peers(conn, actor, network_id, stale_s))[:MAX_PEERS_SHOWN]


class NetworkPeerPages(Controller):
    path = "/app/networks/{network_id:uuid}/peers"
    guards = [MANAGERS]
    include_in_schema = False

    @post(status_code=303)
    async def save_peers(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        conn: Db,
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        """The peers ticked are chosen, the others not (what the form listed only)."""
        same_site(request)
        form = await request.form()
        ticked = {str(value) for value in form.getall("peer", [])[:MAX_PEERS_SHOWN]}
        stale_s = settings.federation.stale_s

        async def apply() -> None:
            for peer in await peers_of(conn, actor, network_id, stale_s):
                wanted = str(peer.peer_id) in ticked
                if wanted and not peer.chosen:
                    await choose(conn, actor, network_id, peer.peer_id, stale_s)
                elif peer.chosen and not wanted:
                    await unchoose_peer(conn, actor, network_id, peer.peer_id)

        return await submit(f"/app/networks/{network_id}/settings", "peers saved", apply, request)
