"""A network's producer directory, as its members read it."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from services.api.demand.amounts import Measure
from services.api.organisations.schemas import PlacePrecision, WindowOut


class OfferedProduct(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    unit: str
    per_unit_milli: int  # one unit in thousandths of ``unit`` (500: cheese in 500 g units)
    pack_units: int
    price_per_pack_ore: int
    packs_left: int

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class UsualProduct(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    cycles: int  # of the last cycles, in how many it was offered


class ProducerEntry(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    name: str
    presentation: str
    contact_email: str
    contact_phone: str
    place_precision: PlacePrecision
    municipality: str
    # the place at its precision: approximate places are a cell's centre, and a place
    # shown by municipality has none
    lat: float | None
    lon: float | None
    windows: list[WindowOut]
    offered_now: list[OfferedProduct]
    usually: list[UsualProduct]


class Directory(msgspec.Struct, kw_only=True, frozen=True):
    network_id: UUID
    network_name: str
    timezone: str
    # the open cycle's delivery day the offers are valid on (today when none is open)
    offered_on: dt.date
    open_cycle: bool
    recent_cycles: int  # how many past cycles ``usually`` looks at (at most RECENT)
    producers: list[ProducerEntry]
