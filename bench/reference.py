"""A reference planner for joint runs, written apart from the engine's search, so the
bench shows how far the engine's plans are from what a plain, strong method finds in
the same budget (issue 18, point 5).

Three steps, all seeded, so a run the clock does not stop is repeatable:

1. greedy insertion: shipment by shipment (tightest windows first), its pickup and
   delivery together where they add the least cost to some van's route, opening a van
   when that is cheaper or no route has room;
2. ruin and recreate, a fixed number of rounds: take out a few related shipments (near
   each other, at random, or a whole small route), put them back greedily in turn,
   keep the result when it is no worse (fewer shipments left first, then cost);
3. PyVRP, warm-started from those routes, for the rest of the budget; its routes are
   kept only when this module's own timing finds them feasible and cheaper.

Only the structs of ``engine.routing.model`` and the ``TravelMatrix`` are shared with
the engine. The timing is written here from docs/routing.md, "A stop's times": a van
arrives when the drive ends; at a place other than the one it just left it sets up
(``stop_setup_s``) while it waits for the window, then hands over; the drive to its
end place takes no setup; it leaves as late as it can without arriving later.
Costs as a route's: fixed, per km, per hour of its duration.
"""

from __future__ import annotations

import itertools
import math
import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from services.matcher.engine.routing.model import (
    CO2_GRAMS_PER_KM,
    Left,
    Place,
    Route,
    RoutePlan,
    RoutingProblem,
    Stop,
    Totals,
    Unserved,
    Vehicle,
    vehicle_key,
)
from services.matcher.engine.routing.travel import TravelMatrix, places_of

SCALE = 1_000  # PyVRP's objective units per öre: it wants integer unit costs
PRIZE = 10**7 * SCALE  # an optional shipment's prize: above any route's cost
ROUNDS_PER_SHIPMENT = 4  # fits in half the budget on 2 busy cores: the step stays repeatable


@dataclass(frozen=True)
class ReferenceBudget:
    """``iterations`` and ``seconds`` as the engine's search gets them (its ``Budget``):
    the seconds bound the whole planner, the iterations its PyVRP step. The ``rounds``
    of ruin and recreate (default 4 a shipment) come first, within half the seconds."""

    iterations: int
    seconds: float
    seed: int = 1
    rounds: int | None = None


@dataclass(frozen=True)
class Stage:
    """The plan as a step left it."""

    name: str
    routes: int
    distance_m: int
    cost_ore: int
    left: int
    seconds: float  # since the planner began, wall clock


@dataclass(frozen=True)
class ReferencePlan:
    plan: RoutePlan
    stages: list[Stage]
    rounds: int  # of ruin and recreate done
    clock_capped: bool  # the clock, not the rounds or iterations, ended a step


# --- the problem as numbers ------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """A shipment; places are rows of the matrix."""

    number: int
    pickup: int
    delivery: int
    p_open: int
    p_close: int
    p_service: int
    d_open: int
    d_close: int
    d_service: int
    grams: int
    ml: int
    cold: bool


@dataclass(frozen=True)
class _Van:
    number: int
    vehicle: Vehicle
    start: int
    end: int
    opens: int
    closes: int
    grams: int
    ml: int
    cold: bool

    @property
    def kind(self) -> tuple[object, ...]:
        """Vans alike in all but their id are interchangeable."""
        return vehicle_key(self.vehicle)[:-1]


@dataclass(frozen=True)
class _Net:
    problem: RoutingProblem
    metres: list[list[int]]
    seconds: list[list[int]]
    setup: int
    jobs: list[_Job]
    vans: list[_Van]
    rows: list[Place]

    def drive(self, a: int, b: int, to_end: bool = False) -> int:
        """Seconds from place ``a`` to ``b``, and the setup at ``b`` if it is a new place."""
        return self.seconds[a][b] + (0 if to_end or a == b else self.setup)


