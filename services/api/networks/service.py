"""Networks: admins create them; their coordinators manage them, their vehicles and members."""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.core.conditional import expected_version
from services.api.core.types import Location
from services.api.networks.schemas import (
    HubWindowOut,
    MemberIn,
    NetworkIn,
    NetworkOut,
    NetworkPatch,
    Point,
    VehicleIn,
    VehicleOut,
)
from shared.db import demand as demand_db
from shared.db import networks as networks_db
from shared.db import offers as offers_db
from shared.db import organisations as organisations_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import (
    ConflictError,
    ForeignReferenceError,
    NotFoundError,
    PreconditionFailedError,
    TenantDeniedError,
    UnprocessableError,
)


class NetworkService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def create(self, actor: Actor, data: NetworkIn) -> NetworkOut:
        async with self.conn.transaction():
            row = await networks_db.insert_network(self.conn, _columns(data))
            if data.hub_hours:
                await networks_db.replace_hub_hours(self.conn, row["id"], _hub_hours(data))
                reread = await networks_db.select_network(self.conn, row["id"])
                assert reread is not None
                row = reread
            await record(
                self.conn, actor, "network.create", "network", row["id"], network_id=row["id"]
            )
        return network_out(row)

    async def list_networks(self, actor: Actor) -> list[NetworkOut]:
        only = None if actor.is_admin else list(actor.network_ids)
        return [network_out(row) for row in await networks_db.select_networks(self.conn, only)]

    async def get(self, actor: Actor, network_id: UUID) -> NetworkOut:
        return network_out(await self.visible(actor, network_id))

    async def update(
        self, actor: Actor, network_id: UUID, data: NetworkPatch, if_match: str | None
    ) -> NetworkOut:
        current = await self.managed(actor, network_id)
        version = expected_version(if_match)
        merged = _merge(network_out(current), data)
        async with self.conn.transaction():
            row = await networks_db.update_network(self.conn, network_id, version, _columns(merged))
            if row is None:
                raise PreconditionFailedError("the network changed since you read it; re-read it")
            if data.hub_hours is not msgspec.UNSET:
                await networks_db.replace_hub_hours(self.conn, network_id, _hub_hours(merged))
                row = await networks_db.select_network(self.conn, network_id)
                assert row is not None
            await record(
                self.conn, actor, "network.update", "network", network_id, network_id=network_id
            )
        return network_out(row)

    async def add_vehicle(self, actor: Actor, network_id: UUID, data: VehicleIn) -> VehicleOut:
        await self.managed(actor, network_id)
        async with self.conn.transaction():
            try:
                row = await networks_db.insert_vehicle(
                    self.conn, network_id, _vehicle_columns(data)
                )
            except asyncpg.UniqueViolationError:
                raise ConflictError(
                    "the network already has a vehicle named '{name}'", values={"name": data.name}
                ) from None
            await record(
                self.conn, actor, "vehicle.create", "vehicle", row["id"], network_id=network_id
            )
        return vehicle_out(row)

    async def vehicles(self, actor: Actor, network_id: UUID) -> list[VehicleOut]:
        await self.managed(actor, network_id)
        return [
            vehicle_out(row) for row in await networks_db.select_vehicles(self.conn, network_id)
        ]

    async def update_vehicle(
        self, actor: Actor, network_id: UUID, vehicle_id: UUID, data: VehicleIn
    ) -> VehicleOut:
        """All of an active vehicle's values at once; runs already planned keep theirs."""
        await self.managed(actor, network_id)
        async with self.conn.transaction():
            try:
                row = await networks_db.update_vehicle(
                    self.conn, network_id, vehicle_id, _vehicle_columns(data)
                )
            except asyncpg.UniqueViolationError:
                raise ConflictError(
                    "the network already has a vehicle named '{name}'", values={"name": data.name}
                ) from None
            if row is None:
                await self._no_such_vehicle(actor, vehicle_id)
            await record(
                self.conn, actor, "vehicle.update", "vehicle", vehicle_id, network_id=network_id
            )
        return vehicle_out(row)

    async def retire_vehicle(self, actor: Actor, network_id: UUID, vehicle_id: UUID) -> None:
        await self.managed(actor, network_id)
        async with self.conn.transaction():
            if not await networks_db.deactivate_vehicle(self.conn, network_id, vehicle_id):
                await self._no_such_vehicle(actor, vehicle_id)
            await record(
                self.conn, actor, "vehicle.retire", "vehicle", vehicle_id, network_id=network_id
            )

    async def _no_such_vehicle(self, actor: Actor, vehicle_id: UUID) -> NoReturn:
        """404, audited when the vehicle is another network's."""
        home = await networks_db.select_vehicle_network(self.conn, vehicle_id)
        if home is not None and not actor.coordinates(home):
            raise TenantDeniedError("no such vehicle in this network")
        raise NotFoundError("no such vehicle in this network")

    async def add_member(self, actor: Actor, network_id: UUID, data: MemberIn) -> None:
        """Coordinators add organisations they already work with; admins add any."""
        await self.managed(actor, network_id)
        organisation = await organisations_db.select_organisation(self.conn, data.organisation_id)
        if organisation is None:
            raise UnprocessableError("no such organisation", field="organisation_id")
        if not (actor.is_admin or any(actor.coordinates(n) for n in organisation["network_ids"])):
            raise ForeignReferenceError("no such organisation", field="organisation_id")
        async with self.conn.transaction():
            await networks_db.insert_membership(self.conn, network_id, data.organisation_id)
            await record(
                self.conn,
                actor,
                "network.member.add",
                "organisation",
                data.organisation_id,
                network_id=network_id,
            )

    async def remove_member(self, actor: Actor, network_id: UUID, organisation_id: UUID) -> None:
        """The organisation leaves the network's trade with its membership, in one
        transaction: its offers' listings there are withdrawn and its rounds in open
        cycles dropped, so no later run buys from it or delivers to it."""
        await self.managed(actor, network_id)
        async with self.conn.transaction():
            if not await networks_db.delete_membership(self.conn, network_id, organisation_id):
                row = await organisations_db.select_organisation(self.conn, organisation_id)
                if row is not None and not any(actor.member_of(n) for n in row["network_ids"]):
                    raise TenantDeniedError("that organisation is not a member of this network")
                raise NotFoundError("that organisation is not a member of this network")
            delisted = await offers_db.withdraw_producer_listings(
                self.conn, network_id, organisation_id
            )
            await offers_db.delist_offers(self.conn, delisted)
            dropped = await demand_db.delete_open_rounds_of(self.conn, network_id, organisation_id)
            await record(
                self.conn,
                actor,
                "network.member.remove",
                "organisation",
                organisation_id,
                network_id=network_id,
                detail={
                    "offers_delisted": sorted(str(offer_id) for offer_id in delisted),
                    "rounds_dropped": sorted(str(round_id) for round_id in dropped),
                },
            )

    async def visible(self, actor: Actor, network_id: UUID) -> asyncpg.Record:
        """The network, if the actor belongs to it; 404 otherwise (audited if it exists)."""
        row = await networks_db.select_network(self.conn, network_id)
        if row is None:
            raise NotFoundError("no such network")
        if not actor.member_of(network_id):
            raise TenantDeniedError("no such network")
        return row

    async def managed(self, actor: Actor, network_id: UUID) -> asyncpg.Record:
        """The network, if the actor coordinates it; 404 otherwise."""
        row = await self.visible(actor, network_id)
        if not actor.coordinates(network_id):
            raise TenantDeniedError("no such network")
        return row


