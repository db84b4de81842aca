"""Planning via the hub: collection runs to it, delivery runs from it once all is in."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from uuid import UUID

import msgspec
import pytest

from services.matcher.engine.routing import hub as hub_module
from services.matcher.engine.routing import plans
from services.matcher.engine.routing.hub import HUB_ID, plan_via_hub
from services.matcher.engine.routing.model import Place, RoutePlan, RoutingProblem
from services.matcher.engine.routing.plans import hub_shares, plan_routing
from services.matcher.engine.routing.solver import Budget, solve
from services.matcher.engine.routing.travel import TravelMatrix, great_circle, places_of
from tests.support.routing import shipment, van
from tests.unit.routing.checker import broken_rules

HUB = Place(lat=59.85, lon=17.66)
BUDGET = Budget(iterations=300, seconds=600)  # the iterations end every search


def network(seed: int) -> RoutingProblem:
    """Six farms each sending to most of six co-ops: many small shipments."""
    rng = random.Random(seed)
    shipments = [
        shipment(
            rng, farm, coop, grams=8_000, temperature="chilled" if coop % 3 == 0 else "ambient"
        )
        for farm in range(6)
        for coop in range(6)
        if rng.random() < 0.8
    ]
    return RoutingProblem(shipments=shipments, vehicles=[van(1, cold=True), van(2), van(3)])


def test_every_shipment_goes_to_the_hub_once_and_on_to_its_co_op_once() -> None:
    problem = network(1)
    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    via = plan_via_hub(problem, matrix, rows, HUB, BUDGET)
    assert via is not None
    assert via.plan.unserved == []
    inbound, outbound = via.legs[: via.collection_legs], via.legs[via.collection_legs :]
    assert {leg.coop_id for leg in inbound} == {HUB_ID}
    assert {leg.producer_id for leg in outbound} == {HUB_ID}
    collected = sorted(n for numbers in via.carries[: via.collection_legs] for n in numbers)
    delivered = sorted(n for numbers in via.carries[via.collection_legs :] for n in numbers)
    assert collected == delivered == list(range(len(problem.shipments)))
    for first, last, legs in (
        (0, via.collection_routes, inbound),
        (via.collection_routes, len(via.plan.routes), outbound),
    ):
        routes = via.plan.routes[first:last]
        offset = 0 if legs is inbound else via.collection_legs
        phase = RoutingProblem(
            shipments=legs,
            vehicles=list({v.id: v for v in via.vehicles[first:last]}.values()),
        )
        renumbered = [
            msgspec.structs.replace(
                r,
                stops=[
                    s
                    if s.shipment is None
                    else msgspec.structs.replace(s, shipment=s.shipment - offset)
                    for s in r.stops
                ],
            )
            for r in routes
        ]
        plan = RoutePlan(routes=renumbered, unserved=[], totals=via.plan.totals)
        assert (
            broken_rules(phase, great_circle(places_of(phase), road_factor=1.3, speed_kmh=60), plan)
            == []
        )
    for route in via.plan.routes[via.collection_routes :]:
        assert route.stops[1].arrival_s >= via.ready_s  # nothing leaves before all is in


def test_the_cheaper_plan_is_proposed_and_its_routes_carry_the_shares() -> None:
    problem = network(2)
    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    result = plan_routing(problem, matrix, rows=rows, hub=HUB, own_van=van(0), budget=BUDGET)
    assert result.hub is not None
    plans = {"joint": result.joint, "hub": result.hub.plan}
    best = min(plans, key=lambda name: (len(plans[name].unserved), plans[name].totals.cost_ore))
    assert result.proposed == best
    assert len(result.shares) == len(result.chosen.routes)
    for item in result.shares:
        route = result.chosen.routes[item.route]
        paid = sum(item.shares.coops.values()) + sum(item.shares.producers.values())
        assert paid + item.shares.unshared_ore == route.cost_ore
        assert all(item.shares.coops[c] <= item.standalone_ore[c] for c in item.shares.coops)
    coops = {s.coop_id for s in problem.shipments}
    assert {c for item in result.shares for c in item.shares.coops} == coops


def test_every_producer_whose_goods_ride_from_the_hub_pays_by_their_weight() -> None:
    """A delivery run from the hub carries each co-op's goods from many farms in one
    leg: the producers' part of its cost is split among all of them, not charged to
    whichever sorts first."""
    problem = network(3)
    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    via = plan_via_hub(problem, matrix, rows, HUB, BUDGET)
    assert via is not None
    shares = hub_shares(problem, matrix, rows, via, producer_share_permille=200)
    for item in shares[via.collection_routes :]:
        route = via.plan.routes[item.route]
        sent: dict[UUID, int] = defaultdict(int)
        for stop in route.stops:
            if stop.kind == "delivery" and stop.shipment is not None:
                for n in via.carries[stop.shipment]:
                    sent[problem.shipments[n].producer_id] += problem.shipments[n].grams
        assert len(sent) > 1
        assert set(item.shares.producers) == set(sent)
        part = route.cost_ore * 200 // 1000
        assert sum(item.shares.producers.values()) == part
        for producer, grams in sent.items():  # by weight, to the öre
            assert abs(item.shares.producers[producer] - part * grams / sum(sent.values())) < 1


def test_the_whole_stage_keeps_to_one_budget_and_reports_each_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every search of the stage (joint, both hub phases, each producer alone, each
    co-op's stand-alone cost) is capped by its part of ``budget.seconds``, so the caps
    add up to the stage's; and progress hears of each part in order."""
    problem = network(2)
    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    caps: list[float] = []

    def counted(problem: RoutingProblem, matrix: TravelMatrix, budget: Budget) -> RoutePlan:
        caps.append(budget.seconds)
        return solve(problem, matrix, budget)

    monkeypatch.setattr(plans, "solve", counted)
    monkeypatch.setattr(hub_module, "solve", counted)
    heard: list[tuple[str, int]] = []
    whole = Budget(iterations=200, seconds=20.0)
    plan_routing(
        problem,
        matrix,
        rows=rows,
        hub=HUB,
        own_van=van(0),
        budget=whole,
        progress=lambda part, percent: heard.append((part, percent)),
    )
    assert [part for part, _ in heard] == ["joint", "hub", "baseline", "shares"]
    assert [percent for _, percent in heard] == sorted(percent for _, percent in heard)
    assert len(caps) > 4
    assert sum(caps) <= whole.seconds + 1e-9


def test_both_searches_end_by_their_own_seconds_however_late_the_part_s_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A search's start stops at its deadline, not at its seconds: a late deadline (the
    part before ended early) would let the two starts run far past the hub's share."""
    problem = network(1)
    rows = [*places_of(problem), HUB]
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    deadlines: list[float] = []

    def solved(problem: RoutingProblem, matrix: TravelMatrix, budget: Budget) -> RoutePlan:
        assert budget.deadline is not None
        deadlines.append(budget.deadline)
        return solve(problem, matrix, budget)

    monkeypatch.setattr(hub_module, "solve", solved)
    budget = Budget(iterations=0, seconds=5)
    before = time.perf_counter()
    plan_via_hub(problem, matrix, rows, HUB, budget.until(before + 3600))
    assert len(deadlines) == 2
    assert max(deadlines) <= time.perf_counter() + 2 * budget.seconds
