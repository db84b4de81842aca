"""A run's routing: joint routes, the producers-alone baseline, savings, cost shares."""

from __future__ import annotations

import itertools
import random
import time
import uuid

import msgspec

from services.matcher.engine.routing.alone import alone_by_producer
from services.matcher.engine.routing.model import STOP_SETUP_S, RoutingProblem, Window
from services.matcher.engine.routing.plans import Routing, plan_baseline, plan_routing
from services.matcher.engine.routing.solver import Budget, route_cost
from services.matcher.engine.routing.travel import TravelMatrix, great_circle, places_of
from tests.support.routing import shipment, van
from tests.unit.routing.checker import broken_rules

DAY = Window(opens_s=0, closes_s=24 * 3600)
BUDGET = Budget(iterations=400, seconds=600)  # the iterations end every search


def network(seed: int, farms: int, coops: int) -> RoutingProblem:
    """Every farm sends to a few co-ops; hours wide open, so order is all that counts."""
    rng = random.Random(seed)
    shipments = [
        shipment(rng, farm, coop, pickup_window=DAY, delivery_window=DAY, grams=20_000)
        for farm in range(farms)
        for coop in sorted(rng.sample(range(coops), 3))
    ]
    return RoutingProblem(shipments=shipments, vehicles=[van(1), van(2)])


def travel(problem: RoutingProblem) -> TravelMatrix:
    return great_circle(places_of(problem), road_factor=1.3, speed_kmh=60)


def routing(problem: RoutingProblem) -> Routing:
    result = plan_routing(problem, travel(problem), own_van=van(0), budget=BUDGET)
    assert broken_rules(problem, travel(problem), result.joint) == []
    alone = msgspec.structs.replace(problem, vehicles=result.own_vans)
    assert broken_rules(alone, travel(alone), result.baseline) == []
    return result


def test_joint_routes_save_against_every_producer_driving_alone() -> None:
    result = routing(network(1, farms=5, coops=6))
    assert result.joint.unserved == result.baseline.unserved == []
    assert result.baseline.totals.routes == 5  # one round trip per producer
    assert result.joint.totals.routes < result.baseline.totals.routes
    assert result.savings.cost_ore == result.baseline.totals.cost_ore - result.joint.totals.cost_ore
    assert result.savings.cost_ore > 0
    assert result.savings.distance_m > 0
    assert result.savings.co2_grams > 0


def test_the_baseline_is_each_producer_s_best_round_trip() -> None:
    """Checked by brute force: every order of a producer's co-ops, from its farm."""
    problem = network(2, farms=3, coops=5)
    places = places_of(problem)
    matrix = great_circle(places, road_factor=1.3, speed_kmh=60)
    at = {place: i for i, place in enumerate(places)}
    result = routing(problem)
    for own in result.own_vans:
        mine = [s for s in problem.shipments if s.producer_id == own.producer_id]
        farm = at[mine[0].pickup]
        service = sum(s.pickup_service_s + s.delivery_service_s for s in mine)
        best = min(
            route_cost(
                own,
                sum(matrix.metres[a][b] for a, b in itertools.pairwise(legs)),
                sum(matrix.seconds[a][b] for a, b in itertools.pairwise(legs))
                + STOP_SETUP_S * len(order)  # at each co-op; none back at the farm
                + service,
            )
            for order in itertools.permutations(mine)
            for legs in [[farm, *(at[s.delivery] for s in order), farm]]
        )
        (route,) = [r for r in result.baseline.routes if r.vehicle_id == own.id]
        assert route.cost_ore == best


def test_each_route_s_cost_is_shared_by_its_co_ops_within_their_stand_alone_costs() -> None:
    result = routing(network(3, farms=4, coops=6))
    assert len(result.shares) == len(result.joint.routes)
    for item in result.shares:
        route = result.joint.routes[item.route]
        shares = item.shares
        paid = sum(shares.coops.values()) + sum(shares.producers.values()) + shares.unshared_ore
        assert paid == route.cost_ore
        assert all(shares.coops[c] <= item.standalone_ore[c] for c in item.standalone_ore)
        served = {
            result.shipments[stop.shipment].coop_id
            for stop in route.stops
            if stop.shipment is not None
        }
        assert set(shares.coops) == served
    assert {coop for item in result.shares for coop in item.shares.coops} == {
        s.coop_id for s in result.shipments
    }
    assert uuid.UUID(int=0) not in {c for item in result.shares for c in item.shares.coops}