def _net(problem: RoutingProblem, matrix: TravelMatrix, rows: Sequence[Place]) -> _Net:
    at = {place: i for i, place in enumerate(rows)}
    jobs = [
        _Job(
            number=n,
            pickup=at[s.pickup],
            delivery=at[s.delivery],
            p_open=s.pickup_window.opens_s,
            p_close=s.pickup_window.closes_s,
            p_service=s.pickup_service_s,
            d_open=s.delivery_window.opens_s,
            d_close=s.delivery_window.closes_s,
            d_service=s.delivery_service_s,
            grams=s.grams,
            ml=s.ml,
            cold=s.cold,
        )
        for n, s in enumerate(problem.shipments)
    ]
    vans = [
        _Van(
            number=n,
            vehicle=v,
            start=at[v.start],
            end=at[v.end],
            opens=v.shift.opens_s,
            closes=v.shift.closes_s,
            grams=v.capacity_grams,
            ml=v.capacity_ml,
            cold=v.cold_capable,
        )
        for n, v in enumerate(problem.vehicles)
    ]
    return _Net(
        problem, matrix.metres, matrix.seconds, problem.stop_setup_s, jobs, vans, list(rows)
    )


# --- a route and its timing ---------------------------------------------------------------

_Visit = tuple[int, bool]  # (shipment number, is the pickup)


@dataclass(frozen=True)
class _Route:
    """A van's visits and what follows from them. Node 0 is the start, nodes 1..n the
    visits, node n+1 the end. ``begin``: when the handover begins (at the start, when
    the van leaves at the earliest; at the end, when it arrives); ``latest``: the latest
    it may begin with the rest of the route on time; ``grams``, ``ml``: on board when
    leaving."""

    van: _Van
    visits: tuple[_Visit, ...]
    places: list[int]
    opens: list[int]
    closes: list[int]
    service: list[int]
    begin: list[int]
    latest: list[int]
    grams: list[int]
    ml: list[int]
    distance: int
    duration: int
    feasible: bool
    cost: int

    def depart(self, k: int) -> int:
        return self.begin[k] + self.service[k]


def _route(net: _Net, van: _Van, visits: tuple[_Visit, ...]) -> _Route:
    places, opens, closes, service = [van.start], [van.opens], [van.opens], [0]
    grams, ml = [0], [0]
    for number, pickup in visits:
        job = net.jobs[number]
        sign = 1 if pickup else -1
        places.append(job.pickup if pickup else job.delivery)
        opens.append(job.p_open if pickup else job.d_open)
        closes.append(job.p_close if pickup else job.d_close)
        service.append(job.p_service if pickup else job.d_service)
        grams.append(grams[-1] + sign * job.grams)
        ml.append(ml[-1] + sign * job.ml)
    places.append(van.end)
    opens.append(0)
    closes.append(van.closes)
    service.append(0)
    grams.append(0)
    ml.append(0)
    last = len(places) - 1
    begin = [van.opens]
    for k in range(1, last + 1):
        arrives = begin[k - 1] + service[k - 1] + net.drive(places[k - 1], places[k], k == last)
        begin.append(max(arrives, opens[k]))
    latest = [0] * (last + 1)
    latest[last] = van.closes
    for k in range(last - 1, -1, -1):
        step = net.drive(places[k], places[k + 1], k + 1 == last)
        latest[k] = min(closes[k], latest[k + 1] - step - service[k])
    feasible = (
        max(grams) <= van.grams
        and max(ml) <= van.ml
        and all(b <= c for b, c in zip(begin, closes, strict=True))
        and (van.cold or not any(net.jobs[n].cold for n, _ in visits))
    )
    distance = sum(net.metres[a][b] for a, b in itertools.pairwise(places)) if visits else 0
    duration = begin[-1] - begin[0] - _later_start(net, places, closes, service, begin)
    cost = _cost(van.vehicle, distance, duration) if visits else 0
    return _Route(
        van=van,
        visits=visits,
        places=places,
        opens=opens,
        closes=closes,
        service=service,
        begin=begin,
        latest=latest,
        grams=grams,
        ml=ml,
        distance=distance if visits else 0,
        duration=duration if visits else 0,
        feasible=feasible,
        cost=cost,
    )


