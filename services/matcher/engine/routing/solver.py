"""The vehicle-routing solver behind one small, solver-neutral function: ``solve``.

This is the only module that imports PyVRP. It plans pickup-and-delivery routes with
time windows, weight and volume capacities, cold chain and shifts, and reads the
routes back into our structs; everything else speaks ``RoutingProblem`` and
``RoutePlan``.

Cold chain: a third load dimension, "cold grams", that only chilled and frozen
shipments use and only cold-capable vehicles have room for. Costs: PyVRP wants
integer unit costs per metre and per second, so the objective is in thousandths of
an öre (per km is exactly that per metre; per hour / 3.6 per second, rounded: the
reported costs are computed exactly from km and hours). Shipments are required
while a plan carrying all of them is in reach; otherwise optional with a prize far
above any route's cost: carried whenever some route can take it, and left out,
instead of making the plan infeasible, when none can (``_search``).
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from services.matcher.engine.routing.alone import why_not_alone
from services.matcher.engine.routing.insertion import start_routes, work
from services.matcher.engine.routing.model import (
    CO2_GRAMS_PER_KM,
    Left,
    Place,
    Route,
    RoutePlan,
    RoutingProblem,
    Stop,
    Totals,
    Vehicle,
    shipment_key,
    vehicle_key,
)
from services.matcher.engine.routing.travel import TravelMatrix, places_of

SCALE = 1_000  # objective units per öre
PRIZE = 10**7 * SCALE  # 100,000 kr: more than any route costs, so nothing is left idly


@dataclass(frozen=True)
class Budget:
    """How long the solver searches: iterations make a seeded run repeatable; the time
    limit is a safety net (a run that hits it may differ between machines, and says so:
    ``RoutePlan.clock_capped``)."""

    iterations: int
    seconds: float
    seed: int = 1

    @classmethod
    def for_size(cls, shipments: int, seed: int = 1, seconds: float | None = None) -> Budget:
        """Enough iterations for small networks to settle; ``seconds`` caps the whole
        routing stage of a run (``plans.plan_routing`` splits it among its parts):
        by default 10 s plus 1 s per 8 shipments, at most three minutes."""
        limit = seconds if seconds is not None else stage_seconds(shipments)
        return cls(iterations=1_000 + 20 * shipments, seconds=limit, seed=seed)

    def capped(self, seconds: float) -> Budget:
        """The same iterations, at most ``seconds`` of search."""
        return Budget(self.iterations, max(MIN_SECONDS, min(self.seconds, seconds)), self.seed)


MIN_SECONDS = 0.05  # a search gets at least this long, however thin its share


def stage_seconds(shipments: int) -> float:
    """The default cap of a run's whole routing stage."""
    return min(180.0, 10 + shipments / 8)


def solve(problem: RoutingProblem, matrix: TravelMatrix, budget: Budget) -> RoutePlan:
    """Routes for every shipment some vehicle can carry; the rest left, with why.

    The search sees the shipments and vehicles in order of what they are
    (``shipment_key``, ``vehicle_key``) and the places in their own order
    (``places_of``, the rows of ``matrix``): the same network gives the same plan
    whatever order or ids its shipments and vehicles come with.
    """
    order = sorted(range(len(problem.shipments)), key=lambda n: shipment_key(problem.shipments[n]))
    canonical = msgspec.structs.replace(
        problem,
        shipments=[problem.shipments[n] for n in order],
        vehicles=sorted(problem.vehicles, key=vehicle_key),
    )
    return renumbered(_solve(canonical, matrix, budget), order)


def renumbered(plan: RoutePlan, numbers: Sequence[int]) -> RoutePlan:
    """``plan`` with its shipment ``n`` named ``numbers[n]``: from a sub-problem's or a
    reordered problem's numbers to the whole problem's."""
    routes = [
        msgspec.structs.replace(
            route,
            stops=[
                stop
                if stop.shipment is None
                else msgspec.structs.replace(stop, shipment=numbers[stop.shipment])
                for stop in route.stops
            ],
        )
        for route in plan.routes
    ]
    unserved = [
        msgspec.structs.replace(left, shipment=numbers[left.shipment]) for left in plan.unserved
    ]
    unserved.sort(key=lambda left: left.shipment)
    return msgspec.structs.replace(plan, routes=routes, unserved=unserved)


