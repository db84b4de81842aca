"""Why a shipment can't be carried at all, whatever else is on the road.

Checked before the solver runs, so the coordinator sees a reason that names the
shipment's own problem (too heavy, no cold vehicle, windows no vehicle can meet)
rather than "the solver left it out".
"""

from __future__ import annotations

from services.matcher.engine.routing.model import RoutingProblem, Shipment, Unserved, Vehicle
from services.matcher.engine.routing.travel import TravelMatrix


def why_not_alone(
    shipment: Shipment,
    problem: RoutingProblem,
    matrix: TravelMatrix,
    index: dict[object, int],
) -> Unserved | None:
    """None when some vehicle could carry the shipment on its own; else the reason."""
    vehicles = problem.vehicles
    if not vehicles:
        return "no_vehicle"
    cold_enough = [v for v in vehicles if v.cold_capable or not shipment.cold]
    if not cold_enough:
        return "no_cold_vehicle"
    big_enough = [
        v
        for v in cold_enough
        if v.capacity_grams >= shipment.grams and v.capacity_ml >= shipment.ml
    ]
    if not big_enough:
        return "too_heavy"
    if not any(_in_time(shipment, v, matrix, index, problem.stop_setup_s) for v in big_enough):
        return "windows"
    return None


def _in_time(
    shipment: Shipment,
    vehicle: Vehicle,
    matrix: TravelMatrix,
    index: dict[object, int],
    setup_s: int,
) -> bool:
    start, pickup = index[vehicle.start], index[shipment.pickup]
    delivery, end = index[shipment.delivery], index[vehicle.end]

    def drive(a: int, b: int) -> int:
        return matrix.seconds[a][b] + (setup_s if a != b else 0)

    begin = max(vehicle.shift.opens_s + drive(start, pickup), shipment.pickup_window.opens_s)
    if begin > shipment.pickup_window.closes_s:
        return False
    arrive = begin + shipment.pickup_service_s + drive(pickup, delivery)
    begin = max(arrive, shipment.delivery_window.opens_s)
    if begin > shipment.delivery_window.closes_s:
        return False
    back = begin + shipment.delivery_service_s + drive(delivery, end)
    return back <= vehicle.shift.closes_s
