"""Li & Lim pickup-and-delivery instances through Samlast's own routing module.

The same ``solver.solve`` the matcher calls, fed Euclidean distances: one coordinate
unit is taken as a kilometre (metres = distance x 1000, rounded) and driving at one
unit per time unit, so windows and service times scale by 1000 too; no stop setup
time. The objective is the benchmark's: fewest vehicles first (a fixed cost no
distance saving can outweigh), then distance.
"""

from __future__ import annotations

import json
import math
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from services.matcher.engine.routing.model import (
    Place,
    RoutingProblem,
    Shipment,
    Vehicle,
    Window,
)
from services.matcher.engine.routing.solver import Budget, solve
from services.matcher.engine.routing.travel import TravelMatrix, places_of

DATA = Path(__file__).with_name("li_lim")  # the public instances, copied unchanged
SCALE = 1000
VEHICLE_COST = 100_000  # in distance units: more than any instance's total distance


@dataclass(frozen=True)
class LiLimRow:
    name: str
    tasks: int
    vehicles: int
    distance: float
    best_vehicles: int
    best_distance: float
    seconds: float
    unserved: int

    @property
    def gap(self) -> float:
        return self.distance / self.best_distance - 1


def read(path: Path) -> tuple[RoutingProblem, TravelMatrix]:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    fleet, capacity = int(lines[0][0]), int(lines[0][1])
    nodes = {int(row[0]): [int(float(v)) for v in row[1:]] for row in lines[1:]}
    depot = nodes[0]
    depot_place = Place(lat=depot[0], lon=depot[1])

    def window(node: list[int]) -> Window:
        return Window(opens_s=node[3] * SCALE, closes_s=node[4] * SCALE)

    shipments = []
    for number, node in sorted(nodes.items()):
        if number == 0 or node[2] <= 0:  # deliveries are reached from their pickup
            continue
        delivery = nodes[node[7]]
        shipments.append(
            Shipment(
                producer_id=uuid.UUID(int=number),
                coop_id=uuid.UUID(int=node[7]),
                temperature="ambient",
                grams=node[2],
                ml=0,
                pickup=Place(lat=node[0], lon=node[1]),
                delivery=Place(lat=delivery[0], lon=delivery[1]),
                pickup_window=window(node),
                delivery_window=window(delivery),
                pickup_service_s=node[5] * SCALE,
                delivery_service_s=delivery[5] * SCALE,
            )
        )
    vehicles = [
        Vehicle(
            id=uuid.UUID(int=10**6 + n),
            capacity_grams=capacity,
            capacity_ml=1,
            cold_capable=False,
            start=depot_place,
            end=depot_place,
            shift=window(depot),
            fixed_cost_ore=VEHICLE_COST,
            cost_per_km_ore=1,
        )
        for n in range(fleet)
    ]
    problem = RoutingProblem(shipments=shipments, vehicles=vehicles, stop_setup_s=0)
    places = places_of(problem)
    metres = [
        [round(math.dist((a.lat, a.lon), (b.lat, b.lon)) * SCALE) for b in places] for a in places
    ]
    return problem, TravelMatrix(metres=metres, seconds=metres)


def run(name: str, seconds: float, seed: int = 1) -> LiLimRow:
    problem, matrix = read(DATA / f"{name}.txt")
    best = json.loads((DATA / "best_known.json").read_text())[name]
    started = time.process_time()
    plan = solve(problem, matrix, Budget(iterations=10**9, seconds=seconds, seed=seed))
    spent = time.process_time() - started
    return LiLimRow(
        name=name,
        tasks=2 * len(problem.shipments),
        vehicles=len(plan.routes),
        distance=plan.totals.distance_m / SCALE,
        best_vehicles=best["vehicles"],
        best_distance=best["distance"],
        seconds=spent,
        unserved=len(plan.unserved),
    )


def instances() -> list[str]:
    return sorted(path.stem for path in DATA.glob("*.txt"))


def main(argv: list[str]) -> int:
    """``python -m bench.lilim FILE [SECONDS]``: any Li & Lim instance, e.g. the larger
    ones not kept here; compared with best_known.json when it names the instance."""
    path, seconds = Path(argv[0]), float(argv[1]) if len(argv) > 1 else 30.0
    problem, matrix = read(path)
    started = time.process_time()
    plan = solve(problem, matrix, Budget(iterations=10**9, seconds=seconds))
    spent = time.process_time() - started
    known = json.loads((DATA / "best_known.json").read_text()).get(path.stem)
    print(
        f"{path.stem}: {len(plan.routes)} vehicles, distance {plan.totals.distance_m / SCALE:.2f}"
        f", {len(plan.unserved)} unserved, {spent:.1f} CPU s"
        + (f"; best known {known['vehicles']} vehicles, {known['distance']}" if known else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