def test_the_baseline_carries_every_shipment_the_proposal_carries() -> None:
    """A farm whose co-ops all want their goods in the same ten minutes, far apart: one
    round trip can't meet them all, so the farm makes more trips; none is left out of
    the baseline, or the savings would compare a plan with less work than it does."""
    rng = random.Random(7)
    narrow = Window(opens_s=9 * 3600, closes_s=9 * 3600 + 600)
    shipments = [
        shipment(rng, 0, coop, pickup_window=DAY, delivery_window=narrow, grams=20_000)
        for coop in (0, 5, 9)
    ]
    problem = RoutingProblem(shipments=shipments, vehicles=[van(n) for n in (1, 2, 3)])
    result = routing(problem)
    assert result.joint.unserved == []
    assert result.baseline.unserved == []
    carried = {stop.shipment for r in result.baseline.routes for stop in r.stops}
    assert carried - {None} == {0, 1, 2}
    assert result.baseline.totals.routes > 1  # more than one trip from the farm


def test_a_baseline_out_of_time_still_carries_every_producer_s_shipments() -> None:
    """The stage's time is gone before the baseline begins (a busy machine, a slow
    joint plan): each producer's round trip is then the insertion start's, bounded by
    its work, not nothing. Leaving producers out shrank "each alone" and turned the
    savings negative on the reference shapes (issue 18, point 5). No clock is timed:
    the deadline is already past."""
    problem = network(3, farms=4, coops=6)
    matrix = travel(problem)
    rows = places_of(problem)
    gone = BUDGET.until(time.perf_counter() - 1)
    by_producer = alone_by_producer(problem.shipments, [])
    baseline, vans = plan_baseline(problem, matrix, rows, van(0), gone, by_producer)
    assert baseline.unserved == []
    assert baseline.clock_capped  # and it says the clock cut it
    alone = msgspec.structs.replace(problem, vehicles=vans)
    assert broken_rules(alone, travel(alone), baseline) == []
    # the same start on any machine: bounded by work
    again, _ = plan_baseline(
        problem, matrix, rows, van(0), BUDGET.until(time.perf_counter() - 1), by_producer
    )
    assert again == baseline


def test_what_the_producer_s_own_van_cannot_deliver_in_time_goes_in_a_hired_van() -> None:
    """The producers' own vans work 10 to 16; a co-op takes goods only from 7 to 8, and
    the network's vans start at 6. Alone, the farm hires a van like the network's for
    that one: the baseline still carries every shipment the proposal carries."""
    rng = random.Random(8)
    early = Window(opens_s=7 * 3600, closes_s=8 * 3600)
    shipments = [
        shipment(rng, 0, 0, pickup_window=DAY, delivery_window=early, grams=20_000),
        shipment(rng, 0, 1, pickup_window=DAY, delivery_window=DAY, grams=20_000),
    ]
    problem = RoutingProblem(shipments=shipments, vehicles=[van(1)])
    own = van(0, shift=Window(opens_s=10 * 3600, closes_s=16 * 3600))
    result = plan_routing(problem, travel(problem), own_van=own, budget=BUDGET)
    assert result.joint.unserved == []
    assert result.baseline.unserved == []
    by_van = {
        route.vehicle_id: {s.shipment for s in route.stops} - {None}
        for route in result.baseline.routes
    }
    hired = [v for v in result.own_vans if v.shift != own.shift]
    assert len(hired) == 1
    assert hired[0].start == hired[0].end == shipments[0].pickup
    assert by_van[hired[0].id] == {0}
    alone = msgspec.structs.replace(problem, vehicles=result.own_vans)
    assert broken_rules(alone, travel(alone), result.baseline) == []


def test_no_co_op_pays_more_than_serving_it_alone_costs_by_brute_force() -> None:
    """The route's van alone from its depot to the co-op's farms in every order, then to
    the co-op and back (whole-day windows, so no waiting): the stand-alone cost is the
    cheapest of these, and the co-op's share no more."""
    problem = network(3, farms=4, coops=6)
    matrix = travel(problem)
    at = {place: i for i, place in enumerate(places_of(problem))}
    result = routing(problem)
    vans = {v.id: v for v in problem.vehicles}
    for item in result.shares:
        route = result.joint.routes[item.route]
        van = vans[route.vehicle_id]
        delivered = [s.shipment for s in route.stops if s.kind == "delivery"]
        carried = [result.shipments[n] for n in delivered if n is not None]
        for coop, paid in item.shares.coops.items():
            mine = [s for s in carried if s.coop_id == coop]
            farms = {at[s.pickup] for s in mine}
            handovers = sum(s.pickup_service_s + s.delivery_service_s for s in mine)
            exact = min(
                route_cost(
                    van,
                    sum(matrix.metres[a][b] for a, b in itertools.pairwise(legs)),
                    sum(matrix.seconds[a][b] for a, b in itertools.pairwise(legs))
                    + STOP_SETUP_S * (len(farms) + 1)  # each farm and the co-op
                    + handovers,
                )
                for order in itertools.permutations(farms)
                for legs in [[at[van.start], *order, at[mine[0].delivery], at[van.end]]]
            )
            assert item.standalone_ore[coop] == exact
            assert paid <= exact
