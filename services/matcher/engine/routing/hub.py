"""The plan via a network's hub: collection runs bring every farm's goods to the hub,
delivery runs take each co-op's goods from it once all have arrived (plus handling).

Two plain problems instead of one long pickup-and-delivery one: a co-op's goods from
many farms arrive in one drop, and the search works on short routes.

The hub's opening hours of the day (``hours``: windows in seconds since midnight;
None when it keeps none) bound both: collection legs are handed over at the hub in
one opening (``intake``), early enough for the handling to end before it closes, and
delivery legs leave it in the first opening after everything is ready (``departure``).
The handling is counted once, between the last arrival and the first departure.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from uuid import UUID

import msgspec

from services.matcher.engine.allocation.model import Temperature
from services.matcher.engine.routing.model import (
    WHOLE_DAY,
    Left,
    Place,
    Route,
    RoutePlan,
    RoutingProblem,
    Shipment,
    Vehicle,
    Window,
    heaviest,
)
from services.matcher.engine.routing.solver import Budget, solve, totals
from services.matcher.engine.routing.travel import TravelMatrix, places_of, submatrix

HUB_ID = UUID(int=0)  # the hub, where a leg's producer or co-op would be
HANDLING_S = 1800  # unloading, sorting by co-op and loading again at the hub
HANDOVER_S = 60  # a leg's crates handed over at a stop (the stop's setup apart)


class HubPlan(msgspec.Struct, frozen=True, kw_only=True):
    """Both phases as one plan: ``legs`` are the shipments the routes' stops name
    (collection legs first), ``carries[leg]`` the original shipments in each leg."""

    plan: RoutePlan
    vehicles: list[Vehicle]  # each route's van as its phase sees it (ends or starts at the hub)
    legs: list[Shipment]
    carries: list[list[int]]
    collection_legs: int  # legs[:collection_legs] go to the hub, the rest from it
    collection_routes: int  # plan.routes[:collection_routes] are collection runs
    ready_s: int  # when the hub has everything and deliveries may leave


def intake(hours: Sequence[Window] | None, handover_s: int = HANDOVER_S) -> Window | None:
    """When collection legs may be handed over at the hub: within its longest opening of
    the day (the earliest of equal ones), early enough that the handover and then the
    handling end before it closes. All day without hours; None when the hub is closed
    all day or never open long enough for that (no plan via the hub then)."""
    if hours is None:
        return WHOLE_DAY
    usable = [
        Window(opens_s=w.opens_s, closes_s=w.closes_s - handover_s - HANDLING_S)
        for w in hours
        if w.closes_s - handover_s - HANDLING_S >= w.opens_s
    ]
    return min(usable, key=lambda w: (w.opens_s - w.closes_s, w.opens_s), default=None)


def departure(hours: Sequence[Window] | None, ready_s: int) -> Window:
    """When delivery legs may be handed over at the hub: from ``ready_s`` until the
    end of the first opening that has not closed by then (all day without hours).
    ``intake`` keeps a collection's handling inside its opening, so one always has."""
    if hours is None:
        return Window(opens_s=ready_s, closes_s=WHOLE_DAY.closes_s)
    for w in sorted(hours):
        if w.closes_s >= ready_s:
            return Window(opens_s=max(w.opens_s, ready_s), closes_s=w.closes_s)
    return Window(opens_s=ready_s, closes_s=ready_s)  # unreachable through ``intake``


