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
from dataclasses import dataclass, replace
from typing import Any

import msgspec
import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import (
    FirstFeasible,
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    NoImprovement,
    StoppingCriterion,
)

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
FEASIBLE_PENALTY = PRIZE // 10  # ``_params``: a second late at most a tenth of a shipment left


@dataclass(frozen=True)
class Budget:
    """How long the solver searches: iterations make a seeded run repeatable; the time
    limit is a safety net (a run that hits it may differ between machines, and says so:
    ``RoutePlan.clock_capped``). ``deadline`` (``time.perf_counter``) is when the part of
    the routing stage the search belongs to must be done: a search ends by it whatever
    its seconds (``seconds_left``). ``ruin_seconds``: the nominal seconds that size the
    insertion start's ruin and recreate (``insertion.work``), when less than the search's
    (none: the search's). ``whole_start``: the start's first insertion is bounded by its
    work alone, not the clock (what carries the shipments; ruin and recreate still
    stops at the clock). ``patience``: a search also ends after this many
    iterations in a row that found no better plan (none: only its iterations end it);
    most of a run's searches settle long before their iterations are spent, and a
    search that ends by its work rather than the clock is the same on every machine."""

    iterations: int
    seconds: float
    seed: int = 1
    deadline: float | None = None
    patience: int | None = None
    ruin_seconds: float | None = None
    whole_start: bool = False

    @classmethod
    def for_size(cls, shipments: int, seed: int = 1, seconds: float | None = None) -> Budget:
        """Enough iterations for small networks to settle; ``seconds`` caps the whole
        routing stage of a run (``plans.plan_routing`` splits it among its parts):
        by default 30 s plus 1 s per 2 shipments, at most three minutes."""
        limit = seconds if seconds is not None else stage_seconds(shipments)
        return cls(iterations=1_000 + 20 * shipments, seconds=limit, seed=seed)

    def patient(self) -> Budget:
        """The same, ending also after a quarter of its iterations (at least
        ``PATIENCE_MIN``) in a row without a better plan."""
        return replace(self, patience=max(PATIENCE_MIN, self.iterations // PATIENCE_PART))

    def capped(self, seconds: float) -> Budget:
        """The same iterations, at most ``seconds`` of search."""
        return replace(self, seconds=max(MIN_SECONDS, min(self.seconds, seconds)))

    def until(self, deadline: float) -> Budget:
        """The same, ending by ``deadline`` (``time.perf_counter``) at the latest."""
        return replace(
            self, deadline=deadline if self.deadline is None else min(self.deadline, deadline)
        )

    def share(self, fraction: float) -> Budget:
        """Ending by ``fraction`` of the time left to the deadline (none: the same)."""
        if self.deadline is None:
            return self
        now = time.perf_counter()
        return self.until(now + fraction * max(0.0, self.deadline - now))

    def seconds_left(self) -> float:
        """The seconds a search begun now may take: its own, or up to its deadline."""
        if self.deadline is None:
            return self.seconds
        return max(0.0, min(self.seconds, self.deadline - time.perf_counter()))


MIN_SECONDS = 0.05  # a search gets at least this long, however thin its share
# ``Budget.patient``: on the bench's shapes (bench/shapes.py) the searches of the plan
# via the hub and of each producer alone mostly never improved on their start, and
# none did after a quarter of its iterations without one; the joint search did (on
# equal_windows from 7 routes to 5, after 600 iterations without), so it has none.
PATIENCE_PART, PATIENCE_MIN = 4, 250


def stage_seconds(shipments: int) -> float:
    """The default cap of a run's whole routing stage. A cap, not a length: a stage ends
    when its searches' iterations do. It is sized so that on a network of a hundred
    shipments the joint search's iterations (1,000 + 20 a shipment, 16 to 76 CPU s on
    the bench's shapes of 64 to 80 shipments) mostly end before the clock does, so the
    plan is the same on any machine; at 10 s plus 1 s per 8 shipments the clock cut
    every one of them short."""
    return min(180.0, 30 + shipments / 2)


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
    required, within 0.4 %), and cannot end worse than its start; with tries at a route
    fewer when a vehicle costs more than its route's driving (``_fewer_routes``). When
    it leaves a few (``FEW_LEFT``), half the budget still tries that (its penalties lead
    it through plans that break a window or a capacity, where it may find one that
    carries all); if it finds none, or the start leaves more, the other half makes
    shipments optional with a prize far above any route's cost, starting again from the
    start: whatever fits is carried, never fewer than the start; then ``_repair`` tries
    the shipments still left, one at a time, with half the seconds the first half left
    (a repair after the clock ended both halves had none, and on tight_cold left a
    shipment it carries with them), and the optional search goes on from there with
    whatever seconds the repair left (it stops at its first feasible plan). These three
    weigh lateness and overload up to far more than PyVRP's default cap (``_params``).
    On a large problem (``LARGE_SHIPMENTS``) a start that leaves some goes straight to
    the optional search, with all the time and the same higher cap: a required search's
    first local search would try to place them all at once, past any deadline. Whether
    the search follows at all is decided by work (``search_fits``); the start is bounded by
    its work (and, as a last resort, by the clock at half the seconds, three quarters on
    a large problem, all of them when no search follows); the search gets what is left
    of the seconds, its set-up
    counted; with no iterations, or no time left, there is no search and the start is
    the plan. Never fewer carried than by the start (``_no_fewer``).
    """
    began = time.perf_counter()
    seconds = budget.seconds_left()
    end = began + seconds  # the search's seconds or its part's deadline, the sooner
    # by work, the same everywhere: whether PyVRP's search follows the start at all, and
    # the start's work, from the nominal seconds (not what the clock leaves of them)
    searching = budget.iterations > 0 and search_fits(len(planned), budget.seconds)
    large = len(planned) > LARGE_SHIPMENTS
    # the start's part of the seconds: all of them with no search; on a large problem,
    # where ruin and recreate improves faster than PyVRP's cheaper settings, most
    share = 1.0 if not searching else LARGE_START_SHARE if large else 0.5
    checks = work(len(planned), budget.seconds)
    ruin = None if budget.ruin_seconds is None else work(len(planned), budget.ruin_seconds)
    # the clock is the start's last resort only, at its own part of the seconds: the first
    # insertion's and ruin and recreate's (not the part's deadline, which may be far)
    start_end = began + seconds * share
    first_end = None if budget.whole_start else start_end
    start, start_capped = start_routes(
        problem, matrix, index, planned, budget.seed, checks, first_end, start_end, ruin_checks=ruin
    )
    sketch = [(van, [_activity(pickup, k) for k, pickup in visits]) for van, visits in start]
    left = len(planned) - sum(len(visits) for _, visits in start) // 2  # by the start
    complete = left == 0
    # PyVRP's first local search would insert every shipment the start left, at once,
    # before the clock is looked at: on a large problem whatever fits is carried
    model = _model(problem, matrix, places, planned, required=complete or not large)
    if not searching:  # no search: the start is the plan
        return _solution(model, sketch), start_capped
    seconds = end - time.perf_counter()
    # PyVRP's set-up is not interrupted by the clock: it is not begun when its work would
    # not fit in half the time left (the clock's hard cap, and the run says so)
    if seconds < MIN_SECONDS or setup_seconds(len(planned)) > seconds / 2:
        return _solution(model, sketch), True
    if complete or large:
        whole = replace(budget, seconds=seconds, deadline=None)
        if complete and not large and _fewer_worth_trying(_solution(model, sketch)):
            best, capped = _fewer_routes(model, sketch, whole)
        else:
            # a large problem's start that leaves shipments: the optional search's
            # prize for them is worth the higher cap, as the smaller one's is
            best, capped = _run(model, sketch, whole, feasible_first=not complete)
        return _no_fewer(best, _solution(model, sketch)), capped or start_capped
    # half the seconds to the first half; what it leaves to the second, or shared by
    # the optional search and the repair: halves of the seconds left none for the
    # repair whenever the clock, not the iterations, ended them
    half = replace(budget, iterations=budget.iterations // 2, seconds=seconds / 2, deadline=None)
    if left <= max(1, len(planned) // FEW_LEFT):
        best, capped = _run(model, sketch, half)
    else:  # too many to place at once: the seconds go to the optional search and the repair
        best, capped = _solution(model, sketch), False
    if best.is_feasible():  # the other half improves on it
        better, capped_again = _run(model, _sketch(best), _until(half, end))
    else:
        optional = _model(problem, matrix, places, planned, required=False)
        better, capped_again = _run(
            optional, sketch, _until(half, end, parts=2), feasible_first=True
        )
        # half of what is left at most: its first feasible plans may add routes (on a
        # tight 400, 5 for 1 shipment), which the search after it takes out again
        # (``POLISH_PART``)
        repair_end = end - (end - time.perf_counter()) / POLISH_PART
        more, capped_repair = _repair(
            problem, matrix, places, planned, better, optional, budget, repair_end
        )
        if end - time.perf_counter() >= MIN_SECONDS:
            # the repair stops at its first feasible plan: what it leaves of the seconds
            # shortens the routes (on tight_cold 10 s were left)
            shorter, capped_polish = _run(
                optional, _sketch(more), _until(half, end), feasible_first=True
            )
            more = _no_fewer(shorter, more)
        else:  # the clock left it none: another machine may plan otherwise
            capped_polish = True
        better, capped_again = more, capped_again or capped_repair or capped_polish
    return _no_fewer(better, _solution(model, sketch)), capped or capped_again or start_capped


def _until(budget: Budget, end: float, parts: int = 1) -> Budget:
    """``budget`` with the seconds left until ``end`` (``time.perf_counter``), or its
    share of them when ``parts`` share them."""
    return replace(budget, seconds=max(end - time.perf_counter(), 0.0) / parts)


def search_fits(shipments: int, seconds: float) -> bool:
    """Whether PyVRP's search follows the insertion start, by work, not the clock: when
    its set-up (``setup_seconds``, not interrupted by the clock) would take more than
    ``SETUP_PART`` of the search's nominal seconds, there is too little left for it to
    improve on the start, which is then the plan (at 6,000 shipments: 14 s of set-up
    against at most 135 s). Up to ``LARGE_SHIPMENTS`` the set-up is a fraction of a
    second, and the search always follows."""
    return shipments <= LARGE_SHIPMENTS or setup_seconds(shipments) <= seconds / SETUP_PART


SETUP_PART = 10
# On 1,600 shipments at an eighth of a core, ruin and recreate for half of the joint
# plan's 108 s and PyVRP for the rest ended at 49,198 km; ruin and recreate for all of
# them at 42,045 km (docs/benchmarks.md). Its work still bounds it (``insertion.work``:
# half the seconds on a slow core); the clock only at this share of them.
LARGE_START_SHARE = 0.75


def _carried(solution: pyvrp.Solution) -> int:
    """The shipments a solution's feasible routes carry (``_read`` drops the others)."""
    return sum(len(r.schedule()) - 2 for r in solution.routes() if r.is_feasible()) // 2


def _no_fewer(best: pyvrp.Solution, start: pyvrp.Solution) -> pyvrp.Solution:
    """The search's plan, or its start if that carries more: a search cut short, or one
    whose best plan breaks a rule on some route, never carries fewer than it began with."""
    return start if _carried(start) > _carried(best) else best


# Every shipment required, from a start that leaves some, finds a plan carrying all
# only when it leaves few: on tight_cold (bench/shapes.py) it did from a start that left
# 1 of 80, and from starts leaving 1, 5 and 6 it did not; on a tight network of 400
# shipments (bench/routing_stage.py's with a van per 18) leaving 26 it found none in
# 240 s. Up to one in this many planned (at least one) it is tried first.
FEW_LEFT = 50
# The search after the repair has at least one in this many of the seconds the optional
# search left: with none, a tight network of 400 (bench/routing_stage.py's with a van
# per 18) ended with 22 left and 13,527 km (seed 1), with half 21 left and 12,926 km.
POLISH_PART = 2
REPAIR_SHARE = 2  # the repair's share of the iterations, beside the two halves


def _repair(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    places: list[Place],
    planned: list[int],
    best: pyvrp.Solution,
    optional: pyvrp.ProblemData,
    budget: Budget,
    end: float,
) -> tuple[pyvrp.Solution, bool]:
    """``best`` (in ``optional``) with as many of the shipments it leaves as fit, one at
    a time: the shipments it carries and one more made required, that one placed by a
    local search that weighs lateness and overload at their highest (PyVRP's penalties
    with ``_params``' ``feasible_first`` cap: with PyVRP's own, the repair left 4 of
    tight_cold's 80 shipments, and now carries them), then PyVRP's
    search until its first feasible plan. From an incomplete start PyVRP's search
    returns to it each iteration (the shipments it misses cost nothing in the penalised
    cost it accepts by); from a complete one it works its way to a feasible plan, and on
    tight_cold carried a shipment more after 700 iterations. Bounded by half the
    iterations, each shipment taking what the ones before it left, and by ``end``
    (``time.perf_counter``)."""
    carried = {a.idx for route in best.routes() for a in route.schedule()[1:-1]}
    missing = [k for k in range(len(planned)) if k not in carried]
    iterations = budget.iterations // REPAIR_SHARE
    if not missing or iterations == 0:
        return best, False
    routes = [
        (route.vehicle_type(), [(a.is_pickup(), a.idx) for a in route.schedule()[1:-1]])
        for route in best.routes()
    ]
    capped, added = False, False
    params = _params(optional, feasible_first=True)
    for k in missing:
        if iterations <= 0:
            break
        seconds = end - time.perf_counter()
        if seconds < MIN_SECONDS:
            capped = True
            break
        subset = sorted([*carried, k])
        position = {old: new for new, old in enumerate(subset)}
        data = _model(problem, matrix, places, [planned[i] for i in subset], required=True)
        search, penalties = _local_search(
            data, params, pyvrp.search.compute_neighbours(data, params.neighbourhood), budget.seed
        )
        sketch = [
            (van, [_activity(pickup, position[i]) for pickup, i in visits])
            for van, visits in routes
        ]
        start = search(_solution(data, sketch), penalties.max_cost_evaluator(), exhaustive=True)
        result, stopped = _first_feasible(data, penalties, search, start, iterations, seconds)
        capped = capped or stopped
        iterations -= result.num_iterations
        if not result.best.is_feasible():
            continue
        carried.add(k)
        added = True
        routes = [
            (route.vehicle_type(), [(a.is_pickup(), subset[a.idx]) for a in route.schedule()[1:-1]])
            for route in result.best.routes()
        ]
    if not added:
        return best, capped
    back = [(van, [_activity(pickup, i) for pickup, i in visits]) for van, visits in routes]
    return _solution(optional, back), capped


# A route as its vehicle type and its pickups and deliveries in order, shipments
# numbered as PyVRP numbers them: by their position in ``planned``.
_Sketch = tuple[int, list[pyvrp.Activity]]


def _sketch(solution: pyvrp.Solution) -> list[_Sketch]:
    return _sketch_routes(solution.routes())


def _sketch_routes(routes: list[pyvrp.Route]) -> list[_Sketch]:
    return [
        (route.vehicle_type(), [_activity(a.is_pickup(), a.idx) for a in route.schedule()[1:-1]])
        for route in routes
    ]


NEIGHBOUR_PAIRS_PER_SECOND = 10_000_000  # PyVRP's neighbourhoods, on a slow core


def setup_seconds(shipments: int) -> float:
    """About how long PyVRP takes on a slow core to set up a search (its neighbourhoods
    weigh every two pickups and deliveries): nothing below a thousand shipments, a
    second at 1,600, fourteen at 6,000."""
    return (2 * shipments) ** 2 / NEIGHBOUR_PAIRS_PER_SECOND


def _solution(data: pyvrp.ProblemData, start: list[_Sketch]) -> pyvrp.Solution:
    return pyvrp.Solution(
        data,
        [pyvrp.Route(data, activities, vehicle_type) for vehicle_type, activities in start],
    )


# A search over more shipments than this takes PyVRP's cheaper settings: one local search
# over thousands of stops runs for tens of seconds and the clock is looked at only
# between them, so each is kept short (``_params``).
LARGE_SHIPMENTS = 600


def _params(data: pyvrp.ProblemData, *, feasible_first: bool = False) -> pyvrp.SolveParams:
    """PyVRP's defaults; on a large problem, no exhaustive local search of each new best
    (over every stop) and each stop's 20 nearest as its neighbourhood instead of 50:
    an iteration then looks at the few routes a perturbation touched.

    ``feasible_first``: penalties for lateness and overload that may rise to
    ``FEASIBLE_PENALTY`` a unit, for the searches after a start that left shipments
    (``_search``'s optional search, ``_repair`` and what follows it). PyVRP caps them
    at 100,000 by default: 100 öre a second late in this objective, where a kilometre
    costs hundreds of thousands, so even at their highest a search may trade seconds
    late for kilometres and stay among infeasible plans. On tight_cold
    (bench/shapes.py), PyVRP alone found no plan carrying all 80 shipments in 30 s on
    seeds 1-3 with the default cap, and one on each with this one; the engine, which
    left 4 of them on seed 1, carries all 80."""
    cap = FEASIBLE_PENALTY if feasible_first else pyvrp.PenaltyParams().max_penalty
    penalty = pyvrp.PenaltyParams(max_penalty=cap)
    if data.num_clients + data.num_shipments <= LARGE_SHIPMENTS:
        return pyvrp.SolveParams(penalty=penalty)
    return pyvrp.SolveParams(
        ils=pyvrp.IteratedLocalSearchParams(exhaustive_on_best=False),
        neighbourhood=pyvrp.search.NeighbourhoodParams(num_neighbours=20),
        penalty=penalty,
    )


def _run(
    data: pyvrp.ProblemData, start: list[_Sketch], budget: Budget, *, feasible_first: bool = False
) -> tuple[pyvrp.Solution, bool]:
    with warnings.catch_warnings():
        # "struggles to find a feasible solution": we keep only feasible routes and
        # report what they leave, which says more than the warning
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        clock = _Clock(budget.seconds)
        # the work's criteria first: each counts every iteration; the clock is looked at
        # only while they go on, so it has stopped the search only if it said so
        criteria: list[StoppingCriterion] = [MaxIterations(budget.iterations)]
        if budget.patience is not None:
            criteria.append(NoImprovement(budget.patience))
        result = pyvrp.solve(
            data,
            stop=MultipleCriteria([*criteria, clock]),
            seed=budget.seed,
            display=False,
            collect_stats=False,
            params=_params(data, feasible_first=feasible_first),
            initial_solution=_solution(data, start),
        )
    return result.best, clock.stopped


def _first_feasible(
    data: pyvrp.ProblemData,
    penalties: pyvrp.PenaltyManager,
    search: pyvrp.search.LocalSearch,
    start: pyvrp.Solution,
    iterations: int,
    seconds: float,
) -> tuple[pyvrp.Result, bool]:
    """PyVRP's search from ``start`` until its first feasible plan, at most
    ``iterations`` and ``seconds``; and whether the clock ended it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        clock = _Clock(seconds)
        ils = pyvrp.IteratedLocalSearch(data, penalties, search, start, _params(data).ils)
        result = ils.run(
            MultipleCriteria([FirstFeasible(), MaxIterations(iterations), clock]),
            collect_stats=False,
        )
    return result, clock.stopped


class _Clock:
    """PyVRP's ``MaxRuntime``, its seconds counted from now (PyVRP's set-up, the
    neighbourhoods, too), remembering whether it stopped the search."""

    def __init__(self, seconds: float) -> None:
        self._runtime = MaxRuntime(seconds)
        self._runtime(0)
        self.stopped = False

    def __call__(self, best_cost: int) -> bool:
        self.stopped = self._runtime(best_cost)
        return self.stopped


def _spare(route: pyvrp.Route) -> bool:
    """Whether a plan without ``route`` may well cost less: when its vehicle costs more
    to send out than all the route's driving and hours, its shipments may take as much
    again as detours on other routes and the plan still costs less (Li & Lim's
    objective, vehicles first; seldom Samlast's vans)."""
    return route.fixed_vehicle_cost() > route.distance_cost() + route.duration_cost()


def _fewer_worth_trying(solution: pyvrp.Solution) -> bool:
    routes = solution.routes()
    return solution.is_feasible() and len(routes) > 1 and any(_spare(r) for r in routes)


FIRST_SHARE = 4  # the first search's share of the work; the tries get half the rest
TRIES = 3  # routes tried away a round, the likeliest first; each with a third of what is left


def _fewer_routes(
    data: pyvrp.ProblemData, start: list[_Sketch], budget: Budget
) -> tuple[pyvrp.Solution, bool]:
    """PyVRP's search, with tries at a route fewer in between (as PyVRP's
    ``minimise_fleet``): after a quarter of the work, the plan without one route
    (``_without_one``) is searched until its first feasible plan, kept if it costs
    less; then the next route. A round ends at the first route that goes; when none of
    its tries does, or half the rest of the work is spent, the tries end, and what is
    left improves the best plan. Each part is bounded by iterations (and its share of
    the seconds)."""
    began = time.perf_counter()

    def left() -> float:
        return max(0.0, budget.seconds - (time.perf_counter() - began))

    first = replace(
        budget,
        iterations=max(1, budget.iterations // FIRST_SHARE),
        seconds=budget.seconds / FIRST_SHARE,
    )
    best, capped = _run(data, start, first)
    iterations = budget.iterations - first.iterations
    tries_iterations = iterations // 2
    tries_end = time.perf_counter() + left() / 2
    while tries_iterations > 0 and _fewer_worth_trying(best):
        fewer, used, clock = _one_fewer(data, best, tries_iterations, tries_end, budget.seed)
        tries_iterations -= used
        iterations -= used
        capped = capped or clock
        if fewer is None:
            break
        best = fewer
    if iterations <= 0:
        return best, capped
    if left() < MIN_SECONDS:
        return best, True
    better, capped_again = _run(
        data, _sketch(best), replace(budget, iterations=iterations, seconds=left())
    )
    return better, capped or capped_again


def _one_fewer(
    data: pyvrp.ProblemData, best: pyvrp.Solution, iterations: int, end: float, seed: int
) -> tuple[pyvrp.Solution | None, int, bool]:
    """A feasible plan with a route fewer that costs less than ``best``, from the first
    of the likeliest ``TRIES`` routes to go that does, each try with a third of the
    iterations and of the seconds to ``end`` left; None if none did. Also the iterations
    spent and whether the clock ended a try."""
    evaluate = pyvrp.CostEvaluator([0] * data.num_load_dimensions, 0, 0)
    spent, capped = 0, False
    for attempt in _without_one(data, best, seed)[:TRIES]:
        seconds = (end - time.perf_counter()) / TRIES
        if spent >= iterations:
            break
        if seconds < MIN_SECONDS:
            return None, spent, True
        found, used, clock = attempt.run(
            Budget(max(1, (iterations - spent) // TRIES), seconds, seed)
        )
        spent += used
        capped = capped or clock
        if found is not None and evaluate.cost(found) < evaluate.cost(best):
            return found, spent, capped
    return None, spent, capped


@dataclass(frozen=True)
class _Fewer:
    """``data`` with the vehicles of a plan's routes but one, and a start without that
    route: its shipments placed by a local search that weighs lateness and overload at
    their highest, so the start is complete, feasible or not. (From an incomplete start
    PyVRP's search returns to it each iteration: the shipments it misses cost nothing
    in the penalised cost it accepts by.)"""

    data: pyvrp.ProblemData
    fewer: pyvrp.ProblemData
    types: list[int]  # each of ``fewer``'s vehicle types as one of ``data``'s
    search: pyvrp.search.LocalSearch
    penalties: pyvrp.PenaltyManager
    start: pyvrp.Solution

    def run(self, budget: Budget) -> tuple[pyvrp.Solution | None, int, bool]:
        """The first feasible plan found (in ``data``'s vehicle types), None if none
        was, the iterations spent, and whether the clock ended the search."""
        result, stopped = _first_feasible(
            self.fewer, self.penalties, self.search, self.start, budget.iterations, budget.seconds
        )
        found = result.best
        if not found.is_feasible():
            return None, result.num_iterations, stopped
        back = [(self.types[t], activities) for t, activities in _sketch(found)]
        return _solution(self.data, back), result.num_iterations, False


def _without_one(data: pyvrp.ProblemData, best: pyvrp.Solution, seed: int) -> list[_Fewer]:
    """``best`` without each of its spare routes (``_spare``), the likeliest to go
    first: those whose start breaks its windows and capacities least."""
    routes = best.routes()
    params = _params(data)
    neighbours = pyvrp.search.compute_neighbours(data, params.neighbourhood)
    ranked: list[tuple[int, int, _Fewer]] = []
    for n, route in enumerate(routes):
        if not _spare(route):
            continue
        kept = routes[:n] + routes[n + 1 :]
        types = [r.vehicle_type() for r in kept]
        fewer = data.replace(vehicle_types=[data.vehicle_type(t) for t in types])
        search, penalties = _local_search(fewer, params, neighbours, seed)
        sketch = [(k, activities) for k, (_, activities) in enumerate(_sketch_routes(kept))]
        worst = penalties.max_cost_evaluator()
        start = search(_solution(fewer, sketch), worst, exhaustive=True)
        ranked.append(
            (worst.penalised_cost(start), n, _Fewer(data, fewer, types, search, penalties, start))
        )
    ranked.sort(key=lambda item: item[:2])
    return [attempt for _, _, attempt in ranked]


def _local_search(
    data: pyvrp.ProblemData,
    params: pyvrp.SolveParams,
    neighbours: dict[pyvrp.Activity, list[pyvrp.Activity]],
    seed: int,
) -> tuple[pyvrp.search.LocalSearch, pyvrp.PenaltyManager]:
    """PyVRP's local search and penalties, as ``pyvrp.solve`` makes them."""
    search = pyvrp.search.LocalSearch(
        data,
        pyvrp.RandomNumberGenerator(seed=seed),
        neighbours,
        pyvrp.search.PerturbationManager(params.perturbation),
    )
    for operator in params.operators:
        if operator.supports(data):
            search.add_operator(operator(data))
    return search, pyvrp.PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)


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
) -> pyvrp.ProblemData:
    shipments = [problem.shipments[number] for number in planned]
    volume = any(shipment.ml for shipment in shipments)
    cold = any(s.cold for s in shipments) and not all(v.cold_capable for v in problem.vehicles)

    def load(grams: int, ml: int, cold_grams: int) -> list[int]:
        """Only the dimensions that constrain something: each one slows the search."""
        return [grams, *([ml] if volume else []), *([cold_grams] if cold else [])]

    model = pyvrp.Model()
    # Vans start and end at locations of their own, beside the stops' locations at the
    # same places: the drive to a van's end then takes no setup (``_with_travel``).
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
    return _with_travel(model.data(), matrix, problem.stop_setup_s, [index[p] for p in ends])


def _depot_places(problem: RoutingProblem) -> set[Place]:
    return {place for vehicle in problem.vehicles for place in (vehicle.start, vehicle.end)}


def _with_travel(
    data: pyvrp.ProblemData, matrix: TravelMatrix, setup_s: int, ends: list[int]
) -> pyvrp.ProblemData:
    """``data`` with its distances and durations: the model's locations are the vans'
    end places (``ends``, by their row in ``matrix``), then every place in ``matrix``'s
    order. Driving times, and the setup of a stop at a new place: PyVRP's service times
    belong to a visit, not to a change of place, so the setup rides on the drive to a
    stop (``_read`` takes it back out of the arrival). Driving to a van's end takes
    none, nor does a stop at the place just left. Built as whole matrices in numpy: a
    problem of a thousand places has a million edges."""
    rows = np.array([*ends, *range(len(matrix.metres))], np.intp)
    metres = np.array(matrix.metres, np.int64).reshape(-1, len(matrix.metres))
    seconds = np.array(matrix.seconds, np.int64).reshape(-1, len(matrix.metres))
    distance = metres[rows[:, None], rows[None, :]]
    duration = seconds[rows[:, None], rows[None, :]]
    to_stop = np.arange(len(rows)) >= len(ends)  # a location of stops, not a van's end
    moves = rows[:, None] != rows[None, :]
    duration += setup_s * (moves & to_stop[None, :])
    # PyVRP's stubs name a 1-d array type; it takes these square int64 arrays
    distances: list[Any] = [distance]
    durations: list[Any] = [duration]
    return data.replace(distance_matrices=distances, duration_matrices=durations)


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
