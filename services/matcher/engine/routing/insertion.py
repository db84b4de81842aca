"""The search's start: whole shipments inserted where they cost least, then improved by
ruin and recreate, bounded by a count of work, not the clock.

1. Regret insertion: while shipments are left, each one's cheapest feasible place in
   the routes of its nearest shipments (its pickup and delivery together; one empty
   van of each kind) is known; the shipment with the most to lose if its best route
   fills up goes first (the gap between its best and second-best route; one with a
   single route goes before all others), to its best place. Granular, so that its
   work grows with the shipments, not their square (``_recreate``).
2. Ruin and recreate: a few shipments come out (related ones, a whole short route, or
   some at random) and go back by regret insertion, with any left before; the result
   is kept when it carries more shipments, or as many for a cost at most a threshold
   above (2 % at first, nothing at the end); the best plan seen is the start. Seeded, and it stops
   after a number of insertion checks set by the problem's size, so the same input
   gives the same start on any machine.

Time is counted as ``model.handover_begins`` and the solver's model count it: a van
arrives when the drive ends, sets up at a place other than the one it just left (not
at its end place), hands over once set up and the window is open. Loads are checked
in grams and millilitres at every stop; cold goods ride only in cold vans (the cold
dimension of the solver's model: a cold van holds as many cold grams as grams).

Costs are estimated in öre: a van's fixed cost when it opens, its cost per km of the
metres added, per hour of the driving, setups and handovers added. A route's cost
(to compare plans) counts its duration with the start as late as the windows allow,
as the solver does.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.matcher.engine.routing.model import RoutingProblem, vehicle_key
from services.matcher.engine.routing.travel import TravelMatrix

# A route as its vehicle's number and its visits: (shipment position, is the pickup).
Visit = tuple[int, bool]
Sketch = tuple[int, list[Visit]]

CHECKS_PER_SHIPMENT = 30_000  # ruin and recreate's work: about a second for 80 on a busy core
CHECKS_PER_SECOND = 1_000_000  # at most half its part's seconds, on a slow core
# When ruin and recreate's work is done, the start still leaves shipments and it has
# done fewer than ``FEW_ROUNDS`` rounds a shipment (each round costs more checks where
# there are more routes: 4 to 5 a shipment on tight_cold's 80 shipments, 1.4 on a tight
# network of 400, bench/routing_stage.py's with a van per 18), it goes on, the same work
# again, up to ``MORE_STRETCHES`` times, until it has done them. On that network of 400
# its start then carried 2 and 4 shipments more on seeds 1 and 2 (docs/routing.md).
FEW_ROUNDS = 4
MORE_STRETCHES = 3


def work(shipments: int, seconds: float) -> int:
    """The insertion checks ruin and recreate may make: enough for 80 shipments to
    settle, and within about half the seconds of its search."""
    return min(CHECKS_PER_SHIPMENT * shipments, round(CHECKS_PER_SECOND * seconds / 2))


ROUNDS_PER_SHIPMENT = 25  # and at most this many rounds: small problems settle sooner
THRESHOLD = 0.02  # a plan this much costlier may be taken on at first, less as work is done
ONLY_ROUTE = 10.0**12  # the regret of a shipment that fits one route only
# a shipment is weighed against the routes of its this many nearest shipments (and an
# empty van of each kind): the insertion's work grows with the shipments, not their square
NEAR_SHIPMENTS = 20
# up to this many shipments, each is weighed against every route: the full insertion
# costs a second or two there, and its start is better than the nearest routes' alone
FULL_UP_TO = 300


@dataclass(frozen=True, slots=True)
class _Job:
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


@dataclass(frozen=True, slots=True)
class _Van:
    start: int
    end: int
    opens: int
    closes: int
    grams: int
    ml: int
    cold: bool
    fixed: int
    per_m: float
    per_s: float
    kind: int  # the first vehicle alike in all but its id: alike empty vans are tried once


class _Net:
    def __init__(
        self,
        problem: RoutingProblem,
        matrix: TravelMatrix,
        index: dict[object, int],
        planned: Sequence[int],
    ) -> None:
        self.metres = matrix.metres
        self.seconds = matrix.seconds
        self.setup = problem.stop_setup_s
        self.jobs = [
            _Job(
                pickup=index[s.pickup],
                delivery=index[s.delivery],
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
            for s in (problem.shipments[n] for n in planned)
        ]
        kinds: dict[tuple[object, ...], int] = {}
        self.vans = []
        for number, v in enumerate(problem.vehicles):
            alike = vehicle_key(v)[:-1]  # all but the id
            self.vans.append(
                _Van(
                    start=index[v.start],
                    end=index[v.end],
                    opens=v.shift.opens_s,
                    closes=v.shift.closes_s,
                    grams=v.capacity_grams,
                    ml=v.capacity_ml,
                    cold=v.cold_capable,
                    fixed=v.fixed_cost_ore,
                    per_m=v.cost_per_km_ore / 1000,
                    per_s=v.cost_per_hour_ore / 3600,
                    kind=kinds.setdefault(alike, number),
                )
            )
        # cold goods to carry and vans that can't: ambient goods should leave cold
        # vans' room to them
        self.cold_scarce = any(j.cold for j in self.jobs) and not all(v.cold for v in self.vans)
        n = len(self.seconds)
        seconds = np.asarray(self.seconds, dtype=np.int64).reshape(n, n)
        metres = np.asarray(self.metres, dtype=np.int64).reshape(n, n)
        step = seconds + self.setup * (1 - np.eye(n, dtype=np.int64))
        # the drive to a stop: its setup too, at a new place; and the same by the place
        # driven to, ``to_step[b][a]`` is ``step[a][b]``: a shipment's pickup and delivery
        # are weighed at a row each, not a column looked up place by place
        self.metres_array = metres
        self.pickups = np.array([job.pickup for job in self.jobs], dtype=np.intp)
        self.deliveries = np.array([job.delivery for job in self.jobs], dtype=np.intp)
        self.step: list[list[int]] = step.tolist()
        self.to_step: list[list[int]] = self.step if (step == step.T).all() else step.T.tolist()
        self.to_metres: list[list[int]] = (
            self.metres if (metres == metres.T).all() else metres.T.tolist()
        )
        self.checks = 0  # insertion positions looked at: the unit of work
        # shipments and (shipment, route) pairs the first regret insertion weighed: its
        # own work, which grows with the square of the shipments
        self.weighed = 0
        self.clock_stopped = False  # a construction cut short by its time cap
        self.near: list[list[int]] = []  # each shipment's nearest (``_near``)
        self.wide = True  # every other shipment is near each: every route is weighed
        self.close_to: list[list[int]] = []  # the shipments each one is among the nearest of

    def neighbours(self, count: int | None) -> None:
        """Each shipment's ``count`` nearest, and the other way round."""
        self.near = _near(self, count)
        self.wide = all(len(near) >= len(self.jobs) - 1 for near in self.near)
        self.close_to = [[] for _ in self.jobs]
        for k, others in enumerate(self.near):
            for j in others:
                self.close_to[j].append(k)


