"""The routing stage of a run: the plans, the baseline they are compared with, and
who pays for each route.

- joint: the network's vehicles carry every shipment they can, farm to co-op
  (``solver.solve``);
- hub: when the network has a hub, collection runs to it and delivery runs from it
  within its opening hours of the day (``hub.plan_via_hub``); the plan that carries
  more, then costs less, is proposed and the other's figures are kept for comparison;
  a hub closed all day plans nothing (``hub_closed``);
- baseline: every producer delivers its own shipments alone, in one round trip from
  its farm in its own van, visiting its co-ops in the best order (same solver); only
  the shipments the proposed plan carries, so savings compare like for like (the
  rules in ``alone``);
- cost shares: each proposed route's cost split by the co-ops whose goods it carries,
  in proportion to their stand-alone costs: what that route's van would cost doing
  the same work for that co-op alone.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar
from uuid import UUID

import msgspec

from services.matcher.engine.routing.alone import (
    alone_by_producer,
    extra_trips,
    hired_vans,
    producer_van,
)
from services.matcher.engine.routing.hub import HubPlan, intake, plan_via_hub
from services.matcher.engine.routing.model import (
    Place,
    Route,
    RoutePlan,
    RoutingProblem,
    Shipment,
    Totals,
    Vehicle,
    Window,
)
from services.matcher.engine.routing.shares import CostShares, share_route_cost
from services.matcher.engine.routing.solver import (
    MIN_SECONDS,
    Budget,
    renumbered,
    solve,
    totals,
)
from services.matcher.engine.routing.travel import TravelMatrix, places_of, submatrix

STANDALONE_BUDGET = Budget(iterations=100, seconds=1)  # one co-op's few legs
PlanName = Literal["joint", "hub"]
Progress = Callable[[str, int], None]  # a part of the stage begun, the percent of its time gone

# The share of the routing stage's seconds each part may take at most; iterations
# decide how long each searches, these only cap it. Without a hub, the joint plan
# takes the hub's share too. The joint plan is most of the carriage: on 6,000
# shipments its insertion start alone needs about 9 CPU s, and half of a 90 s share
# (its last resort by the clock) was too little on a fifth of a core.
JOINT_SHARE, HUB_SHARE, BASELINE_SHARE, SHARES_SHARE = 0.60, 0.15, 0.15, 0.10
# The stand-alone costs end this much of the stage before its deadline: the search under
# way when they do, the savings and what the run stores after them take that long.
END_MARGIN = 0.01


class RouteShares(msgspec.Struct, frozen=True, kw_only=True):
    route: int  # index into the proposed plan's routes
    standalone_ore: dict[UUID, int]
    shares: CostShares
    clock_capped: bool = False  # a stand-alone search stopped at its time cap


class Savings(msgspec.Struct, frozen=True, kw_only=True):
    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int


class Routing(msgspec.Struct, frozen=True, kw_only=True):
    shipments: list[Shipment]
    proposed: PlanName
    joint: RoutePlan
    hub: HubPlan | None
    baseline: RoutePlan
    own_vans: list[Vehicle]  # the baseline's vehicles, one per producer
    shares: list[RouteShares]  # for the proposed plan's routes
    savings: Savings  # the proposed plan against the baseline
    hub_closed: bool = False  # the network's hub is closed on the day: no plan via it

    @property
    def chosen(self) -> RoutePlan:
        return self.hub.plan if self.proposed == "hub" and self.hub else self.joint

    @property
    def clock_capped(self) -> bool:
        """Some search stopped at its time cap rather than its iterations: the same
        network may be planned otherwise on another machine or under another load."""
        plans = [self.joint, self.baseline, *([self.hub.plan] if self.hub else [])]
        return any(plan.clock_capped for plan in plans) or any(s.clock_capped for s in self.shares)


class Carriage(msgspec.Struct, frozen=True, kw_only=True):
    """The plans that carry the shipments, before the baseline and the cost shares:
    what a second allocation pass is judged by (``realised``)."""

    shipments: list[Shipment]
    proposed: PlanName
    joint: RoutePlan
    hub: HubPlan | None
    hub_closed: bool = False  # the network's hub is closed on the day: no plan via it

    @property
    def chosen(self) -> RoutePlan:
        return self.hub.plan if self.proposed == "hub" and self.hub else self.joint


def plan_routing(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    *,
    own_van: Vehicle,
    rows: Sequence[Place] | None = None,
    hub: Place | None = None,
    hub_hours: Sequence[Window] | None = None,
    producer_share_permille: int = 0,
    budget: Budget | None = None,
    progress: Progress | None = None,
    pool: Executor | None = None,
) -> Routing:
    """``matrix`` covers ``rows`` (default ``places_of(problem)``; with a hub, the hub
    too); ``hub_hours`` are the hub's openings of the day (None: it keeps no hours);
    ``own_van`` is what a producer drives in the baseline (its id, start and end
    are replaced per producer). ``budget.seconds`` caps the whole stage, split among
    its parts; ``progress`` hears of each part as it begins, with the percent done.

    ``pool``: other processes the stage's independent parts may search in meanwhile
    (the plan via the hub beside the joint plan, producers' baselines beside each
    other). Each part searches by its own iterations and the same nominal seconds
    (which size its work) wherever it runs, so the plans are the same with a pool of
    any size or none; only the deadlines are later, as the parts no longer wait for
    each other (``Routing.clock_capped`` says when the clock bit)."""
    budget = _staged(budget or Budget.for_size(len(problem.shipments)))
    carriage = plan_carriage(
        problem,
        matrix,
        rows=rows,
        hub=hub,
        hub_hours=hub_hours,
        budget=budget,
        progress=progress,
        pool=pool,
    )
    return finish_routing(
        problem,
        matrix,
        carriage,
        own_van=own_van,
        rows=rows,
        producer_share_permille=producer_share_permille,
        budget=budget,
        progress=progress,
        pool=pool,
    )


CARRIAGE_SHARE = JOINT_SHARE + HUB_SHARE  # of the stage's seconds: the joint and hub plans


def plan_carriage(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    *,
    rows: Sequence[Place] | None = None,
    hub: Place | None = None,
    hub_hours: Sequence[Window] | None = None,
    budget: Budget | None = None,
    progress: Progress | None = None,
    pool: Executor | None = None,
) -> Carriage:
    """The joint plan and, with a hub open on the day, the plan via the hub; the one
    that carries more, then costs less, proposed. They take ``CARRIAGE_SHARE`` of the
    stage: one after the other, or, with a ``pool``, the plan via the hub in another
    process while the joint plan searches here, which may then take until the share's
    end (its work is the same: the nominal seconds do not change)."""
    rows = list(rows) if rows is not None else places_of(problem)
    budget = _staged(budget or Budget.for_size(len(problem.shipments)))
    report = progress or _quiet
    whole = budget.seconds
    closed = hub is not None and intake(hub_hours) is None
    if closed:
        hub = None
    joint_share = JOINT_SHARE + (0 if hub else HUB_SHARE)
    # the carriage ends where the baseline's and the shares' part of the stage begins
    assert budget.deadline is not None
    carriage = budget.until(budget.deadline - whole * (1 - CARRIAGE_SHARE))
    # two searches: collection, then delivery
    hub_budget = carriage.capped(whole * HUB_SHARE / 2).patient()
    meanwhile = None
    if hub and pool is not None:
        meanwhile = pool.submit(plan_via_hub, problem, matrix, rows, hub, hub_budget, hub_hours)
    # the nominal seconds size the work (``insertion.work``, ``solver.search_fits``), so
    # they are the same with a pool or without: only the deadline moves, to the
    # carriage's end, when the plan via the hub no longer waits for this one
    until = 1.0 if meanwhile is not None else joint_share / CARRIAGE_SHARE
    report("joint", stage_percent(budget))
    joint = solve(
        problem,
        submatrix(matrix, rows, places_of(problem)),
        carriage.capped(whole * joint_share).share(until),
    )
    via_hub = None
    if hub:
        report("hub", stage_percent(budget))
        # here after all when the pool, busy with other runs, has not begun it
        if meanwhile is None or meanwhile.cancel():
            via_hub = plan_via_hub(problem, matrix, rows, hub, hub_budget, hub_hours)
        else:
            via_hub = meanwhile.result()
    proposed: PlanName = "joint"
    if via_hub and _better(via_hub.plan, joint):
        proposed = "hub"
    return Carriage(
        shipments=problem.shipments,
        proposed=proposed,
        joint=joint,
        hub=via_hub,
        hub_closed=closed,
    )


def finish_routing(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    carriage: Carriage,
    *,
    own_van: Vehicle,
    rows: Sequence[Place] | None = None,
    producer_share_permille: int = 0,
    budget: Budget | None = None,
    progress: Progress | None = None,
    pool: Executor | None = None,
) -> Routing:
    """The baseline and the cost shares of ``carriage``'s proposed plan, in the rest
    of the stage's seconds; producers' baselines side by side in ``pool``'s processes."""
    rows = list(rows) if rows is not None else places_of(problem)
    budget = _staged(budget or Budget.for_size(len(problem.shipments)))
    report = progress or _quiet
    whole = budget.seconds
    joint, via_hub, proposed = carriage.joint, carriage.hub, carriage.proposed
    chosen = carriage.chosen
    by_producer = alone_by_producer(problem.shipments, chosen.unserved)
    report("baseline", stage_percent(budget))
    baseline, vans = plan_baseline(
        problem,
        matrix,
        rows,
        own_van,
        budget.capped(whole * BASELINE_SHARE).share(BASELINE_SHARE / (1 - CARRIAGE_SHARE)),
        by_producer,
        pool,
    )
    report("shares", stage_percent(budget))
    # until the stage's deadline, less a margin for the last search begun and the rest
    assert budget.deadline is not None
    per_route = budget.capped(whole * SHARES_SHARE).until(budget.deadline - whole * END_MARGIN)
    if via_hub and proposed == "hub":
        shares = hub_shares(problem, matrix, rows, via_hub, producer_share_permille, per_route)
    else:
        shares = []
        works = [_direct_parts(problem.shipments, route) for route in joint.routes]
        alone = _Standalone.of(per_route, sum(len(parts) for parts in works))
        for number, (route, parts) in enumerate(zip(joint.routes, works, strict=True)):
            sent = _weights(s for shipments in parts.values() for s in shipments)
            shares.append(
                _share(
                    problem,
                    matrix,
                    rows,
                    number,
                    route,
                    parts,
                    sent,
                    producer_share_permille,
                    alone,
                )
            )
    return Routing(
        shipments=problem.shipments,
        proposed=proposed,
        joint=joint,
        hub=via_hub,
        baseline=baseline,
        own_vans=vans,
        shares=shares,
        savings=savings(chosen.totals, baseline.totals),
        hub_closed=carriage.hub_closed,
    )


