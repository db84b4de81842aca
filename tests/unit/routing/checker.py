"""An independent check of a route plan, written from the rules, not from the solver.

Reads the problem, the travel matrix and the plan; names every broken rule: each
shipment carried exactly once (picked up, then delivered, by one vehicle) or left
with a reason; loads within capacity at every stop; cold goods in cold vehicles; every
stop inside its window and every route inside its vehicle's shift; the reported
distance, duration and cost match the stops.

Time, as docs/routing.md tells it: a van arrives when the drive from its last stop
ends; at a new place it sets up (``stop_setup_s``), overlapping any wait for the
window, then hands over; at the end it only arrives. So a stop's times are exact,
not merely late enough.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from services.matcher.engine.routing.model import (
    Route,
    RoutePlan,
    RoutingProblem,
    Shipment,
    Stop,
    Vehicle,
)
from services.matcher.engine.routing.travel import TravelMatrix, places_of


def broken_rules(problem: RoutingProblem, matrix: TravelMatrix, plan: RoutePlan) -> list[str]:
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}
    broken: list[str] = []
    carried: Counter[int] = Counter()
    for number, route in enumerate(plan.routes, 1):
        found = _route_rules(problem, matrix, route, vehicles[route.vehicle_id], carried)
        broken += [f"route {number}: {what}" for what in found]
    left = Counter(item.shipment for item in plan.unserved)
    for shipment in range(len(problem.shipments)):
        if carried[shipment] + left[shipment] != 1:
            broken.append(
                f"shipment {shipment} carried {carried[shipment]} times, left {left[shipment]}"
            )
    return broken


def _route_rules(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    route: Route,
    vehicle: Vehicle,
    carried: Counter[int],
) -> list[str]:
    index = {place: i for i, place in enumerate(places_of(problem))}
    stops = route.stops
    if stops[0].kind != "start" or stops[-1].kind != "end":
        return ["does not start and end at the vehicle's places"]
    broken = []
    if (stops[0].place, stops[-1].place) != (vehicle.start, vehicle.end):
        broken.append("starts or ends away from the vehicle's places")
    if stops[0].departure_s < vehicle.shift.opens_s:
        broken.append("leaves before the shift starts")
    if stops[-1].arrival_s > vehicle.shift.closes_s:
        broken.append("returns after the shift ends")
    ride = _Ride(vehicle)
    metres = 0
    for before, stop in itertools.pairwise(stops):
        a, b = index[before.place], index[stop.place]
        metres += matrix.metres[a][b]
        broken += _timing(stop, before.departure_s + matrix.seconds[a][b])
        if stop.shipment is not None:
            setup = problem.stop_setup_s if a != b else 0
            broken += ride.visit(stop, problem.shipments[stop.shipment], setup, carried)
        elif (stop.wait_s, stop.service_s, stop.departure_s) != (0, 0, stop.arrival_s):
            broken.append("spends time at the end")
    if ride.on_board:
        broken.append("ends with shipments on board")
    if route.distance_m != metres:
        broken.append(f"says {route.distance_m} m, its legs add up to {metres} m")
    if route.duration_s != stops[-1].arrival_s - stops[0].departure_s:
        broken.append("its duration does not match its times")
    expected = (
        vehicle.fixed_cost_ore
        + route.distance_m * vehicle.cost_per_km_ore // 1000
        + route.duration_s * vehicle.cost_per_hour_ore // 3600
    )
    if route.cost_ore != expected:
        broken.append(f"costs {route.cost_ore} öre, its km and hours give {expected}")
    return broken


def _timing(stop: Stop, drive_ends_s: int) -> list[str]:
    broken = []
    if stop.arrival_s != drive_ends_s:
        broken.append(f"reaches a stop at {stop.arrival_s}, the drive ends at {drive_ends_s}")
    if stop.departure_s != stop.arrival_s + stop.wait_s + stop.service_s:
        broken.append("leaves a stop at other than its arrival, wait and service add up to")
    return broken


@dataclass
class _Ride:
    """What is on board a vehicle as it goes from stop to stop."""

    vehicle: Vehicle
    grams: int = 0
    ml: int = 0
    on_board: set[int] = field(default_factory=set)

    def visit(self, stop: Stop, shipment: Shipment, setup: int, carried: Counter[int]) -> list[str]:
        number = stop.shipment
        assert number is not None
        broken = []
        if shipment.cold and not self.vehicle.cold_capable:
            broken.append("carries cold goods without cooling")
        if stop.kind == "pickup":
            window, handover = shipment.pickup_window, shipment.pickup_service_s
            self.grams, self.ml = self.grams + shipment.grams, self.ml + shipment.ml
            self.on_board.add(number)
        else:
            window, handover = shipment.delivery_window, shipment.delivery_service_s
            if number not in self.on_board:
                broken.append(f"delivers shipment {number} not on board")
            self.on_board.discard(number)
            self.grams, self.ml = self.grams - shipment.grams, self.ml - shipment.ml
            carried[number] += 1
        if stop.service_s != setup + handover:
            broken.append(
                f"serves shipment {number} for {stop.service_s} s, not {setup + handover}"
            )
        begins = stop.departure_s - handover
        if not window.opens_s <= begins <= window.closes_s:
            broken.append(f"serves shipment {number} outside its window")
        if begins != max(stop.arrival_s + setup, window.opens_s):
            broken.append(f"hands shipment {number} over at {begins}, not when set up and open")
        if self.grams > self.vehicle.capacity_grams or self.ml > self.vehicle.capacity_ml:
            broken.append(f"overloaded after shipment {number}")
        if (stop.load_grams, stop.load_ml) != (self.grams, self.ml):
            broken.append(f"reports a load of {stop.load_grams} g, carries {self.grams} g")
        return broken