class _Route:
    """A van's visits and what follows from them, node 0 the start, 1..n the visits,
    n+1 the end: the earliest each node can be left, the latest its handover may begin
    with the rest on time, the load on board leaving it, and the metres and seconds of
    the drive from each node to the next (``legs``)."""

    __slots__ = (
        "closes",
        "cost",
        "departs",
        "feasible",
        "grams",
        "latest",
        "leg_m",
        "leg_s",
        "ml",
        "opens",
        "places",
        "service",
        "van",
        "visits",
    )

    def __init__(self, net: _Net, van: int, visits: list[Visit]) -> None:
        v = net.vans[van]
        self.van, self.visits = van, visits
        places, opens, closes, service = [v.start], [v.opens], [v.closes], [0]
        grams, ml = [0], [0]
        for k, pickup in visits:
            job = net.jobs[k]
            places.append(job.pickup if pickup else job.delivery)
            opens.append(job.p_open if pickup else job.d_open)
            closes.append(job.p_close if pickup else job.d_close)
            service.append(job.p_service if pickup else job.d_service)
            sign = 1 if pickup else -1
            grams.append(grams[-1] + sign * job.grams)
            ml.append(ml[-1] + sign * job.ml)
        places.append(v.end)
        opens.append(v.opens)
        closes.append(v.closes)
        service.append(0)
        grams.append(0)
        ml.append(0)
        last = len(places) - 1
        # the drive from each node to the next: a stop's setup too, none at the end
        self.leg_m = [net.metres[a][b] for a, b in itertools.pairwise(places)]
        self.leg_s = [net.step[a][b] for a, b in itertools.pairwise(places[:-1])]
        self.leg_s.append(net.seconds[places[-2]][places[-1]])
        departs = [v.opens]
        for n in range(1, last + 1):
            departs.append(max(departs[-1] + self.leg_s[n - 1], opens[n]) + service[n])
        latest = [0] * (last + 1)
        latest[last] = v.closes
        for n in range(last - 1, -1, -1):
            latest[n] = min(closes[n], latest[n + 1] - self.leg_s[n] - service[n])
        self.places, self.opens, self.closes, self.service = places, opens, closes, service
        self.departs, self.latest, self.grams, self.ml = departs, latest, grams, ml
        net.checks += last  # the work of timing it
        self.feasible = all(d - s <= c for d, s, c in zip(departs, service, closes, strict=True))
        self.feasible &= max(grams) <= v.grams and max(ml) <= v.ml
        self.cost = _cost(net, v, self) if visits else 0.0


