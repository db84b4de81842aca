"""A network's members as its coordinators look after them: who has accepted, who has a
place and hours, who takes part in the open cycle, and what removing one withdraws."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from services.api.auth.actor import Actor
from services.api.cycles.schemas import CycleOut
from services.api.cycles.service import CycleService
from services.api.demand.amounts import Measure
from services.api.networks.service import NetworkService
from shared.db import members as members_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import NotFoundError


class MemberOut(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    name: str
    kind: str
    contact_email: str
    address: str
    has_location: bool
    has_windows: bool
    people: int  # people who accepted (or were added) and may act for it
    invitations_open: int
    joined_at: dt.datetime
    taking_part: bool | None = None  # in the open cycle; None: no cycle open


class ListingOut(msgspec.Struct, kw_only=True, frozen=True):
    offer_id: UUID
    product: str
    unit: str
    pack_units: int
    packs_available: int
    packs_reserved: int
    price_per_pack_ore: int
    valid_from: dt.date
    valid_until: dt.date
    offer_withdrawn: bool
    per_unit_milli: int  # one catalogue unit in thousandths of ``unit`` (500: 500 g)

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class RoundLineOut(msgspec.Struct, kw_only=True, frozen=True):
    product: str
    unit: str
    firm_quantity: int
    tolerance: int
    per_unit_milli: int

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class RoundOut(msgspec.Struct, kw_only=True, frozen=True):
    round_id: UUID
    cycle_id: UUID
    delivery_date: dt.date
    closes_at: dt.datetime
    lines: list[RoundLineOut]


class RemovalOut(msgspec.Struct, kw_only=True, frozen=True):
    """What removing ``member`` from the network withdraws, before it happens."""

    member: MemberOut
    listings: list[ListingOut]
    rounds: list[RoundOut]


class MemberService:
    def __init__(self, conn: Conn, networks: NetworkService, cycles: CycleService) -> None:
        self.conn = conn
        self.networks = networks
        self.cycles = cycles

    async def open_cycle(self, actor: Actor, network_id: UUID) -> CycleOut | None:
        """The cycle taking orders now, the one closing first if several do."""
        taking = [c for c in await self.cycles.list_cycles(actor, network_id) if c.accepting_demand]
        return min(taking, key=lambda cycle: cycle.closes_at) if taking else None

    async def members(self, actor: Actor, network_id: UUID) -> list[MemberOut]:
        """The network's producers and co-ops, with whether each takes part in the open
        cycle (a co-op has ordered, a producer has an offer for its delivery day)."""
        await self.networks.managed(actor, network_id)
        cycle = await self.open_cycle(actor, network_id)
        taking: dict[UUID, bool] = {}
        if cycle is not None:
            taking = {
                p.organisation_id: p.taking_part
                for p in await self.cycles.participation(actor, cycle.id)
            }
        return [
            as_struct(row, MemberOut, taking_part=taking.get(row["id"]) if cycle else None)
            for row in await members_db.select_members(self.conn, network_id)
        ]

    async def removal(self, actor: Actor, network_id: UUID, organisation_id: UUID) -> RemovalOut:
        """What ``NetworkService.remove_member`` would withdraw now: the producer's
        listings in the network, the co-op's rounds in its open cycles."""
        members = await self.members(actor, network_id)
        member = next((m for m in members if m.id == organisation_id), None)
        if member is None:
            raise NotFoundError("that organisation is not a member of this network")
        listings = await members_db.select_listings_of(self.conn, network_id, organisation_id)
        rounds = await members_db.select_open_rounds_of(self.conn, network_id, organisation_id)
        return RemovalOut(
            member=member,
            listings=[as_struct(row, ListingOut) for row in listings],
            rounds=[as_struct(row, RoundOut) for row in rounds],
        )
