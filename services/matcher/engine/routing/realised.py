"""The transport estimate beside what the planned routes cost: the realised cost of the
proposed plan per kg carried and per tonne-km of its shipments, measured the way the
estimate measures distance (great circle times the road factor, farm to co-op), so a
coordinator can see how far the estimate that chose the producers was off.

When it is off by more than ``REPASS_TOLERANCE_PERMILLE``, a run allocates again at
the realised rates (``calibrated``) and routes that allocation too; ``keep`` says
which of the two passes the run keeps, and why (docs/matching.md, "The re-pass").
"""

from __future__ import annotations

from typing import Literal

import msgspec

from services.matcher.engine.allocation.transport import TransportRates, road_km
from services.matcher.engine.routing.plans import Carriage, Routing


class TransportCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The estimate's rates, what they come to for the shipments the proposed plan
    carries, and what that plan costs; ``None`` rates when it carries nothing."""

    handling_ore_per_kg: int
    ore_per_tonne_km: int
    carried_grams: int
    carried_kg_km: int
    estimate_ore: int
    realised_ore: int
    realised_ore_per_kg: int | None
    realised_ore_per_tonne_km: int | None


def check_transport(
    routing: Routing | Carriage, rates: TransportRates, road_factor: float
) -> TransportCheck:
    plan = routing.chosen
    unserved = {left.shipment for left in plan.unserved}
    carried = [s for n, s in enumerate(routing.shipments) if n not in unserved]
    grams = sum(s.grams for s in carried)
    estimate_milli = 0  # grams times öre per kg
    gram_km = 0.0
    for shipment in carried:
        km = road_km(
            (shipment.pickup.lat, shipment.pickup.lon),
            (shipment.delivery.lat, shipment.delivery.lon),
            road_factor,
        )
        estimate_milli += shipment.grams * rates.ore_per_kg(km)
        gram_km += shipment.grams * km
    cost = plan.totals.cost_ore
    return TransportCheck(
        handling_ore_per_kg=rates.handling_ore_per_kg,
        ore_per_tonne_km=rates.ore_per_tonne_km,
        carried_grams=grams,
        carried_kg_km=round(gram_km / 1000),
        estimate_ore=(estimate_milli + 500) // 1000,
        realised_ore=cost,
        realised_ore_per_kg=round(cost * 1000 / grams) if grams else None,
        realised_ore_per_tonne_km=round(cost * 1_000_000 / gram_km) if gram_km else None,
    )


# The realised cost of the first pass's routes may differ from the estimate by this
# much, in thousandths of the estimate, before the run allocates again at the
# realised rates.
REPASS_TOLERANCE_PERMILLE = 250


def calibrated(check: TransportCheck) -> TransportRates | None:
    """The rates a second allocation pass uses, or ``None`` when the estimate was
    within the tolerance (or nothing was carried): both of the network's rates scaled
    by realised over estimated cost, rounded half up, so that priced at them, the
    first pass's shipments would have been estimated at what their routes cost. An
    estimate of nothing (both rates 0) becomes handling alone, the realised öre per kg.
    """
    estimate, realised = check.estimate_ore, check.realised_ore
    if check.carried_grams == 0 or realised == estimate:
        return None
    if estimate == 0:
        return TransportRates(
            handling_ore_per_kg=check.realised_ore_per_kg or 0, ore_per_tonne_km=0
        )
    if abs(realised - estimate) * 1000 <= REPASS_TOLERANCE_PERMILLE * estimate:
        return None
    return TransportRates(
        handling_ore_per_kg=(check.handling_ore_per_kg * realised * 2 + estimate) // (2 * estimate),
        ore_per_tonne_km=(check.ore_per_tonne_km * realised * 2 + estimate) // (2 * estimate),
    )


class PassFigures(msgspec.Struct, frozen=True, kw_only=True):
    """What one allocation pass comes to once routed: firm units filled, shipments
    its proposed plan leaves, the packs' price, the routes' realised cost, and their
    sum (the landed cost with the realised transport); whether a search for its plans
    stopped at its time cap (then the choice between passes may differ elsewhere)."""

    firm_units_filled: int
    unserved: int
    goods_ore: int
    realised_ore: int
    total_ore: int
    clock_capped: bool = False

    @classmethod
    def of(
        cls,
        firm_units_filled: int,
        unserved: int,
        goods_ore: int,
        realised_ore: int,
        clock_capped: bool = False,
    ) -> PassFigures:
        return cls(
            firm_units_filled=firm_units_filled,
            unserved=unserved,
            goods_ore=goods_ore,
            realised_ore=realised_ore,
            total_ore=goods_ore + realised_ore,
            clock_capped=clock_capped,
        )


Kept = Literal["first", "second"]
Why = Literal["fills_more", "carries_more", "costs_less", "costs_no_less"]


def keep(first: PassFigures, second: PassFigures) -> tuple[Kept, Why]:
    """Which pass the run keeps: the one that fills more firm units, then carries
    more shipments (leaves fewer unserved), then costs less in all; on a tie, the
    first. The same figures always give the same answer."""
    if first.firm_units_filled != second.firm_units_filled:
        kept: Kept = "second" if second.firm_units_filled > first.firm_units_filled else "first"
        return kept, "fills_more"
    if first.unserved != second.unserved:
        return ("second" if second.unserved < first.unserved else "first"), "carries_more"
    if second.total_ore < first.total_ore:
        return "second", "costs_less"
    return "first", "costs_no_less"


class Repass(msgspec.Struct, frozen=True, kw_only=True):
    """A second allocation pass at the realised rates, as a run records it: the rates
    it used, both passes' figures, and which one the run kept, and why."""

    handling_ore_per_kg: int
    ore_per_tonne_km: int
    first: PassFigures
    second: PassFigures
    kept: Kept
    why: Why
