from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody

from services.api.auth.guards import ADMINS, ANYONE, MANAGERS
from services.api.core.conditional import CREATED_HEADERS, ETAG_HEADER, IfMatch, created, with_etag
from services.api.deps import CurrentActor, Networks
from services.api.networks.schemas import (
    MemberIn,
    NetworkIn,
    NetworkOut,
    NetworkPatch,
    VehicleIn,
    VehicleOut,
)


class NetworkController(Controller):
    path = "/v1/networks"
    tags = ["networks"]

    @post(guards=[ADMINS], summary="Create a network (admin)", response_headers=CREATED_HEADERS)
    async def create(
        self, data: JSONBody[NetworkIn], actor: CurrentActor, networks: Networks
    ) -> Response[NetworkOut]:
        network = await networks.create(actor, data)
        return created(network, f"/v1/networks/{network.id}", network.version)

    @get(guards=[ANYONE], summary="Networks you belong to (admins: all)")
    async def list_networks(self, actor: CurrentActor, networks: Networks) -> list[NetworkOut]:
        return await networks.list_networks(actor)

    @get("/{network_id:uuid}", guards=[ANYONE], summary="One network", response_headers=ETAG_HEADER)
    async def get_network(
        self, network_id: FromPath[UUID], actor: CurrentActor, networks: Networks
    ) -> Response[NetworkOut]:
        network = await networks.get(actor, network_id)
        return with_etag(network, network.version)

    @patch(
        "/{network_id:uuid}",
        guards=[MANAGERS],
        summary="Edit a network (needs If-Match)",
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        network_id: FromPath[UUID],
        data: JSONBody[NetworkPatch],
        if_match: IfMatch,
        actor: CurrentActor,
        networks: Networks,
    ) -> Response[NetworkOut]:
        network = await networks.update(actor, network_id, data, if_match)
        return with_etag(network, network.version)

    @post("/{network_id:uuid}/vehicles", guards=[MANAGERS], summary="Add a vehicle")
    async def add_vehicle(
        self,
        network_id: FromPath[UUID],
        data: JSONBody[VehicleIn],
        actor: CurrentActor,
        networks: Networks,
    ) -> VehicleOut:
        return await networks.add_vehicle(actor, network_id, data)

    @get("/{network_id:uuid}/vehicles", guards=[MANAGERS], summary="The network's vehicles")
    async def list_vehicles(
        self, network_id: FromPath[UUID], actor: CurrentActor, networks: Networks
    ) -> list[VehicleOut]:
        return await networks.vehicles(actor, network_id)

    @put(
        "/{network_id:uuid}/vehicles/{vehicle_id:uuid}",
        guards=[MANAGERS],
        summary="Replace an active vehicle's values",
    )
    async def update_vehicle(
        self,
        network_id: FromPath[UUID],
        vehicle_id: FromPath[UUID],
        data: JSONBody[VehicleIn],
        actor: CurrentActor,
        networks: Networks,
    ) -> VehicleOut:
        return await networks.update_vehicle(actor, network_id, vehicle_id, data)

    @delete(
        "/{network_id:uuid}/vehicles/{vehicle_id:uuid}",
        guards=[MANAGERS],
        summary="Retire a vehicle",
    )
    async def retire_vehicle(
        self,
        network_id: FromPath[UUID],
        vehicle_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
    ) -> None:
        await networks.retire_vehicle(actor, network_id, vehicle_id)

    @post(
        "/{network_id:uuid}/members",
        guards=[MANAGERS],
        status_code=204,
        summary="Add a member organisation",
    )
    async def add_member(
        self,
        network_id: FromPath[UUID],
        data: JSONBody[MemberIn],
        actor: CurrentActor,
        networks: Networks,
    ) -> None:
        await networks.add_member(actor, network_id, data)

    @delete(
        "/{network_id:uuid}/members/{organisation_id:uuid}",
        guards=[MANAGERS],
        summary="Remove a member organisation",
    )
    async def remove_member(
        self,
        network_id: FromPath[UUID],
        organisation_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
    ) -> None:
        await networks.remove_member(actor, network_id, organisation_id)
