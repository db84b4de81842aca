"""Routes from the solver: always feasible by an independent check, cold goods only in
cold vans, the impossible left with a reason, the same plan for the same seed."""

from __future__ import annotations

import random
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
import pyvrp
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.shapes import equal_windows, tight_cold
from services.matcher.engine.routing import solver
from services.matcher.engine.routing.model import (
    RoutePlan,
    RoutingProblem,
    Window,
)
from services.matcher.engine.routing.solver import Budget, solve
from services.matcher.engine.routing.travel import TravelMatrix, great_circle, places_of
from tests.support.routing import HOUR, shipment, van
from tests.unit.routing.checker import broken_rules

QUICK = Budget(iterations=400, seconds=600)  # the iterations end every search


def plan(problem: RoutingProblem, budget: Budget = QUICK) -> tuple[TravelMatrix, RoutePlan]:
    matrix = great_circle(places_of(problem), road_factor=1.3, speed_kmh=60)
    result = solve(problem, matrix, budget)
    assert broken_rules(problem, matrix, result) == []
    return matrix, result


def test_pooled_shipments_share_a_van_and_cold_goods_ride_in_the_cold_one() -> None:
    rng = random.Random(1)
    shipments = [
        shipment(rng, farm, coop, temperature="chilled" if farm == 0 else "ambient")
        for farm in range(3)
        for coop in range(4)
    ]
    problem = RoutingProblem(shipments=shipments, vehicles=[van(1), van(2, cold=True)])
    _, result = plan(problem)
    assert result.unserved == []
    assert result.totals.routes <= 2
    for route in result.routes:
        cold = any(
            problem.shipments[s.shipment].cold for s in route.stops if s.shipment is not None
        )
        assert not cold or route.vehicle_id == van(2).id


def test_what_no_vehicle_can_carry_is_left_with_its_reason() -> None:
    rng = random.Random(2)
    problem = RoutingProblem(
        shipments=[
            shipment(rng, 0, 0),
            shipment(rng, 0, 1, grams=2_000_000),
            shipment(rng, 1, 0, temperature="frozen"),
            shipment(rng, 1, 1, delivery_window=Window(opens_s=6 * HOUR, closes_s=6 * HOUR + 60)),
        ],
        vehicles=[van(1)],
    )
    _, result = plan(problem)
    assert [(left.shipment, left.reason) for left in result.unserved] == [
        (1, "too_heavy"),
        (2, "no_cold_vehicle"),
        (3, "windows"),
    ]
    assert [s.shipment for s in result.routes[0].stops if s.kind == "delivery"] == [0]


def test_no_van_ever_carries_more_than_it_holds() -> None:
    rng = random.Random(3)
    shipments = [shipment(rng, farm, farm, grams=300_000) for farm in range(4)]
    problem = RoutingProblem(shipments=shipments, vehicles=[van(1, grams=650_000), van(2)])
    _, result = plan(problem)
    assert result.unserved == []
    for route in result.routes:
        most = max(stop.load_grams for stop in route.stops)
        assert most <= (650_000 if route.vehicle_id == van(1).id else 800_000)


def test_one_farm_delivering_to_many_co_ops_is_planned_whole() -> None:
    """The hard shape: one pickup place, many drops (see docs/architecture.md)."""
    rng = random.Random(4)
    shipments = [shipment(rng, 0, coop, grams=20_000) for coop in range(25)]
    problem = RoutingProblem(shipments=shipments, vehicles=[van(1), van(2), van(3)])
    _, result = plan(problem)
    assert result.unserved == []


def test_the_same_seed_gives_the_same_plan() -> None:
    rng = random.Random(5)
    shipments = [shipment(rng, farm, coop) for farm in range(4) for coop in range(3)]
    problem = RoutingProblem(shipments=shipments, vehicles=[van(1), van(2, cold=True)])
    assert plan(problem)[1] == plan(problem)[1]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 12), st.integers(1, 3))
def test_every_plan_is_feasible(seed: int, count: int, vans: int) -> None:
    rng = random.Random(seed)
    shipments = [
        shipment(
            rng,
            rng.randrange(4),
            rng.randrange(6),
            temperature=rng.choice(["ambient", "ambient", "chilled"]),
            grams=rng.randint(1_000, 400_000),
        )
        for _ in range(count)
    ]
    vehicles = [
        van(n, cold=rng.random() < 0.5, grams=rng.randint(200_000, 900_000)) for n in range(vans)
    ]
    plan(RoutingProblem(shipments=shipments, vehicles=vehicles))