def plan_via_hub(
    problem: RoutingProblem,
    matrix: TravelMatrix,
    rows: Sequence[Place],
    hub: Place,
    budget: Budget,
    hours: Sequence[Window] | None = None,
) -> HubPlan | None:
    """``matrix`` covers ``rows``, which include the hub and every place of the problem;
    None when the hub is closed on the day (``intake``)."""
    opening = intake(hours)
    if opening is None:
        return None
    # each search's start stops only at a deadline, not at its seconds: a deadline of
    # both searches' seconds from now keeps the two within their share of the stage
    # when the part before them ended early (at 6,000 shipments and a fifth of a core
    # they took 70-82 s of a 27 s share)
    budget = budget.until(time.perf_counter() + 2 * budget.seconds)
    collection, collected_from = _legs(
        problem,
        lambda s: (s.producer_id, s.temperature),
        to_hub=True,
        hub=hub,
        hub_window=opening,
    )
    inbound = msgspec.structs.replace(
        problem,
        shipments=collection,
        vehicles=[msgspec.structs.replace(v, end=hub) for v in problem.vehicles],
    )
    # half the time left to the deadline: the deliveries search in the rest
    first = solve(inbound, submatrix(matrix, rows, places_of(inbound)), budget.share(0.5))
    arrived = {left.shipment for left in first.unserved}
    ready = max((r.stops[-1].arrival_s for r in first.routes), default=0) + HANDLING_S
    at_hub = [
        n for leg, numbers in enumerate(collected_from) if leg not in arrived for n in numbers
    ]
    used = {route.vehicle_id for route in first.routes}
    outbound_vans = [
        msgspec.structs.replace(
            v,
            start=hub,
            shift=Window(
                opens_s=min(max(v.shift.opens_s, ready), v.shift.closes_s),
                closes_s=v.shift.closes_s,
            ),
            fixed_cost_ore=0 if v.id in used else v.fixed_cost_ore,  # paid in collection
        )
        for v in problem.vehicles
    ]
    delivery, delivered_from = _legs(
        msgspec.structs.replace(problem, shipments=[problem.shipments[n] for n in at_hub]),
        lambda s: (s.coop_id, s.temperature),
        to_hub=False,
        hub=hub,
        hub_window=departure(hours, ready),
    )
    delivered_from = [[at_hub[i] for i in numbers] for numbers in delivered_from]
    outbound = msgspec.structs.replace(problem, shipments=delivery, vehicles=outbound_vans)
    second = solve(outbound, submatrix(matrix, rows, places_of(outbound)), budget)
    offset = len(collection)
    routes = first.routes + [_shifted(route, offset) for route in second.routes]
    unserved: dict[int, Left] = {}
    for left in first.unserved:
        for n in collected_from[left.shipment]:
            unserved[n] = Left(shipment=n, reason=left.reason)
    for left in second.unserved:
        for n in delivered_from[left.shipment]:
            unserved[n] = Left(shipment=n, reason=left.reason)
    phase_vans = {v.id: v for v in inbound.vehicles}
    out_vans = {v.id: v for v in outbound_vans}
    vehicles = [phase_vans[r.vehicle_id] for r in first.routes]
    vehicles += [out_vans[r.vehicle_id] for r in second.routes]
    return HubPlan(
        vehicles=vehicles,
        plan=RoutePlan(
            routes=routes,
            unserved=[unserved[n] for n in sorted(unserved)],
            totals=totals(routes),
            clock_capped=first.clock_capped or second.clock_capped,
        ),
        legs=collection + delivery,
        carries=collected_from + delivered_from,
        collection_legs=len(collection),
        collection_routes=len(first.routes),
        ready_s=ready,
    )


def _legs(
    problem: RoutingProblem,
    key: Callable[[Shipment], tuple[UUID, Temperature]],
    *,
    to_hub: bool,
    hub: Place,
    hub_window: Window,
) -> tuple[list[Shipment], list[list[int]]]:
    """One leg per producer (collection) or co-op (delivery) and temperature class,
    picked up where and when its heaviest shipment is (``model.heaviest``), handed over
    at the hub within ``hub_window``."""
    grouped: dict[tuple[UUID, Temperature], list[int]] = defaultdict(list)
    for number, shipment in enumerate(problem.shipments):
        grouped[key(shipment)].append(number)
    legs, members = [], []
    for (_, temperature), numbers in sorted(grouped.items()):
        parts = [problem.shipments[n] for n in numbers]
        lead = heaviest(parts)
        legs.append(
            Shipment(
                producer_id=lead.producer_id if to_hub else HUB_ID,
                coop_id=HUB_ID if to_hub else lead.coop_id,
                temperature=temperature,
                grams=sum(p.grams for p in parts),
                ml=sum(p.ml for p in parts),
                pickup=lead.pickup if to_hub else hub,
                delivery=hub if to_hub else lead.delivery,
                pickup_window=lead.pickup_window if to_hub else hub_window,
                delivery_window=hub_window if to_hub else lead.delivery_window,
                pickup_service_s=HANDOVER_S,
                delivery_service_s=HANDOVER_S,
            )
        )
        members.append(numbers)
    return legs, members


def _shifted(route: Route, offset: int) -> Route:
    stops = [
        s if s.shipment is None else msgspec.structs.replace(s, shipment=s.shipment + offset)
        for s in route.stops
    ]
    return msgspec.structs.replace(route, stops=stops)
