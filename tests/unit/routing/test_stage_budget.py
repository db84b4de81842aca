"""The routing stage within its budget: the fast travel matrix gives the same numbers, a
search past its deadline keeps its start and says so, and stand-alone costs without a
search still bound the shares. No test here looks at how long anything took."""

from __future__ import annotations

import itertools
import random
import time

import msgspec
import numpy as np
import pytest

from services.matcher.engine.allocation.transport import road_km
from services.matcher.engine.routing import plans
from services.matcher.engine.routing import solver as solver_module
from services.matcher.engine.routing.alone import alone_by_producer
from services.matcher.engine.routing.model import STOP_SETUP_S, Place
from services.matcher.engine.routing.solver import Budget, route_cost, solve
from services.matcher.engine.routing.travel import great_circle, places_of
from tests.support.routing import van
from tests.unit.routing.checker import broken_rules
from tests.unit.routing.test_plans import network, travel


def test_the_travel_matrix_is_road_km_for_every_pair() -> None:
    rng = random.Random(7)
    places = [
        Place(lat=round(rng.uniform(55.3, 69.0), 5), lon=round(rng.uniform(11.0, 24.1), 5))
        for _ in range(60)
    ]
    places += places[:3]  # the same place twice: 0 m both ways
    matrix = great_circle(places, road_factor=1.3, speed_kmh=60)
    for (i, a), (j, b) in itertools.product(enumerate(places), repeat=2):
        metres = round(road_km((a.lat, a.lon), (b.lat, b.lon), 1.3) * 1000)
        assert matrix.metres[i][j] == metres
        assert matrix.seconds[i][j] == round(metres * 3.6 / 60)
        assert type(matrix.metres[i][j]) is int
    assert great_circle([], road_factor=1.3, speed_kmh=60).metres == []


def test_the_solver_drives_the_travel_matrix_with_a_setup_at_each_new_place() -> None:
    """Locations: the vans' end places, then every place. A drive to a stop at another
    place takes the setup too; to a van's end, or to the place just left, none."""
    problem = network(4, farms=3, coops=4)
    places = places_of(problem)
    matrix = travel(problem)
    data = solver_module._model(
        problem, matrix, places, list(range(len(problem.shipments))), required=True
    )
    ends = sorted({p for v in problem.vehicles for p in (v.start, v.end)})
    rows = [places.index(p) for p in ends] + list(range(len(places)))
    distance, duration = data.distance_matrix(0), data.duration_matrix(0)
    for a, b in itertools.product(range(len(rows)), repeat=2):
        i, j = rows[a], rows[b]
        setup = STOP_SETUP_S if b >= len(ends) and i != j else 0
        assert distance[a, b] == matrix.metres[i][j]
        assert duration[a, b] == matrix.seconds[i][j] + setup
    assert isinstance(distance, np.ndarray)


def test_a_search_past_its_deadline_keeps_its_start_and_says_so() -> None:
    problem = network(5, farms=4, coops=5)
    matrix = travel(problem)
    late = Budget(iterations=10**6, seconds=60).until(time.perf_counter() - 1)
    plan = solve(problem, matrix, late)
    assert plan.clock_capped
    assert broken_rules(problem, matrix, plan) == []  # whatever it carries, by the rules


def test_a_search_with_no_iterations_is_its_start_the_same_every_time() -> None:
    problem = network(6, farms=4, coops=5)
    matrix = travel(problem)
    start = Budget(iterations=0, seconds=600)
    first, again = solve(problem, matrix, start), solve(problem, matrix, start)
    assert first == again
    assert not first.clock_capped
    assert broken_rules(problem, matrix, first) == []
    assert not first.unserved  # wide open hours, two big vans: the start carries all