def _staged(budget: Budget) -> Budget:
    """The stage's budget with its deadline: ``budget.seconds`` from now, unless the
    caller's clock started earlier (a run's counts from its travel matrix)."""
    return (
        budget
        if budget.deadline is not None
        else budget.until(time.perf_counter() + budget.seconds)
    )


def stage_percent(budget: Budget) -> int:
    """How much of the stage's time is gone, in percent (0 to 99): what a part of the
    stage reports as it begins (``Progress``). Each part ends by its deadline, so this
    is also about how far the stage is."""
    if budget.deadline is None or budget.seconds <= 0:
        return 0
    gone = budget.seconds - (budget.deadline - time.perf_counter())
    return min(99, max(0, int(100 * gone / budget.seconds)))


def _quiet(part: str, percent: int) -> None:
    del part, percent


def _better(candidate: RoutePlan, incumbent: RoutePlan) -> bool:
    """Carries more shipments, or as many for less."""
    return (len(candidate.unserved), candidate.totals.cost_ore) < (
        len(incumbent.unserved),
        incumbent.totals.cost_ore,
    )


def savings(plan: Totals, baseline: Totals) -> Savings:
    return Savings(
        distance_m=baseline.distance_m - plan.distance_m,
        duration_s=baseline.duration_s - plan.duration_s,
        cost_ore=baseline.cost_ore - plan.cost_ore,
        co2_grams=baseline.co2_grams - plan.co2_grams,
    )