def _solve(problem: RoutingProblem, matrix: TravelMatrix, budget: Budget) -> RoutePlan:
    places = places_of(problem)
    index: dict[object, int] = {place: i for i, place in enumerate(places)}
    left: list[Left] = []
    planned: list[int] = []
    for number, shipment in enumerate(problem.shipments):
        reason = why_not_alone(shipment, problem, matrix, index)
        if reason is None:
            planned.append(number)
        else:
            left.append(Left(shipment=number, reason=reason))
    routes: list[Route] = []
    capped = False
    if planned and problem.vehicles:
        best, capped = _search(problem, matrix, places, index, planned, budget)
        routes, carried = _read(problem, matrix, index, planned, best)
        left += [Left(shipment=n, reason="no_room") for n in planned if n not in carried]
    left.sort(key=lambda item: item.shipment)
    return RoutePlan(routes=routes, unserved=left, totals=totals(routes), clock_capped=capped)


def _search(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    places: list[Place],
    index: dict[object, int],
    planned: list[int],
    budget: Budget,
) -> tuple[pyvrp.Solution, bool]:
    """The best routes PyVRP finds in the budget, starting from ``insertion.start_routes``,
    and whether the clock stopped the search before its iterations did.

    When the start carries every planned shipment, they are all *required*: the search
    then spends its effort on fewer vehicles and shorter routes (on Li & Lim lr201,
    optional shipments with a prize ended 0.9-3.7 % above the best-known distance;
    required, within 0.4 %), and cannot end worse than its start. When it does not,
    half the budget still tries that (its penalties lead it through plans that break
    a window or a capacity, where it may find one that carries all); if it finds none,
    the other half makes shipments optional with a prize far above any route's cost,
    starting again from the start: whatever fits is carried, never fewer than the
    start. The start is bounded by its work, not the clock; the search gets what is
    left of the seconds.
    """
    began = time.perf_counter()
    checks = work(len(planned), budget.seconds)
    # work bounds the start; half the seconds do too, should the machine be slow
    deadline = began + budget.seconds / 2
    start, start_capped = start_routes(
        problem, matrix, index, planned, budget.seed, checks, deadline
    )
    sketch = [(van, [_activity(pickup, k) for k, pickup in visits]) for van, visits in start]
    seconds = max(MIN_SECONDS, budget.seconds - (time.perf_counter() - began))
    required = _model(problem, matrix, places, planned, required=True)
    if sum(len(visits) for _, visits in start) == 2 * len(planned):
        best, capped = _run(required, sketch, Budget(budget.iterations, seconds, budget.seed))
        return best, capped or start_capped
    half = Budget(budget.iterations // 2, seconds / 2, budget.seed)
    best, capped = _run(required, sketch, half)
    if best.is_feasible():  # the other half improves on it
        better, capped_again = _run(required, _sketch(best), half)
    else:
        optional = _model(problem, matrix, places, planned, required=False)
        better, capped_again = _run(optional, sketch, half)
    return better, capped or capped_again or start_capped


# A route as its vehicle type and its pickups and deliveries in order, shipments
# numbered as PyVRP numbers them: by their position in ``planned``.
_Sketch = tuple[int, list[pyvrp.Activity]]


def _sketch(solution: pyvrp.Solution) -> list[_Sketch]:
    return [
        (route.vehicle_type(), [_activity(a.is_pickup(), a.idx) for a in route.schedule()[1:-1]])
        for route in solution.routes()
    ]


def _run(model: pyvrp.Model, start: list[_Sketch], budget: Budget) -> tuple[pyvrp.Solution, bool]:
    data = model.data()
    first = [pyvrp.Route(data, activities, vehicle_type) for vehicle_type, activities in start]
    with warnings.catch_warnings():
        # "struggles to find a feasible solution": we keep only feasible routes and
        # report what they leave, which says more than the warning
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = model.solve(
            stop=MultipleCriteria([MaxIterations(budget.iterations), MaxRuntime(budget.seconds)]),
            seed=budget.seed,
            display=False,
            collect_stats=False,
            initial_solution=pyvrp.Solution(data, first),
        )
    return result.best, result.num_iterations < budget.iterations


def totals(routes: list[Route]) -> Totals:
    return Totals(
        routes=len(routes),
        distance_m=sum(r.distance_m for r in routes),
        duration_s=sum(r.duration_s for r in routes),
        cost_ore=sum(r.cost_ore for r in routes),
        co2_grams=sum(r.co2_grams for r in routes),
    )


def route_cost(vehicle: Vehicle, distance_m: int, duration_s: int) -> int:
    return (
        vehicle.fixed_cost_ore
        + distance_m * vehicle.cost_per_km_ore // 1000
        + duration_s * vehicle.cost_per_hour_ore // 3600
    )


def _model(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    places: list[Place],
    planned: list[int],
    *,
    required: bool,
) -> pyvrp.Model:
    shipments = [problem.shipments[number] for number in planned]
    volume = any(shipment.ml for shipment in shipments)
    cold = any(s.cold for s in shipments) and not all(v.cold_capable for v in problem.vehicles)

    def load(grams: int, ml: int, cold_grams: int) -> list[int]:
        """Only the dimensions that constrain something: each one slows the search."""
        return [grams, *([ml] if volume else []), *([cold_grams] if cold else [])]

    model = pyvrp.Model()
    # Vans start and end at locations of their own, beside the stops' locations at the
    # same places: the drive to a van's end then takes no setup (``_add_edges``).
    own = _depot_places(problem)
    ends = {place: model.add_location(x=place.lon, y=place.lat) for place in places if place in own}
    depots = {place: model.add_depot(location) for place, location in ends.items()}
    locations = [model.add_location(x=p.lon, y=p.lat) for p in places]
    index = {place: i for i, place in enumerate(places)}
    for vehicle in problem.vehicles:
        per_km, per_hour = vehicle.cost_per_km_ore, vehicle.cost_per_hour_ore
        model.add_vehicle_type(
            capacity=load(
                vehicle.capacity_grams,
                vehicle.capacity_ml,
                vehicle.capacity_grams if vehicle.cold_capable else 0,
            ),
            start_depot=depots[vehicle.start],
            end_depot=depots[vehicle.end],
            fixed_cost=vehicle.fixed_cost_ore * SCALE,
            tw_early=vehicle.shift.opens_s,
            tw_late=vehicle.shift.closes_s,
            unit_distance_cost=max(1, per_km),  # never a free detour
            unit_duration_cost=round(per_hour / 3.6),
        )
    for number, shipment in zip(planned, shipments, strict=True):
        model.add_shipment(
            pickup_location=locations[index[shipment.pickup]],
            delivery_location=locations[index[shipment.delivery]],
            pickup_tw_early=shipment.pickup_window.opens_s,
            pickup_tw_late=shipment.pickup_window.closes_s,
            pickup_service_duration=shipment.pickup_service_s,
            delivery_tw_early=shipment.delivery_window.opens_s,
            delivery_tw_late=shipment.delivery_window.closes_s,
            delivery_service_duration=shipment.delivery_service_s,
            amount=load(shipment.grams, shipment.ml, shipment.grams if shipment.cold else 0),
            prize=0 if required else PRIZE,
            required=required,
            name=str(number),
        )
    _add_edges(
        model, matrix, problem.stop_setup_s, locations, [(index[p], e) for p, e in ends.items()]
    )
    return model


def _depot_places(problem: RoutingProblem) -> set[Place]:
    return {place for vehicle in problem.vehicles for place in (vehicle.start, vehicle.end)}


def _add_edges(
    model: pyvrp.Model,
    matrix: TravelMatrix,
    setup_s: int,
    stops: list[pyvrp.Location],
    ends: list[tuple[int, pyvrp.Location]],
) -> None:
    """Driving times, and the setup of a stop at a new place: PyVRP's service times
    belong to a visit, not to a change of place, so the setup rides on the drive to a
    stop (``_read`` takes it back out of the arrival). Driving to a van's end place
    takes none."""
    metres, seconds = matrix.metres, matrix.seconds
    for i, frm in enumerate(stops):
        for j, to in enumerate(stops):
            if i != j:
                model.add_edge(frm, to, distance=metres[i][j], duration=seconds[i][j] + setup_s)
    for j, end in ends:
        for i, stop in enumerate(stops):
            model.add_edge(stop, end, distance=metres[i][j], duration=seconds[i][j])
            setup = setup_s if i != j else 0
            model.add_edge(end, stop, distance=metres[j][i], duration=seconds[j][i] + setup)
        for k, other in ends:
            if k != j:
                model.add_edge(end, other, distance=metres[j][k], duration=seconds[j][k])


def _activity(pickup: bool, k: int) -> pyvrp.Activity:
    kind = pyvrp.ActivityType.PICKUP if pickup else pyvrp.ActivityType.DELIVERY
    return pyvrp.Activity(kind, k)


def _read(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    index: dict[object, int],
    planned: list[int],
    solution: pyvrp.Solution,
) -> tuple[list[Route], set[int]]:
    """Our routes from PyVRP's, keeping only feasible ones: a route that breaks a
    window or a capacity is dropped and its shipments counted as left."""
    routes: list[Route] = []
    carried: set[int] = set()
    for solved in solution.routes():
        if not solved.is_feasible():
            continue
        vehicle = problem.vehicles[solved.vehicle_type()]
        stops: list[Stop] = []
        grams = ml = 0
        for activity in solved.schedule():
            if activity.is_depot():
                stops.append(_depot_stop(vehicle, activity, stops, grams, ml))
                continue
            number = planned[activity.idx]
            shipment = problem.shipments[number]
            sign = 1 if activity.is_pickup() else -1
            grams += sign * shipment.grams
            ml += sign * shipment.ml
            if activity.is_delivery():
                carried.add(number)
            place = shipment.pickup if activity.is_pickup() else shipment.delivery
            setup = problem.stop_setup_s if place != stops[-1].place else 0
            stops.append(
                Stop(
                    kind="pickup" if activity.is_pickup() else "delivery",
                    place=place,
                    shipment=number,
                    arrival_s=activity.start_time - activity.wait_duration - setup,
                    departure_s=activity.end_time,
                    wait_s=activity.wait_duration,
                    service_s=setup + activity.end_time - activity.start_time,
                    load_grams=grams,
                    load_ml=ml,
                )
            )
        distance = sum(
            matrix.metres[index[a.place]][index[b.place]] for a, b in itertools.pairwise(stops)
        )
        duration = stops[-1].arrival_s - stops[0].departure_s
        routes.append(
            Route(
                vehicle_id=vehicle.id,
                stops=stops,
                distance_m=distance,
                duration_s=duration,
                cost_ore=route_cost(vehicle, distance, duration),
                co2_grams=distance * CO2_GRAMS_PER_KM // 1000,
            )
        )
    return routes, carried


def _depot_stop(
    vehicle: Vehicle, activity: pyvrp.ScheduledActivity, before: list[Stop], grams: int, ml: int
) -> Stop:
    """The start (leaving at the route's start time) or the end (arriving, no setup)."""
    at = activity.start_time if not before else activity.start_time - activity.wait_duration
    return Stop(
        kind="end" if before else "start",
        place=vehicle.end if before else vehicle.start,
        shipment=None,
        arrival_s=at,
        departure_s=at,
        wait_s=0,
        service_s=0,
        load_grams=grams,
        load_ml=ml,
    )
