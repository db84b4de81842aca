from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

import msgspec

from services.api.demand.amounts import Measure

# Why demand went unfilled, in the groups the signal names (a run's own reasons:
# docs/matching.md): no offer (or none valid on the delivery day), the price above the
# co-ops' limits, packs not completed, not enough on offer, and the rest.
ShortReason = Literal["no_offer", "price_above_max", "pack_not_completed", "supply_short", "other"]
Unit = Literal["kg", "l", "piece"]


class OpenDemand(msgspec.Struct, kw_only=True, frozen=True):
    """One product's demand in the open cycle against the offers valid on its delivery day.
    ``disclosed`` false: fewer than the minimum of co-ops ordered it, and every figure is
    null (none of them can be told without telling something of one co-op's order)."""

    product_id: UUID
    product: str
    unit: Unit
    per_unit_milli: int  # one unit in thousandths of ``unit`` (500: cheese in 500 g units)
    disclosed: bool
    coops: int | None
    firm_units: int | None  # the firm quantities ordered, in the product's units
    offered_packs: int | None  # packs free on the current offers
    offered_units: int | None  # ... and the units in them
    covered_units: int | None  # of the firm units, what the offered units cover
    uncovered_units: int | None  # firm units beyond all that is on offer

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class Shortfall(msgspec.Struct, kw_only=True, frozen=True):
    """Units left unfilled for one reason; figures null when ``disclosed`` is false."""

    reason: ShortReason
    disclosed: bool
    coops: int | None
    units_short: int | None


class PublishedDemand(msgspec.Struct, kw_only=True, frozen=True):
    """What a product's co-ops ordered in the last published cycle and what was not filled,
    per reason. A product filled whole has no shortfalls."""

    product_id: UUID
    product: str
    unit: Unit
    per_unit_milli: int
    disclosed: bool
    coops: int | None
    firm_units: int | None
    shortfalls: list[Shortfall]

    @property
    def measure(self) -> Measure:
        return Measure(self.unit, self.per_unit_milli)


class OpenCycleSignal(msgspec.Struct, kw_only=True, frozen=True):
    cycle_id: UUID
    closes_at: dt.datetime
    delivery_date: dt.date
    products: list[OpenDemand]


class PublishedCycleSignal(msgspec.Struct, kw_only=True, frozen=True):
    cycle_id: UUID
    run_id: UUID
    delivery_date: dt.date
    products: list[PublishedDemand]


class DemandSignal(msgspec.Struct, kw_only=True, frozen=True):
    """A network's demand as its producers may see it: sums over at least
    ``minimum_coops`` co-ops, never one co-op's order."""

    network_id: UUID
    minimum_coops: int
    open_cycle: OpenCycleSignal | None  # none open for demand now
    published_cycle: PublishedCycleSignal | None  # none published yet