def plan_baseline(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    rows: Sequence[Place],
    own_van: Vehicle,
    budget: Budget,
    by_producer: list[tuple[UUID, list[int]]],
    pool: Executor | None = None,
) -> tuple[RoutePlan, list[Vehicle]]:
    """Each producer alone (``by_producer``: its shipment numbers), within
    ``budget.seconds`` in all, shared by their shipments: one round trip in
    its own van, planned by the solver; what that trip can't carry in its windows goes
    on more trips (``extra_trips``), and what its van can't deliver in time at all in
    a hired van of one of the network's kinds (``hired_vans``). So the baseline
    carries every shipment the proposal carries that any van could carry from the
    farm; the rest (``unserved``) the run reports, since its savings then leave them
    out on one side only. With a ``pool``, producers are planned side by side in its
    processes, each within the same part of the seconds, by the stage's deadline."""
    carried = sum(len(numbers) for _, numbers in by_producer) or 1
    if pool is not None and len(by_producer) > 1:
        calls = [
            (
                *_own_part(problem, matrix, rows, numbers),
                own_van,
                producer_id,
                _producer_budget(
                    budget.capped(budget.seconds * len(numbers) / carried), len(numbers)
                ),
            )
            for producer_id, numbers in by_producer
        ]
        done = _side_by_side(pool, _producer_alone, calls)
    else:
        done = []
        waiting = carried  # shipments of this producer and those after it
        for producer_id, numbers in by_producer:
            # more trips, when needed, search within the same cap and by the same
            # deadline: its part of the time left, by its shipments
            share = budget.capped(budget.seconds * len(numbers) / carried)
            share = _producer_budget(share.share(len(numbers) / waiting), len(numbers))
            waiting -= len(numbers)
            own = _own_part(problem, matrix, rows, numbers)
            done.append(_producer_alone(*own, own_van, producer_id, share))
    apart = [
        (renumbered(plan, numbers), vans)
        for (_, numbers), (plan, vans) in zip(by_producer, done, strict=True)
    ]
    routes = [route for plan, _ in apart for route in plan.routes]
    plan = RoutePlan(
        routes=routes,
        unserved=sorted(
            (left for plan, _ in apart for left in plan.unserved), key=lambda left: left.shipment
        ),
        totals=totals(routes),
        clock_capped=any(plan.clock_capped for plan, _ in apart),
    )
    return plan, [van for _, vans in apart for van in vans]