def _cost(vehicle: Vehicle, distance_m: int, duration_s: int) -> int:
    return (
        vehicle.fixed_cost_ore
        + distance_m * vehicle.cost_per_km_ore // 1000
        + duration_s * vehicle.cost_per_hour_ore // 3600
    )


def _later_start(
    net: _Net, places: list[int], closes: list[int], service: list[int], begin: list[int]
) -> int:
    """How much later than its shift's start the van can leave and arrive at its end no
    later, every handover still on time: the waits it would otherwise idle away. A
    start later by ``d`` delays handover ``k`` by ``d`` less the waits up to ``k``."""
    waited = 0
    room: int | None = None
    for k in range(1, len(places) - 1):
        arrives = begin[k - 1] + service[k - 1] + net.drive(places[k - 1], places[k])
        waited += begin[k] - arrives
        slack = waited + closes[k] - begin[k]
        room = slack if room is None else min(room, slack)
    return max(0, min(waited, room if room is not None else 0))


# --- where a shipment goes in a route ------------------------------------------------------


@dataclass(frozen=True)
class _Insertion:
    added: float  # öre, estimated from the km, drives, setups and handovers it adds
    route: int
    pickup_at: int  # the pickup goes after node ``pickup_at``
    delivery_at: int  # the delivery after node ``delivery_at`` (>= pickup_at)


def _best_insertion(
    net: _Net, route: _Route, number: int, slot: int, bound: float
) -> _Insertion | None:
    """The cheapest feasible place for shipment ``number`` in ``route`` if it adds less
    than ``bound``: each pickup position, and for each every delivery position after
    it. The pickup's delay is carried forward stop by stop; the rest of the route is
    checked against ``latest``. A delivery never takes km or time off a leg it splits,
    so a pickup position that alone adds ``bound`` or more is not looked further into."""
    job, van = net.jobs[number], route.van
    if job.cold and not van.cold:
        return None
    places, last, metres = route.places, len(route.places) - 1, net.metres
    per_m = van.vehicle.cost_per_km_ore / 1000
    per_s = van.vehicle.cost_per_hour_ore / 3600
    opened = 0 if route.visits else van.vehicle.fixed_cost_ore
    best: _Insertion | None = None
    p, d = job.pickup, job.delivery
    for i in range(last):
        if not _room(route, i, job):
            continue
        a, nxt = places[i], places[i + 1]
        p_leaves = max(route.depart(i) + net.drive(a, p), job.p_open)
        if p_leaves > job.p_close:
            continue
        p_leaves += job.p_service
        if _delivery_fits(net, route, job, p, p_leaves, i):  # right after the pickup
            added_m = metres[a][p] + metres[p][d] + metres[d][nxt] - metres[a][nxt]
            added_s = net.drive(a, p) + job.p_service + net.drive(p, d) + job.d_service
            added_s += net.drive(d, nxt, i + 1 == last) - net.drive(a, nxt, i + 1 == last)
            cost = opened + added_m * per_m + added_s * per_s
            if cost < bound:
                best, bound = _Insertion(cost, slot, i, i), cost
        p_m = metres[a][p] + metres[p][nxt] - metres[a][nxt]
        p_s = net.drive(a, p) + job.p_service + net.drive(p, nxt, i + 1 == last)
        p_s -= net.drive(a, nxt, i + 1 == last)
        if opened + p_m * per_m + p_s * per_s >= bound:
            continue
        leaves, here = p_leaves, p
        for k in range(i + 1, last):  # the delivery after a later stop
            begins = max(leaves + net.drive(here, places[k]), route.opens[k])
            if begins > route.latest[k] or not _room(route, k, job):
                break
            leaves, here = begins + route.service[k], places[k]
            if not _delivery_fits(net, route, job, here, leaves, k):
                continue
            after = places[k + 1]
            added_m = p_m + metres[here][d] + metres[d][after] - metres[here][after]
            added_s = p_s + net.drive(here, d) + job.d_service
            added_s += net.drive(d, after, k + 1 == last) - net.drive(here, after, k + 1 == last)
            cost = opened + added_m * per_m + added_s * per_s
            if cost < bound:
                best, bound = _Insertion(cost, slot, i, k), cost
    return best