def _cost(net: _Net, van: _Van, route: _Route) -> float:
    """Fixed, per km, and per hour of the duration when the van leaves as late as it can
    and still arrives as early (each window a span the handover may begin in; the
    duration of a run of stops, and the span its first may begin in, fold stop by stop)."""
    opens, closes, service = route.opens, route.closes, route.service
    duration, early, late = 0, van.opens, van.closes
    for n, step in enumerate(route.leg_s, start=1):
        at = duration + step  # from the first node's begin to this one's arrival
        wait = max(opens[n] - at - late, 0)
        duration += step + wait + service[n]
        early = max(opens[n] - at, early) - wait
        late = min(closes[n] - at, late)
    return van.fixed + sum(route.leg_m) * van.per_m + duration * van.per_s


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a shipment goes in a route: pickup after node ``after_p``, delivery after
    node ``after_d`` (the pickup's own when equal); ``added`` its estimated cost."""

    added: float
    route: int
    after_p: int
    after_d: int


def _cheapest(
    net: _Net, route: _Route, slot: int, k: int, bound: float = float("inf")
) -> _Place | None:
    """The cheapest feasible place for shipment ``k`` in ``route`` that adds less than
    ``bound``: each pickup position, and for each every delivery position from it on
    (``_delivery``). A pickup position that alone adds as much as the best found (or
    ``bound``) is not looked into further (a delivery adds no less than nothing)."""
    job, van = net.jobs[k], net.vans[route.van]
    net.checks += 1
    if (job.cold and not van.cold) or job.grams > van.grams or job.ml > van.ml:
        return None
    places, departs, grams, ml = route.places, route.departs, route.grams, route.ml
    leg_m, leg_s = route.leg_m, route.leg_s
    last = len(places) - 1
    p, p_open, p_close, p_service = job.pickup, job.p_open, job.p_close, job.p_service
    # the matrices' rows from the pickup and columns to it
    to_p, to_p_m, from_p, from_p_m = net.to_step[p], net.to_metres[p], net.step[p], net.metres[p]
    from_p_end = net.seconds[p][places[last]]  # no setup at the end
    room_g, room_ml = van.grams - job.grams, van.ml - job.ml
    base = 0.0 if route.visits else float(van.fixed)
    if van.cold and not job.cold and net.cold_scarce:
        base += 10 * van.fixed * job.grams / van.grams  # room cold goods may need
    best: _Place | None = None
    for i in range(last):
        if grams[i] > room_g or ml[i] > room_ml:
            continue
        a, after = places[i], places[i + 1]
        at_p = departs[i] + to_p[a]
        if at_p < p_open:  # ``max``, inline: this is the insertion's inner loop
            at_p = p_open
        if at_p > p_close:
            break  # later nodes are left no earlier
        p_after = from_p_end if i + 1 == last else from_p[after]
        p_m = to_p_m[a] + from_p_m[after] - leg_m[i]
        p_s = to_p[a] + p_service + p_after - leg_s[i]
        pickup = base + p_m * van.per_m + p_s * van.per_s
        if pickup >= bound:
            continue
        found = _delivery(net, route, job, van, i, at_p + p_service, p_after, pickup, bound)
        if found is not None:
            bound, j = found
            best = _Place(bound, slot, i, j)
    return best


def _delivery(
    net: _Net,
    route: _Route,
    job: _Job,
    van: _Van,
    i: int,
    leaves: int,
    onward: int,
    pickup: float,
    bound: float,
) -> tuple[float, int] | None:
    """The cheapest feasible delivery, less than ``bound`` in all, of a shipment picked
    up after node ``i`` (left at ``leaves``, ``onward`` the seconds on to node ``i + 1``;
    ``pickup`` its cost as if it stayed on board): right after the pickup, or after a
    later node, the delays carried forward stop by stop and the rest of the route
    checked against ``latest``."""
    places, latest, opens, service = route.places, route.latest, route.opens, route.service
    grams, ml, leg_m, leg_s = route.grams, route.ml, route.leg_m, route.leg_s
    last = len(places) - 1
    room_g, room_ml = van.grams - job.grams, van.ml - job.ml
    d, d_open, d_close, d_service = job.delivery, job.d_open, job.d_close, job.d_service
    to_d, to_d_m, from_d, from_d_m = net.to_step[d], net.to_metres[d], net.step[d], net.metres[d]
    from_d_end = net.seconds[d][places[last]]  # no setup at the end
    best: tuple[float, int] | None = None
    # where the van is (the pickup first), the metres and seconds from there to node j + 1
    here, onto_m, onto_s = job.pickup, net.metres[job.pickup][places[i + 1]], onward
    checks = 0
    for j in range(i, last):
        checks += 1
        if j > i:  # the van goes on to node j with the shipment on board
            begins = leaves + (onward if j == i + 1 else leg_s[j - 1])
            if begins < opens[j]:
                begins = opens[j]
            if begins > latest[j] or grams[j] > room_g or ml[j] > room_ml:
                break
            leaves, here, onto_m, onto_s = begins + service[j], places[j], leg_m[j], leg_s[j]
        at_d = leaves + to_d[here]
        if at_d < d_open:
            at_d = d_open
        if at_d > d_close:
            break  # later nodes are left no earlier
        nxt = places[j + 1]
        d_next = from_d_end if j + 1 == last else from_d[nxt]
        if at_d + d_service + d_next > latest[j + 1]:
            continue
        d_m = to_d_m[here] + from_d_m[nxt] - onto_m
        d_s = to_d[here] + d_service + d_next - onto_s
        cost = pickup + d_m * van.per_m + d_s * van.per_s
        if cost < bound:
            best, bound = (cost, j), cost
    net.checks += checks
    return best


def _inserted(net: _Net, route: _Route, k: int, at: _Place) -> _Route:
    visits, i, j = route.visits, at.after_p, at.after_d
    return _Route(net, route.van, [*visits[:i], (k, True), *visits[i:j], (k, False), *visits[j:]])


class _Plan:
    """Routes, the shipments left, and the route each carried one is in."""

    __slots__ = ("left", "route_of", "routes")

    def __init__(self, routes: list[_Route], left: set[int], route_of: dict[int, int]) -> None:
        self.routes, self.left, self.route_of = routes, left, route_of

    def score(self) -> tuple[int, float]:
        return len(self.left), sum(r.cost for r in self.routes)


def _near(net: _Net, count: int | None) -> list[list[int]]:
    """Each shipment's ``count`` nearest others (all, when ``None`` or when there are
    no more), and a cold one's ``count`` nearest cold ones too (the routes of ambient
    goods near it may be in vans that keep nothing cold): near when its pickup is near
    a stop of the other's and so is its delivery (the metres from its pickup to the
    nearer of the other's two places, plus from its delivery); ties to the earlier
    shipment. Worked out in blocks of rows in numpy, so a few thousand shipments take
    a second or two, not their square in Python."""
    n = len(net.jobs)
    if count is None or count >= n - 1:
        return [[j for j in range(n) if j != k] for k in range(n)]
    metres = net.metres_array
    everyone = np.arange(n)
    near = _nearest(net, metres, everyone, everyone, count)
    cold = np.array([k for k, job in enumerate(net.jobs) if job.cold], dtype=np.intp)
    if 0 < len(cold) < n:
        for k, others in zip(cold.tolist(), _nearest(net, metres, cold, cold, count), strict=True):
            near[k] = sorted({*near[k], *others})
    return near


def _nearest(
    net: _Net, metres: np.ndarray, rows: np.ndarray, columns: np.ndarray, count: int
) -> list[list[int]]:
    """For each of the shipments ``rows``, its ``count`` nearest of ``columns``."""
    pickups, deliveries = net.pickups, net.deliveries
    to_p, to_d = pickups[columns], deliveries[columns]
    near: list[list[int]] = []
    block = max(1, 2_000_000 // max(1, len(columns)))
    for first in range(0, len(rows), block):
        some = rows[first : first + block]
        p, d = pickups[some], deliveries[some]
        apart = np.minimum(metres[p][:, to_p], metres[p][:, to_d])
        apart += np.minimum(metres[d][:, to_p], metres[d][:, to_d])
        apart[some[:, None] == columns[None, :]] = np.iinfo(np.int64).max  # not itself
        take = min(count, len(columns) - 1)
        if take <= 0:
            near.extend([] for _ in some)
            continue
        bound = np.partition(apart, take - 1, axis=1)[:, take - 1]
        for row in range(len(some)):
            within = np.flatnonzero(apart[row] <= bound[row])
            ranked = within[np.lexsort((within, apart[row][within]))][:take]
            near.append(columns[ranked].tolist())
    return near


def _recreate(
    net: _Net,
    routes: list[_Route],
    route_of: dict[int, int],
    todo: Sequence[int],
    limit: int | None = None,
    deadline: float | None = None,
) -> _Plan:
    """Regret insertion of ``todo`` into ``routes`` (``route_of``: the route each
    shipment in them is in; taken over); what fits nowhere is left.

    Granular: a shipment is weighed only against the routes that carry one of its
    nearest shipments (``net.near``) and against one empty van of each kind (the
    first of the kind by number; alike vans give alike places). Each waiting
    shipment's best place per such route is kept, and its two best (cost, route); when
    a shipment goes into a route, the shipments near it look at that route again, and
    those it was one of the two best routes of are weighed again; the others find
    their place in it again only once it is among their two best. The
    shipment with the most to lose goes first (its second-best place's cost above its
    best; one with a single place goes before all others, unless that place is an
    empty van with more of its kind left: nothing is lost then), ties to the cheaper,
    then the earlier. Once none has a place near it, those left look at every route
    (and so on from then). With every other shipment near each (small problems), this
    is plain regret insertion over every route. It stops once its checks and the pairs
    it weighed reach ``limit``, or the clock ``deadline`` (``time.perf_counter``)
    passes, if given, and leaves the rest."""
    regret = _Regret(net, routes, route_of, todo)
    while regret.waiting and not _stopped(net, limit, deadline):
        if not regret.step():
            break
    return _Plan(regret.routes, set(regret.waiting), regret.route_of)


class _Regret:
    """The state of one regret insertion (``_recreate``)."""

    def __init__(
        self, net: _Net, routes: list[_Route], route_of: dict[int, int], todo: Sequence[int]
    ) -> None:
        self.net, self.routes, self.waiting = net, list(routes), set(todo)
        self.route_of = route_of
        self.empties: dict[int, list[int]] = {}  # a kind's empty vans' routes, in order
        for slot, route in enumerate(self.routes):
            if not route.visits:
                self.empties.setdefault(net.vans[route.van].kind, []).append(slot)
        # each waiting shipment's place in the used routes it may go in, and in an empty
        # van of each kind (alike in every van of the kind)
        # (place, the route's stamp when it was found: it may be stale since)
        self.known: dict[int, dict[int, tuple[_Place | None, int]]] = {}
        self.count: dict[int, int] = {}  # how many of its known routes have a place for it
        self.stamp = [0] * len(self.routes)  # a route's insertions so far
        self.empty: dict[int, dict[int, _Place]] = {}
        self.two: dict[int, list[tuple[float, int]]] = {}
        self.holders: dict[int, set[int]] = {}  # a route: whose two best it is one of
        self.version: dict[int, int] = {}
        self.regret: dict[int, float] = {}  # its turn's regret in ``heap``
        self.heap: list[tuple[float, float, int, int]] = []  # (-regret, cost, k, version)
        self.wide = net.wide
        for k in sorted(self.waiting):
            if self.wide:
                slots = [slot for slot, route in enumerate(self.routes) if route.visits]
            else:
                slots = sorted({self.route_of[j] for j in net.near[k] if j in self.route_of})
            self.known[k], self.count[k] = {}, 0
            for slot in slots:
                self.learn(k, slot)
            self.empty[k] = {}
            for kind, free in self.empties.items():
                place = _cheapest(net, self.routes[free[0]], free[0], k)
                if place is not None:
                    self.empty[k][kind] = place
            self.weigh(k)

    def learn(self, k: int, slot: int) -> _Place | None:
        """Shipment ``k``'s place in route ``slot`` as the route is now."""
        known = self.known[k]
        was = known.get(slot, (None, 0))[0]
        place = _cheapest(self.net, self.routes[slot], slot, k)
        known[slot] = place, self.stamp[slot]
        self.count[k] += (place is not None) - (was is not None)
        return place

    def weigh(self, k: int) -> None:
        """Its two best places again, from all it knows (each of the two found again
        if its route changed since: a route that took no place for it takes none
        after more goes in, but a place's cost may change), and its turn."""
        for _, slot in self.two.get(k, []):
            self.holders[slot].discard(k)
        empties, known = self.empties, self.known[k]
        while True:
            found = [(p.added, slot) for slot, (p, _) in known.items() if p is not None]
            found += [
                (p.added, empties[kind][0]) for kind, p in self.empty[k].items() if empties[kind]
            ]
            self.net.weighed += len(found)
            best = heapq.nsmallest(2, found)
            stale = [s for _, s in best if s in known and known[s][1] != self.stamp[s]]
            if not stale:
                break
            for slot in stale:
                self.learn(k, slot)
        self.two[k] = best
        for _, slot in best:
            self.holders.setdefault(slot, set()).add(k)
        self.version[k] = self.version.get(k, 0) + 1
        if not best:
            return
        if len(best) == 2:
            regret = best[1][0] - best[0][0]
        else:
            # an empty van with more of its kind left: nothing lost by waiting, when
            # the routes not near it are not weighed (and it may join one near later)
            route = self.routes[best[0][1]]
            spare = not route.visits and len(empties[self.net.vans[route.van].kind]) > 1
            regret = 0.0 if spare and not self.wide else ONLY_ROUTE
        self.regret[k] = regret
        heapq.heappush(self.heap, (-regret, best[0][0], k, self.version[k]))

    def moved(self, k: int, slot: int, kind: int) -> bool:
        """What ``weigh`` would find for shipment ``k`` when the empty van ``slot`` (of
        ``kind``), one of its two best, has just been taken and nothing else it knows
        changed: the next van of the kind in its stead, at the same cost, and its turn
        as it was unless it had no other place. False (nothing done) when another of
        its places ties with that cost, or no van of the kind is left: ``weigh`` then.
        A new van opens for hundreds of shipments that hold an empty one among their
        two best: on thousands of shipments, weighing each again was the most work."""
        free = self.empties[kind]
        if not free:
            return False
        two = self.two[k]
        n = 0 if two[0][1] == slot else 1
        added = two[n][0]
        there = (added, free[0])
        if n == 0 and len(two) == 2 and not there < two[1]:
            return False
        if n == 1 and self.ties(k, added, kind):
            return False
        empties = self.empties
        self.net.weighed += self.count[k] + sum(1 for other in self.empty[k] if empties[other])
        self.two[k] = [*two[:n], there, *two[n + 1 :]]
        self.holders[slot].discard(k)
        self.holders.setdefault(free[0], set()).add(k)
        if len(two) == 1:
            regret = 0.0 if len(free) > 1 and not self.wide else ONLY_ROUTE
            if regret != self.regret[k]:
                self.version[k] += 1
                self.regret[k] = regret
                heapq.heappush(self.heap, (-regret, added, k, self.version[k]))
        return True

    def ties(self, k: int, added: float, kind: int) -> bool:
        """Whether another of shipment ``k``'s places than an empty van of ``kind``
        adds exactly ``added``."""
        if self.count[k] and any(
            p is not None and p.added == added for p, _ in self.known[k].values()
        ):
            return True
        return any(
            p.added == added and self.empties[other]
            for other, p in self.empty[k].items()
            if other != kind
        )

    def step(self) -> bool:
        """The next shipment to its best place; false when none has a place left."""
        while self.heap:
            _, _, k, seen = heapq.heappop(self.heap)
            if k in self.waiting and seen == self.version[k]:
                self.insert(k)
                return True
        if self.wide:
            return False
        self.widen()
        return True

    def widen(self) -> None:
        """What fits in no route near it looks at every route, from now on."""
        self.wide = True
        used = [slot for slot, route in enumerate(self.routes) if route.visits]
        for k in sorted(self.waiting):
            known = self.known[k]
            for slot in used:
                if slot not in known:
                    self.learn(k, slot)
            self.weigh(k)

    def insert(self, k: int) -> None:
        net, routes = self.net, self.routes
        slot = self.two[k][0][1]
        route = routes[slot]
        opened = None  # the kind of van, when an empty one opens
        if route.visits:
            chosen = self.known[k][slot][0]
        else:
            opened = net.vans[route.van].kind
            chosen = self.empty[k][opened]
            self.empties[opened].pop(0)  # the next of the kind, if any, stands for it now
        assert chosen is not None  # one of its two best
        self.waiting.discard(k)
        for _, was in self.two.pop(k):
            self.holders[was].discard(k)
        del self.known[k], self.empty[k], self.count[k], self.regret[k]
        routes[slot] = _inserted(net, route, k, chosen)
        self.stamp[slot] += 1
        self.route_of[k] = slot
        # looked at again now: every waiting shipment once all routes are weighed;
        # else those near the shipment that went in (the route may be new to them);
        # the others that know the route find their place again when it matters
        # (``weigh``)
        waiting = self.waiting
        again = set(waiting) if self.wide else {o for o in net.close_to[k] if o in waiting}
        held = self.holders.get(slot, set())
        for other in sorted(held & waiting):
            if other in again:
                self.learn(other, slot)
            elif opened is not None and self.moved(other, slot, opened):
                continue
            self.weigh(other)  # one of its two best changed
        for other in sorted(again - held):
            place, two = self.learn(other, slot), self.two[other]
            if place is not None and (len(two) < 2 or (place.added, slot) < two[-1]):
                self.weigh(other)  # a new one of its two best


def _stopped(net: _Net, limit: int | None, deadline: float | None) -> bool:
    """The work reached ``limit``, or the clock passed ``deadline`` (said in ``net``)."""
    if limit is not None and net.checks + net.weighed >= limit:
        return True
    if deadline is not None and time.perf_counter() >= deadline:
        net.clock_stopped = True
        return True
    return False


def _ruin(
    net: _Net, plan: _Plan, rng: random.Random
) -> tuple[list[_Route], dict[int, int], list[int]]:
    """Some shipments out of ``plan``: its routes without them, where the rest are,
    and the shipments taken out."""
    carried = sorted(plan.route_of)
    if not carried:
        return plan.routes, dict(plan.route_of), []
    count = min(len(carried), rng.randint(2, max(2, min(12, len(carried) // 5))))
    how = rng.random()
    if any(net.jobs[k].cold for k in plan.left) and how < 0.3:
        # cold goods left: ambient goods out of the cold vans, to make room
        ambient = [
            k
            for r in plan.routes
            if net.vans[r.van].cold
            for k, pickup in r.visits
            if pickup and not net.jobs[k].cold
        ]
        out = rng.sample(sorted(ambient), min(len(ambient), count))
    elif how < 0.5:  # related: pickups and deliveries near one's, give or take 30 %
        seed = net.jobs[rng.choice(carried)]
        numbers = np.array(carried, dtype=np.intp)
        near = net.metres_array[seed.pickup, net.pickups[numbers]]
        near = near + net.metres_array[seed.delivery, net.deliveries[numbers]]
        noise = np.array([rng.random() for _ in carried])
        ranked = np.argsort(near * (1 + 0.3 * noise), kind="stable")  # ties as they came
        out = numbers[ranked[:count]].tolist()
    elif how < 0.7:  # a short route, so its van may go
        used = sorted((r for r in plan.routes if r.visits), key=lambda r: (len(r.visits), r.van))
        route = used[rng.randrange(min(3, len(used)))]
        out = [k for k, pickup in route.visits if pickup]
    else:
        out = rng.sample(carried, count)
    gone = set(out)
    route_of = dict(plan.route_of)
    ruined = {route_of.pop(k) for k in out}
    routes = [
        _Route(net, r.van, [v for v in r.visits if v[0] not in gone]) if slot in ruined else r
        for slot, r in enumerate(plan.routes)
    ]
    return routes, route_of, out


def start_routes(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    index: dict[object, int],
    planned: Sequence[int],
    seed: int,
    checks: int,
    deadline: float | None = None,
    last: float | None = None,
    near: int | None = NEAR_SHIPMENTS,
    ruin_checks: int | None = None,
) -> tuple[list[Sketch], bool]:
    """Routes for as many of the ``planned`` shipments as fit, as cheap as a bounded
    search finds; shipments named by their position in ``planned``, vans by their
    number in ``problem.vehicles``. The first insertion stops at ``checks`` of work
    (``work``), and then there is no ruin and recreate; ruin and recreate stops after
    ``checks`` insertion checks more (``ruin_checks`` when given), or 25 rounds a
    shipment, whichever comes first; when the start then still leaves shipments after
    fewer than ``FEW_ROUNDS`` rounds a shipment, it goes on (``MORE_STRETCHES``).
    ``deadline`` (``time.perf_counter``) is the first insertion's last resort on a slow
    or busy machine, ``last`` ruin and recreate's (the end of the stage's part the search
    belongs to): they stop there too, and say so (the bool). Over ``FULL_UP_TO``
    shipments, each is weighed against the routes of its ``near`` nearest (``None``:
    every route)."""
    net = _Net(problem, matrix, index, planned)
    net.neighbours(None if len(planned) <= FULL_UP_TO else near)
    empty = [_Route(net, van, []) for van in range(len(net.vans))]
    # the first insertion stops at ``checks`` too (and then the search, PyVRP, places
    # the rest): weighing only each shipment's nearest routes, it rarely gets there
    order = _hardest_first(net, range(len(planned)))
    plan = _recreate(net, empty, {}, order, limit=checks, deadline=deadline)
    if net.checks + net.weighed >= checks or net.clock_stopped:
        return [(r.van, list(r.visits)) for r in plan.routes if r.visits], net.clock_stopped
    rng = random.Random(seed)  # noqa: S311 (a seeded search, the same every run)
    began = net.checks
    work = (checks if ruin_checks is None else ruin_checks) + net.checks
    best, rounds = plan, 0
    threshold = THRESHOLD * plan.score()[1]
    length, most_rounds = work - began, ROUNDS_PER_SHIPMENT * len(planned)
    for stretch in range(1 + MORE_STRETCHES):
        if stretch:
            # a start that still leaves shipments after few rounds a shipment goes on
            # from its best plan, the same work again, until those rounds are done
            if not best.left or rounds >= FEW_ROUNDS * len(planned) or net.clock_stopped:
                break
            plan, began = best, net.checks
            work, most_rounds = began + length, FEW_ROUNDS * len(planned)
            threshold = THRESHOLD * plan.score()[1]
        while net.checks < work and rounds < most_rounds:
            if last is not None and time.perf_counter() >= last:
                net.clock_stopped = True
                break
            rounds += 1
            routes, route_of, out = _ruin(net, plan, rng)
            trial = _recreate(net, routes, route_of, [*out, *sorted(plan.left)], deadline=last)
            left, cost = trial.score()
            allowed = threshold * (work - net.checks) / max(1, work - began)
            if left < len(plan.left) or (
                left == len(plan.left) and cost <= plan.score()[1] + allowed
            ):
                plan = trial
                if plan.score() < best.score():
                    best = plan
    return [(r.van, list(r.visits)) for r in best.routes if r.visits], net.clock_stopped


def _hardest_first(net: _Net, numbers: Sequence[int]) -> list[int]:
    """The order regret ties are broken in: narrow windows, far apart, first."""

    def key(k: int) -> tuple[int, int, int]:
        job = net.jobs[k]
        width = job.p_close - job.p_open + job.d_close - job.d_open
        return width, -net.metres[job.pickup][job.delivery], k

    return sorted(numbers, key=key)