T = TypeVar("T")


def _side_by_side(
    pool: Executor, call: Callable[..., T], arguments: Sequence[tuple[Any, ...]]
) -> list[T]:
    """``call`` on each of ``arguments``, in ``pool``'s processes and in this thread
    alike: all are handed to the pool, which begins them in order, and this thread does
    them from the last one back, each that the pool has not begun (``Future.cancel``
    succeeds only on those), until it meets the pool's; then it collects the pool's.
    The results are in ``arguments``' order, and the same wherever each was worked out."""
    futures = [pool.submit(call, *args) for args in arguments]
    ours: dict[int, T] = {}
    for n in reversed(range(len(futures))):
        if not futures[n].cancel():  # begun, and so is every one before it
            break
        ours[n] = call(*arguments[n])
    return [ours[n] if n in ours else future.result() for n, future in enumerate(futures)]


def _producer_alone(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    rows: list[Place],
    own_van: Vehicle,
    producer_id: UUID,
    budget: Budget,
) -> tuple[RoutePlan, list[Vehicle]]:
    """One producer alone (``plan_baseline``) on ``_own_part``'s problem, all of whose
    shipments are the producer's: its trips, numbered from 0 as there, and the vans they
    use. The same in this process or another."""
    numbers = list(range(len(problem.shipments)))
    van = producer_van(own_van, producer_id, problem.shipments)
    first = _alone(problem, matrix, rows, budget, numbers, [van])
    routes, vans, capped = list(first.routes), [van], first.clock_capped
    left = [item.shipment for item in first.unserved]
    if not left:
        return msgspec.structs.replace(first, routes=routes), vans
    more = extra_trips(van, producer_id, len(left))
    rest = _alone(problem, matrix, rows, budget, left, more)
    left = [item.shipment for item in rest.unserved]
    hired = hired_vans(problem.vehicles, producer_id, van.start, len(left)) if left else []
    last = _alone(problem, matrix, rows, budget, left, hired) if hired else None
    for trips, plan in ((more, rest), (hired, last)):
        if plan is not None:
            used = {route.vehicle_id for route in plan.routes}
            vans += [trip for trip in trips if trip.id in used]
            routes += plan.routes
            capped |= plan.clock_capped
    unserved = last.unserved if last is not None else rest.unserved
    plan = RoutePlan(routes=routes, unserved=unserved, totals=totals(routes), clock_capped=capped)
    return plan, vans


def _own_part(
    problem: RoutingProblem, matrix: TravelMatrix, rows: Sequence[Place], numbers: list[int]
) -> tuple[RoutingProblem, TravelMatrix, list[Place]]:
    """What ``_producer_alone`` plans a producer's shipments ``numbers`` from, here or in
    another process: them (numbered from 0) with the network's vans, and the travel
    between their places (every van a producer drives alone starts and ends at its farm)."""
    mine = msgspec.structs.replace(problem, shipments=[problem.shipments[n] for n in numbers])
    own_rows = places_of(msgspec.structs.replace(mine, vehicles=[]))
    return mine, submatrix(matrix, rows, own_rows), own_rows