def test_a_plan_says_when_the_clock_stopped_the_search() -> None:
    """Iterations make a plan repeatable; a plan the time cap cut short may differ on
    another machine, and says so."""
    rng = random.Random(6)
    shipments = [shipment(rng, farm, coop) for farm in range(3) for coop in range(3)]
    problem = RoutingProblem(shipments=shipments, vehicles=[van(1), van(2)])
    assert not plan(problem, Budget(iterations=50, seconds=600))[1].clock_capped
    assert plan(problem, Budget(iterations=10**9, seconds=0))[1].clock_capped


def test_every_shipment_the_fleet_can_carry_is_carried() -> None:
    """Issue 18, point 5: farms all handing over 6-10 and co-ops all receiving 10-14,
    4 vans for 30 shipments. The search starts from whole shipments inserted where
    they cost least, which carries them all; the collect-then-deliver start it had
    before left 8 of them as no_room in this budget, each of which a van could carry
    alone."""
    full = equal_windows(1).problem
    problem = RoutingProblem(shipments=full.shipments[::2][:30], vehicles=full.vehicles[:4])
    _, result = plan(problem, Budget(iterations=100, seconds=30))
    assert not result.clock_capped
    assert result.unserved == []
    assert result.totals.routes <= 4


def test_a_tight_cold_fleet_carries_every_shipment() -> None:
    """Issue 18, point 5: tight_cold's 80 shipments, half of them cold, on 5 vans whose
    2 cold ones have a tenth more room than the cold load. The start leaves some; with
    PyVRP's default cap on its penalties for lateness (100 öre a second here, against
    hundreds of thousands a kilometre) the searches after it stayed among late plans
    and 5 shipments were left as no_room here (4 with 2,600 iterations), each of which a
    van could carry alone. The iterations end every search here, so the plan is the
    same on any machine."""
    _, result = plan(tight_cold(1).problem, Budget(iterations=800, seconds=600))
    assert not result.clock_capped
    assert result.unserved == []


@pytest.mark.parametrize(("few_left", "repair_seconds"), [(1, 7.5), (solver.FEW_LEFT, 15)])
def test_the_repair_has_seconds_when_the_clock_ended_both_halves(
    monkeypatch: pytest.MonkeyPatch, few_left: int, repair_seconds: float
) -> None:
    """Issue 18, point 5: on tight_cold the start leaves shipments, so a half searches
    with all of them required, the other half with them optional, and the repair then
    tries those still left one at a time. When the clock, not the iterations, ended
    both halves, halves of the seconds left the repair none, and with the clock on
    the bench's tight_cold left a shipment more than with it off. Here every search
    takes all its seconds (a clock of the test's own); the repair still gets some.
    With ``FEW_LEFT`` 1 every start that leaves some has the required half first; by
    default, one that leaves 5 of 80 does not, and the optional search and the repair
    share all the seconds. The repair has half of what the optional search left, the
    search after it the rest (``POLISH_PART``)."""
    problem = tight_cold(1).problem
    monkeypatch.setattr(solver, "FEW_LEFT", few_left)
    now = [0.0]
    monkeypatch.setattr(solver, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    real_run, real_repair = solver._run, solver._repair

    def clock_ends_it(
        data: pyvrp.ProblemData, start: list[solver._Sketch], budget: Budget, **how: bool
    ) -> tuple[pyvrp.Solution, bool]:
        best, _ = real_run(data, start, replace(budget, iterations=20), **how)
        now[0] += budget.seconds
        return best, True

    left_for_repair: list[float] = []

    def repair(*args: Any) -> tuple[pyvrp.Solution, bool]:
        left_for_repair.append(args[-1] - now[0])  # its ``end``, on the test's clock
        return real_repair(*args)

    monkeypatch.setattr(solver, "_run", clock_ends_it)
    monkeypatch.setattr(solver, "_repair", repair)
    _, result = plan(problem, Budget(iterations=40, seconds=60))
    assert result.clock_capped
    assert len(left_for_repair) == 1
    # an eighth: half of half of what the first half left; a quarter with no first half
    assert left_for_repair[0] == pytest.approx(repair_seconds)