def _merge(current: NetworkOut, patch: NetworkPatch) -> NetworkIn:
    fields = {name: getattr(current, name) for name in NetworkIn.__struct_fields__}
    fields.update(
        {
            name: value
            for name, value in msgspec.structs.asdict(patch).items()
            if value is not msgspec.UNSET
        }
    )
    return NetworkIn(**fields)


def _vehicle_columns(data: VehicleIn) -> dict[str, Any]:
    end = data.end or data.start
    return {
        **msgspec.structs.asdict(data),
        "start_lat": data.start.lat,
        "start_lon": data.start.lon,
        "end_lat": end.lat,
        "end_lon": end.lon,
    }


def _columns(data: NetworkIn) -> dict[str, Any]:
    return {
        **msgspec.structs.asdict(data),
        "hub_lat": data.hub.lat if data.hub else None,
        "hub_lon": data.hub.lon if data.hub else None,
        "hub_address": data.hub.address if data.hub else "",
    }


def _hub_hours(data: NetworkIn) -> list[tuple[int, dt.time, dt.time]]:
    return [(window.weekday, window.opens, window.closes) for window in data.hub_hours]


def network_out(row: asyncpg.Record) -> NetworkOut:
    hub = (
        None
        if row["hub_lat"] is None
        else Location(lat=row["hub_lat"], lon=row["hub_lon"], address=row["hub_address"])
    )
    hours = [msgspec.convert(w, HubWindowOut, strict=False) for w in row["hub_hours"]]
    return as_struct(row, NetworkOut, hub=hub, hub_hours=hours)


def vehicle_out(row: asyncpg.Record) -> VehicleOut:
    return as_struct(
        row,
        VehicleOut,
        start=Point(lat=row["start_lat"], lon=row["start_lon"]),
        end=Point(lat=row["end_lat"], lon=row["end_lon"]),
    )