def _alone(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    rows: Sequence[Place],
    budget: Budget,
    numbers: list[int],
    vans: list[Vehicle],
) -> RoutePlan:
    """The shipments ``numbers`` in the producer's ``vans``, numbered as in ``problem``.

    When the clock stopped the search (the stage's time is gone, or the machine is
    busy) and it left shipments, the producer's trips are the insertion start's alone
    (``START_ONLY``: no search, bounded by its work, the same on any machine; the work
    the producer's nominal seconds buy, at least ``START_FLOOR``'s) if that carries
    more: a baseline the clock cut short would leave shipments out of "each producer
    alone" that the proposal carries, and understate the savings (issue 18, points 2
    and 5: on the reference shapes under load it left out a third)."""
    mine = [problem.shipments[n] for n in numbers]
    sub = msgspec.structs.replace(problem, shipments=mine, vehicles=vans)
    within = submatrix(matrix, rows, places_of(sub))
    alone = solve(sub, within, _scaled(budget, len(mine)))
    # a producer with no search (``_producer_budget``) is its start already, its first
    # insertion whole whatever the clock
    if alone.clock_capped and alone.unserved and budget.iterations > 0:
        start = solve(sub, within, START_ONLY.capped(max(START_FLOOR, budget.seconds)))
        if _better(start, alone):
            alone = msgspec.structs.replace(start, clock_capped=True)
    return renumbered(alone, numbers)


def _producer_budget(budget: Budget, shipments: int) -> Budget:
    """A producer's search (``budget``) when its nominal seconds, by its shipments, give
    it at least ``SEARCH_PER_SHIPMENT`` a shipment; else, by work and the same on any
    machine, its insertion start with ruin and recreate sized by a quarter of those
    seconds (``RUIN_PART``: at a fifth of a core, about a quarter of them, leaving the
    rest for the first insertion, more trips and the model), the first insertion by at
    least ``START_FLOOR``'s work (enough for a producer's trip) and not by the clock:
    what a producer's trips carry is never cut short by a busy machine, only how much
    ruin and recreate improves on them. PyVRP's
    iterations for one trip (1,000 and more) take a CPU second or more: on thousands of
    shipments (27 s for 6,000 shipments' producers, 4.5 ms a shipment) every search was
    cut by the clock and fell back to the start anyway, and the baseline overran."""
    if budget.seconds >= SEARCH_PER_SHIPMENT * shipments:
        return budget
    return replace(
        budget,
        iterations=0,
        seconds=max(START_FLOOR, budget.seconds),
        ruin_seconds=budget.seconds / RUIN_PART,
        whole_start=True,
    )


# A producer's own search needs at least this much of the baseline's nominal seconds a
# shipment (the reference shapes give it 0.13 s, 1,600 shipments 0.017 s).
SEARCH_PER_SHIPMENT = 0.05
RUIN_PART = 4

# The insertion start and its ruin and recreate alone (at most 25 rounds a shipment, its
# work what the producer's nominal seconds buy), with no deadline: what a producer's
# trips carry when the clock cut them short and left shipments; the seconds only size
# its work (``insertion.work``).
START_ONLY = Budget(iterations=0, seconds=1.0)
# Its work at the least: its first insertion carries what a producer's trip can (up to
# 40 shipments on the bench's networks; 150 thousand checks at most on the 6,000 one's
# first 40 producers): less than this left shipments out (docs/benchmarks.md).
START_FLOOR = 0.5


def _scaled(budget: Budget, shipments: int) -> Budget:
    """The budget for a producer's own round trip: as for a problem of its size, patient
    (``Budget.patient``)."""
    own = Budget.for_size(shipments, seed=budget.seed)
    return replace(
        budget,
        iterations=min(own.iterations, budget.iterations),
        seconds=min(own.seconds, budget.seconds),
    ).patient()


def _direct_parts(shipments: list[Shipment], route: Route) -> dict[UUID, list[Shipment]]:
    """The work a direct route does for each co-op: its shipments on it."""
    parts: dict[UUID, list[Shipment]] = defaultdict(list)
    for stop in route.stops:
        if stop.kind == "delivery" and stop.shipment is not None:
            parts[shipments[stop.shipment].coop_id].append(shipments[stop.shipment])
    return parts