def _room(route: _Route, k: int, job: _Job) -> bool:
    """Whether the van has room for the shipment as it leaves node ``k``."""
    return route.grams[k] + job.grams <= route.van.grams and route.ml[k] + job.ml <= route.van.ml


def _delivery_fits(net: _Net, route: _Route, job: _Job, here: int, leaves: int, k: int) -> bool:
    """Whether the delivery, between node ``k`` (left at ``leaves``, at place ``here``)
    and node ``k + 1``, is on time and keeps the rest of the route on time."""
    last = len(route.places) - 1
    begins = max(leaves + net.drive(here, job.delivery), job.d_open)
    if begins > job.d_close:
        return False
    onward = begins + job.d_service + net.drive(job.delivery, route.places[k + 1], k + 1 == last)
    return max(onward, route.opens[k + 1]) <= route.latest[k + 1]


def _inserted(net: _Net, route: _Route, number: int, at: _Insertion) -> _Route:
    i, j, visits = at.pickup_at, at.delivery_at, route.visits
    return _route(
        net, route.van, (*visits[:i], (number, True), *visits[i:j], (number, False), *visits[j:])
    )


def _without(net: _Net, route: _Route, numbers: set[int]) -> _Route:
    return _route(net, route.van, tuple(v for v in route.visits if v[0] not in numbers))


# --- a plan: a route per van, and what is left ----------------------------------------------


@dataclass(frozen=True)
class _Plan:
    routes: tuple[_Route, ...]  # one per van, in the problem's order; most empty
    left: frozenset[int]  # shipments some van could carry alone, not carried

    @property
    def score(self) -> tuple[int, int]:
        return len(self.left), sum(r.cost for r in self.routes)


def _insert_all(net: _Net, plan: _Plan, numbers: Sequence[int]) -> _Plan:
    """Each shipment in turn where it adds least. Of the empty vans, one of each kind is
    tried; an ambient shipment prefers a van that is not cold (cold room is scarce)."""
    routes = list(plan.routes)
    left = set(plan.left)
    for number in numbers:
        best: _Insertion | None = None
        tried: set[tuple[object, ...]] = set()
        for slot, route in enumerate(routes):
            if not route.visits:
                if route.van.kind in tried:
                    continue
                tried.add(route.van.kind)
            spare = 1 if route.van.cold and not net.jobs[number].cold else 0
            bound = math.inf if best is None else best.added - spare
            found = _best_insertion(net, route, number, slot, bound)
            if found is not None:
                best = _Insertion(found.added + spare, slot, found.pickup_at, found.delivery_at)
        if best is None:
            left.add(number)
            continue
        left.discard(number)
        routes[best.route] = _inserted(net, routes[best.route], number, best)
    return _Plan(tuple(routes), frozenset(left))


def _tightest_first(net: _Net, numbers: Sequence[int]) -> list[int]:
    def key(n: int) -> tuple[int, int, int]:
        job = net.jobs[n]
        width = job.p_close - job.p_open + job.d_close - job.d_open
        return width, -net.metres[job.pickup][job.delivery], n

    return sorted(numbers, key=key)


# --- ruin and recreate ------------------------------------------------------------------