def test_stand_alone_costs_without_a_search_still_bound_what_each_co_op_pays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Too little time for a search per (route, co-op): the start's route for the co-op
    alone is its stand-alone cost. It is a real route, so it costs no less than the best
    one (brute force over the farms' order, hours wide open); the co-op pays no more."""
    monkeypatch.setattr(plans, "MIN_SECONDS", 10.0**6)  # any budget is too little
    problem = network(3, farms=4, coops=6)
    matrix = travel(problem)
    at = {place: i for i, place in enumerate(places_of(problem))}
    budget = Budget(iterations=400, seconds=600)  # the iterations end every search
    result = plans.plan_routing(problem, matrix, own_van=van(0), budget=budget)
    vans = {v.id: v for v in problem.vehicles}
    assert result.shares
    for item in result.shares:
        assert not item.clock_capped
        route = result.joint.routes[item.route]
        vehicle = vans[route.vehicle_id]
        delivered = [s.shipment for s in route.stops if s.kind == "delivery"]
        carried = [result.shipments[n] for n in delivered if n is not None]
        for coop, paid in item.shares.coops.items():
            mine = [s for s in carried if s.coop_id == coop]
            farms = {at[s.pickup] for s in mine}
            handovers = sum(s.pickup_service_s + s.delivery_service_s for s in mine)
            best = min(
                route_cost(
                    vehicle,
                    sum(matrix.metres[a][b] for a, b in itertools.pairwise(legs)),
                    sum(matrix.seconds[a][b] for a, b in itertools.pairwise(legs))
                    + STOP_SETUP_S * (len(farms) + 1)
                    + handovers,
                )
                for order in itertools.permutations(farms)
                for legs in [[at[vehicle.start], *order, at[mine[0].delivery], at[vehicle.end]]]
            )
            assert item.standalone_ore[coop] >= best
            assert paid <= item.standalone_ore[coop]


def test_whether_the_search_follows_the_start_is_decided_by_work() -> None:
    """PyVRP's set-up (not interrupted by the clock) against the search's nominal
    seconds: at 6,000 shipments it would be more than a tenth of the joint plan's
    seconds, with or without a hub, so the start is the plan there; at 1,600 and below
    the search follows. Nothing here is timed: the same answer on any machine."""
    assert not solver_module.search_fits(6_000, 0.60 * 180)
    assert not solver_module.search_fits(6_000, 0.75 * 180)
    assert solver_module.search_fits(1_600, 0.60 * 180)
    assert solver_module.search_fits(100, 0.0)  # small: the set-up is nothing


def test_a_search_that_does_not_fit_by_work_is_its_start_and_not_clock_capped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With PyVRP's set-up too big for the seconds (here made so), the plan is the
    insertion start, whatever the iterations: the same plan as with none, and the clock
    stopped nothing."""
    monkeypatch.setattr(solver_module, "LARGE_SHIPMENTS", 2)
    monkeypatch.setattr(solver_module, "SETUP_PART", 10.0**12)
    problem = network(6, farms=4, coops=5)
    matrix = travel(problem)
    searched = solve(problem, matrix, Budget(iterations=10**6, seconds=600))
    start = solve(problem, matrix, Budget(iterations=0, seconds=600))
    assert searched == start
    assert not searched.clock_capped
    assert broken_rules(problem, matrix, searched) == []


def test_a_search_never_carries_fewer_than_its_start() -> None:
    problem = network(5, farms=4, coops=5)
    matrix = travel(problem)
    places = places_of(problem)
    planned = list(range(len(problem.shipments)))
    data = solver_module._model(problem, matrix, places, planned, required=False)
    start = solver_module._solution(
        data, [(0, [solver_module._activity(p, 0) for p in (True, False)])]
    )
    empty = solver_module._solution(data, [])
    assert solver_module._no_fewer(empty, start) is start
    assert solver_module._no_fewer(start, empty) is start


def test_producers_search_only_when_their_nominal_seconds_allow_it() -> None:
    """By the baseline's nominal seconds a shipment, not the clock: a producer's 24
    shipments at 1,600 shipments' 27 s (0.4 s) get the insertion start with ruin and
    recreate sized by a part of those seconds; on the reference shapes (0.13 s a
    shipment) the search."""
    thin = plans._producer_budget(Budget(iterations=2_000, seconds=0.4), 24)
    assert thin.iterations == 0
    assert thin.ruin_seconds == 0.4 / plans.RUIN_PART
    assert thin.seconds >= plans.START_FLOOR  # its first insertion: a trip's work
    wide = Budget(iterations=2_000, seconds=1.3)
    assert plans._producer_budget(wide, 10) == wide


def test_a_thin_baseline_is_the_same_every_time_and_carries_every_shipment() -> None:
    """A baseline whose producers get too little of the stage for a search each: every
    producer's trips are the insertion start's, by work, so the same plan on any
    machine (no clock cut it), every shipment carried."""
    problem = network(3, farms=4, coops=6)
    matrix = travel(problem)
    rows = places_of(problem)
    by_producer = alone_by_producer(problem.shipments, [])
    thin = Budget(iterations=2_000, seconds=0.01 * len(problem.shipments))
    first, vans = plans.plan_baseline(problem, matrix, rows, van(0), thin, by_producer)
    again, _ = plans.plan_baseline(problem, matrix, rows, van(0), thin, by_producer)
    assert first == again
    assert not first.clock_capped
    assert first.unserved == []
    alone = msgspec.structs.replace(problem, vehicles=vans)
    assert broken_rules(alone, travel(alone), first) == []


def test_a_thin_baseline_out_of_time_still_carries_every_shipment() -> None:
    """The same thin baseline with its time gone: ruin and recreate stops at the clock,
    and says so, but each producer's first insertion is bounded by its work alone, so
    every shipment is still carried."""
    problem = network(3, farms=4, coops=6)
    matrix = travel(problem)
    rows = places_of(problem)
    by_producer = alone_by_producer(problem.shipments, [])
    thin = Budget(iterations=2_000, seconds=0.01 * len(problem.shipments))
    gone = thin.until(time.perf_counter() - 1)
    baseline, vans = plans.plan_baseline(problem, matrix, rows, van(0), gone, by_producer)
    assert baseline.unserved == []
    assert baseline.clock_capped
    alone = msgspec.structs.replace(problem, vehicles=vans)
    assert broken_rules(alone, travel(alone), baseline) == []