def hub_shares(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    rows: Sequence[Place],
    via_hub: HubPlan,
    producer_share_permille: int,
    budget: Budget = STANDALONE_BUDGET,
) -> list[RouteShares]:
    """Who pays for each route of a plan via the hub (when it is proposed). A hub route
    works for every co-op whose goods ride on it: for each leg it carries, the co-op's
    part of that leg is a shipment along the same leg. Every producer whose goods ride
    on it, to the hub or from it, sends their weight: a delivery run from the hub
    carries many producers' goods in one leg."""
    works = []
    for route in via_hub.plan.routes:
        parts: dict[UUID, list[Shipment]] = defaultdict(list)
        riding: list[Shipment] = []
        for stop in route.stops:
            if stop.kind != "delivery" or stop.shipment is None:
                continue
            leg = via_hub.legs[stop.shipment]
            originals = [problem.shipments[n] for n in via_hub.carries[stop.shipment]]
            riding += originals
            by_coop: dict[UUID, list[Shipment]] = defaultdict(list)
            for original in originals:
                by_coop[original.coop_id].append(original)
            for coop_id, theirs in by_coop.items():
                parts[coop_id].append(
                    msgspec.structs.replace(
                        leg,
                        coop_id=coop_id,
                        grams=sum(o.grams for o in theirs),
                        ml=sum(o.ml for o in theirs),
                    )
                )
        works.append((parts, _weights(riding)))
    alone = _Standalone.of(budget, sum(len(parts) for parts, _ in works))
    return [
        _share(
            problem,
            matrix,
            rows,
            number,
            route,
            parts,
            sent,
            producer_share_permille,
            alone,
            via_hub.vehicles[number],
        )
        for number, (route, (parts, sent)) in enumerate(
            zip(via_hub.plan.routes, works, strict=True)
        )
    ]


@dataclass
class _Standalone:
    """The budgets of a plan's stand-alone searches, one per (route, co-op), within
    the shares' part of the stage. Each gets an equal part of its seconds, and of the
    time left to its deadline. When that part is below ``MIN_SECONDS`` (thousands of
    routes and co-ops), there is no time for a search each: the stand-alone cost is
    the insertion start's alone (``solver.solve`` with no iterations; bounded by its
    work, so still the same on any machine). Any route that carries the co-op's goods
    alone costs at least the cheapest one does, so either is an upper bound on the
    stand-alone cost, as a search's is: shares stay within what serving the co-op alone
    would cost at most."""

    budget: Budget
    waiting: int

    @classmethod
    def of(cls, part: Budget, searches: int) -> _Standalone:
        each = part.seconds / max(1, searches)
        if each < MIN_SECONDS:
            budget = replace(part, iterations=0, seconds=each)
        else:
            budget = replace(STANDALONE_BUDGET.capped(each), deadline=part.deadline)
        return cls(budget, max(1, searches))

    def next(self) -> Budget | None:
        """The next search's budget; None once the deadline has passed."""
        if self.budget.deadline is not None and time.perf_counter() >= self.budget.deadline:
            return None
        budget = self.budget.share(1 / self.waiting)
        self.waiting = max(1, self.waiting - 1)
        return budget


def _weights(shipments: Iterable[Shipment]) -> dict[UUID, int]:
    """The weight each producer sends."""
    grams: dict[UUID, int] = defaultdict(int)
    for shipment in shipments:
        grams[shipment.producer_id] += shipment.grams
    return dict(grams)


def _share(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    rows: Sequence[Place],
    number: int,
    route: Route,
    parts: dict[UUID, list[Shipment]],
    sent: dict[UUID, int],
    producer_share_permille: int,
    searches: _Standalone,
    vehicle: Vehicle | None = None,
) -> RouteShares:
    """``parts``: the work the route does for each co-op; ``sent``: the weight each
    producer sends on it."""
    vehicle = vehicle or next(v for v in problem.vehicles if v.id == route.vehicle_id)
    standalone = {}
    capped = False
    for coop_id, shipments in sorted(parts.items()):
        sub = msgspec.structs.replace(problem, shipments=shipments, vehicles=[vehicle])
        budget = searches.next()
        if budget is None:  # the stage's time is gone: the route's cost bounds it
            standalone[coop_id], capped = route.cost_ore, True
            continue
        alone = solve(sub, submatrix(matrix, rows, places_of(sub)), budget)
        # the route itself did this work and more: if the quick search finds nothing
        # for it alone, the route's cost is the honest bound
        standalone[coop_id] = alone.totals.cost_ore if not alone.unserved else route.cost_ore
        capped |= alone.clock_capped
    shares = share_route_cost(route.cost_ore, standalone, sent, producer_share_permille)
    return RouteShares(route=number, standalone_ore=standalone, shares=shares, clock_capped=capped)