def _ruin(net: _Net, plan: _Plan, rng: random.Random) -> tuple[_Plan, list[int]]:
    """Take out a few shipments: related ones (pickups and deliveries near a random
    one's), a whole small route (so a van can go), or some at random."""
    carried = sorted(n for r in plan.routes for n, pickup in r.visits if pickup)
    if not carried:
        return plan, []
    count = rng.randint(2, max(3, min(15, len(carried) // 6)))
    pick = rng.random()
    if pick < 0.6:
        seed = net.jobs[rng.choice(carried)]
        noise = {n: 1 + 0.5 * rng.random() for n in carried}

        def apart(n: int) -> float:
            job = net.jobs[n]
            near = net.metres[seed.pickup][job.pickup] + net.metres[seed.delivery][job.delivery]
            return near * noise[n]

        removed = sorted(carried, key=apart)[:count]
    elif pick < 0.8:
        used = sorted(
            (r for r in plan.routes if r.visits), key=lambda r: (len(r.visits), r.van.number)
        )
        route = used[rng.randrange(min(2, len(used)))]
        removed = [n for n, pickup in route.visits if pickup]
    else:
        removed = rng.sample(carried, count)
    out = set(removed)
    routes = tuple(
        _without(net, r, out) if any(n in out for n, _ in r.visits) else r for r in plan.routes
    )
    return _Plan(routes, plan.left), removed


def _recreate(net: _Net, plan: _Plan, removed: list[int], rng: random.Random) -> _Plan:
    """The shipments taken out, and any left before, back in greedily: in random order,
    tightest windows first, or farthest first."""
    numbers = [*removed, *sorted(plan.left)]
    how = rng.random()
    if how < 0.5:
        rng.shuffle(numbers)
    elif how < 0.75:
        numbers = _tightest_first(net, numbers)
    else:
        numbers.sort(key=lambda n: -net.metres[net.jobs[n].pickup][net.jobs[n].delivery])
    return _insert_all(net, _Plan(plan.routes, frozenset()), numbers)


def _ruin_and_recreate(
    net: _Net, plan: _Plan, rounds: int, seed: int, until: float
) -> tuple[_Plan, int, bool]:
    """``rounds`` rounds, each kept when no worse; stops early (says so) at ``until``."""
    rng = random.Random(seed)
    for done in range(rounds):
        if time.perf_counter() > until:
            return plan, done, True
        ruined, removed = _ruin(net, plan, rng)
        trial = _recreate(net, ruined, removed, rng)
        if trial.score <= plan.score:
            plan = trial
    return plan, rounds, False


# --- PyVRP, warm-started ----------------------------------------------------------------


def _polish(
    net: _Net, plan: _Plan, planned: list[int], budget: ReferenceBudget, seconds: float
) -> tuple[_Plan | None, bool]:
    """PyVRP from ``plan``'s routes; None when its best isn't feasible by this module's
    timing. Vans alike are one vehicle type with as many available."""
    kinds: dict[tuple[object, ...], list[_Van]] = {}
    for van in net.vans:
        kinds.setdefault(van.kind, []).append(van)
    types = list(kinds.values())
    model = _model(net, planned, types, required=not plan.left)
    data = model.data()
    position = {number: k for k, number in enumerate(planned)}
    type_of = {van.number: t for t, vans in enumerate(types) for van in vans}
    start = [
        pyvrp.Route(data, [_activity(p, position[n]) for n, p in r.visits], type_of[r.van.number])
        for r in plan.routes
        if r.visits
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = model.solve(
            stop=MultipleCriteria(
                [MaxIterations(budget.iterations), MaxRuntime(max(seconds, 0.01))]
            ),
            seed=budget.seed,
            display=False,
            collect_stats=False,
            initial_solution=pyvrp.Solution(data, start),
        )
    capped = result.num_iterations < budget.iterations
    free = {t: list(vans) for t, vans in enumerate(types)}
    routes = {van.number: _route(net, van, ()) for van in net.vans}
    for solved in result.best.routes():
        van = free[solved.vehicle_type()].pop(0)
        visits = tuple(
            (planned[a.idx], a.is_pickup()) for a in solved.schedule() if not a.is_depot()
        )
        routes[van.number] = _route(net, van, visits)
    if not all(r.feasible for r in routes.values()):
        return None, capped
    carried = {n for r in routes.values() for n, _ in r.visits}
    left = frozenset(n for n in planned if n not in carried)
    return _Plan(tuple(routes[van.number] for van in net.vans), left), capped


def _activity(pickup: bool, k: int) -> pyvrp.Activity:
    kind = pyvrp.ActivityType.PICKUP if pickup else pyvrp.ActivityType.DELIVERY
    return pyvrp.Activity(kind, k)


def _model(
    net: _Net, planned: list[int], types: list[list[_Van]], *, required: bool
) -> pyvrp.Model:
    """The problem for PyVRP: loads as grams, millilitres and cold grams (only cold vans
    have room for those); a stop's setup rides on the drive to it, as PyVRP's service
    time belongs to a visit, not to a change of place; vans start and end at depots of
    their own beside the stops, so the drive to the end takes no setup."""
    model = pyvrp.Model()
    rows = net.rows
    ends = sorted({place for van in net.vans for place in (van.start, van.end)})
    at_end = {row: model.add_location(x=rows[row].lon, y=rows[row].lat) for row in ends}
    depots = {row: model.add_depot(location) for row, location in at_end.items()}
    stops = [model.add_location(x=place.lon, y=place.lat) for place in rows]
    for kind in types:
        van = kind[0]
        model.add_vehicle_type(
            num_available=len(kind),
            capacity=[van.grams, van.ml, van.grams if van.cold else 0],
            start_depot=depots[van.start],
            end_depot=depots[van.end],
            fixed_cost=van.vehicle.fixed_cost_ore * SCALE,
            tw_early=van.opens,
            tw_late=van.closes,
            unit_distance_cost=max(1, van.vehicle.cost_per_km_ore),
            unit_duration_cost=round(van.vehicle.cost_per_hour_ore / 3.6),
        )
    for number in planned:
        job = net.jobs[number]
        model.add_shipment(
            pickup_location=stops[job.pickup],
            delivery_location=stops[job.delivery],
            pickup_tw_early=job.p_open,
            pickup_tw_late=job.p_close,
            pickup_service_duration=job.p_service,
            delivery_tw_early=job.d_open,
            delivery_tw_late=job.d_close,
            delivery_service_duration=job.d_service,
            amount=[job.grams, job.ml, job.grams if job.cold else 0],
            prize=0 if required else PRIZE,
            required=required,
        )
    metres, seconds = net.metres, net.seconds
    for i, j in itertools.product(range(len(rows)), repeat=2):
        if i != j:
            model.add_edge(stops[i], stops[j], distance=metres[i][j], duration=net.drive(i, j))
    for row, end in at_end.items():
        for j, stop in enumerate(stops):
            model.add_edge(end, stop, distance=metres[row][j], duration=net.drive(row, j))
            model.add_edge(stop, end, distance=metres[j][row], duration=seconds[j][row])
        for other, far in at_end.items():
            if other != row:
                model.add_edge(end, far, distance=metres[row][other], duration=seconds[row][other])
    return model


# --- what no van can carry, and the plan as the engine's structs ----------------------------


def _why_not_alone(net: _Net, job: _Job) -> Unserved | None:
    """None when some van could carry the shipment on its own; else the reason."""
    if not net.vans:
        return "no_vehicle"
    cold = [van for van in net.vans if van.cold or not job.cold]
    if not cold:
        return "no_cold_vehicle"
    big = [van for van in cold if van.grams >= job.grams and van.ml >= job.ml]
    if not big:
        return "too_heavy"
    alone = ((job.number, True), (job.number, False))
    if not any(_route(net, van, alone).feasible for van in big):
        return "windows"
    return None


def _routes_out(net: _Net, plan: _Plan) -> list[Route]:
    return [_route_out(net, r) for r in plan.routes if r.visits]


def _route_out(net: _Net, route: _Route) -> Route:
    """The route stop by stop, leaving as late as it can without arriving later."""
    vehicle, shipments = route.van.vehicle, net.problem.shipments
    leaves = route.begin[0] + _later_start(
        net, route.places, route.closes, route.service, route.begin
    )
    stops = [_end_stop("start", vehicle.start, leaves)]
    here, departs = route.places[0], leaves
    for k, (number, pickup) in enumerate(route.visits, 1):
        shipment, place = shipments[number], route.places[k]
        arrives = departs + net.seconds[here][place]
        setup = net.setup if place != here else 0
        begins = max(arrives + setup, route.opens[k])
        departs = begins + route.service[k]
        stops.append(
            Stop(
                kind="pickup" if pickup else "delivery",
                place=shipment.pickup if pickup else shipment.delivery,
                shipment=number,
                arrival_s=arrives,
                departure_s=departs,
                wait_s=begins - arrives - setup,
                service_s=setup + route.service[k],
                load_grams=route.grams[k],
                load_ml=route.ml[k],
            )
        )
        here = place
    stops.append(_end_stop("end", vehicle.end, departs + net.seconds[here][route.van.end]))
    duration = stops[-1].arrival_s - leaves
    return Route(
        vehicle_id=vehicle.id,
        stops=stops,
        distance_m=route.distance,
        duration_s=duration,
        cost_ore=_cost(vehicle, route.distance, duration),
        co2_grams=route.distance * CO2_GRAMS_PER_KM // 1000,
    )


def _end_stop(kind: Literal["start", "end"], place: Place, at: int) -> Stop:
    return Stop(
        kind=kind,
        place=place,
        shipment=None,
        arrival_s=at,
        departure_s=at,
        wait_s=0,
        service_s=0,
        load_grams=0,
        load_ml=0,
    )


def _stage(name: str, net: _Net, plan: _Plan, began: float) -> Stage:
    routes = [r for r in plan.routes if r.visits]
    return Stage(
        name=name,
        routes=len(routes),
        distance_m=sum(r.distance for r in routes),
        cost_ore=sum(r.cost for r in routes),
        left=len(plan.left),
        seconds=time.perf_counter() - began,
    )


# --- the planner ------------------------------------------------------------------------


def plan_reference(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    budget: ReferenceBudget,
    rows: Sequence[Place] | None = None,
) -> ReferencePlan:
    """Routes for every shipment the three steps find room for; the rest left, with why.
    ``matrix`` covers ``rows`` (default ``places_of(problem)``)."""
    began = time.perf_counter()
    net = _net(problem, matrix, rows if rows is not None else places_of(problem))
    reasons = {job.number: why for job in net.jobs if (why := _why_not_alone(net, job))}
    planned = [job.number for job in net.jobs if job.number not in reasons]
    plan = _Plan(tuple(_route(net, van, ()) for van in net.vans), frozenset())
    plan = _insert_all(net, plan, _tightest_first(net, planned))
    stages = [_stage("greedy insertion", net, plan, began)]
    rounds = budget.rounds if budget.rounds is not None else ROUNDS_PER_SHIPMENT * len(planned)
    plan, done, capped = _ruin_and_recreate(
        net, plan, rounds, budget.seed, began + budget.seconds / 2
    )
    stages.append(_stage("ruin and recreate", net, plan, began))
    if planned:
        left_s = budget.seconds - (time.perf_counter() - began)
        polished, polish_capped = _polish(net, plan, planned, budget, left_s)
        capped |= polish_capped
        if polished is not None and polished.score < plan.score:
            plan = polished
        stages.append(_stage("PyVRP from there", net, plan, began))
    routes = _routes_out(net, plan)
    unserved = [Left(shipment=n, reason=why) for n, why in reasons.items()]
    unserved += [Left(shipment=n, reason="no_room") for n in plan.left]
    unserved.sort(key=lambda item: item.shipment)
    totals = Totals(
        routes=len(routes),
        distance_m=sum(r.distance_m for r in routes),
        duration_s=sum(r.duration_s for r in routes),
        cost_ore=sum(r.cost_ore for r in routes),
        co2_grams=sum(r.co2_grams for r in routes),
    )
    result = RoutePlan(routes=routes, unserved=unserved, totals=totals, clock_capped=capped)
    return ReferencePlan(plan=result, stages=stages, rounds=done, clock_capped=capped)
