"""The transport estimate beside what the planned routes cost: the realised cost of the
proposed plan per kg carried and per tonne-km of its shipments, measured the way the
estimate measures distance (great circle times the road factor, farm to co-op), so a
coordinator can see how far the estimate that chose the producers was off."""

from __future__ import annotations

import msgspec

from services.matcher.engine.allocation.transport import TransportRates, road_km
from services.matcher.engine.routing.plans import Routing


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


def check_transport(routing: Routing, rates: TransportRates, road_factor: float) -> TransportCheck:
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
