from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from services.api.core.bulk import MAX_ROWS
from services.api.core.types import Input, Ore, TimeWindow, Tolerance, Units

CATALOGUE_UNITS = (
    "in whole units of the product's catalogue unit (its `unit` and `grams_per_unit` or "
    "`ml_per_unit`: a kg product of 1000 g per unit counts kilograms, one of 500 g per unit "
    "half kilograms; a litre product of 500 ml per unit half litres)"
)


class DemandLineIn(Input):
    """One line of a co-op's order. A co-op may have several lines of one product (10 kg
    at any price and 5 kg more only below 20 kr/kg); the engine fills each on its own."""

    product_id: UUID
    firm_quantity: Annotated[
        Units, Meta(description=f"what the co-op will take, {CATALOGUE_UNITS}")
    ]
    tolerance: Annotated[
        Tolerance,
        Meta(
            description="extra units the co-op accepts beyond `firm_quantity` if that "
            "completes a pack others share (never starts a pack on its own), " + CATALOGUE_UNITS
        ),
    ] = 0
    max_unit_price_ore: Annotated[
        Ore | None,
        Meta(
            description="the most the co-op pays per catalogue unit, in öre; offers above "
            "it are not used for this line. Null: any price"
        ),
    ] = None
    delivery_window: TimeWindow | None = None
    id: Annotated[
        UUID | None,
        Meta(
            description="the id of a line of this round to keep (as `GET` gave it); leave "
            "it out for a new line. A replace keeps the lines it names, with their ids, "
            "and drops the lines it leaves out."
        ),
    ] = None


DemandLines = Annotated[list[DemandLineIn], Meta(max_length=MAX_ROWS)]


class DemandRoundIn(Input):
    lines: DemandLines = msgspec.field(default_factory=list)


class DemandLineOut(msgspec.Struct, kw_only=True):
    id: Annotated[
        UUID,
        Meta(
            description="the line's id: a run's `demand_line_id` names it, and a replace "
            "that sends it back keeps it"
        ),
    ]
    line_no: Annotated[int, Meta(description="the line's place in the round, from 1")]
    product_id: UUID
    firm_quantity: Annotated[int, Meta(description=f"firm units, {CATALOGUE_UNITS}")]
    tolerance: Annotated[int, Meta(description="extra units accepted to complete a pack")]
    max_unit_price_ore: Annotated[
        int | None, Meta(description="most paid per catalogue unit, in öre; null: any price")
    ]
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
