"""What the allocation engine takes and gives: plain msgspec structs, integers only.

Quantities are units of a product, money is öre; ids are whatever the caller uses
(the matcher passes UUIDs). Nothing here touches a database or the clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

import msgspec

Temperature = Literal["ambient", "chilled", "frozen"]
Reason = Literal[
    "no_offer",
    "validity",
    "temperature",
    "price_above_max",
    "supply_short",
    "pack_not_completed",
    "excluded",
]


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    producer_id: UUID
    product_id: UUID
    pack_units: int
    packs_available: int  # what this network may still buy: other runs' reservations are out
    price_per_pack_ore: int
    valid_from: dt.date
    valid_until: dt.date
    temperature: Temperature = "ambient"
    grams_per_unit: int = 0


class DemandLine(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    coop_id: UUID
    product_id: UUID
    firm_quantity: int
    tolerance: int = 0
    max_unit_price_ore: int | None = None
    temperature: Temperature = "ambient"


class TransportEstimate(msgspec.Struct, frozen=True, kw_only=True):
    """Marginal cost of carrying one kilogram from a producer to a co-op."""

    producer_id: UUID
    coop_id: UUID
    ore_per_kg: int


class Pin(msgspec.Struct, frozen=True, kw_only=True):
    """A coordinator's override: this line gets these units of this offer, whatever else
    the engine decides. The rest of the packs the pins start are completed by the engine."""

    offer_id: UUID
    line_id: UUID
    units: int


class AllocationProblem(msgspec.Struct, frozen=True, kw_only=True):
    delivery_date: dt.date
    offers: list[Offer]
    lines: list[DemandLine]
    transport: list[TransportEstimate] = msgspec.field(default_factory=list)
    pins: list[Pin] = msgspec.field(default_factory=list)


class PinError(ValueError):
    """Pins that no allocation can honour: the message says which and why."""


# A result's purchases, allocations and shortfalls hold ids, ints and strings, never a
# cycle: gc=False keeps the hundreds of thousands a large run makes out of the
# garbage collector's walks.
class Purchase(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    offer_id: UUID
    packs: int
    pack_units: int
    price_per_pack_ore: int


class Allocation(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    offer_id: UUID
    line_id: UUID
    units: int
    tolerance_units: int  # of ``units``, those beyond the line's firm quantity


class Shortfall(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A line that did not get its whole firm quantity, and why."""

    line_id: UUID
    units_short: int
    reason: Reason
    pro_rata_permille: int | None = None  # supply_short: the share of firm filled
    units_to_next_pack: int | None = None  # pack_not_completed: more units the network needs
    cheapest_unit_price_ore: int | None = None  # price_above_max: the best price on offer


Unproven = Literal["node_limit", "clock", "size", "error"]


class UnprovenGroup(msgspec.Struct, frozen=True, kw_only=True):
    """A product group whose fill the MILP could not prove the most possible, and why:
    its node limit (work), its clock cap, a group too large to try, or the solver
    failing; the greedy fill stands."""

    product_id: UUID
    temperature: Temperature
    why: Unproven


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    firm_units_demanded: int
    firm_units_filled: int
    tolerance_units: int
    packs_bought: int
    goods_cost_ore: int
    transport_estimate_ore: int
    lines_filled: int
    lines_short: int
    product_groups: int = 0  # (product, temperature class) groups with demand
    unproven_groups: list[UnprovenGroup] = msgspec.field(default_factory=list)  # rule 4


class AllocationResult(msgspec.Struct, frozen=True, kw_only=True):
    purchases: list[Purchase]
    allocations: list[Allocation]
    shortfalls: list[Shortfall]
    summary: Summary
