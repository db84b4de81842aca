"""Calibrating the transport estimate (docs/matching.md, "The transport estimate"):
what planned routes cost per kg and per tonne-km on the generated county networks of
``bench/routing.py``, split into what the driving costs (the vans' cost per km and per
hour of driving, at the average speed) and the rest (fixed costs, stops and waiting).
The driving per tonne-km of the shipments' own distances gives the distance rate, the
rest per kg the handling rate.

``python -m bench.transport [shipments ...]`` prints a row per network and the medians.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass

from bench.routing import UPPSALA, network
from services.matcher.engine.allocation.transport import TransportRates
from services.matcher.engine.routing.plans import plan_routing
from services.matcher.engine.routing.realised import TransportCheck, check_transport
from services.matcher.engine.routing.travel import great_circle, places_of

ROAD_FACTOR = 1.3
SPEED_KMH = 60


@dataclass(frozen=True)
class Measured:
    shipments: int
    seed: int
    check: TransportCheck
    driving_ore: int  # the proposed routes' km at the vans' km and hourly costs

    @property
    def handling_ore_per_kg(self) -> float:
        return (self.check.realised_ore - self.driving_ore) / (self.check.carried_grams / 1000)

    @property
    def driving_ore_per_tonne_km(self) -> float:
        return self.driving_ore * 1000 / self.check.carried_kg_km


def measure(shipments: int, seed: int) -> Measured:
    problem = network(shipments, seed)
    matrix = great_circle(places_of(problem), road_factor=ROAD_FACTOR, speed_kmh=SPEED_KMH)
    routing = plan_routing(problem, matrix, own_van=problem.vehicles[1], hub=UPPSALA)
    vans = {van.id: van for van in problem.vehicles}
    driving = sum(
        route.distance_m
        / 1000
        * (
            vans[route.vehicle_id].cost_per_km_ore
            + vans[route.vehicle_id].cost_per_hour_ore / SPEED_KMH
        )
        for route in routing.chosen.routes
    )
    check = check_transport(routing, TransportRates(), ROAD_FACTOR)
    return Measured(shipments, seed, check, round(driving))


def main(sizes: list[int]) -> None:
    rows = [measure(size, seed) for size in sizes for seed in (1, 2, 3)]
    print("shipments seed     kg  km/kg  routes kr  öre/kg  öre/t-km  handling  driving/t-km")
    for row in rows:
        c = row.check
        print(
            f"{row.shipments:9} {row.seed:4} {c.carried_grams / 1000:6.0f} "
            f"{c.carried_kg_km / (c.carried_grams / 1000):6.1f} {c.realised_ore / 100:10.0f} "
            f"{c.realised_ore_per_kg:7} {c.realised_ore_per_tonne_km:9} "
            f"{row.handling_ore_per_kg:9.0f} {row.driving_ore_per_tonne_km:13.0f}"
        )
    handling = statistics.median(row.handling_ore_per_kg for row in rows)
    driving = statistics.median(row.driving_ore_per_tonne_km for row in rows)
    print(f"medians: handling {handling:.0f} öre per kg, driving {driving:.0f} öre per tonne-km")


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or [24, 48, 96])
