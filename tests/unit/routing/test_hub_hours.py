"""The hub's opening hours: goods reach it while it is open, early enough to be handled
before it closes, and leave it while it is open; a hub closed all day plans nothing."""

from __future__ import annotations

import random

import pytest

from services.matcher.engine.routing.hub import (
    HANDLING_S,
    HANDOVER_S,
    HubPlan,
    departure,
    intake,
    plan_via_hub,
)
from services.matcher.engine.routing.model import WHOLE_DAY, Place, RoutingProblem, Window
from services.matcher.engine.routing.plans import plan_routing
from services.matcher.engine.routing.solver import Budget
from services.matcher.engine.routing.travel import great_circle, places_of
from tests.support.routing import HOUR, shipment, van

HUB = Place(lat=59.85, lon=17.66)
BUDGET = Budget(iterations=300, seconds=3)


def hours(*spans: tuple[float, float]) -> list[Window]:
    return [Window(opens_s=int(a * HOUR), closes_s=int(b * HOUR)) for a, b in spans]


def network(seed: int, **late: object) -> RoutingProblem:
    """Five farms sending to most of five co-ops; farm 0's goods ``late`` if given."""
    rng = random.Random(seed)
    shipments = [
        shipment(rng, farm, coop, grams=8_000, **(late if farm == 0 else {}))
        for farm in range(5)
        for coop in range(5)
        if farm == 0 or rng.random() < 0.7
    ]
    return RoutingProblem(shipments=shipments, vehicles=[van(1), van(2), van(3)])


def via_hub(problem: RoutingProblem, opening: list[Window] | None) -> HubPlan | None:
    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    return plan_via_hub(problem, matrix, rows, HUB, BUDGET, opening)


def handovers_at_hub(via: HubPlan) -> tuple[list[int], list[int]]:
    """When each leg changes hands at the hub: arriving goods, then leaving goods."""
    arriving, leaving = [], []
    for number, route in enumerate(via.plan.routes):
        for stop in route.stops:
            if stop.place != HUB or stop.shipment is None:
                continue
            begins = stop.departure_s - HANDOVER_S
            if number < via.collection_routes:
                assert stop.kind == "delivery"
                arriving.append(begins)
            else:
                assert stop.kind == "pickup"
                leaving.append(begins)
    return arriving, leaving


def test_without_hours_the_hub_takes_goods_all_day() -> None:
    assert intake(None) == WHOLE_DAY
    assert departure(None, 10 * HOUR) == Window(opens_s=10 * HOUR, closes_s=24 * HOUR)


def test_goods_arrive_early_enough_to_be_handled_before_the_hub_closes() -> None:
    """The handling is counted once: between the last arrival and the first departure."""
    assert intake(hours((8, 12))) == Window(
        opens_s=8 * HOUR, closes_s=12 * HOUR - HANDLING_S - HANDOVER_S
    )
    # the longest opening takes the goods in, the earlier of two as long
    assert intake(hours((7, 9), (10, 15))) == Window(
        opens_s=10 * HOUR, closes_s=15 * HOUR - HANDLING_S - HANDOVER_S
    )
    assert intake(hours((7, 10), (13, 16))) == Window(
        opens_s=7 * HOUR, closes_s=10 * HOUR - HANDLING_S - HANDOVER_S
    )


def test_a_hub_closed_all_day_or_too_briefly_open_takes_nothing() -> None:
    assert intake([]) is None
    assert intake(hours((10, 10.5))) is None  # half an hour: no time to handle anything


def test_goods_leave_in_the_first_opening_after_they_are_ready() -> None:
    assert departure(hours((7, 10), (13, 16)), 9 * HOUR) == Window(
        opens_s=9 * HOUR, closes_s=10 * HOUR
    )
    assert departure(hours((7, 10), (13, 16)), 6 * HOUR) == Window(
        opens_s=7 * HOUR, closes_s=10 * HOUR
    )
    assert departure(hours((13, 16), (7, 10)), 11 * HOUR) == Window(
        opens_s=13 * HOUR, closes_s=16 * HOUR
    )


@pytest.mark.parametrize("opening", [hours((11, 15)), hours((6, 8), (11, 16))])
def test_every_route_meets_the_hub_while_it_is_open(opening: list[Window]) -> None:
    problem = network(1)
    via = via_hub(problem, opening)
    assert via is not None
    assert via.plan.unserved == []
    arriving, leaving = handovers_at_hub(via)
    assert arriving
    assert leaving
    taken_in = intake(opening)
    assert taken_in is not None
    assert all(taken_in.opens_s <= at <= taken_in.closes_s for at in arriving)
    last_in = max(r.stops[-1].arrival_s for r in via.plan.routes[: via.collection_routes])
    assert via.ready_s == last_in + HANDLING_S
    assert all(
        any(w.opens_s <= at <= w.closes_s for w in opening) and at >= via.ready_s for at in leaving
    )


def test_a_farm_that_cannot_reach_the_hub_before_it_closes_is_served_farm_to_co_op() -> None:
    """Farm 0's goods are ready only at 14:00; the hub closes at 13:00. The plan via
    the hub can't carry them, so the joint plan, which can, is proposed."""
    late = {"pickup_window": Window(opens_s=14 * HOUR, closes_s=15 * HOUR)}
    problem = network(2, **late)
    opening = hours((7, 13))
    via = via_hub(problem, opening)
    assert via is not None
    farm_0 = {n for n, s in enumerate(problem.shipments) if s.pickup_window.opens_s == 14 * HOUR}
    assert farm_0
    assert {left.shipment for left in via.plan.unserved} == farm_0
    assert {left.reason for left in via.plan.unserved} == {"windows"}
    arriving, _ = handovers_at_hub(via)
    assert max(arriving) <= 13 * HOUR - HANDLING_S - HANDOVER_S

    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    result = plan_routing(
        problem, matrix, rows=rows, hub=HUB, hub_hours=opening, own_van=van(0), budget=BUDGET
    )
    assert result.hub is not None
    assert result.proposed == "joint"
    assert result.joint.unserved == []
    assert not result.hub_closed


def test_a_hub_closed_on_the_delivery_day_plans_nothing_via_it() -> None:
    problem = network(3)
    assert via_hub(problem, []) is None
    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    result = plan_routing(
        problem, matrix, rows=rows, hub=HUB, hub_hours=[], own_van=van(0), budget=BUDGET
    )
    assert result.hub is None
    assert result.hub_closed
    assert result.proposed == "joint"
    assert result.joint.unserved == []


def test_the_same_hours_give_the_same_plan() -> None:
    problem = network(4)
    first = via_hub(problem, hours((8, 14)))
    again = via_hub(problem, hours((8, 14)))
    assert first is not None
    assert again is not None
    assert first.plan == again.plan
    assert first.ready_s == again.ready_s
