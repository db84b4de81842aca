from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from services.api.core.bulk import MAX_ROWS
from services.api.core.types import Input, Ore, TimeWindow, Tolerance, Units


class DemandLineIn(Input):
    product_id: UUID
    firm_quantity: Units
    tolerance: Tolerance = 0
    max_unit_price_ore: Ore | None = None
    delivery_window: TimeWindow | None = None


DemandLines = Annotated[list[DemandLineIn], Meta(max_length=MAX_ROWS)]


class DemandRoundIn(Input):
    lines: DemandLines = msgspec.field(default_factory=list)


class DemandLineOut(msgspec.Struct, kw_only=True):
    line_no: int
    product_id: UUID
    firm_quantity: int
    tolerance: int
    max_unit_price_ore: int | None
    delivery_window: TimeWindow | None


class DemandRoundOut(msgspec.Struct, kw_only=True):
    id: UUID
    cycle_id: UUID
    network_id: UUID
    coop_id: UUID
    lines: list[DemandLineOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
